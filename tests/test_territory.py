"""Lombardy's comuni: the shipped data file and the lookups of welfarepoint.territory (no Flask needed)."""

from __future__ import annotations

import ast
import csv
import dataclasses
import json
import re
import sys
from collections import Counter
from importlib import resources
from pathlib import Path

import pytest

from welfarepoint import territory
from welfarepoint.territory import Municipality

REPO = Path(__file__).resolve().parent.parent

EXPECTED_COUNTS = {
    "Milano Città Metropolitana": 193,
    "Insubria": 267,
    "Brianza": 139,
    "Bergamo": 243,
    "Brescia": 164,
    "Montagna": 134,
    "Pavia": 184,
    "Val Padana": 177,
}


# --- the data -------------------------------------------------------------------------------------------


def test_counts_per_ats():
    counts = Counter(m.ats for m in territory.all_municipalities())
    assert dict(counts) == EXPECTED_COUNTS
    assert len(territory.all_municipalities()) == 1501 == sum(EXPECTED_COUNTS.values())


def test_montagna_is_sondrio_plus_valcamonica_plus_alto_lario():
    montagna = Counter(m.province for m in territory.in_ats("Montagna"))
    assert montagna == {"SO": 77, "BS": 41, "CO": 16}


def test_every_ats_follows_its_province_except_montagna():
    default = json.loads((REPO / "tools" / "ats_rules.json").read_text(encoding="utf-8"))["by_province"]
    for m in territory.all_municipalities():
        if m.ats != default[m.province]:
            assert m.ats == "Montagna" and m.province in {"BS", "CO"}, m


def test_the_named_exceptions_are_all_in_montagna():
    rules = json.loads((REPO / "tools" / "ats_rules.json").read_text(encoding="utf-8"))
    for province, names in rules["exceptions"]["Montagna"].items():
        for name in names:
            m = territory.by_name(name)
            assert m is not None, name
            assert (m.province, m.ats, m.name) == (province, "Montagna", name)


@pytest.mark.parametrize(
    ("istat", "belfiore", "name", "province", "ats"),
    [
        ("014061", "I829", "Sondrio", "SO", "Montagna"),
        ("015146", "F205", "Milano", "MI", "Milano Città Metropolitana"),
        ("016024", "A794", "Bergamo", "BG", "Bergamo"),
        ("017029", "B157", "Brescia", "BS", "Brescia"),
        ("013075", "C933", "Como", "CO", "Insubria"),
        ("017028", "B149", "Breno", "BS", "Montagna"),
        ("013090", "D341", "Dongo", "CO", "Montagna"),
        ("098031", "E648", "Lodi", "LO", "Milano Città Metropolitana"),
        ("097042", "E507", "Lecco", "LC", "Brianza"),
        ("108033", "F704", "Monza", "MB", "Brianza"),
        ("019036", "D150", "Cremona", "CR", "Val Padana"),
        ("020030", "E897", "Mantova", "MN", "Val Padana"),
        ("018110", "G388", "Pavia", "PV", "Pavia"),
        ("012133", "L682", "Varese", "VA", "Insubria"),
        ("017184", "L094", "Temù", "BS", "Montagna"),
        ("017175", "I476", "Saviore dell'Adamello", "BS", "Montagna"),
        ("017198", "L816", "Vezza d'Oglio", "BS", "Montagna"),
        ("013249", "M315", "Gravedona ed Uniti", "CO", "Montagna"),
        ("016083", "D066", "Cortenuova", "BG", "Bergamo"),
        ("019090", "H918", "San Giovanni in Croce", "CR", "Val Padana"),
        # created or changed after 2023 (see SUCCESSIONS in tools/build_territory.py)
        ("012144", "M433", "Bardello con Malgesso e Bregano", "VA", "Insubria"),
        ("013256", "M435", "Uggiate con Ronago", "CO", "Insubria"),
        ("018026", "B567", "Campospinoso Albaredo", "PV", "Pavia"),
        ("018094", "F417", "Montalto Pavese", "PV", "Pavia"),
    ],
)
def test_known_municipalities(istat, belfiore, name, province, ats):
    m = territory.by_istat(istat)
    assert m is not None
    assert (m.istat_code, m.belfiore_code, m.name, m.province, m.ats) == (
        istat,
        belfiore,
        name,
        province,
        ats,
    )
    assert territory.by_name(name) == m
    assert territory.by_belfiore(belfiore) == m


@pytest.mark.parametrize(
    "former",
    [
        "Bardello",
        "Malgesso",
        "Bregano",
        "Albaredo Arnaboldi",
        "Campospinoso",
        "Ronago",
        "Uggiate-Trevano",
        "Lirio",
    ],
)
def test_merged_municipalities_are_gone(former):
    assert territory.by_name(former) is None


def test_coordinates_are_inside_lombardy():
    for m in territory.all_municipalities():
        assert 44.6 <= m.lat <= 46.7 and 8.4 <= m.lon <= 11.5, m
        assert round(m.lat, 5) == m.lat and round(m.lon, 5) == m.lon, m


def test_codes_are_unique_and_well_formed():
    items = territory.all_municipalities()
    istat = [m.istat_code for m in items]
    belfiore = [m.belfiore_code for m in items]
    assert len(set(istat)) == len(istat) == 1501
    assert len(set(belfiore)) == len(belfiore) == 1501
    assert istat == sorted(istat)
    assert all(re.fullmatch(r"\d{6}", code) for code in istat)
    assert all(re.fullmatch(r"[A-Z]\d{3}", code) for code in belfiore)
    assert {m.province for m in items} == set(territory.PROVINCES)
    assert {m.ats for m in items} == set(territory.ATS_NAMES)


def test_names_are_unique_and_in_istat_case():
    names = [m.name for m in territory.all_municipalities()]
    assert len({territory.normalise(n) for n in names}) == len(names)
    title_cased_particle = re.compile(r" (Di|Del|Della|Dell'|D'|De'|In|Con|E|Ed|Sul|Sull'|Sulla|Il)\b")
    assert [n for n in names if title_cased_particle.search(n)] == []
    assert all(n == n.strip() and "  " not in n for n in names)


def test_data_file_format():
    text = (
        resources.files("welfarepoint.territory").joinpath("municipalities.csv").read_text(encoding="utf-8")
    )
    lines = text.splitlines()
    assert lines[0] == "istat_code,belfiore_code,name,province,ats,lat,lon"
    rows = list(csv.reader(lines[1:]))
    assert len(rows) == 1501
    assert all(re.fullmatch(r"\d+\.\d{5}", row[5]) and re.fullmatch(r"\d+\.\d{5}", row[6]) for row in rows)
    assert "Temù" in text and "Saviore dell'Adamello" in text


def test_constants():
    assert territory.ATS_NAMES == (
        "Bergamo",
        "Brescia",
        "Brianza",
        "Insubria",
        "Milano Città Metropolitana",
        "Montagna",
        "Pavia",
        "Val Padana",
    )
    assert len(territory.PROVINCES) == 12
    assert territory.PROVINCES["SO"] == "Sondrio"
    assert territory.PROVINCES["MB"] == "Monza e della Brianza"


def test_municipality_is_frozen():
    m = territory.by_istat("014061")
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.name = "Other"  # type: ignore[misc]
    assert isinstance(m, Municipality) and isinstance(m.lat, float)


def test_module_uses_only_the_standard_library():
    """The lookups (not the database model) import the standard library and each other only."""
    package = Path(territory.__file__).parent
    for path in (package / "__init__.py", package / "places.py"):
        imported = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                own = node.module.startswith("welfarepoint.territory") or (
                    node.module == "welfarepoint" and {a.name for a in node.names} == {"territory"}
                )
                if not own:
                    imported.add(node.module)
        assert {name.split(".")[0] for name in imported} <= set(sys.stdlib_module_names), (path, imported)


# --- lookups --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["014061", "14061", " 14061 "])
def test_by_istat_accepts_codes_with_or_without_leading_zero(code):
    assert territory.by_istat(code).name == "Sondrio"


@pytest.mark.parametrize("code", ["", "abc", "999999", "0014061", "-14061"])
def test_by_istat_unknown(code):
    assert territory.by_istat(code) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("temu", "Temù"),
        ("TEMÙ", "Temù"),
        ("Temu'", "Temù"),
        ("vezza d oglio", "Vezza d'Oglio"),
        ("Vezza d’Oglio", "Vezza d'Oglio"),
        ("vezzadoglio", "Vezza d'Oglio"),
        ("Saviore dell Adamello", "Saviore dell'Adamello"),
        ("  gravedona   ED uniti ", "Gravedona ed Uniti"),
        ("bovisio masciago", "Bovisio-Masciago"),
        ("Cantu", "Cantù"),
        ("sotto il monte giovanni xxiii", "Sotto il Monte Giovanni XXIII"),
    ],
)
def test_by_name_is_accent_case_apostrophe_hyphen_and_space_insensitive(text, expected):
    m = territory.by_name(text)
    assert m is not None and m.name == expected


@pytest.mark.parametrize("text", ["", "   ", "Sondrioo", "Roma", "Milano Città Metropolitana"])
def test_by_name_unknown(text):
    assert territory.by_name(text) is None


def test_find():
    assert territory.find("14061").name == "Sondrio"
    assert territory.find("014061").name == "Sondrio"
    assert territory.find("sondrio").istat_code == "014061"
    assert territory.find("I829").name == "Sondrio"
    assert territory.find("") is None
    assert territory.find("123456") is None


def test_normalise():
    assert territory.normalise("  Vezza d’Oglio ") == "vezza d oglio"
    assert territory.normalise("TEMÙ") == "temu"
    assert territory.normalise("Bovisio-Masciago") == "bovisio masciago"
    assert territory.normalise("") == ""


def test_suggest_prefix_first():
    names = [m.name for m in territory.suggest("Sondr")]
    assert names[0] == "Sondrio"
    assert "Sondalo" in names
    assert len(names) <= 5


def test_suggest_prefixes_in_alphabetical_order():
    names = [m.name for m in territory.suggest("san giovanni", limit=3)]
    assert names == ["San Giovanni Bianco", "San Giovanni del Dosso", "San Giovanni in Croce"]


@pytest.mark.parametrize(
    ("typo", "expected"),
    [
        ("Bergammo", "Bergamo"),
        ("Sondrioo", "Sondrio"),
        ("Cremna", "Cremona"),
        ("Mantva", "Mantova"),
        ("Lecoo", "Lecco"),
    ],
)
def test_suggest_typos(typo, expected):
    assert territory.suggest(typo)[0].name == expected


def test_suggest_accent_insensitive_and_words_inside_names():
    assert territory.suggest("temu")[0].name == "Temù"
    assert territory.suggest("adamello")[0].name == "Saviore dell'Adamello"


def test_suggest_limits_and_empty_input():
    assert territory.suggest("") == []
    assert territory.suggest("   ") == []
    assert territory.suggest("San", limit=0) == []
    assert len(territory.suggest("San", limit=12)) == 12
    assert len({m.istat_code for m in territory.suggest("Bergammo", limit=20)}) == len(
        territory.suggest("Bergammo", limit=20)
    )
    assert territory.suggest("xqzw") == []


def test_suggest_istat_code_prefix():
    codes = [m.istat_code for m in territory.suggest("01406", limit=20)]
    assert "014061" in codes and codes == sorted(codes)
    assert all(code.startswith("01406") for code in codes)
    assert territory.suggest("14061")[0].name == "Sondrio"


def test_in_province():
    assert len(territory.in_province("SO")) == 77
    assert territory.in_province("so") == territory.in_province("SO")
    assert territory.in_province("Sondrio") == territory.in_province("SO")
    assert len(territory.in_province("MB")) == 55
    assert territory.in_province("RM") == ()
    assert all(m.province == "BS" for m in territory.in_province("BS"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Milano", "Milano Città Metropolitana"),
        ("milano citta metropolitana", "Milano Città Metropolitana"),
        ("MILANO CITTÀ METROPOLITANA", "Milano Città Metropolitana"),
        ("ATS della Città Metropolitana di Milano", "Milano Città Metropolitana"),
        ("montagna", "Montagna"),
        ("ATS della Montagna", "Montagna"),
        ("ATS dell'Insubria", "Insubria"),
        ("val padana", "Val Padana"),
        ("Valpadana", "Val Padana"),
        ("Bergamo", "Bergamo"),
    ],
)
def test_ats_by_name(text, expected):
    assert territory.ats_by_name(text) == expected


@pytest.mark.parametrize("text", ["", "Roma", "ATS", "Sondrio"])
def test_ats_by_name_unknown(text):
    assert territory.ats_by_name(text) is None


def test_in_ats():
    assert len(territory.in_ats("Milano")) == 193
    assert territory.in_ats("milano città metropolitana") == territory.in_ats("Milano")
    assert territory.by_istat("098031") in territory.in_ats("Milano")  # Lodi
    assert len(territory.in_ats("MONTAGNA")) == 134
    assert territory.in_ats("Lazio") == ()
