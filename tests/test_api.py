"""The open data API: HSDS 3.0 shapes checked against the official schemas, filters, pages, errors, CORS.

The HSDS schemas are copies in ``tests/hsds`` (Open Referral, CC BY-SA 4.0, see its LICENSE).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from flask_babel import force_locale, gettext
from jsonschema import Draft202012Validator, FormatChecker

from tests.support.apps import make_config
from tests.support.catalog import create_listing
from tests.support.catalog import row as valid_row
from welfarepoint import create_app, territory
from welfarepoint.api import hsds
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.cli import setup_database
from welfarepoint.extensions import db

HSDS_DIR = Path(__file__).parent / "hsds"
TODAY = date(2026, 11, 25)


def _schema(name: str) -> dict:
    return json.loads((HSDS_DIR / name).read_text(encoding="utf-8"))


def _validator(schema: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


SERVICE_LIST = _validator(_schema("service_list.json"))
SERVICE_FULL = _validator(_schema("service_with_definitions.json"))
ORGANIZATION_LIST = _validator(_schema("organization_list.json"))
ORGANIZATION_FULL = _validator(
    {
        "$ref": "#/definitions/organization",
        "definitions": _schema("service_with_definitions.json")["definitions"],
    }
)
_PAGE = _schema("openapi.json")["components"]["schemas"]["Page"]
PAGE = _validator({**_PAGE, "required": [*_PAGE["properties"], "contents"]})


def assert_valid(validator: Draft202012Validator, instance: dict) -> None:
    """Fail with every schema error, each with where it is."""
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(instance)
    ]
    assert not problems, problems


def assert_page(body: dict, item_validator: Draft202012Validator) -> None:
    assert_valid(PAGE, body)
    assert body["size"] == len(body["contents"])
    assert body["empty"] is (not body["contents"])
    for item in body["contents"]:
        assert_valid(item_validator, item)


def row(**overrides) -> dict[str, str]:
    """The tests' valid listings-CSV row (published) with every optional field the API shows, and ``overrides``."""
    cells = {
        "external_id": "api-001",
        "title_en": "Before-school club at Ligari primary school",
        "summary_en": "Children are welcomed from 7:30 before lessons.",
        "description": "Educatori qualificati accolgono i bambini nella palestra della scuola.",
        "needs": "before_school;after_school",
        "tags": "scuola;mattino",
        "schedule_notes": "Dal lunedì al venerdì",
        "cost": "free",
        "cost_notes": "Gratuito per i residenti",
        "how_to_access": "Iscrizione in segreteria",
        "alliance": "Alleanza Valtellina",
        "address": "Via Ligari 12, 23100 Sondrio",
        "municipality": "Sondrio",
        "languages": "it;en",
        "capacity": "40",
        "enrolment_deadline": "2026-12-15",
    }
    cells.update(overrides)
    return valid_row(**cells)


@pytest.fixture
def make_service(app):
    """Create a listing from a CSV-like row and commit it (which indexes it)."""

    def make(**overrides) -> str:
        with app.app_context():
            service = create_listing(row(**overrides), today=TODAY)
            db.session.commit()
            return service.uuid

    return make


# --- the demo network, loaded once for the module --------------------------------------------------------


@pytest.fixture(scope="module")
def api_demo_app(tmp_path_factory):
    """An app with the whole demo network loaded and indexed."""
    from welfarepoint.demo.loader import load_demo_network

    application = create_app(make_config(tmp_path_factory.mktemp("api-demo")))
    with application.app_context():
        setup_database()
        load_demo_network()
        db.session.commit()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def api_demo(api_demo_app):
    """A client of the demo app (no cookies carried over between tests)."""
    return api_demo_app.test_client()


@pytest.fixture(scope="module")
def published(api_demo_app) -> dict[str, dict]:
    """The published demo listings by UUID, as plain facts to compare the API with."""
    with api_demo_app.app_context():
        services = db.session.execute(db.select(Service).where(Service.status == "published")).unique()
        return {
            s.uuid: {
                "audience": s.audience,
                "category": s.category,
                "ats": s.ats,
                "coverage": s.coverage_codes,
                "age_min": s.age_min,
                "age_max": s.age_max,
                "cost": s.cost,
                "periods": s.periods,
                "provider": s.provider.uuid,
            }
            for s in services.scalars()
        }


def pages(client, path: str, per_page: int = 100):
    """Every page of a paginated endpoint, walked until ``last_page``."""
    number = 1
    while True:
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}per_page={per_page}&page={number}")
        assert response.status_code == 200
        body = response.get_json()
        yield body
        if body["last_page"]:
            return
        number += 1


def all_ids(client, query: str = "") -> list[str]:
    """Every service id a query returns, walking its pages."""
    return [item["id"] for body in pages(client, f"/api/v1/services?{query}") for item in body["contents"]]


@pytest.mark.slow
def test_every_demo_listing_is_valid_hsds(api_demo, published):
    ids = []
    for body in pages(api_demo, "/api/v1/services", per_page=50):
        assert_page(body, SERVICE_LIST)
        ids += [item["id"] for item in body["contents"]]
    assert sorted(ids) == sorted(published) and len(published) > 20
    for service_id in ids:
        for language in ("it", "en"):
            response = api_demo.get(f"/api/v1/services/{service_id}?lang={language}")
            assert response.status_code == 200
            assert_valid(SERVICE_FULL, response.get_json())


@pytest.mark.slow
def test_every_demo_organisation_is_valid_hsds(api_demo, published):
    listed = []
    for body in pages(api_demo, "/api/v1/organizations"):
        assert_page(body, ORGANIZATION_LIST)
        listed += body["contents"]
    providers = {facts["provider"] for facts in published.values()}
    assert [item["id"] for item in listed] and {item["id"] for item in listed} == providers
    assert len(listed) == len(providers)
    for organisation_id in providers:
        detail = api_demo.get(f"/api/v1/organizations/{organisation_id}").get_json()
        assert_valid(ORGANIZATION_FULL, detail)
        assert detail["services"]
        for item in detail["services"]:
            assert_valid(SERVICE_LIST, item)
            assert item["organization_id"] == organisation_id
        assert {item["id"] for item in detail["services"]} == {
            uid for uid, facts in published.items() if facts["provider"] == organisation_id
        }


def _ids(node):
    """Every object id in a response, but those of taxonomy terms (shared by the attributes that use them)."""
    if isinstance(node, dict):
        if "id" in node:
            yield node["id"]
        for key, value in node.items():
            if key != "taxonomy_term":
                yield from _ids(value)
    elif isinstance(node, list):
        for value in node:
            yield from _ids(value)


def test_responses_are_deterministic_and_ids_unique(api_demo, published):
    for service_id in list(published)[:10]:
        first = api_demo.get(f"/api/v1/services/{service_id}").data
        assert api_demo.get(f"/api/v1/services/{service_id}").data == first
        ids = list(_ids(json.loads(first)))
        assert len(ids) == len(set(ids)), "every object of a service has its own id"


@pytest.mark.parametrize(
    ("query", "keeps"),
    [
        ("audience=companies", lambda f: f["audience"] == "companies"),
        ("audience=persons", lambda f: f["audience"] == "persons"),
        ("category=P2", lambda f: f["category"] == "P2"),
        ("category=P1&category=C7", lambda f: f["category"] in ("P1", "C7")),
        ("ats=Montagna", lambda f: f["ats"] == "Montagna"),
        ("ats=ats+della+montagna", lambda f: f["ats"] == "Montagna"),
        ("cost=free", lambda f: f["cost"] == "free"),
        ("age=8", lambda f: (f["age_min"] or 0) <= 8 <= (120 if f["age_max"] is None else f["age_max"])),
        ("age=70", lambda f: (f["age_min"] or 0) <= 70 <= (120 if f["age_max"] is None else f["age_max"])),
        ("period=summer", lambda f: {"summer", "all_year"} & set(f["periods"])),
        (
            "municipality=014061",  # Sondrio
            lambda f: "014061" in f["coverage"] or (not f["coverage"] and f["ats"] == "Montagna"),
        ),
        (
            "municipality=015146",  # Milano
            lambda f: (
                "015146" in f["coverage"] or (not f["coverage"] and f["ats"] == "Milano Città Metropolitana")
            ),
        ),
        (
            "audience=persons&cost=free&ats=Bergamo",
            lambda f: (f["audience"], f["cost"], f["ats"]) == ("persons", "free", "Bergamo"),
        ),
    ],
)
def test_filters_return_exactly_the_matching_listings(api_demo, published, query, keeps):
    expected = sorted(uid for uid, facts in published.items() if keeps(facts))
    assert expected, "the demo should have listings for this filter"
    assert len(expected) < len(published), "the filter should leave some listings out"
    assert sorted(all_ids(api_demo, query)) == expected
    body = api_demo.get(f"/api/v1/services?{query}").get_json()
    assert body["total_items"] == len(expected)


def test_search_text_narrows_and_finds(api_demo, published):
    everything = api_demo.get("/api/v1/services").get_json()["total_items"]
    body = api_demo.get("/api/v1/services?search=centro+estivo&per_page=100").get_json()
    assert 0 < body["total_items"] < everything
    assert_page(body, SERVICE_LIST)


def test_pagination_walks_every_listing_once(api_demo, published):
    first = api_demo.get("/api/v1/services?per_page=7").get_json()
    assert first["page_number"] == 1 and first["first_page"] and not first["last_page"]
    assert first["size"] == 7 and first["total_items"] == len(published)
    assert first["total_pages"] == -(-len(published) // 7)
    ids = []
    for page in range(1, first["total_pages"] + 1):
        body = api_demo.get(f"/api/v1/services?per_page=7&page={page}").get_json()
        assert body["page_number"] == page
        assert body["first_page"] is (page == 1)
        assert body["last_page"] is (page == first["total_pages"])
        ids += [item["id"] for item in body["contents"]]
    assert sorted(ids) == sorted(published)
    beyond = api_demo.get(f"/api/v1/services?per_page=7&page={first['total_pages'] + 1}")
    assert beyond.status_code == 200
    body = beyond.get_json()
    assert body["contents"] == [] and body["empty"] and body["last_page"] and not body["first_page"]
    assert body["page_number"] == first["total_pages"] + 1 and body["total_items"] == len(published)


def test_default_and_maximum_page_sizes(api_demo, published):
    assert api_demo.get("/api/v1/services").get_json()["size"] == min(20, len(published))
    assert api_demo.get("/api/v1/services?per_page=100").get_json()["size"] == min(100, len(published))
    assert api_demo.get("/api/v1/organizations?per_page=2").get_json()["size"] == 2


def test_organisations_paginate_by_name(api_demo):
    names = [
        item["name"] for body in pages(api_demo, "/api/v1/organizations", 7) for item in body["contents"]
    ]
    assert names == [
        item["name"] for body in pages(api_demo, "/api/v1/organizations") for item in body["contents"]
    ]
    assert names == sorted(names) and len(names) == len(set(names)) > 7


# --- one listing, mapped field by field -------------------------------------------------------------------


def test_service_mapping(app, client, make_service):
    service_id = make_service()
    body = client.get(f"/api/v1/services/{service_id}").get_json()
    assert_valid(SERVICE_FULL, body)
    assert body["id"] == service_id and body["status"] == "active"
    assert body["name"] == "Pre-scuola alla primaria Ligari"
    assert body["alternate_name"] == "Before-school club at Ligari primary school"
    assert body["description"].startswith("Accoglienza dalle 7:30") and "Educatori" in body["description"]
    assert body["url"] == "https://www.sentiero.example.org" and body["email"] == "info@sentiero.example.org"
    assert (body["minimum_age"], body["maximum_age"]) == (6, 11)
    assert body["application_process"] == "Iscrizione in segreteria"
    assert body["assured_date"] == "2026-09-01"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["last_modified"])
    assert body["organization"]["name"] == "Cooperativa sociale Il Sentiero"
    assert body["organization_id"] == body["organization"]["id"]
    assert body["program"]["name"] == "Alleanza Valtellina" and body["program_id"] == body["program"]["id"]

    [cost] = body["cost_options"]
    assert (cost["amount"], cost["currency"], cost["option"]) == (0, "EUR", "Gratuito")
    assert cost["amount_description"] == "Gratuito per i residenti"

    areas = {area["name"]: area for area in body["service_areas"]}
    assert set(areas) == {"Sondrio", "Montagna in Valtellina"}
    [istat] = areas["Sondrio"]["attributes"]
    assert (istat["link_type"], istat["value"]) == ("istat_code", "014061")

    [at_location] = body["service_at_locations"]
    [address] = at_location["location"]["addresses"]
    assert address["address_1"] == "Via Ligari 12, 23100 Sondrio"
    assert (address["city"], address["state_province"], address["postal_code"], address["country"]) == (
        "Sondrio",
        "SO",
        "23100",
        "IT",
    )
    assert at_location["location_id"] == at_location["location"]["id"] == address["location_id"]
    assert at_location["location"]["name"] == "Via Ligari 12, 23100 Sondrio"

    assert [language["code"] for language in body["languages"]] == ["it", "en"]
    assert body["languages"][0]["name"] == "Italiano"
    assert [phone["number"] for phone in body["phones"]] == ["+39 0342 000 1234"]
    [contact] = body["contacts"]
    assert contact["email"] == "info@sentiero.example.org"
    [schedule] = body["schedules"]
    assert schedule["description"] == "Anno scolastico (Prima della scuola)"
    assert schedule["notes"] == "Dal lunedì al venerdì"

    kinds: dict[str, list] = {}
    for item in body["attributes"]:
        assert item["link_id"] == service_id and item["taxonomy_term_id"] == item["taxonomy_term"]["id"]
        assert item["taxonomy_term"]["taxonomy"] == "welfarepoint"
        kinds.setdefault(item["link_type"], []).append(item)
    assert [a["taxonomy_term"]["code"] for a in kinds["category"]] == ["category:P2"]
    assert kinds["category"][0]["taxonomy_term"]["name"] == taxonomy.label("categories", "P2", "it")
    needs = {a["taxonomy_term"]["code"]: a["taxonomy_term"] for a in kinds["need"]}
    assert set(needs) == {"need:before_school", "need:after_school"}
    assert needs["need:before_school"]["parent_id"] == kinds["category"][0]["taxonomy_term_id"]
    assert [a["taxonomy_term"]["code"] for a in kinds["audience"]] == ["audience:persons"]
    assert [a["taxonomy_term"]["code"] for a in kinds["period"]] == ["period:school_year"]
    assert [a["value"] for a in kinds["tag"]] == ["scuola", "mattino"]
    assert [a["value"] for a in kinds["capacity"]] == ["40"]
    assert [a["value"] for a in kinds["enrolment_deadline"]] == ["2026-12-15"]
    # The time slot "before_school" and the need "before_school" are different terms.
    assert kinds["time_slot"][0]["taxonomy_term_id"] != needs["need:before_school"]["id"]


def test_minimal_listing_covering_a_whole_ats(app, client, make_service):
    service_id = make_service(
        external_id="api-002",
        title="Sportello welfare aziendale",
        title_en="",
        summary_en="",
        audience="companies",
        category="C3",
        needs="",
        tags="",
        municipalities="",
        age_min="",
        age_max="",
        periods="",
        time_slots="",
        schedule_notes="",
        cost="fee",
        cost_notes="",
        how_to_access="",
        alliance="",
        address="",
        municipality="",
        email="",
        website="",
        phone="",
        languages="",
        capacity="",
        enrolment_deadline="",
        company_sizes="micro;small",
        last_verified="",
    )
    body = client.get(f"/api/v1/services/{service_id}").get_json()
    assert_valid(SERVICE_FULL, body)
    for absent in ("alternate_name", "email", "minimum_age", "maximum_age", "program", "program_id"):
        assert absent not in body
    assert body["url"] == "http://localhost/services/sportello-welfare-aziendale"  # its Welfare Point page
    [area] = body["service_areas"]
    assert area["name"] == "ATS Montagna"
    assert [(a["link_type"], a["value"]) for a in area["attributes"]] == [("ats", "Montagna")]
    assert str(len(territory.in_ats("Montagna"))) in area["description"]
    assert body["service_at_locations"] == [] and body["phones"] == [] and body["contacts"] == []
    [cost] = body["cost_options"]
    assert cost["option"] == "A pagamento" and "amount" not in cost
    assert [schedule["description"] for schedule in body["schedules"]] == ["Tutto l'anno"]
    assert (
        body["eligibility_description"]
        == "Imprese ed enti: Micro (meno di 10 addetti), Piccola (da 10 a 49 addetti)"
    )


def test_location_name_adds_the_municipality_once(client, make_service):
    service_id = make_service(address="Via Roma 1")
    [at_location] = client.get(f"/api/v1/services/{service_id}").get_json()["service_at_locations"]
    assert at_location["location"]["name"] == "Via Roma 1, Sondrio"
    assert at_location["location"]["addresses"][0]["postal_code"] == ""


def test_english_texts_with_lang_en(app, client, make_service):
    service_id = make_service()
    italian = client.get(f"/api/v1/services/{service_id}")
    assert italian.headers["Content-Language"] == "it"
    english = client.get(f"/api/v1/services/{service_id}?lang=en")
    assert english.headers["Content-Language"] == "en"
    body = english.get_json()
    assert_valid(SERVICE_FULL, body)
    assert body["name"] == "Before-school club at Ligari primary school"
    assert body["alternate_name"] == "Pre-scuola alla primaria Ligari"
    # Only the translated parts: the Italian-only description is left out rather than mixed in.
    assert body["description"] == "Children are welcomed from 7:30 before lessons."
    assert body["application_process"] == "Iscrizione in segreteria"  # no English text: the Italian one
    category = next(a for a in body["attributes"] if a["link_type"] == "category")["taxonomy_term"]
    assert category["name"] == taxonomy.label("categories", "P2", "en") and category["language"] == "en"
    assert body["languages"][0]["name"] == "Italian"
    # The browser's language changes messages, not the data: without ?lang the texts stay Italian.
    fresh = app.test_client()
    browser = fresh.get(f"/api/v1/services/{service_id}", headers={"Accept-Language": "en"}).get_json()
    assert browser["name"] == "Pre-scuola alla primaria Ligari"


def test_only_published_listings_are_served(app, client, make_service):
    published_id = make_service()
    draft_id = make_service(external_id="api-003", title="Bozza", status="draft")
    archived_id = make_service(
        external_id="api-004", title="Archiviato", status="archived", provider="Ente solo archiviato"
    )
    body = client.get("/api/v1/services").get_json()
    assert [item["id"] for item in body["contents"]] == [published_id]
    for hidden in (draft_id, archived_id):
        response = client.get(f"/api/v1/services/{hidden}")
        assert response.status_code == 404
        assert response.get_json()["error"]["status"] == 404
    with app.app_context():
        lonely = db.session.execute(
            db.select(Organisation).where(Organisation.name == "Ente solo archiviato")
        ).scalar_one()
        lonely_id = lonely.uuid
    organisations = client.get("/api/v1/organizations").get_json()
    assert [item["name"] for item in organisations["contents"]] == ["Cooperativa sociale Il Sentiero"]
    assert client.get(f"/api/v1/organizations/{lonely_id}").status_code == 404
    provider = client.get(f"/api/v1/organizations/{organisations['contents'][0]['id']}").get_json()
    assert [item["id"] for item in provider["services"]] == [published_id]


def test_empty_catalog(client):
    body = client.get("/api/v1/services").get_json()
    assert_valid(PAGE, body)
    assert body["contents"] == [] and body["empty"] and body["total_items"] == 0 and body["total_pages"] == 0
    assert body["first_page"] and body["last_page"]
    assert client.get("/api/v1/organizations").get_json()["total_items"] == 0


# --- errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/services/{uuid.UUID(int=0)}",
        "/api/v1/services/c65fd5b2-5356-4611-a58c-70ad58015a00",  # a well-formed id no listing has
        "/api/v1/services/not-a-uuid",
        "/api/v1/services/" + "a" * 5000,
        "/api/v1/services/%00",
        "/api/v1/services/%27%20OR%201=1--",
        "/api/v1/services/" + quote("{12345678-1234-5678-1234-567812345678}"),
        "/api/v1/organizations/bcc6046b-df40-4b0d-bc73-9920cc8f954a",
        "/api/v1/organizations/1",
        "/api/v1/organizations/%E2%80%AE",
        "/api/v1/nothing-here",
    ],
)
def test_unknown_ids_are_json_404s(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]["status"] == 404
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("query", "bad"),
    [
        ("audience=everyone", "audience"),
        ("category=Z9", "category"),
        ("category=P1&category=nope", "category"),
        ("ats=Atlantide", "ats"),
        ("municipality=999999", "municipality"),
        ("municipality=Paris", "municipality"),
        ("age=-1", "age"),
        ("age=121", "age"),
        ("age=tanti", "age"),
        ("age=8.5", "age"),
        ("cost=cheap", "cost"),
        ("period=winter", "period"),
        ("page=0", "page"),
        ("page=-3", "page"),
        ("page=1001", "page"),
        ("page=99999999999999999999", "page"),
        ("page=two", "page"),
        ("page=%00", "page"),
        ("page=%C2%B2", "page"),  # "²": a digit that int() refuses
        ("age=%E2%91%A0", "age"),  # "①"
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=-20", "per_page"),
        ("lang=fr", "lang"),
        ("organization_id=abc", "organization_id"),
        ("taxonomy_term_id=abc", "taxonomy_term_id"),
        ("modified_after=2020-01-01", "modified_after"),
    ],
)
def test_bad_parameters_are_400s_naming_them(client, query, bad):
    response = client.get(f"/api/v1/services?{query}")
    assert response.status_code == 400
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    error = response.get_json()["error"]
    assert error["status"] == 400 and error["title"] and error["detail"]
    assert list(error["parameters"]) == [bad]
    assert error["parameters"][bad]


def test_every_bad_parameter_is_named_at_once(client):
    error = client.get("/api/v1/services?audience=x&age=300&page=0&per_page=1000").get_json()["error"]
    assert set(error["parameters"]) == {"audience", "age", "page", "per_page"}


@pytest.mark.parametrize(
    "query", ["page=0", "per_page=500", "page=x&per_page=y", "search=anything", "lang=de"]
)
def test_bad_organisation_parameters_are_400s(client, query):
    response = client.get(f"/api/v1/organizations?{query}")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["parameters"]) == {p.split("=")[0] for p in query.split("&")}


def test_bad_lang_on_one_item_is_a_400(client):
    assert client.get(f"/api/v1/services/{uuid.uuid4()}?lang=xx").status_code == 400
    assert client.get(f"/api/v1/organizations/{uuid.uuid4()}?lang=xx").status_code == 400


def test_unknown_municipality_comes_with_suggestions(client):
    error = client.get("/api/v1/services?municipality=Sondro&lang=en").get_json()["error"]
    assert error["parameters"]["municipality"] == "No Lombardy municipality is called “Sondro”."
    assert {"istat_code": "014061", "name": "Sondrio"} in error["suggestions"]["municipality"]


def test_error_messages_in_the_request_language(app):
    english = app.test_client().get("/api/v1/services?age=abc&lang=en").get_json()["error"]
    assert english["title"] == "The request could not be understood"
    assert english["parameters"]["age"] == "The age must be a whole number between 0 and 120."
    by_header = app.test_client().get("/api/v1/services?age=abc", headers={"Accept-Language": "en-GB"})
    assert by_header.get_json()["error"] == english

    italian = app.test_client().get("/api/v1/services?age=abc").get_json()["error"]
    assert italian["title"] == "Non è stato possibile interpretare la richiesta"
    with app.test_request_context("/"), force_locale("it"):
        expected = gettext("The age must be a whole number between 0 and 120.")
    assert italian["parameters"]["age"] == expected
    not_found = app.test_client().get(f"/api/v1/services/{uuid.uuid4()}").get_json()["error"]
    assert not_found["title"] == "Pagina non trovata"


@pytest.mark.parametrize(
    "text",
    [
        "x" * 20_000,
        '"*?:()[]{}^~',
        'centro "estivo',
        "AND OR NOT",
        "title:* OR id:1",
        "\x00\x01\x1b[31m\x7f",
        "\u202e\ufeff\U0001f600 nido",
        "%",
        "' OR 1=1 --",
        "<script>alert(1)</script>",
        "doposcuola sondrio milano bergamo brescia pavia como lecco lodi",
    ],
)
def test_hostile_search_text_never_breaks(make_service, client, text):
    make_service()
    response = client.get("/api/v1/services", query_string={"search": text, "lang": "en"})
    if len(text) > 200 or "\x00" in text:  # longer than documented, or a character no database stores
        assert response.status_code == 400 and list(response.get_json()["error"]["parameters"]) == ["search"]
        return
    assert response.status_code == 200
    assert_page(response.get_json(), SERVICE_LIST)


@pytest.mark.parametrize(
    "params",
    [
        {"audience": "x" * 10_000},
        {"category": ['"*?:()[]{}^~', "\x00"]},
        {"ats": "\x00\x1f" * 50},
        {"municipality": "(" * 5000},
        {"municipality": "0" * 400},
        {"age": "9" * 400},
        {"cost": "*"},
        {"period": "summer OR 1=1"},
        {"page": "1e9"},
        {"per_page": "0x10"},
    ],
)
def test_hostile_filter_values_are_400s(make_service, client, params):
    make_service()
    response = client.get("/api/v1/services", query_string={**params, "lang": "en"})
    assert response.status_code == 400
    assert set(response.get_json()["error"]["parameters"]) == set(params)


def test_unknown_parameters_are_ignored(make_service, client):
    make_service()
    assert client.get("/api/v1/services?utm_source=leaflet&format=json").status_code == 200


# --- headers, index and OpenAPI ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/", "/api/v1/openapi.json", "/api/v1/services", "/api/v1/organizations"]
)
def test_cors_and_security_headers(client, path):
    response = client.get(path, headers={"Origin": "https://www.comune.sondrio.it"})
    assert response.status_code == 200 and response.is_json
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_and_site_pages(client):
    preflight = client.options(
        "/api/v1/services",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Origin" not in client.get("/").headers, "only the API is open to all"
    assert client.post("/api/v1/services").status_code == 405


def test_index(client):
    body = client.get("/api/v1/").get_json()
    assert body["version"] == "3.0"
    assert body["license"]["name"] == "CC BY 4.0"
    assert body["openapi_url"] == "http://localhost/api/v1/openapi.json"
    for link in body["links"].values():
        assert client.get(link).status_code == 200


def _local_refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and value.startswith("#/"):
                yield value
            else:
                yield from _local_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _local_refs(value)


def test_openapi_document_describes_every_endpoint(app, client):
    response = client.get("/api/v1/openapi.json")
    document = json.loads(response.data)
    assert document["openapi"].startswith("3.1")
    served = {
        re.sub(r"<(?:\w+:)?(\w+)>", "{id}", rule.rule.removeprefix("/api/v1")) or "/"
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
    }
    assert set(document["paths"]) == served
    for ref in _local_refs(document):
        node = document
        for part in ref[2:].split("/"):
            node = node[part]  # every local reference resolves
    parameters = document["components"]["parameters"]
    # Empty: as if not given (the search form sends every filter, chosen or not).
    assert parameters["category"]["schema"]["items"]["enum"] == [*taxonomy.codes("categories"), ""]
    assert parameters["audience"]["schema"]["enum"] == [*taxonomy.codes("audiences"), ""]
    assert parameters["period"]["schema"]["enum"] == [*taxonomy.codes("periods"), ""]
    family = {item.get("name"): item for item in document["paths"]["/match/family"]["get"]["parameters"]}
    assert family["language"]["schema"]["enum"] == [*taxonomy.language_codes(), ""]
    assert parameters["ats"]["schema"]["examples"] == list(territory.ATS_NAMES)
    assert parameters["per_page"]["schema"]["anyOf"][0]["maximum"] == 100  # or empty: as if not given
    assert document["components"]["schemas"]["Page"] == _PAGE
    for path, item in document["paths"].items():
        assert "get" in item, path
        assert {"414", "429"} <= set(item["get"]["responses"]), (
            path
        )  # every operation: gunicorn's, the limiter's
        for code, answer in item["get"]["responses"].items():
            assert code in ("200", "301", "400", "404", "414", "429"), (path, code)
            if code == "301":  # a merged organisation's old address: where it leads now
                assert "Location" in answer["headers"], path
            elif "$ref" not in answer:
                assert "application/json" in answer["content"]


def test_sub_ids_are_stable_uuids():
    service_id = "1a17bb9e-d97f-44a5-b274-98ab6085d0e7"
    assert hsds.sub_id(service_id, "phone") == hsds.sub_id(service_id, "phone")
    assert hsds.sub_id(service_id, "phone") != hsds.sub_id(service_id, "contact")
    assert uuid.UUID(hsds.sub_id(service_id, "phone")).version == 5
    assert hsds.term_id("need", "before_school") != hsds.term_id("time_slot", "before_school")


def test_page_envelope():
    assert hsds.page([], total=0, page_number=1, per_page=20) == {
        "total_items": 0,
        "total_pages": 0,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": [],
    }
    middle = hsds.page([{}] * 10, total=45, page_number=2, per_page=10)
    assert (middle["total_pages"], middle["first_page"], middle["last_page"], middle["size"]) == (
        5,
        False,
        False,
        10,
    )


def test_match_family_twin_returns_ranked_matches_with_reasons(demo_app):
    client = demo_app.test_client()
    response = client.get(
        "/api/v1/match/family?municipality=014061&child_age=8&needs=before_school&needs=summer_closure&lang=en"
    )
    assert response.status_code == 200
    data = response.get_json()
    assert data["outcome"] == "matched" and data["profile"]["places"][0]["name"] == "Sondrio"
    scores = [m["score"] for m in data["matches"]]
    assert scores == sorted(scores, reverse=True) and len(scores) >= 2
    assert any("Sondrio" in reason for reason in data["matches"][0]["reasons"])
    assert all(m["service"]["id"] for m in data["matches"])


def test_match_company_twin_and_its_errors(demo_app):
    client = demo_app.test_client()
    data = client.get("/api/v1/match/company?municipality=Cremona&size=small&needs=C3&needs=C6").get_json()
    assert {m["needs"][0] for m in data["matches"]} >= {"C3", "C6"}
    response = client.get("/api/v1/match/family?municipality=Atlantide&child_age=99&needs=flying&lang=en")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["parameters"]) == {"municipality", "child_age", "needs"}
    assert client.get("/api/v1/match/family?lang=en").get_json()["error"]["parameters"].keys() == {
        "municipality",
        "needs",
    }


def _match_ids(client, query: str) -> list[str]:
    response = client.get(f"/api/v1/match/family?{query}")
    assert response.status_code == 200, response.get_json()
    return [m["service"]["id"] for m in response.get_json()["matches"]]


def test_match_twin_returns_the_best_of_each_need_and_pages_through_one(demo_app):
    """At 100,000 listings a questionnaire can fit hundreds of listings: an answer carries a page of them."""
    client = demo_app.test_client()
    asked = "municipality=014061&child_age=8&needs=before_school&needs=summer_closure"
    everything = client.get(f"/api/v1/match/family?{asked}&per_need=50").get_json()
    counts = everything["counts"]
    assert everything["per_need"] == 50 and set(counts) == {"before_school", "summer_closure"}
    assert everything["total"] == len(everything["matches"]) >= max(counts.values()) >= 2
    assert all(m["needs"] for m in everything["matches"])

    best = client.get(f"/api/v1/match/family?{asked}&per_need=1").get_json()
    assert best["total"] == everything["total"] and best["counts"] == counts
    assert 1 <= len(best["matches"]) <= 2  # the best of each need (one listing may answer both)
    for need in counts:
        assert sum(need in m["needs"] for m in best["matches"]) >= 1

    need = max(counts, key=counts.get)
    whole = _match_ids(client, f"{asked}&need={need}&per_need=50")
    assert len(whole) == counts[need]
    pages = [
        _match_ids(client, f"{asked}&need={need}&per_need=1&page={n}") for n in range(1, counts[need] + 1)
    ]
    assert [ids[0] for ids in pages] == whole and all(len(ids) == 1 for ids in pages)
    last = client.get(f"/api/v1/match/family?{asked}&need={need}&per_need=1&page=2").get_json()
    assert (last["need"], last["page"], last["pages"]) == (need, 2, counts[need])
    assert (
        _match_ids(client, f"{asked}&need={need}&per_need=1&page={counts[need] + 1}") == []
    )  # past the last


def test_match_twin_page_without_need_changes_nothing(demo_app):
    client = demo_app.test_client()
    address = "/api/v1/match/family?municipality=014061&needs=before_school&lang=en"
    assert client.get(address + "&page=2").get_json() == client.get(address).get_json()


@pytest.mark.parametrize(
    "query, bad",
    [
        ("per_need=0", "per_need"),
        ("per_need=51", "per_need"),
        ("per_need=ten", "per_need"),
        ("per_need=%C2%B2", "per_need"),
        ("need=before_school&page=0", "page"),
        ("need=summer_closure", "need"),  # not one of the needs asked
    ],
)
def test_match_twin_paging_errors_name_the_parameter(demo_app, query, bad):
    client = demo_app.test_client()
    response = client.get(f"/api/v1/match/family?municipality=014061&needs=before_school&{query}&lang=en")
    assert response.status_code == 400
    parameters = response.get_json()["error"]["parameters"]
    assert list(parameters) == [bad] and parameters[bad].endswith(".")


def test_municipality_suggestions(client):
    data = client.get("/api/v1/municipalities?q=Sondr").get_json()
    assert [m["name"] for m in data["municipalities"]][:1] == ["Sondrio"]
    assert (
        client.get("/api/v1/municipalities?q=Bergammo").get_json()["municipalities"][0]["name"] == "Bergamo"
    )
    assert client.get("/api/v1/municipalities?q=S").status_code == 400


def test_a_one_value_answer_given_twice_or_an_undocumented_flag_is_a_400(demo_app):
    client = demo_app.test_client()
    base = "/api/v1/match/family?municipality=Sondrio&needs=before_school&child_age=7&lang=en"
    assert client.get(base).status_code == 200
    assert client.get(base + "&child_age=9").status_code == 200  # several children: repeated by design
    twice = client.get(base + "&municipality=Milano")
    assert twice.status_code == 400
    assert twice.json["error"]["parameters"]["municipality"] == "“municipality” may be given only once."
    flag = client.get(base + "&free_only=maybe")
    assert flag.status_code == 400 and "free_only" in flag.json["error"]["parameters"]
    assert client.get(base + "&free_only=yes").status_code == 200
