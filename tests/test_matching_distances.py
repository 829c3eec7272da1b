"""Distances from the place that counts, nearest alternatives first, and widening (issue 21, point 2)."""

from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from welfarepoint import territory
from welfarepoint.matching import Offer, match, profile_from

SONDRIO, MORBEGNO, CHIAVENNA, TALAMONA = "014061", "014045", "014018", "014063"


def offer(id, coverage, **values) -> Offer:
    base = dict(audience="persons", category="P1", needs=("care_at_home",), ats="Montagna")
    base.update(values)
    return Offer(id=id, coverage=coverage, **base)


def carer(**extra):
    args = MultiDict([("municipality", SONDRIO), ("cared_municipality", MORBEGNO), ("needs", "care_at_home")])
    for key, value in extra.items():
        args.add(key, str(value))
    profile, errors = profile_from(args, "persons")
    assert not errors
    return profile


@pytest.fixture(autouse=True)
def app_context(app):
    with app.test_request_context("/?lang=en"):
        yield


def km(a: str, b: str) -> float:
    return territory.distance_km(territory.by_istat(a), territory.by_istat(b))


def test_matches_are_at_distance_zero_and_alternatives_nearest_first_with_their_distance():
    offers = [offer(1, (SONDRIO,)), offer(2, (CHIAVENNA,)), offer(3, (TALAMONA,)), offer(4, (MORBEGNO,))]
    result = match(carer(), offers, language="en")
    assert [(m.offer.id, m.distance_km) for m in result.matches] == [(4, 0.0)]
    result = match(carer(), offers[:3], language="en")
    nearest_first = sorted(offers[:3], key=lambda o: km(MORBEGNO, o.coverage[0]))
    assert [m.offer.id for m in result.alternatives] == [o.id for o in nearest_first]
    assert result.alternatives[0].offer.id == 3  # Talamona is next door
    for item in result.alternatives:
        assert item.distance_km == pytest.approx(km(MORBEGNO, item.offer.coverage[0]), abs=0.1)
        assert item.place.municipality.name == "Morbegno"


def test_an_ats_wide_listing_is_as_far_as_its_own_address():
    far = offer(1, (), ats="Brianza", where="108019")  # a desk of the whole ATS Brianza, in Cesano Maderno
    result = match(carer(), [far], language="en")
    assert result.alternatives[0].distance_km == pytest.approx(km(MORBEGNO, "108019"), abs=0.1)


def test_widening_finds_nearby_listings_and_says_so():
    offers = [offer(1, (TALAMONA,)), offer(2, (CHIAVENNA,))]
    assert match(carer(), offers).matches == []
    result = match(carer(radius_km=10), offers, language="en")
    assert [m.offer.id for m in result.matches] == [1]
    found = result.matches[0]
    assert found.widened and 0 < found.distance_km <= 10
    assert any("found by looking within 10 km" in str(r) for r in found.reasons)
    _, errors = profile_from(MultiDict([("municipality", SONDRIO), ("radius_km", "far")]), "persons")
    assert "radius_km" in errors


def test_distances_on_the_page_and_in_the_api(demo_app):
    client = demo_app.test_client()
    address = "/match/family?municipality=Sondrio&cared_municipality=Morbegno&cared_age=84&needs=care_at_home"
    page = client.get(address + "&lang=en").text
    shown = [int(n) for n in re.findall(r"(\d+) km from Morbegno", page)]
    assert shown and shown == sorted(shown)
    assert 'name="radius_km"' in page
    answer = client.get("/api/v1/match/family?" + address.split("?")[1]).json
    distances = [item["distance_km"] for item in answer["alternatives"]]
    assert distances and distances == sorted(distances) and all(d > 0 for d in distances)
    assert answer["alternatives"][0]["place_that_counts"] == {"role": "cared", "name": "Morbegno"}
    wide = client.get("/api/v1/match/family?" + address.split("?")[1] + "&radius_km=30").json
    assert wide["profile"]["radius_km"] == 30
    assert all(item["distance_km"] <= 30 for item in wide["matches"])
    assert any(item["widened"] for item in wide["matches"]) or not wide["matches"]
