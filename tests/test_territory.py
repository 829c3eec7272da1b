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
    # The eight ATS, in order, are exactly those the comuni belong to.
    assert len(territory.ATS_NAMES) == 8
    assert tuple(sorted({m.ats for m in territory.all_municipalities()})) == territory.ATS_NAMES
    assert "Milano Città Metropolitana" in territory.ATS_NAMES
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


# --- every Italian comune ----------------------------------------------------------------------------------

PlaceKind = territory.PlaceKind


def test_italy_has_every_comune_and_agrees_with_the_lombard_file():
    italy = territory.italian_municipalities()
    assert 7800 < len(italy) < 8000
    assert len({m.belfiore_code for m in italy}) == len(italy)
    lombard = {m.istat_code: m for m in territory.all_municipalities()}
    in_lombardy = {m.istat_code: m for m in italy if m.in_lombardy}
    assert in_lombardy.keys() == lombard.keys()
    for code, m in in_lombardy.items():
        assert (m.name, m.province, m.lat, m.lon) == (
            lombard[code].name,
            lombard[code].province,
            lombard[code].lat,
            lombard[code].lon,
        )
    regions = Counter(m.region for m in italy)
    assert len(regions) == 20
    assert all(35.0 < m.lat < 47.2 and 6.5 < m.lon < 18.6 for m in italy)


def test_postal_codes_are_built_in():
    assert territory.postal_codes(territory.by_name("Nembro")) == ("24027",)
    milano = territory.postal_codes(territory.by_name("Milano"))
    assert "20121" in milano and "20162" in milano and len(milano) > 30
    assert [m.name for m in territory.by_postal_code("24027")] == ["Nembro"]
    assert all(
        re.fullmatch(r"\d{5}", cap)
        for m in territory.all_municipalities()
        for cap in territory.postal_codes(m)
    )
    assert all(territory.postal_codes(m) for m in territory.all_municipalities())


# --- resolve_place: a place field ---------------------------------------------------------------------------


def _resolved(text):
    match = territory.resolve_place(text)
    return match.place.kind, match.place.name, match.via


@pytest.mark.parametrize(
    ("text", "kind", "name", "via"),
    [
        ("Sondrio", PlaceKind.MUNICIPALITY, "Sondrio", territory.Via.NAME),
        ("alzano", PlaceKind.MUNICIPALITY, "Alzano Lombardo", territory.Via.PREFIX),
        ("Seriate (BG)", PlaceKind.MUNICIPALITY, "Seriate", territory.Via.NAME),
        ("Seriate BG", PlaceKind.MUNICIPALITY, "Seriate", territory.Via.NAME),
        ("seriate, bg", PlaceKind.MUNICIPALITY, "Seriate", territory.Via.NAME),
        ("BG", PlaceKind.PROVINCE, "Provincia di Bergamo", territory.Via.CODE),
        ("provincia di Bergamo", PlaceKind.PROVINCE, "Provincia di Bergamo", territory.Via.NAME),
        ("Bergamo e provincia", PlaceKind.PROVINCE, "Provincia di Bergamo", territory.Via.NAME),
        ("prov. MI", PlaceKind.PROVINCE, "Città Metropolitana di Milano", territory.Via.NAME),
        (
            "Monza e della Brianza",
            PlaceKind.PROVINCE,
            "Provincia di Monza e della Brianza",
            territory.Via.NAME,
        ),
        ("Milan", PlaceKind.MUNICIPALITY, "Milano", territory.Via.EXONYM),
        ("Mantua", PlaceKind.MUNICIPALITY, "Mantova", territory.Via.EXONYM),
        ("Valtellina", PlaceKind.AREA, "Valtellina", territory.Via.NAME),
        ("val camonica", PlaceKind.AREA, "Valcamonica", territory.Via.NAME),
        ("Sebino", PlaceKind.AREA, "Lago d'Iseo", territory.Via.NAME),
        ("ATS della Montagna", PlaceKind.ATS, "ATS Montagna", territory.Via.NAME),
        ("Lombardy", PlaceKind.REGION, "Lombardia", territory.Via.NAME),
        ("24027", PlaceKind.MUNICIPALITY, "Nembro", territory.Via.POSTAL_CODE),
        ("20121", PlaceKind.MUNICIPALITY, "Milano", territory.Via.POSTAL_CODE),
        ("016024", PlaceKind.MUNICIPALITY, "Bergamo", territory.Via.CODE),
        ("Vezza d'Oglio", PlaceKind.MUNICIPALITY, "Vezza d'Oglio", territory.Via.NAME),
    ],
)
def test_resolve_place(text, kind, name, via):
    assert _resolved(text) == (kind, name, via)


def test_resolve_place_outside_lombardy_names_the_region_and_suggests_no_look_alike():
    match = territory.resolve_place("Piacenza")
    assert match.place.kind is PlaceKind.OUTSIDE
    assert (match.place.name, match.place.region, match.place.province) == (
        "Piacenza",
        "Emilia-Romagna",
        "PC",
    )
    assert not match.place.in_lombardy and match.place.municipalities == ()
    assert match.candidates == () and match.suggestions == ()
    assert territory.resolve_place("29121").place.name == "Piacenza"
    assert territory.resolve_place("Rome").place.name == "Roma"
    assert territory.resolve_place("Bozen").place.name == "Bolzano"


def test_resolve_place_province_qualifier_picks_among_homonyms():
    assert territory.resolve_place("Castro").place.region == "Lombardia"
    castro = territory.resolve_place("Castro (LE)").place
    assert (castro.kind, castro.region) == (PlaceKind.OUTSIDE, "Puglia")


def test_resolve_place_ambiguous_prefix_and_shared_postal_code_give_candidates():
    match = territory.resolve_place("cassano")
    assert match.place is None and match.via is territory.Via.PREFIX
    assert {p.name for p in match.candidates} == {"Cassano d'Adda", "Cassano Magnago", "Cassano Valcuvia"}
    assert match.suggestions == ()
    shared = territory.resolve_place("24020")
    assert shared.place is None and len(shared.candidates) > 1
    assert all(p.province == "BG" for p in shared.candidates)


def test_resolve_place_nothing_gives_suggestions_only_then():
    match = territory.resolve_place("Sondrrio")
    assert match.place is None and match.via is territory.Via.NONE
    assert match.suggestions[0].name == "Sondrio"
    assert territory.resolve_place("Sondrio").suggestions == ()


@pytest.mark.parametrize(
    "text", ["", "   ", "(", "()", "((BG", "12", "1234567", "\x00\ufffd", "ß" * 5000, "🙂 BG"]
)
def test_resolve_place_bad_input(text):
    assert isinstance(territory.resolve_place(text), territory.PlaceMatch)


# --- areas -------------------------------------------------------------------------------------------------

WELL_KNOWN_MEMBERS = {
    "Valtellina": ["Sondrio", "Morbegno", "Tirano", "Bormio", "Livigno"],
    "Valchiavenna": ["Chiavenna", "Madesimo"],
    "Lomellina": ["Vigevano", "Mortara"],
    "Valcamonica": ["Breno", "Darfo Boario Terme", "Edolo"],
    "Val Seriana": ["Alzano Lombardo", "Clusone"],
    "Val Brembana": ["Zogno", "San Pellegrino Terme"],
    "Oltrepò Pavese": ["Voghera", "Varzi", "Stradella"],
    "Franciacorta": ["Erbusco", "Rovato"],
    "Brianza": ["Monza", "Vimercate"],
    "Lodigiano": ["Lodi", "Codogno"],
    "Cremasco": ["Crema"],
    "Alto Garda bresciano": ["Salò", "Limone sul Garda"],
    "Alto Lario": ["Dongo"],
    "Lago d'Iseo": ["Lovere", "Iseo"],
    "Bassa Bergamasca": ["Treviglio", "Romano di Lombardia"],
    "Alto Mantovano": ["Castiglione delle Stiviere"],
    "Oltrepò Mantovano": ["Suzzara"],
}


def test_every_area_has_a_rule_a_source_and_existing_members():
    areas = territory.all_areas()
    assert {a.name for a in areas} >= set(WELL_KNOWN_MEMBERS)
    codes = {m.istat_code for m in territory.all_municipalities()}
    for area in areas:
        assert area.rule and area.source, area.name
        assert area.municipalities, area.name
        assert {m.istat_code for m in area.municipalities} <= codes, area.name
        assert territory.area_by_name(area.name) == area
        for alias in area.aliases:
            assert territory.area_by_name(alias) == area, alias


@pytest.mark.parametrize(("area", "members"), WELL_KNOWN_MEMBERS.items())
def test_well_known_members_are_in(area, members):
    names = {m.name for m in territory.area_by_name(area).municipalities}
    assert set(members) <= names


def test_valtellina_and_valchiavenna_make_the_province_of_sondrio():
    valtellina = {m.istat_code for m in territory.area_by_name("Valtellina").municipalities}
    valchiavenna = {m.istat_code for m in territory.area_by_name("Valchiavenna").municipalities}
    assert not valtellina & valchiavenna
    assert valtellina | valchiavenna == {m.istat_code for m in territory.in_province("SO")}
    assert len(territory.area_by_name("Valcamonica").municipalities) == 41


# --- find_place_in_text: a place inside a query ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "place", "matched", "rest"),
    [
        ("badante sondrio", "Sondrio", "sondrio", "badante"),
        ("centro estivo livigno", "Livigno", "livigno", "centro estivo"),
        ("grest oratorio luglio alzano", "Alzano Lombardo", "alzano", "grest oratorio luglio"),
        ("doposcuola oltrepo", "Oltrepò Pavese", "oltrepo", "doposcuola"),
        ("summer camp milan", "Milano", "milan", "summer camp"),
        ("pre scuola seriate (bg)", "Seriate", "seriate (bg)", "pre scuola"),
        ("pre scuola Seriate BG", "Seriate", "Seriate BG", "pre scuola"),
        ("24027 doposcuola", "Nembro", "24027", "doposcuola"),
        ("dopo scuola a pavia", "Pavia", "a pavia", "dopo scuola"),
        ("SAD comune di crema", "Crema", "comune di crema", "SAD"),
        ("sportello caregiver in zona vimercate", "Vimercate", "in zona vimercate", "sportello caregiver"),
        ("centro estivo Cardano al Campo", "Cardano al Campo", "Cardano al Campo", "centro estivo"),
        ("centri estivi (BG)", "Provincia di Bergamo", "(BG)", "centri estivi"),
        ("centri estivi sondrio e provincia", "Provincia di Sondrio", "sondrio e provincia", "centri estivi"),
        ("centri estivi lodi e lodigiano", "Lodigiano", "lodi e lodigiano", "centri estivi"),
        ("come aderire alla rete ats brescia", "ATS Brescia", "ats brescia", "come aderire alla rete"),
        ("pendolare da Piacenza", "Piacenza", "da Piacenza", "pendolare"),
        ("corso di calcio a Calcio", "Calcio", "a Calcio", "corso di calcio"),
        ("badante Erba (CO)", "Erba", "Erba (CO)", "badante"),
        (
            "centri estivi provincia di monza e brianza",
            "Provincia di Monza e della Brianza",
            "provincia di monza e brianza",
            "centri estivi",
        ),
    ],
)
def test_find_place_in_text(query, place, matched, rest):
    found = territory.find_place_in_text(query)
    assert (found.match.place.name, found.matched, found.rest) == (place, matched, rest)
    assert query[found.start : found.end] == found.matched


@pytest.mark.parametrize(
    "query",
    [
        "campo estivo",
        "campo estivo calcio",
        "campi estivi per ragazzi",
        "ponte del 1 maggio scuola chiusa",
        "valle",
        "mio padre non è autosufficiente",
        "come fare domanda di invalidità",
        "mi serve una pausa",
        "lo so che va bene",
        "ore di sostegno allo studio",
        "centro estivo a 100 euro",
        "erba del vicino",
        "",
        "!!!",
    ],
)
def test_ordinary_words_are_not_places(query):
    assert territory.find_place_in_text(query) is None


def test_ambiguous_first_word_in_text_gives_candidates():
    found = territory.find_place_in_text("centro estivo a cassano")
    assert found.match.place is None
    assert {p.name for p in found.match.candidates} == {
        "Cassano d'Adda",
        "Cassano Magnago",
        "Cassano Valcuvia",
    }
    assert found.rest == "centro estivo"


@pytest.mark.parametrize("text", ["\x00" * 10, "a" * 20000, "🙂 (BG) 🙂", "(((((", "20121" * 300, "é" * 3000])
def test_find_place_in_text_bad_input(text):
    found = territory.find_place_in_text(text)
    assert found is None or isinstance(found, territory.PlaceInText)


def test_people_queries_place_recall(capsys):
    """Queries written blind by people playing the users: places read right, none made up from ordinary words."""
    queries = json.loads((Path(__file__).parent / "data" / "people_queries.json").read_text(encoding="utf-8"))
    with_place = [q for q in queries if q["place"]]
    right, invented, wrong = 0, [], []
    for q in queries:
        found = territory.find_place_in_text(q["q"])
        name = found.match.place.name if found and found.match.place else None
        if q["place"] is None:
            if found is not None:
                invented.append((q["q"], found.matched))
        elif name is not None and territory.normalise(name) == territory.normalise(q["place"]):
            right += 1
        else:
            wrong.append((q["q"], q["place"], name))
    recall = right / len(with_place)
    with capsys.disabled():
        print(
            f"\npeople queries: place recall {right}/{len(with_place)} = {recall:.3f}; "
            f"places read in {len(invented)}/{len(queries) - len(with_place)} queries without one; misses {wrong}"
        )
    assert not invented
    assert recall >= 0.95, wrong


def test_a_name_ending_in_a_province_code_is_still_the_name():
    assert territory.resolve_place("Arena Po").place.name == "Arena Po"  # PO is also Prato's code
    assert territory.resolve_place("Arena Po (PV)").place.name == "Arena Po"
    assert territory.resolve_place("058047").place.region == "Lazio"  # Guidonia Montecelio, by ISTAT code
