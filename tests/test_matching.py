"""Matching rules: territory of home/work/school, ages, size, free only, language, reasons, alternatives."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from welfarepoint.matching import Offer, match, profile_from

SONDRIO, TIRANO, BRENO, COMO, MILANO, CREMONA = "014061", "014066", "017028", "013075", "015146", "019036"


def offer(id, **values) -> Offer:
    base = dict(
        audience="persons", category="P2", needs=("before_school",), ats="Montagna", coverage=(SONDRIO,)
    )
    base.update(values)
    return Offer(id=id, **base)


def family(**answers):
    args = MultiDict()
    for key, value in answers.items():
        for item in value if isinstance(value, list) else [value]:
            args.add(key, str(item))
    profile, errors = profile_from(args, "persons")
    assert not errors, {k: str(v) for k, v in errors.items()}
    return profile


def company(**answers):
    profile, errors = profile_from(MultiDict(answers), "companies")
    assert not errors
    return profile


def texts(items) -> list[str]:
    return [str(item) for item in items]


@pytest.fixture
def app_context(app):
    with app.test_request_context("/?lang=en"):
        yield


def test_matches_need_place_and_age_with_reasons(app_context):
    profile = family(municipality=SONDRIO, child_age=8, needs=["before_school", "summer_closure"])
    offers = [
        offer(1, age_min=6, age_max=11),
        offer(
            2, needs=("summer_closure",), coverage=(), periods=("summer",), age_min=6, age_max=14, cost="free"
        ),
        offer(3, age_min=3, age_max=5),  # too young
        offer(4, coverage=(TIRANO,)),  # another town
        offer(5, needs=("after_school",)),  # another need
        offer(6, audience="companies", category="C3", needs=("C3",)),
    ]
    result = match(profile, offers, language="en")
    assert [m.offer.id for m in result.matches] == [1, 2]
    first, second = result.matches
    assert "covers Sondrio (where you live)" in texts(first.reasons)
    assert "for ages 6-11: fits your child aged 8" in texts(first.reasons)
    assert "answers: Before school starts" in texts(first.reasons)
    assert "covers all of ATS Montagna, including Sondrio (where you live)" in texts(second.reasons)
    assert "open in summer" in texts(second.reasons) and "free" in texts(second.reasons)
    assert set(result.by_need) == {"before_school", "summer_closure"}
    assert result.outcome == "matched" and result.unmet_needs == []


def test_care_counts_where_the_person_cared_for_lives_home_by_default(app_context):
    """Issue 21: care services count where the person cared for lives (home unless said); the carer's work
    does not make a service there a match, only an alternative that says why."""
    offers = [
        offer(
            n,
            category="P1",
            needs=("care_accompaniment",),
            ats=ats,
            coverage=coverage,
            age_min=low,
            age_max=high,
        )
        for n, ats, coverage, low, high in [
            (1, "Milano Città Metropolitana", (MILANO,), 65, 120),
            (2, "Insubria", (), 18, 120),
            (3, "Insubria", (), 0, 17),
        ]
    ]
    profile = family(municipality=COMO, work_municipality=MILANO, cared_age=82, needs="care_accompaniment")
    result = match(profile, offers, language="en")
    assert [m.offer.id for m in result.matches] == [2]
    assert "covers all of ATS Insubria, including Como (where you live)" in texts(result.matches[0].reasons)
    # The father lives in Milano: the Milano service is the match now, and the Como ones are not.
    profile = family(
        municipality=COMO, work_municipality=MILANO, cared_municipality=MILANO, cared_age=82,
        needs="care_accompaniment",
    )  # fmt: skip
    result = match(profile, offers, language="en")
    assert [m.offer.id for m in result.matches] == [1]
    assert "covers Milano (where the person you care for lives)" in texts(result.matches[0].reasons)
    assert "for ages 65-120: fits a person aged 82" in texts(result.matches[0].reasons)


@pytest.mark.parametrize(("age", "expected"), [(5, []), (6, [1]), (11, [1]), (12, [])])
def test_age_bounds_are_inclusive(app_context, age, expected):
    result = match(
        family(municipality=SONDRIO, child_age=age, needs="before_school"), [offer(1, age_min=6, age_max=11)]
    )
    assert [m.offer.id for m in result.matches] == expected


def test_company_size_free_only_and_language_are_hard_filters(app_context):
    cremona = company(municipality=CREMONA, size="small", needs="C3")
    offers = [
        offer(
            n, audience="companies", category="C3", needs=("C3",), ats="Val Padana", coverage=(), sizes=sizes
        )
        for n, sizes in [(1, ("micro", "small")), (2, ("large",))]
    ]
    result = match(cremona, offers, language="en")
    assert [m.offer.id for m in result.matches] == [1]
    assert "for companies of your size (Small (10 to 49 staff))" in texts(result.matches[0].reasons)

    offers = [offer(1, cost="fee"), offer(2, cost="free"), offer(3, cost="free", languages=("it", "en"))]
    assert [
        m.offer.id
        for m in match(family(municipality=SONDRIO, needs="before_school", free_only=1), offers).matches
    ] == [2, 3]
    result = match(family(municipality=SONDRIO, needs="before_school", language="en"), offers, language="en")
    assert [m.offer.id for m in result.matches] == [3]
    assert "staff speak English" in texts(result.matches[0].reasons)


def test_full_services_stay_but_rank_after_open_ones(app_context):
    offers = [offer(1, availability="full"), offer(2), offer(3, availability="waiting_list")]
    assert [
        m.offer.id for m in match(family(municipality=SONDRIO, needs="before_school"), offers).matches
    ] == [2, 3, 1]


def test_nothing_fits_gives_unmet_needs_and_nearest_alternatives(app_context):
    profile = family(municipality=BRENO, child_age=9, needs="after_school")
    offers = [
        offer(1, needs=("after_school",), coverage=(SONDRIO,)),
        offer(2, needs=("after_school",), coverage=(TIRANO,)),
        offer(3, needs=("after_school",), coverage=(SONDRIO,), age_min=14, age_max=17),  # two misfits
    ]
    result = match(profile, offers, language="en")
    assert result.matches == [] and result.outcome == "unmet" and result.unmet_needs == ["after_school"]
    assert [m.offer.id for m in result.alternatives] == [2, 1]  # Tirano is nearer to Breno than Sondrio
    assert texts(result.alternatives[0].misfits) == ["does not cover Breno"]


def test_nothing_that_fails_a_hard_filter_is_ever_a_match(app_context):
    import itertools

    ages = [None, 3, 6, 11, 15]
    offers = []
    for n, (coverage, low, cost) in enumerate(
        itertools.product([(SONDRIO,), (TIRANO,), ()], ages, ["free", "fee"])
    ):
        offers.append(
            offer(n, coverage=coverage, age_min=low, age_max=None if low is None else low + 5, cost=cost)
        )
    profile = family(municipality=SONDRIO, child_age=8, needs="before_school", free_only=1)
    for item in match(profile, offers).matches:
        o = item.offer
        assert o.cost == "free" and (SONDRIO in o.coverage or not o.coverage)
        assert o.age_min is None or o.age_min <= 8 <= o.age_max


def test_bad_answers_are_reported_not_guessed():
    args = MultiDict(
        [("municipality", "Atlantide"), ("child_age", "40"), ("needs", "flying"), ("cared_age", "x")]
    )
    profile, errors = profile_from(args, "persons")
    assert set(errors) == {
        "municipality",
        "child_age",
        "child_age_0",
        "needs",
        "cared_age",
    }  # which child, too
    assert profile.places == [] and profile.needs == [] and profile.child_ages == []
    _, errors = profile_from(
        MultiDict([("size", "huge"), ("needs", "C9"), ("has_plan", "maybe")]), "companies"
    )
    assert set(errors) == {"size", "needs", "has_plan"}


def test_a_closure_need_is_answered_only_in_its_period(app_context):
    profile = family(municipality=SONDRIO, needs="summer_closure")
    offers = [
        offer(1, needs=("summer_closure",), periods=("school_year",)),
        offer(2, needs=("summer_closure",), periods=("summer",)),
        offer(3, needs=("summer_closure",), periods=("all_year",)),
    ]
    assert [m.offer.id for m in match(profile, offers).matches] == [2, 3] or [
        m.offer.id for m in match(profile, offers).matches
    ] == [3, 2]
