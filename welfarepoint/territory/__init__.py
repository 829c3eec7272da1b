"""Lombardy's geography: the 8 ATS, the 12 provinces and the 1,501 comuni, with lookups.

No web and standard library only. The comuni come from ``municipalities.csv`` in this package (built by
``tools/build_territory.py``); it is read once, on first use, and indexed in memory. Every name lookup goes
through :func:`normalise`, so "TEMÙ", "temu" and "Temu'" are the same comune, and so are "Vezza d'Oglio",
"vezza d oglio" and "Vezza-d'Oglio".
"""

from __future__ import annotations

import csv
import difflib
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = [
    "ATS_NAMES",
    "PROVINCES",
    "Municipality",
    "all_municipalities",
    "ats_by_name",
    "by_belfiore",
    "by_istat",
    "by_name",
    "find",
    "in_ats",
    "in_province",
    "normalise",
    "suggest",
]

ATS_NAMES: tuple[str, ...] = (
    "Bergamo",
    "Brescia",
    "Brianza",
    "Insubria",
    "Milano Città Metropolitana",
    "Montagna",
    "Pavia",
    "Val Padana",
)

PROVINCES: dict[str, str] = {
    "BG": "Bergamo",
    "BS": "Brescia",
    "CO": "Como",
    "CR": "Cremona",
    "LC": "Lecco",
    "LO": "Lodi",
    "MB": "Monza e della Brianza",
    "MI": "Milano",
    "MN": "Mantova",
    "PV": "Pavia",
    "SO": "Sondrio",
    "VA": "Varese",
}

_DATA_FILE = "municipalities.csv"
_WORDS = re.compile(r"[^\W_]+")
# Other ways people name an ATS, as compact keys (see _ats_key); the canonical names are added automatically.
_ATS_ALIASES = {
    "milano": "Milano Città Metropolitana",
    "cittametropolitanadimilano": "Milano Città Metropolitana",
}
_ATS_PREFIX_WORDS = {"ats", "di", "del", "dell", "della"}
_MIN_FUZZY_LENGTH = 3
_FUZZY_CUTOFF = 0.6


@dataclass(frozen=True, slots=True)
class Municipality:
    """A comune of Lombardy, identified by its 6-digit ISTAT code."""

    istat_code: str
    belfiore_code: str
    name: str
    province: str
    ats: str
    lat: float
    lon: float


def normalise(text: str) -> str:
    """Fold text for matching: no accents, lower case, apostrophes/hyphens/punctuation as single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(_WORDS.findall(text))


def _compact(text: str) -> str:
    """Normalised text without spaces, so spacing and apostrophes never matter ("vezzadoglio")."""
    return normalise(text).replace(" ", "")


@dataclass(frozen=True)
class _Index:
    items: tuple[Municipality, ...]
    by_istat: dict[str, Municipality]
    by_belfiore: dict[str, Municipality]
    by_key: dict[str, Municipality | None]  # compact name -> comune (None if two comuni shared a name)
    by_province: dict[str, tuple[Municipality, ...]]
    by_ats: dict[str, tuple[Municipality, ...]]
    keyed: tuple[
        tuple[str, str, Municipality], ...
    ]  # (normalised name, compact name, comune), by normalised name


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Read the data file once and build every index."""
    source = resources.files(__name__).joinpath(_DATA_FILE)
    with source.open("r", encoding="utf-8", newline="") as handle:
        items = tuple(
            Municipality(
                istat_code=row["istat_code"],
                belfiore_code=row["belfiore_code"],
                name=row["name"],
                province=row["province"],
                ats=row["ats"],
                lat=float(row["lat"]),
                lon=float(row["lon"]),
            )
            for row in csv.DictReader(handle)
        )
    by_key: dict[str, Municipality | None] = {}
    for m in items:
        key = _compact(m.name)
        by_key[key] = None if key in by_key else m
    keyed = tuple(sorted(((normalise(m.name), _compact(m.name), m) for m in items), key=lambda t: t[0]))
    return _Index(
        items=items,
        by_istat={m.istat_code: m for m in items},
        by_belfiore={m.belfiore_code: m for m in items},
        by_key=by_key,
        by_province={code: tuple(m for m in items if m.province == code) for code in PROVINCES},
        by_ats={ats: tuple(m for m in items if m.ats == ats) for ats in ATS_NAMES},
        keyed=keyed,
    )


def all_municipalities() -> tuple[Municipality, ...]:
    """Every active comune of Lombardy, sorted by ISTAT code."""
    return _index().items


def by_istat(code: str) -> Municipality | None:
    """The comune with this ISTAT code ("014061" or "14061"), or None."""
    code = str(code).strip()
    if not code.isdigit() or len(code) > 6:
        return None
    return _index().by_istat.get(code.zfill(6))


def by_belfiore(code: str) -> Municipality | None:
    """The comune with this Belfiore (cadastral) code, e.g. "I829", or None."""
    return _index().by_belfiore.get(str(code).strip().upper())


def by_name(name: str) -> Municipality | None:
    """The comune with exactly this name, ignoring accents, case, apostrophes, hyphens and spaces, or None."""
    key = _compact(name)
    return _index().by_key.get(key) if key else None


def find(text: str) -> Municipality | None:
    """The comune an ISTAT code (all digits), a Belfiore code or a name points to, or None."""
    text = str(text).strip()
    if text.isdigit():
        return by_istat(text)
    if re.fullmatch(r"[A-Za-z]\d{3}", text):
        return by_belfiore(text)
    return by_name(text)


def suggest(text: str, limit: int = 5) -> list[Municipality]:
    """Comuni for autocomplete and "did you mean": exact, name prefix, word prefix, then close spellings."""
    query = normalise(text)
    if not query or limit <= 0:
        return []
    index = _index()
    found: dict[str, Municipality] = {}

    def add(candidates: list[Municipality]) -> bool:
        for m in candidates:
            if len(found) >= limit:
                return True
            found.setdefault(m.istat_code, m)
        return len(found) >= limit

    if query.isdigit():  # an ISTAT code being typed
        hits = [
            m
            for m in index.items
            if query in (m.istat_code[: len(query)], m.istat_code.lstrip("0")[: len(query)])
        ]
        return hits[:limit]
    compact = query.replace(" ", "")
    if add([m for _, key, m in index.keyed if key == compact]):
        return list(found.values())
    if add([m for _, key, m in index.keyed if key.startswith(compact)]):
        return list(found.values())
    if add([m for name, _, m in index.keyed if any(word.startswith(query) for word in name.split(" ")[1:])]):
        return list(found.values())
    if len(compact) < _MIN_FUZZY_LENGTH:
        return list(found.values())
    scored = []
    for name, key, m in index.keyed:
        if m.istat_code not in found:
            score = _similarity(compact, key)
            if len(key) > len(compact):  # the query may be the start of a longer name, typed with a slip
                score = max(score, 0.95 * _similarity(compact, key[: len(compact)]))
            if score >= _FUZZY_CUTOFF:
                scored.append((-score, name, m))
    scored.sort(key=lambda t: (t[0], t[1]))
    add([m for _, _, m in scored])
    return list(found.values())


def _similarity(query: str, key: str) -> float:
    """difflib's ratio, skipping the full computation when the cheap upper bounds are already too low."""
    matcher = difflib.SequenceMatcher(None, key, query, autojunk=False)
    if matcher.real_quick_ratio() < _FUZZY_CUTOFF or matcher.quick_ratio() < _FUZZY_CUTOFF:
        return 0.0
    return matcher.ratio()


def in_province(code: str) -> tuple[Municipality, ...]:
    """The comuni of a province, by code ("SO", "so") or name ("Sondrio"); empty if unknown."""
    key = str(code).strip().upper()
    if key not in PROVINCES:
        wanted = _compact(code)
        key = next((c for c, name in PROVINCES.items() if _compact(name) == wanted), "")
    return _index().by_province.get(key, ())


def ats_by_name(name: str) -> str | None:
    """The canonical ATS name for "montagna", "ATS della Val Padana", "Milano"..., or None."""
    words = normalise(name).split(" ")
    while len(words) > 1 and words[0] in _ATS_PREFIX_WORDS:
        words = words[1:]
    return _ats_lookup().get("".join(words))


@lru_cache(maxsize=1)
def _ats_lookup() -> dict[str, str]:
    """Compact key -> canonical ATS name."""
    lookup = {_compact(ats): ats for ats in ATS_NAMES}
    lookup.update(_ATS_ALIASES)
    return lookup


def in_ats(name: str) -> tuple[Municipality, ...]:
    """The comuni of an ATS (name matched like :func:`ats_by_name`); empty if unknown."""
    ats = ats_by_name(name)
    return _index().by_ats[ats] if ats else ()


def distance_km(a: Municipality, b: Municipality) -> float:
    """The distance between two municipalities' representative points, in kilometres (equirectangular)."""
    import math

    dlat = math.radians(b.lat - a.lat)
    dlon = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return 6371.0 * math.hypot(dlat, dlon)


# Places as people write them (areas, exonyms, postal codes, the rest of Italy, places inside a free text).
# Imported last: the module builds on the lookups above. Its public names are this package's too.
from welfarepoint.territory import places as _places  # noqa: E402
from welfarepoint.territory.places import *  # noqa: E402, F403

__all__ += _places.__all__
