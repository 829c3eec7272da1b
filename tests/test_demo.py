"""The demo network: figures of the 2020-2023 monitoring, valid rows, and the data the user journeys need."""

from __future__ import annotations

import difflib
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.support.monitoring_figures import FIGURE_6_2, TABLE_6_1, TYPES
from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.validation import CSV_COLUMNS, validate_listing
from welfarepoint.demo.network import build_demo_network

TODAY = date(2025, 3, 3)

RESERVED_DOMAINS = ("example.org", "example.com", "example.net")
PERSON_NEEDS = {
    "before_school", "after_school", "summer_closure", "holiday_closure", "homework_support",
    "educational_activities", "childcare_costs", "care_accompaniment", "care_respite", "care_information",
    "care_training", "care_at_home",
}  # fmt: skip


@pytest.fixture(scope="module")
def network():
    return build_demo_network(TODAY)


@pytest.fixture(scope="module")
def actions(network):
    return [row for row in network.services if row["category"] != "W1"]


def split(cell: str) -> list[str]:
    return [item for item in cell.split(";") if item]


def covers(row: dict[str, str], name: str) -> bool:
    """Whether a listing covers a municipality (an empty list means the whole ATS)."""
    place = territory.find(name)
    names = split(row["municipalities"])
    if not names:
        return row["ats"] == place.ats
    return any(territory.find(n) == place for n in names)


def fits_age(row: dict[str, str], age: int) -> bool:
    low = int(row["age_min"]) if row["age_min"] else 0
    high = int(row["age_max"]) if row["age_max"] else 120
    return low <= age <= high


def overdue(row: dict[str, str], today: date = TODAY) -> bool:
    verified = date.fromisoformat(row["last_verified"])
    return verified + timedelta(days=int(row["review_interval_days"])) < today


# --- the monitoring figures ---------------------------------------------------------------------------------


def test_actions_and_alliances_per_ats_match_table_6_1(network, actions):
    for ats, (alliances, _actions, persons, companies) in TABLE_6_1.items():
        assert sum(a.ats == ats for a in network.alliances) == alliances, ats
        assert sum(r["ats"] == ats and r["category"] in ("P1", "P2") for r in actions) == persons, ats
        assert sum(r["ats"] == ats and r["category"].startswith("C") for r in actions) == companies, ats
    assert len(network.alliances) == 40
    assert sum(r["audience"] == "persons" for r in actions) == 135
    assert sum(r["audience"] == "companies" for r in actions) == 155
    assert len(actions) == 290


def test_organisations_per_ats_and_type_match_figure_6_2(network):
    counts = Counter((o.ats, o.type) for o in network.organisations)
    for ats, row in FIGURE_6_2.items():
        assert tuple(counts[(ats, t)] for t in TYPES) == row, ats
    assert len(network.organisations) == 567
    assert taxonomy.codes("organisation_types") == TYPES


def test_every_organisation_belongs_to_exactly_one_alliance_of_its_ats(network):
    organisations = {o.key: o for o in network.organisations}
    assert len(organisations) == 567
    membership = Counter(key for a in network.alliances for key, _role in a.members)
    assert set(membership) == set(organisations)
    assert set(membership.values()) == {1}
    for alliance in network.alliances:
        assert len(alliance.members) >= 3
        leads = [key for key, role in alliance.members if role == "lead"]
        assert leads == [alliance.lead]
        assert organisations[alliance.lead].type in ("public_body", "social_district_or_special_company")
        assert {role for _key, role in alliance.members} <= {"lead", "partner", "supporter"}
        assert all(organisations[key].ats == alliance.ats for key, _role in alliance.members)
        assert (alliance.period_start, alliance.period_end) == (date(2020, 1, 1), date(2023, 12, 31))


def test_names_are_unique_and_places_are_official(network):
    names = [o.name for o in network.organisations]
    assert len(set(names)) == len(names)
    alliance_names = [a.name for a in network.alliances]
    assert len(set(alliance_names)) == len(alliance_names)
    for org in network.organisations:
        place = territory.find(org.municipality)
        assert place is not None and place.name == org.municipality and place.ats == org.ats, org
    public = [o for o in network.organisations if o.type == "public_body"]
    assert all(o.name.startswith(("Comune di ", "Unione dei Comuni ")) for o in public)


def test_the_network_is_deterministic(network):
    assert build_demo_network(TODAY) == network
    assert build_demo_network(TODAY, seed=7) != network


# --- the rows -----------------------------------------------------------------------------------------------


def test_rows_have_exactly_the_csv_columns_as_strings(network):
    for row in network.services:
        assert tuple(row) == CSV_COLUMNS
        assert all(isinstance(value, str) for value in row.values())


def test_every_row_passes_the_import_validation(network):
    problems = {}
    for row in network.services:
        listing, errors = validate_listing(row, today=TODAY)
        if errors:
            problems[row["external_id"]] = [(e.column, str(e.message)) for e in errors]
        else:
            assert listing.status == "published"
    assert problems == {}


def test_rows_have_stable_ids_and_sane_values(network):
    ids = [row["external_id"] for row in network.services]
    assert len(set(ids)) == len(ids)
    abbrev = {"Bergamo": "bg", "Brescia": "bs", "Brianza": "bri", "Insubria": "ins",
              "Milano Città Metropolitana": "mi", "Montagna": "mon", "Pavia": "pv", "Val Padana": "vp"}  # fmt: skip
    for row in network.services:
        assert row["external_id"].startswith(f"demo-{abbrev[row['ats']]}-")
        assert row["title"] and row["summary"] and row["schedule_notes"] and row["how_to_access"]
        assert 60 <= len(row["description"].split()) <= 150, row["external_id"]
        assert row["municipality"] and territory.find(row["municipality"]).ats == row["ats"]
        assert row["address"]
        assert row["cost"] in ("free", "contribution", "fee")
        assert row["availability"] in ("open", "waiting_list", "full")
        assert row["review_interval_days"] in ("90", "180", "365")
        assert date.fromisoformat(row["last_verified"]) <= TODAY
        if row["enrolment_deadline"]:
            assert TODAY < date.fromisoformat(row["enrolment_deadline"]) <= TODAY + timedelta(days=200)
        assert row["languages"] in ("it", "it;en", "it;en;fr", "it;ar", "it;uk")


def test_providers_are_members_of_the_row_alliance(network):
    organisations = {o.key: o for o in network.organisations}
    alliances = {a.name: a for a in network.alliances}
    for row in network.services:
        alliance = alliances[row["alliance"]]
        assert alliance.ats == row["ats"]
        members = {organisations[key].name: organisations[key] for key, _role in alliance.members}
        assert row["provider"] in members, row["external_id"]
        assert members[row["provider"]].type == row["provider_type"]


def test_contacts_use_reserved_domains_and_unassigned_numbers(network):
    def reserved(host: str) -> bool:
        return any(host == d or host.endswith("." + d) for d in RESERVED_DOMAINS)

    contacts = [(o.email, o.website, o.phone) for o in network.organisations]
    contacts += [(r["email"], r["website"], r["phone"]) for r in network.services]
    for email, website, phone in contacts:
        assert reserved(email.rsplit("@", 1)[1]), email
        assert website.startswith("https://www.") and reserved(website.split("/")[2]), website
        assert phone.startswith("+39 0") and phone.split(" ")[2] == "000", phone


def test_needs_agree_with_category_periods_and_time_slots(network):
    for row in network.services:
        needs, periods, slots = split(row["needs"]), split(row["periods"]), split(row["time_slots"])
        if row["audience"] == "companies":
            assert needs == [row["category"]]
            assert row["company_sizes"] and not row["age_min"]
            continue
        assert not row["company_sizes"]
        assert set(needs) <= PERSON_NEEDS
        if row["category"] == "W1":
            assert needs in ([], ["care_information"])
            continue
        assert needs and all(taxonomy.need_category(n) == row["category"] for n in needs), row["external_id"]
        assert ("before_school" in needs) == ("before_school" in slots)
        assert ("after_school" in needs) == ("after_school" in slots)
        assert ("summer_closure" in needs) == ("summer" in periods)
        assert ("holiday_closure" in needs) == bool({"christmas", "easter"} & set(periods))


def test_every_need_and_company_area_is_offered(actions):
    offered = {need for row in actions for need in split(row["needs"])}
    assert offered >= PERSON_NEEDS
    assert offered >= {f"C{i}" for i in range(1, 8)}


def test_variety_of_texts(actions, network):
    assert len({row["title"] for row in actions}) >= 250
    assert len({row["description"] for row in actions}) >= 200
    english = [
        row for row in network.services if row["title_en"] and row["summary_en"] and row["description_en"]
    ]
    assert len(english) >= 100
    assert all(not row["title_en"] or row["description_en"] for row in network.services)


# --- the journeys -------------------------------------------------------------------------------------------


def test_welfare_points(network):
    organisations = {o.name: o for o in network.organisations}
    points = [row for row in network.services if row["category"] == "W1"]
    per_ats = Counter(row["ats"] for row in points)
    assert set(per_ats) == set(TABLE_6_1) and all(1 <= n <= 3 for n in per_ats.values())
    assert 14 <= len(points) <= 20
    for row in points:
        assert row["audience"] == "persons"
        assert organisations[row["provider"]].ats == row["ats"]
        assert row["address"][0].isalpha() and any(ch.isdigit() for ch in row["address"])
        assert any(ch.isdigit() for ch in row["schedule_notes"])


def test_sondrio_child_of_eight_before_school_and_summer(actions):
    found = [
        row
        for row in actions
        if covers(row, "Sondrio")
        and fits_age(row, 8)
        and {"before_school", "summer_closure"} & set(split(row["needs"]))
    ]
    assert 2 <= len(found) <= 3
    assert {"before_school", "summer_closure"} <= {n for row in found for n in split(row["needs"])}
    assert any(row["availability"] == "full" for row in found)
    assert any(row["availability"] != "full" for row in found)


def test_two_sondrio_services_overlap(actions):
    sondrio = [row for row in actions if split(row["municipalities"]) == ["Sondrio"]]
    pairs = [
        (a, b)
        for i, a in enumerate(sondrio)
        for b in sondrio[i + 1 :]
        if (a["needs"], a["age_min"], a["age_max"], a["periods"])
        == (b["needs"], b["age_min"], b["age_max"], b["periods"])
    ]
    assert len(pairs) == 1
    first, second = pairs[0]
    assert first["provider"] != second["provider"]
    similarity = difflib.SequenceMatcher(None, first["description"], second["description"]).ratio()
    assert similarity > 0.85


@pytest.mark.parametrize("town", ["Como", "Milano"])
def test_carers_find_a_desk_transport_and_respite(actions, town):
    for need in ("care_information", "care_accompaniment", "care_respite"):
        assert any(
            covers(row, town) and need in split(row["needs"]) and fits_age(row, 82) for row in actions
        ), (town, need)


def test_small_firm_in_cremona(actions):
    def offers(category, size):
        return any(
            row["category"] == category and covers(row, "Cremona") and size in split(row["company_sizes"])
            for row in actions
        )

    assert offers("C3", "micro") and offers("C3", "small")
    assert offers("C6", "small")
    assert offers("C4", "small")
    assert any(
        row["category"] == "C4" and "territoriale" in row["title"] and covers(row, "Cremona")
        for row in actions
    )


def test_large_employer_in_brescia(actions):
    brescia = [row for row in actions if covers(row, "Brescia") and "large" in split(row["company_sizes"])]
    assert any(row["category"] == "C7" for row in brescia)
    assert any(row["category"] == "C2" and "nido" in row["title"].lower() for row in brescia)


def test_verification_is_overdue_for_six_montagna_listings_and_a_few_elsewhere(network):
    late = Counter(row["ats"] for row in network.services if overdue(row))
    assert late["Montagna"] == 6
    assert 1 <= sum(late.values()) - 6 <= 15


def test_no_after_school_listing_covers_valcamonica(network):
    montagna = [row for row in network.services if row["ats"] == "Montagna"]
    after_school = [r for r in montagna if "after_school" in r["needs"] or "after_school" in r["time_slots"]]
    assert after_school
    for row in after_school:
        names = split(row["municipalities"])
        assert names, "an after-school listing covering the whole ATS would cover Valcamonica"
        assert all(territory.find(name).province == "SO" for name in names)
    for town in ("Breno", "Darfo Boario Terme", "Edolo", "Pisogne"):
        assert not any(covers(row, town) for row in after_school)


@pytest.mark.slow
def test_demo_loads_through_the_catalog(app):
    from welfarepoint.demo.loader import load_demo_network
    from welfarepoint.extensions import db

    with app.app_context():
        result = load_demo_network(TODAY)
        db.session.commit()
    assert result == {"organisations": 567, "alliances": 40, "services": 308, "public_routes": 25}
