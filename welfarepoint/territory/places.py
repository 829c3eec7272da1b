"""Places as people write them: comuni, areas, provinces, ATS, Lombardy, postal codes and the rest of Italy.

Two questions, both answered from the package's data files (read once, on first use, into dictionaries):

- :func:`resolve_place` reads a place field ("alzano", "Seriate (BG)", "BG", "provincia di Bergamo",
  "Valtellina", "Milan", "24027", "Piacenza") and says which place it is, which places it might be, or that it
  is none (with close spellings only then).
- :func:`find_place_in_text` finds the place inside a free-text query ("badante sondrio", "summer camp milan",
  "pre scuola seriate (bg)") and returns it with the span of text it used and the rest of the text. It never
  reads an ordinary word as a place: a name of several words must be there whole, and a one-word name that
  is also an ordinary Italian or English word (``common_words.txt``: "Calcio", "Erba", "Mese") counts only
  with a cue ("comune di Erba", "Erba (CO)", "a Erba" with a capital E).

Data files: ``italy.csv`` (every Italian comune, region, point, postal codes), ``areas.toml`` (areas people
name, each with its rule and source), ``exonyms.csv`` (Milan, Mantua...), ``common_words.txt``.
``tools/build_territory.py`` builds ``italy.csv`` and ``common_words.txt``; ``areas.toml`` and ``exonyms.csv``
are written by hand.
"""

from __future__ import annotations

import bisect
import csv
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from welfarepoint import territory as _t

__all__ = [
    "Area",
    "ItalianMunicipality",
    "Place",
    "PlaceInText",
    "PlaceKind",
    "PlaceMatch",
    "Via",
    "all_areas",
    "area_by_name",
    "by_postal_code",
    "find_place_in_text",
    "italian_municipalities",
    "postal_codes",
    "resolve_place",
]

LOMBARDY = "Lombardia"
_TOKEN = re.compile(r"[^\W_]+")
_MIN_PREFIX = 3  # characters before a prefix may stand for a name ("alz" -> Alzano Lombardo)
_MIN_FIRST_WORD = 4  # a first word alone stands for a name in free text only from this length ("alzano")
_MIN_OUTSIDE_WORD = 4  # a one-word comune outside Lombardy is read in free text only from this length
_MAX_CANDIDATES = 10
# Words before a place that belong to it in free text ("a Pavia", "comune di Crema", "near Milan").
_OUTER_WORDS = frozenset({"a", "ad", "in", "near", "at", "around"})  # "in zona ...": nothing before these
_CONNECTORS = frozenset({"e", "ed", "and", "o", "or"})
_LEAD_WORDS = _OUTER_WORDS | frozenset({"di", "da", "zona", "comune", "paese", "citta"})
# Words after which a one-word name that is also an ordinary word is a place ("comune di Calcio").
_STRONG_CUES = frozenset({"comune", "zona", "paese", "citta", "town", "frazione"})
_PROVINCE_WORDS = frozenset({"provincia", "prov"})


class PlaceKind(StrEnum):
    """What a place is."""

    MUNICIPALITY = "municipality"  # a comune of Lombardy
    AREA = "area"  # an area people name (Valtellina, Lomellina...), a set of Lombard comuni
    PROVINCE = "province"  # a Lombard province
    ATS = "ats"  # an ATS
    REGION = "region"  # the whole of Lombardy
    OUTSIDE = "outside"  # a comune of Italy outside Lombardy


class Via(StrEnum):
    """How the text pointed to the place."""

    NAME = "name"  # the place's own name (or an alias of an area)
    EXONYM = "exonym"  # a name in another language ("Milan")
    PREFIX = "prefix"  # the start of a name ("alzano" -> Alzano Lombardo)
    POSTAL_CODE = "postal_code"  # a CAP
    CODE = "code"  # an ISTAT code or a province code
    NONE = "none"  # nothing matched


@dataclass(frozen=True, slots=True)
class ItalianMunicipality:
    """A comune of Italy (Lombardy included), from ``italy.csv``."""

    istat_code: str  # empty only for a comune newer than every source's ISTAT list
    belfiore_code: str
    name: str
    other_name: str  # the name in the other official language ("Bozen"), or ""
    province: str
    region: str
    lat: float
    lon: float
    caps: tuple[str, ...]  # postal codes; several for a comune with many, a range for a big city

    @property
    def in_lombardy(self) -> bool:
        return self.region == LOMBARDY


@dataclass(frozen=True, slots=True)
class Area:
    """An area people name, defined by a documented rule over Lombard comuni (``areas.toml``)."""

    name: str
    aliases: tuple[str, ...]
    rule: str
    source: str
    municipalities: tuple[_t.Municipality, ...]


@dataclass(frozen=True, slots=True)
class Place:
    """A place a text can name. ``municipalities`` are the Lombard comuni it covers (none for OUTSIDE)."""

    kind: PlaceKind
    code: str  # ISTAT code (MUNICIPALITY, OUTSIDE), area name, province code, ATS name, "Lombardia"
    name: str  # as shown: "Alzano Lombardo", "Valtellina", "Provincia di Bergamo", "ATS Montagna"
    region: str
    province: str = ""  # province code for a comune or a province
    municipalities: tuple[_t.Municipality, ...] = field(default=(), repr=False)

    @property
    def in_lombardy(self) -> bool:
        return self.kind is not PlaceKind.OUTSIDE

    @property
    def atses(self) -> frozenset[str]:
        """The ATS its comuni are in (none for OUTSIDE)."""
        return frozenset(m.ats for m in self.municipalities)

    @property
    def municipality(self) -> _t.Municipality | None:
        """The Lombard comune, for a MUNICIPALITY place."""
        return self.municipalities[0] if self.kind is PlaceKind.MUNICIPALITY else None


@dataclass(frozen=True, slots=True)
class PlaceMatch:
    """What a text points to.

    ``place`` is set when the text names one place. Otherwise ``candidates`` lists the places it may mean
    (an ambiguous prefix or a postal code shared by several comuni), and ``suggestions`` close spellings of
    Lombard comuni when nothing matched at all.
    """

    place: Place | None
    via: Via
    candidates: tuple[Place, ...] = ()
    suggestions: tuple[Place, ...] = ()

    @property
    def found(self) -> bool:
        return self.place is not None


@dataclass(frozen=True, slots=True)
class PlaceInText:
    """A place found inside a free text: the match, the span of the text it used and the rest of the text."""

    match: PlaceMatch
    start: int
    end: int
    matched: str
    rest: str


_NOTHING = PlaceMatch(None, Via.NONE)
_KIND_ORDER = {
    PlaceKind.MUNICIPALITY: 0,
    PlaceKind.AREA: 1,
    PlaceKind.PROVINCE: 2,
    PlaceKind.ATS: 3,
    PlaceKind.REGION: 4,
    PlaceKind.OUTSIDE: 5,
}


def _fold(token: str) -> str:
    token = unicodedata.normalize("NFKD", token)
    return "".join(ch for ch in token if not unicodedata.combining(ch)).casefold()


def _key(text: str) -> str:
    return _t.normalise(text).replace(" ", "")


def _read_text(name: str) -> str:
    return resources.files(_t.__name__).joinpath(name).read_text(encoding="utf-8")


@dataclass(frozen=True)
class _Index:
    italy: tuple[ItalianMunicipality, ...]
    lombard_by_istat: dict[str, _t.Municipality]
    names: dict[
        str, tuple[Place, ...]
    ]  # compact key -> Lombard places (comuni, areas, provinces, ATS, region)
    exonyms: dict[str, tuple[Place, ...]]  # compact key -> places named in another language
    outside: dict[str, tuple[Place, ...]]  # compact key -> comuni outside Lombardy
    first_words: dict[str, tuple[Place, ...]]  # first word of a Lombard multi-word name -> comuni
    prefixes: tuple[tuple[str, Place], ...]  # sorted (compact key, place) of Lombard comuni and areas
    caps: dict[str, tuple[ItalianMunicipality, ...]]
    provinces: dict[str, Place]  # province code -> place
    province_names: dict[str, Place]  # compact province name -> place
    ats: dict[str, Place]
    areas: tuple[Area, ...]
    common: frozenset[str]
    spaced: frozenset[str]  # every name as its words ("cardano al campo"), so "non e" never makes "None"
    max_tokens: int


def _municipality_place(m: _t.Municipality) -> Place:
    return Place(PlaceKind.MUNICIPALITY, m.istat_code, m.name, LOMBARDY, m.province, (m,))


def _outside_place(m: ItalianMunicipality) -> Place:
    return Place(PlaceKind.OUTSIDE, m.istat_code or m.belfiore_code, m.name, m.region, m.province)


def _province_name(code: str) -> str:
    return "Città Metropolitana di Milano" if code == "MI" else f"Provincia di {_t.PROVINCES[code]}"


def _load_italy() -> tuple[ItalianMunicipality, ...]:
    rows = csv.DictReader(_read_text("italy.csv").splitlines())
    return tuple(
        ItalianMunicipality(
            istat_code=r["istat_code"],
            belfiore_code=r["belfiore_code"],
            name=r["name"],
            other_name=r["other_name"],
            province=r["province"],
            region=r["region"],
            lat=float(r["lat"]),
            lon=float(r["lon"]),
            caps=tuple(r["caps"].split()),
        )
        for r in rows
    )


def _load_areas() -> tuple[Area, ...]:
    data = tomllib.loads(_read_text("areas.toml"))
    done: dict[str, Area] = {}
    for spec in data["area"]:
        chosen: dict[str, _t.Municipality] = {}
        for code in spec.get("provinces", []):
            chosen.update((m.istat_code, m) for m in _t.in_province(code))
        for ats, province in spec.get("ats_provinces", []):
            chosen.update((m.istat_code, m) for m in _t.in_ats(ats) if m.province == province)
        for name in spec.get("members", []):
            m = _t.by_name(name)
            if m is None:
                raise ValueError(f"areas.toml: {spec['name']}: no Lombard comune named {name!r}")
            chosen[m.istat_code] = m
        for name in spec.get("exclude", []):
            m = _t.by_name(name)
            if m is None:
                raise ValueError(f"areas.toml: {spec['name']}: no Lombard comune named {name!r}")
            chosen.pop(m.istat_code, None)
        for other in spec.get("exclude_areas", []):
            for m in done[other].municipalities:
                chosen.pop(m.istat_code, None)
        done[spec["name"]] = Area(
            name=spec["name"],
            aliases=tuple(spec.get("aliases", ())),
            rule=spec["rule"],
            source=spec["source"],
            municipalities=tuple(sorted(chosen.values(), key=lambda m: m.istat_code)),
        )
    return tuple(done.values())


@lru_cache(maxsize=1)
def _index() -> _Index:
    """Read the data files once and build every dictionary."""
    lombard = {m.istat_code: m for m in _t.all_municipalities()}
    italy = _load_italy()
    names: dict[str, list[Place]] = {}
    outside: dict[str, list[Place]] = {}
    first_words: dict[str, list[Place]] = {}
    prefixes: list[tuple[str, Place]] = []

    spelled: set[str] = set()  # every name as its words, for free text ("cardano al campo")

    def add(table: dict[str, list[Place]], name: str, place: Place) -> None:
        key = _key(name)
        if key and place not in table.setdefault(key, []):
            table[key].append(place)
        spelled.add(_t.normalise(name))

    for m in lombard.values():
        place = _municipality_place(m)
        add(names, m.name, place)
        prefixes.append((_key(m.name), place))
        words = _t.normalise(m.name).split(" ")
        if len(words) > 1:
            add(first_words, words[0], place)
    for m in italy:
        if m.in_lombardy:
            continue
        place = _outside_place(m)
        for name in filter(None, (m.name, m.other_name)):
            add(outside, name, place)
    provinces = {
        code: Place(PlaceKind.PROVINCE, code, _province_name(code), LOMBARDY, code, _t.in_province(code))
        for code in _t.PROVINCES
    }
    province_names: dict[str, Place] = {}
    for code, place in provinces.items():
        province_names[_key(_t.PROVINCES[code])] = place
        province_names[_key(place.name)] = place
    for other in ("Monza Brianza", "Monza e Brianza", "Monza e la Brianza"):
        province_names[_key(other)] = provinces["MB"]
    province_names[_key("Milano Città Metropolitana")] = provinces["MI"]
    province_names[_key("Città Metropolitana")] = provinces["MI"]
    for place in provinces.values():
        add(names, place.name, place)
    add(names, "Città Metropolitana di Milano", provinces["MI"])
    ats: dict[str, Place] = {}
    for name in _t.ATS_NAMES:
        place = Place(PlaceKind.ATS, name, f"ATS {name}", LOMBARDY, "", _t.in_ats(name))
        ats[name] = place
        add(names, f"ATS {name}", place)
    add(names, "ATS Milano", ats["Milano Città Metropolitana"])
    region = Place(PlaceKind.REGION, LOMBARDY, LOMBARDY, LOMBARDY, "", _t.all_municipalities())
    for name in ("Lombardia", "Lombardy", "Regione Lombardia", "Lombardei", "Lombardie"):
        add(names, name, region)
    areas = _load_areas()
    for a in areas:
        place = Place(PlaceKind.AREA, a.name, a.name, LOMBARDY, "", a.municipalities)
        for name in (a.name, *a.aliases):
            add(names, name, place)
            prefixes.append((_key(name), place))
    exonyms: dict[str, list[Place]] = {}
    for row in csv.DictReader(_read_text("exonyms.csv").splitlines()):
        target = names.get(_key(row["name"])) or outside.get(_key(row["name"]))
        if not target:
            raise ValueError(f"exonyms.csv: no comune named {row['name']!r}")
        for place in target:
            add(exonyms, row["exonym"], place)
    caps: dict[str, list[ItalianMunicipality]] = {}
    for m in italy:
        for cap in m.caps:
            caps.setdefault(cap, []).append(m)
    common = frozenset(
        line.strip()
        for line in _read_text("common_words.txt").splitlines()
        if line and not line.startswith("#")
    )
    spaced = frozenset(spelled)
    return _Index(
        italy=italy,
        lombard_by_istat=lombard,
        names={k: tuple(sorted(v, key=lambda p: _KIND_ORDER[p.kind])) for k, v in names.items()},
        exonyms={k: tuple(v) for k, v in exonyms.items()},
        outside={k: tuple(v) for k, v in outside.items()},
        first_words={k: tuple(v) for k, v in first_words.items()},
        prefixes=tuple(sorted(prefixes, key=lambda t: (t[0], t[1].name))),
        caps={k: tuple(v) for k, v in caps.items()},
        provinces=provinces,
        province_names=province_names,
        ats=ats,
        areas=areas,
        common=common,
        spaced=spaced,
        max_tokens=max(len(name.split(" ")) for name in spaced),
    )


# --- Public lookups -----------------------------------------------------------------------------------------


def italian_municipalities() -> tuple[ItalianMunicipality, ...]:
    """Every active comune of Italy (Lombardy included), by ISTAT code."""
    return _index().italy


def all_areas() -> tuple[Area, ...]:
    """The areas of ``areas.toml``, in file order."""
    return _index().areas


def area_by_name(name: str) -> Area | None:
    """The area with this name or alias ("Valtellina", "val camonica", "Sebino"), or None."""
    for place in _index().names.get(_key(name), ()):
        if place.kind is PlaceKind.AREA:
            return next(a for a in _index().areas if a.name == place.code)
    return None


def by_postal_code(cap: str) -> tuple[ItalianMunicipality, ...]:
    """The comuni (anywhere in Italy) that a postal code serves; several when small comuni share one."""
    return _index().caps.get(str(cap).strip(), ())


def postal_codes(m: _t.Municipality) -> tuple[str, ...]:
    """The postal codes of a Lombard comune (several for some comuni, a whole range for a big city)."""
    found = _by_istat_italy().get(m.istat_code)
    return found.caps if found else ()


@lru_cache(maxsize=1)
def _by_istat_italy() -> dict[str, ItalianMunicipality]:
    return {m.istat_code: m for m in _index().italy if m.istat_code}


def _places_for_cap(cap: str) -> tuple[Place, ...]:
    index = _index()
    places = []
    for m in index.caps.get(cap, ()):
        lombard = index.lombard_by_istat.get(m.istat_code)
        places.append(_municipality_place(lombard) if lombard else _outside_place(m))
    return tuple(sorted(places, key=lambda p: (_KIND_ORDER[p.kind], p.name)))


def _from_places(places: tuple[Place, ...], via: Via) -> PlaceMatch:
    if not places:
        return _NOTHING
    if len(places) == 1:
        return PlaceMatch(places[0], via)
    return PlaceMatch(None, via, candidates=places[:_MAX_CANDIDATES])


def _with_province(places: tuple[Place, ...], province: str) -> tuple[Place, ...]:
    return tuple(p for p in places if not province or p.province == province)


_QUALIFIED = re.compile(
    r"^(?P<name>.*?[^\W\d_].*?)[\s,]*(?:\((?P<p1>[A-Za-z]{2})\)|\s(?P<p2>[A-Za-z]{2}))\s*$"
)
_PROVINCE_PHRASE = re.compile(r"^(?:provincia|prov)\s+(?:di\s+|della\s+|del\s+)?(?P<name>.+)$")
_AND_PROVINCE = re.compile(r"^(?P<name>.+?)\s+(?:e\s+)?provincia$")


@lru_cache(maxsize=1)
def _all_provinces_codes() -> frozenset[str]:
    """Every Italian province code ("BG", "PC"...), for "Castro (LE)"."""
    return frozenset(m.province for m in _index().italy)


def resolve_place(text: str) -> PlaceMatch:
    """What a place field says: a Lombard comune, an area, a province, an ATS, Lombardy, a comune elsewhere
    in Italy, several candidates, or nothing (then with close spellings of Lombard comuni).

    Order: postal code or ISTAT code; province ("BG", "provincia di Bergamo", "Bergamo e provincia"); exact
    name of a Lombard place (a comune, optionally with its province, "Seriate (BG)"; an area or its alias; an
    ATS; Lombardy); a name in another language ("Milan"); an exact comune outside Lombardy (so "Piacenza" is
    answered as Piacenza, Emilia-Romagna, never as a Lombard look-alike); the start of Lombard names ("alzano");
    else suggestions.
    """
    raw = " ".join(str(text).split())[:200]
    if not raw:
        return _NOTHING
    index = _index()
    if re.fullmatch(r"\d{5}", raw):
        return _from_places(_places_for_cap(raw), Via.POSTAL_CODE)
    if re.fullmatch(r"\d{6}", raw):
        m = _t.by_istat(raw)
        if m is not None:
            return PlaceMatch(_municipality_place(m), Via.CODE)
        other = _by_istat_italy().get(raw)
        return PlaceMatch(_outside_place(other), Via.CODE) if other else _NOTHING
    if raw.upper() in index.provinces and len(raw) == 2:
        return PlaceMatch(index.provinces[raw.upper()], Via.CODE)
    folded = _t.normalise(raw)
    for pattern in (_PROVINCE_PHRASE, _AND_PROVINCE):
        if (found := pattern.match(folded)) and (province := _province_from(found.group("name"))):
            return PlaceMatch(province, Via.NAME)
    name, province = raw, ""
    qualified = _QUALIFIED.match(raw)
    exact = any(_key(raw) in table for table in (index.names, index.exonyms, index.outside))
    if qualified and not exact:  # "Seriate (BG)", "Castro LE"; but "Arena Po" is a name, not Arena in Prato
        code = (qualified.group("p1") or qualified.group("p2")).upper()
        if code in _all_provinces_codes():
            name, province = qualified.group("name"), code
    key = _key(name)
    if not key:
        return _NOTHING
    if found := _with_province(index.names.get(key, ()), province):
        return _from_places(found[:1] if not province else found, Via.NAME)
    if not province and folded.startswith("ats ") and (ats := _t.ats_by_name(folded)):
        return PlaceMatch(index.ats[ats], Via.NAME)
    if not province and (found_province := index.province_names.get(key)):  # "Monza e della Brianza"
        return PlaceMatch(found_province, Via.NAME)
    if found := _with_province(index.exonyms.get(key, ()), province):
        return _from_places(found, Via.EXONYM)
    if found := _with_province(index.outside.get(key, ()), province):
        return _from_places(found, Via.NAME)
    if len(key) >= _MIN_PREFIX:
        found = _with_province(_prefixed(key), province)
        if found:
            return _from_places(found, Via.PREFIX)
    suggestions = tuple(_municipality_place(m) for m in _t.suggest(name, limit=5))
    return PlaceMatch(None, Via.NONE, suggestions=_with_province(suggestions, province))


def _province_from(text: str) -> Place | None:
    """The Lombard province a name or code points to ("bergamo", "bg", "monza e della brianza")."""
    index = _index()
    if text.upper() in index.provinces:
        return index.provinces[text.upper()]
    return index.province_names.get(_key(text))


def _prefixed(key: str) -> tuple[Place, ...]:
    """Lombard comuni and areas whose name starts with ``key``; a comune's later words count too."""
    index = _index()
    start = bisect.bisect_left(index.prefixes, (key,))
    found: list[Place] = []
    for k, place in index.prefixes[start:]:
        if not k.startswith(key):
            break
        if place not in found:
            found.append(place)
    return tuple(found)


# --- A place inside a free text -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    key: str
    start: int
    end: int
    raw: str


@dataclass(frozen=True, slots=True)
class _Hit:
    first: int  # token indexes, inclusive / exclusive
    last: int
    match: PlaceMatch
    weight: int  # how sure: 3 name of several words or a qualifier, 2 one word, 1 a first word alone


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _TOKEN.finditer(text):
        key = _fold(m.group())
        if key:
            out.append(_Token(key, m.start(), m.end(), m.group()))
    return out


def _capitalised_on_purpose(tokens: list[_Token], i: int) -> bool:
    """A capital initial that means a name: not the first word, in a text that is not all capitals/titles."""
    raw = tokens[i].raw
    if i == 0 or not raw[:1].isupper() or raw.isupper():
        return False
    return any(t.raw[:1].islower() for t in tokens)


def find_place_in_text(text: str) -> PlaceInText | None:
    """The place a free-text query names, with the span it used and the rest of the text; None if none.

    Reads whole names of Lombard comuni, areas (and aliases), provinces ("provincia di Bergamo", "Bergamo e
    provincia", "(BG)"), ATS ("ATS Brescia"), Lombardy, exonyms ("milan"), postal codes ("24027"), a Lombard
    comune's first word when only one comune starts with it ("alzano"), a province after a comune ("seriate
    (bg)") and whole names of comuni elsewhere in Italy. One-word names that are ordinary words need a cue.
    When several places are named, one that contains the others wins ("lodi e lodigiano"), else the first.
    """
    text = str(text)[:1000]
    tokens = _tokens(text)
    if not tokens:
        return None
    index = _index()
    hits: list[_Hit] = []
    n = len(tokens)
    for i in range(n):
        for length in range(min(index.max_tokens, n - i), 0, -1):
            hit = _hit_at(tokens, i, length)
            if hit is not None:
                hits.append(hit)
                break
    hits.extend(_province_hits(text, tokens))
    if not hits:
        return None
    best = _choose(hits)
    first, last = best.first, best.last
    if best.match.place is not None:  # "lodi e lodigiano": the comune joined to its area goes with it
        covered = {m.istat_code for m in best.match.place.municipalities}
        for other in hits:
            place = other.match.place
            if other is best or place is None or not place.municipalities:
                continue
            if place.municipalities[0].istat_code not in covered:
                continue
            if other.last + 1 == first and tokens[other.last].key in _CONNECTORS:
                first = other.first
            elif last + 1 == other.first and tokens[last].key in _CONNECTORS:
                last = other.last
    last = _qualifier_end(tokens, best, last)
    for _ in range(3):  # "a Pavia", "comune di Crema", "in zona Vimercate": the words that lead to the place
        if first == 0 or tokens[first - 1].key not in _LEAD_WORDS:
            break
        first -= 1
        if tokens[first].key in _OUTER_WORDS:
            break
    start, end = tokens[first].start, tokens[last - 1].end
    if end < len(text) and text[end] == ")" and "(" in text[start:end]:
        end += 1
    if start > 0 and text[start - 1] == "(" and end < len(text) and text[end] == ")":
        start, end = start - 1, end + 1
    rest = " ".join((text[:start] + " " + text[end:]).split())
    return PlaceInText(best.match, start, end, text[start:end], rest)


def _hit_at(tokens: list[_Token], i: int, length: int) -> _Hit | None:
    index = _index()
    words = tokens[i : i + length]
    key = "".join(t.key for t in words)
    if length == 1 and key.isdigit():
        if len(key) == 5 and key in index.caps:
            return _Hit(i, i + 1, _from_places(_places_for_cap(key), Via.POSTAL_CODE), 3)
        return None
    if length == 1 and not _may_be_one_word_place(tokens, i):
        return None
    if length > 1 and " ".join(t.key for t in words) not in index.spaced:
        return None
    if places := index.names.get(key):
        return _Hit(i, i + length, PlaceMatch(places[0], Via.NAME), 3 if length > 1 else 2)
    if places := index.exonyms.get(key):
        return _Hit(i, i + length, _from_places(places, Via.EXONYM), 3 if length > 1 else 2)
    if (places := index.outside.get(key)) and (length > 1 or len(key) >= _MIN_OUTSIDE_WORD):
        return _Hit(i, i + length, _from_places(places, Via.NAME), 2 if length > 1 else 1)
    if length == 1 and len(key) >= _MIN_FIRST_WORD and (places := index.first_words.get(key)):
        return _Hit(i, i + 1, _from_places(places, Via.PREFIX), 1)
    return None


def _may_be_one_word_place(tokens: list[_Token], i: int) -> bool:
    """A one-word name counts unless it is an ordinary word without a cue."""
    key = tokens[i].key
    if len(key) < 3 or key.isdigit():
        return False
    if key not in _index().common:
        return True
    if i > 0 and tokens[i - 1].key in _STRONG_CUES or (i > 1 and tokens[i - 2].key in _STRONG_CUES):
        return True
    if (
        i + 1 < len(tokens)
        and tokens[i + 1].raw.isupper()
        and tokens[i + 1].key.upper() in _index().provinces
    ):
        return True
    return _capitalised_on_purpose(tokens, i)


def _province_hits(text: str, tokens: list[_Token]) -> list[_Hit]:
    """Provinces named as such: "provincia di Bergamo", "Bergamo e provincia", "(BG)", "ATS Brescia"."""
    index = _index()
    hits = []
    keys = [t.key for t in tokens]
    for i, key in enumerate(keys):
        token = tokens[i]
        if (
            key.upper() in index.provinces
            and text[token.start - 1 : token.start] == "("
            and text[token.end : token.end + 1] == ")"
        ):
            hits.append(_Hit(i, i + 1, PlaceMatch(index.provinces[key.upper()], Via.CODE), 2))
        if key in _PROVINCE_WORDS:
            j = i + 1
            if j < len(keys) and keys[j] in {"di", "del", "della"}:
                j += 1
            for length in (4, 3, 2, 1):
                if j + length <= len(keys) and (p := _province_from(" ".join(keys[j : j + length]))):
                    hits.append(_Hit(i, j + length, PlaceMatch(p, Via.NAME), 4))
                    break
            if i >= 1 and keys[i - 1] == "e" and i >= 2 and (p := _province_from(keys[i - 2])):
                hits.append(_Hit(i - 2, i + 1, PlaceMatch(p, Via.NAME), 4))
            elif i >= 1 and (p := _province_from(keys[i - 1])) and len(keys[i - 1]) > 2:
                hits.append(_Hit(i - 1, i + 1, PlaceMatch(p, Via.NAME), 4))
        if key == "ats" and i + 1 < len(keys):
            for length in (3, 2, 1):
                name = _t.ats_by_name(" ".join(keys[i + 1 : i + 1 + length]))
                if name and i + 1 + length <= len(keys):
                    hits.append(_Hit(i, i + 1 + length, PlaceMatch(index.ats[name], Via.NAME), 4))
                    break
    return hits


def _qualifier_end(tokens: list[_Token], hit: _Hit, last: int) -> int:
    """Take a province code after a comune into the span ("Seriate (BG)", "Seriate BG")."""
    place = hit.match.place
    if place is None or place.kind not in (PlaceKind.MUNICIPALITY, PlaceKind.OUTSIDE):
        return last
    if last < len(tokens) and tokens[last].key.upper() == place.province:
        return last + 1
    return last


def _choose(hits: list[_Hit]) -> _Hit:
    """One place that contains every other named place, else the surest and first one."""
    hits = sorted(hits, key=lambda h: (h.first, -(h.last - h.first)))
    # drop hits inside a longer one ("provincia di bergamo" over "bergamo")
    kept: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (-(h.last - h.first), -h.weight, h.first)):
        if not any(k.first <= h.first and h.last <= k.last for k in kept):
            kept.append(h)
    kept.sort(key=lambda h: h.first)
    # a province code right after one of its comuni qualifies the comune ("seriate (bg)"): not a place
    kept = [
        h
        for j, h in enumerate(kept)
        if not (
            j
            and h.match.via is Via.CODE
            and kept[j - 1].last == h.first
            and kept[j - 1].match.place is not None
            and kept[j - 1].match.place.province == h.match.place.code
        )
    ]
    # Lombardy as a whole only when nothing narrower is named ("bonus regione lombardia ... a bergamo")
    if any(h.match.place is None or h.match.place.kind is not PlaceKind.REGION for h in kept):
        kept = [h for h in kept if h.match.place is None or h.match.place.kind is not PlaceKind.REGION]
    found = [h for h in kept if h.match.place is not None]
    for h in found:
        if h.match.place.kind not in (PlaceKind.AREA, PlaceKind.PROVINCE):
            continue
        covered = {m.istat_code for m in h.match.place.municipalities}
        if len(found) > 1 and all(
            o is h or (o.match.place.municipalities and o.match.place.municipalities[0].istat_code in covered)
            for o in found
        ):
            return h
    strongest = max(h.weight for h in kept)
    return next(h for h in kept if h.weight == strongest)
