"""The search page as families, carers and HR offices use it (issue "Find"), on the demo network.

Each test is one of the failures the issue names, asserted by what the listings found answer (their needs, their
coverage), not by their words; the relevance over 301 blind-written queries is ``test_relevance_people.py``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from welfarepoint import search, territory
from welfarepoint.catalog import queries
from welfarepoint.search import Filters


@pytest.fixture
def find(demo_app):
    """Search as the search page does; returns the result and its services."""

    def run(text: str, filters: Filters | None = None, **options):
        result = search.query(text, filters or Filters(), per_page=50, desks_apart=True, **options)
        services = queries.published_services(hit.service_id for hit in result.hits)
        return result, services

    with demo_app.test_request_context():
        yield run


@pytest.fixture
def page(demo_app):
    client = demo_app.test_client()
    return lambda **params: client.get("/search", query_string=params).get_data(as_text=True)


def test_a_summer_camp_search_finds_summer_camps_and_never_a_name_or_a_welfare_point(find):
    for text in ("campo estivo", "campi estivi", "grest", "summer camp", "centri estivi"):
        result, services = find(text)
        assert result.total >= 5, text
        assert all("summer_closure" in s.needs for s in services), text
        assert all(s.category != "W1" for s in services), text


@pytest.mark.parametrize(
    ("text", "needs"),
    [
        ("baby sitter", {"after_school", "before_school", "childcare_costs"}),
        ("tata", {"after_school", "before_school", "childcare_costs"}),
        ("ludoteca", {"educational_activities"}),
        ("ripetizioni gratis", {"homework_support"}),
        ("badante", {"care_at_home", "care_information"}),
        ("after school", {"after_school"}),
    ],
)
def test_the_peoples_words_find_what_they_mean(find, text, needs):
    result, services = find(text)
    assert result.total and result.suggestion is None and result.corrected_from is None
    assert all(needs & set(s.needs) for s in services[:5]), text


@pytest.mark.parametrize("text", ["RSA", "ADI", "invalidità civile", "indennità di accompagnamento"])
def test_needs_outside_the_networks_find_nothing_and_are_named(find, page, text):
    result, _ = find(text)
    assert result.total == 0 and result.outside and result.suggestion is None
    html = page(q=text, lang="it")
    assert "non è tra i servizi delle reti di conciliazione" in html and "Forse cercavi" not in html


def test_a_place_with_nothing_says_what_the_wider_search_finds_and_its_link_drops_the_place(page, find):
    result, _ = find("badante sondrio")
    assert result.total == 0 and result.place.name == "Sondrio"
    ats = result.wider
    assert ats.kind == "ats" and ats.name == "Montagna" and ats.count >= 1 and "sondrio" not in ats.text
    html = page(q="badante sondrio", lang="it")
    assert "Nessuno a Sondrio." in html
    link = re.search(r'href="([^"]+)">\s*\d+ nell&#39;ATS Montagna', html).group(1).replace("&amp;", "&")
    params = parse_qs(urlsplit(link).query)
    assert params["q"] == ["badante"] and params["ats"] == ["Montagna"] and "place" not in params
    wider, services = find(params["q"][0], Filters(ats="Montagna"))
    assert wider.total >= 1 and any("Chiavenna" in s.title for s in services)


def test_summer_camps_near_livigno_are_offered_in_the_whole_ats(find):
    result, _ = find("centro estivo livigno")
    assert result.total == 0 and result.wider.kind == "ats" and result.wider.count >= 2
    wider, services = find(result.wider.text, result.wider.filters)
    assert wider.total == result.wider.count and all("summer_closure" in s.needs for s in services)


def test_welfare_points_are_shown_apart_and_never_counted(find, page):
    result, services = find("centro estivo bergamo")
    assert result.total == 0 and not services
    html = page(q="centro estivo bergamo", lang="it")
    assert (
        "Nessun servizio trovato" in html
        and "Chi può aiutarti" in html
        and "Welfare Point di Bergamo" in html
    )
    asked, found = find("welfare point")
    assert asked.total and all(s.category == "W1" for s in found)


@pytest.mark.parametrize(
    ("text", "place", "kind"),
    [
        ("grest alzano", "Alzano Lombardo", "municipality"),
        ("centro estivo valtellina", "Valtellina", "area"),
        ("summer camp milan", "Milano", "municipality"),
        ("doposcuola seriate (bg)", "Seriate", "municipality"),
        ("post scuola 20900", "Monza", "municipality"),
    ],
)
def test_places_as_people_write_them_show_in_the_place_field_with_a_link_that_removes_them(
    find, page, text, place, kind
):
    result, _ = find(text)
    assert result.place.name == place and result.place.kind == kind
    html = page(q=text, lang="en")
    assert re.search(r'id="place" name="place"[^>]*value="' + re.escape(place) + '"', html)
    chip = (
        re.search(r'<a class="wp-chip" href="([^"]+)">' + re.escape(place), html)
        .group(1)
        .replace("&amp;", "&")
    )
    params = parse_qs(urlsplit(chip).query)
    assert "place" not in params and place.lower() not in params.get("q", [""])[0].lower()


def test_the_place_field_reads_areas_codes_and_postcodes(find):
    for typed in ("Valtellina", "SO", "24027", "Seriate (BG)", "alzano", "provincia di Sondrio"):
        place = territory.resolve_place(typed).place
        assert place is not None and place.in_lombardy, typed


def test_a_word_read_as_a_place_can_be_searched_as_a_word(find):
    result, _ = find("centro estivo bergamo", read_place=False)
    assert result.place is None and result.text == "centro estivo bergamo"


def test_filters_are_in_a_panel_at_the_top_and_active_ones_are_removable_chips(page):
    html = page(q="doposcuola", age="8", cost="free", lang="it")
    panel = html.index('<details class="wp-filter-panel')
    assert panel < html.index('class="wp-results') and panel < html.index("wp-result-count")
    chips = re.findall(r'<a class="wp-chip" href="([^"]+)">', html)
    assert len(chips) == 2
    for chip in chips:
        params = parse_qs(urlsplit(chip.replace("&amp;", "&")).query)
        assert params["q"] == ["doposcuola"] and len({"age", "cost"} & params.keys()) == 1


def test_only_some_words_matched_is_said(page):
    html = page(q="campo estivo xylofonico", lang="it")
    assert "Nessun risultato con tutte le parole; questi contengono solo: campo estivo." in html


def test_open_listings_come_before_waiting_lists_and_full_ones_at_equal_relevance(find):
    result, services = find("", Filters(categories=("P2",)))
    order = {"open": 0, "waiting_list": 1, "full": 2}
    ranks = [order[s.availability] for s in services]
    assert ranks == sorted(ranks) and len(set(ranks)) > 1


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=600), place=st.text(max_size=120))
def test_any_text_and_place_answer_a_page(page, text, place):
    html = page(q=text, place=place, lang="en")
    assert "Search services" in html


@pytest.mark.parametrize(
    "raw", [b"q=%ff%fe%00&place=%c0%af", b"q=" + b"a" * 5000, b"q=%E2%80%AE%D8%A7%D9%84&place=%F0%9F%98%80"]
)
def test_any_bytes_answer_a_page(demo_app, raw):
    response = demo_app.test_client().get("/search?" + raw.decode("latin-1"))
    assert response.status_code == 200
