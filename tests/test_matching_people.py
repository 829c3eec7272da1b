"""The blind-written questionnaire profiles (tests/data/people_profiles.json) answered on the demo network.

Each profile is what a parent, a carer or an HR office would answer, in their words, with rules a correct answer
must satisfy. Their words are turned into the questionnaire's answers the way a person fills the steps: a town is
typed as written (and, when the step offers "did you mean", the person picks the town they meant), each need
word is the box they would tick (words for things the networks do not offer, such as a nursery or a day centre,
tick nothing). Each rule is then checked on needs, places, ages, distances and gaps, on the listings themselves
(their coverage, ATS and ages), never on their titles.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from welfarepoint import territory
from welfarepoint.catalog import queries, taxonomy
from welfarepoint.matching.engine import counting_places
from welfarepoint.matching.places import is_money_need, need_radius_km
from welfarepoint.matching.profile import resolve_municipality
from welfarepoint.matching.runner import run_questionnaire

PROFILES = json.loads((Path(__file__).parent / "data" / "people_profiles.json").read_text(encoding="utf-8"))

#: The box a person ticks for each of their words (None: nothing of the questionnaire answers it).
FAMILY_NEEDS = {
    "pre-scuola": "before_school", "post-scuola": "after_school", "aiuto compiti": "homework_support",
    "centro estivo": "summer_closure", "centri estivi": "summer_closure", "centro estivo inclusivo": "summer_closure",
    "chiusure natalizie": "holiday_closure", "ponti": "holiday_closure", "chiusure scolastiche": "holiday_closure",
    "ponti e chiusure scolastiche": "holiday_closure", "voucher": "childcare_costs",
    "voucher centri estivi": "childcare_costs", "contributo retta nido": "childcare_costs",
    "contributo nido": "childcare_costs", "contributo rette": "childcare_costs",
    "assistenza domiciliare": "care_at_home", "assistenza domiciliare anziano": "care_at_home",
    "sollievo": "care_respite", "sollievo caregiver": "care_respite", "sollievo per il caregiver": "care_respite",
    "consulenza": "care_information", "consulenza/sportello caregiver": "care_information",
    "consulenza caregiver": "care_information",
}  # fmt: skip
COMPANY_NEEDS = {
    "formazione conciliazione": "C5", "formazione": "C5", "servizi salvatempo": "C7",
    "consulenza welfare aziendale": "C3", "convenzioni nido": "C2", "smart working": "C6", "eventi": "C4",
}  # fmt: skip
#: The town a person picks when the step asks "did you mean" (the rules name it).
PICKED = {"Castione": "Castione della Presolana", "Sesto": "Sesto San Giovanni", "Trevilgio": "Treviglio",
          "albosagia": "Albosaggia", "Ospedale San Gerardo Monza": "Monza"}  # fmt: skip
#: Places the rules say must be recognised, and as what ("outside": outside Lombardy, named as such).
RECOGNISED = {
    "alzano": "Alzano Lombardo", "Seriate (BG)": "Seriate", "milano": "Milano", "24022": "Alzano Lombardo",
    "Piacenza": "outside", "Novara": "outside", "Verona": "outside", "Lugano (CH)": "outside",
    "voghera": "Voghera", "varese": "Varese", "gallarate": "Gallarate", "Cinisello": "Cinisello Balsamo",
    "Sesto S. Giovanni": "Sesto San Giovanni", "20900 Monza (MB)": "Monza", "darfo boario terme": "Darfo Boario Terme",
    "Desenzano": "Desenzano del Garda", "  BUSTO arsizio ": "Busto Arsizio", "Cantu": "Cantù", "22100": "Como",
    "Cassano d'Adda": "Cassano d'Adda", "mantova": "Mantova",
}  # fmt: skip
#: The ATS the rules name for a company's services.
COMPANY_ATS = {"c01": "Montagna", "c02": "Brescia", "c03": "Milano Città Metropolitana", "c04": "Bergamo",
               "c05": "Montagna", "c06": "Insubria", "c09": "Pavia", "c12": "Montagna"}  # fmt: skip


def town(text: str) -> tuple[str, str]:
    """What a place field ends up holding as a person fills it: (ISTAT code or the text, how)."""
    found, outside, suggestions = resolve_municipality(text)
    if found is not None:
        return found.istat_code, "found"
    if outside:
        return text, "outside"
    wanted = PICKED.get(text.strip())
    assert wanted in [m.name for m in suggestions], (text, [m.name for m in suggestions])
    return territory.by_name(wanted).istat_code, "picked"


def school_town(text: str) -> str:
    """The school's town in "primaria di Alzano Lombardo" (what the school field asks), or ""."""
    inside = territory.find_place_in_text(text)
    if inside is None or inside.match.place is None or inside.match.place.municipality is None:
        return ""
    return inside.match.place.municipality.istat_code


def size(employees) -> str:
    digits = re.findall(r"\d+", str(employees))
    if not digits:
        return ""
    n = int(digits[0])
    return "micro" if n < 10 else "small" if n < 50 else "medium" if n < 250 else "large"


def questionnaire(profile: dict) -> tuple[str, MultiDict, dict]:
    """The answers a person gives for ``profile``, and how each place was read."""
    answers = profile["answers"]
    args = MultiDict()
    read: dict[str, str] = {}
    if profile["kind"] == "company":
        company = answers["company"]
        code, how = town(company["municipality"])
        read[company["municipality"]] = how
        args.add("municipality", code)
        if size(company.get("employees")):
            args.add("size", size(company["employees"]))
        plan = company.get("has_plan")
        args.add("has_plan", "yes" if plan is True else "no" if plan is False else "unknown")
        for word in company.get("interests", []):
            if COMPANY_NEEDS.get(word) and COMPANY_NEEDS[word] not in args.getlist("needs"):
                args.add("needs", COMPANY_NEEDS[word])
        return "companies", args, read
    for key, param in (("home", "municipality"), ("work", "work_municipality")):
        if answers.get(key):
            code, how = town(answers[key])
            read[answers[key]] = how
            args.add(param, code)
    for child in answers.get("children", []):
        args.add("child_age", str(child["age"]))
        args.add("child_school", school_town(child.get("school", "")))
    cared = answers.get("cared_for")
    if cared:
        args.add("cared_age", str(cared["age"]))
        code, how = town(cared["lives_in"])
        read[cared["lives_in"]] = how
        args.add("cared_municipality", code)
    for word in answers.get("needs", []):
        need = FAMILY_NEEDS.get(word)
        if need == "childcare_costs" and not answers.get("children"):
            need = None  # a carer's voucher: no box of the questionnaire is money for care
        if need and need not in args.getlist("needs"):
            args.add("needs", need)
    return "persons", args, read


@pytest.fixture(scope="module")
def demo(demo_instance):
    import shutil
    import tempfile

    from tests.support.apps import make_config
    from tests.support.databases import copy_instance
    from welfarepoint import create_app

    folder = Path(tempfile.mkdtemp(prefix="people-"))
    copy_instance(demo_instance, folder)
    app = create_app(make_config(folder))
    yield app
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def english(demo):
    """Each test in an English request of its own (a context held for the whole module would be another
    test's when pytest-xdist runs other modules' tests in between)."""
    with demo.test_request_context("/?lang=en"):
        yield demo


def test_there_are_sixty_blind_profiles():
    assert len(PROFILES) == 60 and len({p["id"] for p in PROFILES}) == 60


@pytest.mark.parametrize("person", PROFILES, ids=[p["id"] for p in PROFILES])
def test_blind_profile(english, person):
    demo = english
    audience, args, read = questionnaire(person)
    # Places: those the rules name are recognised as they say (a Lombard town, or outside Lombardy by name).
    for text, how in read.items():
        if text in RECOGNISED:
            assert (how == "outside") == (RECOGNISED[text] == "outside"), (text, how)
    profile, errors, result = run_questionnaire(args, audience, "en")
    outside_home = any(
        how == "outside" for text, how in read.items() if text == person["answers"].get("home")
    )

    # A place is needed: without one the page says so (f60), never a crash; a firm outside Lombardy is told.
    if not profile.places:
        if "municipality" in errors:  # a firm in Piacenza (c07)
            assert "is not in Lombardy" in str(errors["municipality"])
        path = "/api/v1/match/family?" if audience == "persons" else "/api/v1/match/company?"
        answer = demo.test_client().get(path + "&".join(f"{k}={v}" for k, v in args.items(multi=True)))
        assert answer.status_code == 400 and "municipality" in answer.json["error"]["parameters"]
        return
    # Home outside Lombardy with a workplace or school: no error, and it is known to be outside (f06, f07...).
    if outside_home:
        assert "municipality" not in errors and profile.home is None and profile.outside.get("home")
    assert not {key for key in errors if key not in ("municipality",)}, {k: str(v) for k, v in errors.items()}
    if not profile.needs:
        return  # only things the networks do not offer (a nursery, a day centre): nothing is matched

    services = {s.id: s for s in queries.published_services(m.offer.id for m in result.matches)}
    money_home = [p for p in profile.places if p.role in ("home", "company")]
    for item in result.matches:
        service = services[item.offer.id]
        assert service.audience == audience  # no family service offered to a firm, nor the reverse
        # The place: the listing covers a place that counts for what it answers (a voucher: home only), or,
        # for a training lab or a widened search, is within its radius; never only the place that does not count.
        counting = (
            set(money_home) if item.money else {p for n in item.needs for p in counting_places(profile, n)}
        )
        assert counting, (service.title, item.needs)
        codes = {p.municipality.istat_code for p in counting}
        covered = codes & set(service.coverage_codes) or (
            not service.coverage_codes and service.ats in {p.municipality.ats for p in counting}
        )
        radius = max([need_radius_km(n) for n in item.needs] + [profile.radius_km])
        near = any(
            territory.distance_km(p.municipality, territory.by_istat(code)) <= radius + 0.1
            for p in counting
            for code in (service.coverage_codes or [service.municipality_code])
            if code and territory.by_istat(code)
        )
        assert covered or (radius and near), (person["id"], service.title, item.needs)
        assert item.distance_km is not None and (item.distance_km == 0) == (not item.widened)
        if item.money:
            assert profile.home is not None  # no resident-only money without a Lombard home (f06, f09, f23)
        # Ages: a service for children fits one of them, whose place it covers; a care service the person cared for.
        if service.category == "P2" and (service.age_min is not None or service.age_max is not None):
            assert any((service.age_min or 0) <= age <= (service.age_max or 99) for age in item.child_ages)
            assert set(item.child_ages) <= set(profile.child_ages)
        if service.category == "P1" and profile.cared_age is not None and service.age_min is not None:
            assert (service.age_min or 0) <= profile.cared_age <= (service.age_max or 200)
        # Closures: a camp counts only for the period it is open in (f21: a summer camp is no Easter care).
        periods = set(service.periods or ["all_year"])
        if "holiday_closure" in item.needs:
            assert periods & {"christmas", "easter", "all_year"}, service.periods
        if "summer_closure" in item.needs:
            assert periods & {"summer", "all_year"}, service.periods
        # No children declared: no children's services (f05, f11, f28, f38, f54).
        if not profile.child_ages:
            assert service.category != "P2"
    # A company's services are those of its ATS (or a training lab within reach), as the rules say.
    if person["id"] in COMPANY_ATS:
        for item in result.matches:
            service = services[item.offer.id]
            assert service.ats == COMPANY_ATS[person["id"]] or item.widened, (person["id"], service.title)
    # Each person and need: either something fits that person, or the page says so for them (a gap).
    for need in profile.needs:
        people = (
            [("company", None)]
            if audience == "companies"
            else [("cared", profile.cared_age)]
            if taxonomy.need_category(need) == "P1"
            else [("child", age) for age in profile.child_ages] or [("children", None)]
        )
        for who, age in people:
            served = any(
                need in m.needs
                and m.money == is_money_need(need)
                and (who != "child" or age in m.child_ages)
                and (who != "cared" or m.cared_fits)
                for m in result.matches
            )
            said = any(g.need == need and g.who == who and g.age == age for g in result.gaps)
            assert served != said, (person["id"], need, who, age)
    # Alternatives are the nearest first, each with its distance.
    distances = [a.distance_km for a in result.alternatives]
    assert distances == sorted(distances) and all(d is not None for d in distances)
