"""Which place counts, need by need (issue 21, point 1): one test per need family, on the taxonomy's rules."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from welfarepoint.catalog import taxonomy
from welfarepoint.matching import Offer, match, profile_from
from welfarepoint.matching.places import is_money_need, place_roles

ALZANO, MILANO, BERGAMO, SONDRIO, MORBEGNO, CREMONA = (
    "016008",
    "015146",
    "016024",
    "014061",
    "014045",
    "019036",
)
CASALBUTTANO, SUZZARA = "019016", "020065"


def family(**answers):
    args = MultiDict()
    for key, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            args.add(key, str(item))
    profile, errors = profile_from(args, "persons")
    assert not errors, {k: str(v) for k, v in errors.items()}
    return profile


def offer(id, needs, coverage, **values) -> Offer:
    base = dict(audience="persons", category="P2", ats="Bergamo")
    base.update(values)
    return Offer(id=id, needs=needs, coverage=coverage, **base)


def ids(items) -> list[int]:
    return [item.offer.id for item in items]


@pytest.fixture(autouse=True)
def app_context(app):
    with app.test_request_context("/?lang=en"):
        yield


def test_every_need_of_the_taxonomy_says_which_place_counts():
    for need in taxonomy.need_codes():
        roles = place_roles(need)
        assert roles and set(roles) <= {"home", "work", "school", "cared", "company"}, need
    assert place_roles("before_school") == ("school",)
    assert is_money_need("childcare_costs") and not is_money_need("summer_closure")


def test_school_care_counts_where_the_children_go_to_school_else_at_home():
    """Before- and after-school care and homework help: the school's municipality; home when no school."""
    offers = [
        offer(1, ("before_school",), (MILANO,), ats="Milano Città Metropolitana"),
        offer(2, ("after_school",), (ALZANO,)),
        offer(3, ("homework_support",), (BERGAMO,)),
    ]
    needs = ["before_school", "after_school", "homework_support"]
    mother = family(municipality=ALZANO, work_municipality=MILANO, needs=needs)
    result = match(mother, offers, language="en")
    assert ids(result.matches) == [
        2
    ]  # pre-school in Milano (her work) is no use to children at school in Alzano
    assert "before_school" in result.unmet_needs
    assert any("but for this need what counts is" in str(m) for a in result.alternatives for m in a.misfits)
    # The children go to school in Bergamo: Bergamo counts, home no longer does.
    moved = family(municipality=ALZANO, school_municipality=BERGAMO, needs=needs)
    assert ids(match(moved, offers).matches) == [3]


def test_closures_and_activities_count_at_home_school_or_work():
    offers = [
        offer(1, ("summer_closure",), (MILANO,), ats="Milano Città Metropolitana", periods=("summer",)),
        offer(2, ("educational_activities",), (BERGAMO,)),
        offer(3, ("holiday_closure",), (SONDRIO,), ats="Montagna", periods=("christmas",)),
    ]
    profile = family(
        municipality=ALZANO,
        work_municipality=MILANO,
        school_municipality=BERGAMO,
        needs=["summer_closure", "educational_activities", "holiday_closure"],
    )
    result = match(profile, offers, language="en")
    assert sorted(ids(result.matches)) == [1, 2]
    assert result.unmet_needs == ["holiday_closure"]
    reasons = [str(r) for m in result.matches for r in m.reasons]
    assert "covers Milano (where you work)" in reasons
    assert "covers Bergamo (where the children go to school)" in reasons


def test_money_counts_at_the_residence_only_and_is_shown_apart():
    """A voucher of the ATS where she works goes to that ATS's residents: not a match for her."""
    offers = [
        offer(
            1,
            ("childcare_costs", "summer_closure"),
            (),
            ats="Milano Città Metropolitana",
            periods=("summer",),
        ),
        offer(2, ("childcare_costs", "summer_closure"), (), ats="Bergamo", periods=("summer",)),
        offer(3, ("summer_closure",), (MILANO,), ats="Milano Città Metropolitana", periods=("summer",)),
    ]
    mother = family(municipality=ALZANO, work_municipality=MILANO, needs=["summer_closure"])
    result = match(mother, offers, language="en")
    assert ids(result.money) == [2] and all(m.money for m in result.money)
    assert ids(result.by_need["summer_closure"]) == [3]  # the camp near her work counts; the voucher is apart
    assert 1 not in ids(result.matches)
    # With no camp at all, the need still has a gap: a voucher is not a place in a camp.
    result = match(mother, offers[:2], language="en")
    assert result.unmet_needs == ["summer_closure"]
    assert [(g.need, g.why) for g in result.gaps] == [("summer_closure", "only_money")]


def test_care_counts_where_the_person_cared_for_lives():
    """The carer lives in Sondrio, his father in Morbegno: home care in Sondrio does not reach the father."""
    offers = [
        offer(1, ("care_at_home",), (SONDRIO,), category="P1", ats="Montagna"),
        offer(2, ("care_at_home",), (MORBEGNO,), category="P1", ats="Montagna"),
        offer(3, ("care_information",), (SONDRIO,), category="P1", ats="Montagna"),
    ]
    carer = family(
        municipality=SONDRIO, cared_municipality=MORBEGNO, needs=["care_at_home", "care_information"]
    )
    result = match(carer, offers, language="en")
    assert ids(result.by_need["care_at_home"]) == [2]
    assert ids(result.by_need["care_information"]) == [3]  # a desk for the carer counts where he lives too
    assert "covers Morbegno (where the person you care for lives)" in [
        str(r) for r in result.matches[0].reasons
    ]
    # Without a place for the father, his home is the carer's.
    at_home = family(municipality=SONDRIO, needs=["care_at_home"])
    assert ids(match(at_home, offers).matches) == [1]


def test_companies_count_where_the_company_is_and_training_within_a_radius():
    offers = [
        offer(1, ("C5",), (CASALBUTTANO,), audience="companies", category="C5", ats="Val Padana"),
        offer(2, ("C5",), (SUZZARA,), audience="companies", category="C5", ats="Val Padana"),
        offer(3, ("C3",), (CASALBUTTANO,), audience="companies", category="C3", ats="Val Padana"),
        offer(4, ("C3",), (CREMONA,), audience="companies", category="C3", ats="Val Padana"),
    ]
    firm, errors = profile_from(
        MultiDict([("municipality", CREMONA), ("needs", "C5"), ("needs", "C3")]), "companies"
    )
    assert not errors
    result = match(firm, offers, language="en")
    assert ids(result.by_need["C5"]) == [1]  # a training lab 13 km away fits; Suzzara (60 km) does not
    assert ids(result.by_need["C3"]) == [4]  # consulting must cover Cremona
    lab = result.by_need["C5"][0]
    assert 10 < lab.distance_km < 30 and lab.widened
    assert any("(where the company is)" in str(r) for r in lab.reasons)
    assert "covers Cremona (where the company is)" in [str(r) for r in result.by_need["C3"][0].reasons]


def test_each_child_follows_their_own_school():
    """Blind profile f31: the 6-year-old at school in Viadana, the 13-year-old in Casalmaggiore."""
    viadana, casalmaggiore = "020066", "019021"
    offers = [
        offer(1, ("homework_support",), (viadana,), ats="Val Padana", age_min=6, age_max=14),
        offer(2, ("homework_support",), (casalmaggiore,), ats="Val Padana", age_min=6, age_max=14),
    ]
    profile = family(
        municipality=viadana, child_age=[6, 13], child_school=["", casalmaggiore], needs="homework_support"
    )
    result = match(profile, offers, language="en")
    by_offer = {m.offer.id: m.child_ages for m in result.matches}
    assert by_offer == {1: (6,), 2: (13,)}


def test_the_api_takes_and_echoes_each_childs_own_school(demo_app):
    """``child_school`` in the API: the children's schools as understood, and a wrong one named for its child."""
    client = demo_app.test_client()
    base = "/api/v1/match/family?municipality=Alzano+Lombardo&child_age=7&child_age=12&needs=before_school"
    answer = client.get(base + "&child_school=&child_school=Bergamo&lang=en").json
    assert answer["profile"]["child_ages"] == [7, 12]
    assert answer["profile"]["child_schools"] == [None, {"istat_code": "016024", "name": "Bergamo"}]
    # Each child's gap (if any) is about their own school's town.
    for gap in answer["gaps"]:
        assert [p["name"] for p in gap["places"]] == ["Alzano Lombardo" if gap["age"] == 7 else "Bergamo"]
    wrong = client.get(base + "&child_school=&child_school=Bergamp&lang=en")
    assert wrong.status_code == 400
    errors = wrong.json["error"]["parameters"]
    assert "Child 2" in errors["child_school"] and "Bergamp" in errors["child_school"]
    assert not any(key.startswith("child_school_") for key in errors)  # one problem, named once
