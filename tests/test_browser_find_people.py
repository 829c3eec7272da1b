"""The failures of the issue "Find" as journeys in a real browser, now succeeding: at 390 px and 1,366 px, in
Italian and English, axe-clean, and without JavaScript. Screenshots go to ``WELFAREPOINT_SHOTS``/find when it is set."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import _open_page, assert_accessible, goto, screenshot

pytestmark = pytest.mark.browser

SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=list(SIZES))
def page(request, chromium, live_server):
    context, page, watch = _open_page(chromium, SIZES[request.param], "it-IT")
    page.base_url = live_server.url
    page.size_name = request.param
    yield page
    context.close()
    assert not watch.foreign_requests and not watch.errors, (watch.foreign_requests, watch.errors)


def shot(page, name: str) -> None:
    screenshot(page, "find", f"{name}-{page.size_name}")


def search(page, text: str, language: str = "it") -> None:
    goto(page, f"/search?lang={language}")
    what = "Cosa stai cercando?" if language == "it" else "What are you looking for?"
    page.get_by_label(what).fill(text)
    page.get_by_role("button", name="Cerca" if language == "it" else "Search").first.click()
    page.wait_for_load_state()


def test_campo_estivo_finds_summer_camps_only(page):
    search(page, "campo estivo")
    assert re.match(r"\d+ servizi trovati", page.locator(".wp-result-count").inner_text())
    categories = page.locator(".wp-results .wp-result-category").all_inner_texts()
    assert categories and {c.lower() for c in categories} == {
        "pre e post scuola e periodi di chiusura scolastica"
    }
    assert "Cardano al Campo" not in page.locator(".wp-results").inner_text()
    assert_accessible(page)
    shot(page, "campo-estivo-it")


def test_well_spelled_words_are_not_corrected(page):
    for text in ("chi tiene i bambini", "mio padre", "mia madre", "scuole chiuse"):
        search(page, text)
        assert "Forse cercavi" not in page.locator("main").inner_text(), text
    shot(page, "chi-tiene-i-bambini-it")


@pytest.mark.parametrize("language", ["it", "en"])
def test_badante_sondrio_leads_to_the_carers_desk_in_the_ats(page, language):
    search(page, "badante sondrio", language)
    main = page.locator("main").inner_text()
    assert ("Nessuno a Sondrio." if language == "it" else "None in Sondrio.") in main
    assert page.locator("#place").input_value() == "Sondrio" and page.locator("#q").input_value() == "badante"
    assert_accessible(page)
    shot(page, f"badante-sondrio-{language}")
    page.locator(".wp-wider a").first.click()
    page.wait_for_load_state()
    assert "sondrio" not in page.url.lower() and "ats=Montagna" in page.url
    assert "Chiavenna" in page.locator(".wp-results").inner_text()
    assert_accessible(page)
    shot(page, f"badante-ats-montagna-{language}")


def test_centro_estivo_livigno_offers_the_camps_of_the_ats(page):
    search(page, "centro estivo livigno")
    page.locator(".wp-wider a").first.click()
    page.wait_for_load_state()
    assert page.locator(".wp-results > li").count() >= 2
    assert "Sondrio" in page.locator(".wp-results").inner_text()
    shot(page, "centro-estivo-livigno-wider-it")


def test_centro_estivo_bergamo_counts_no_welfare_point(page):
    search(page, "centro estivo bergamo")
    assert page.locator(".wp-result-count").inner_text().startswith("Nessun servizio trovato")
    help_box = page.locator(".wp-desks-box").inner_text()
    assert "Chi può aiutarti" in help_box and "Welfare Point di Bergamo" in help_box
    assert page.locator(".wp-results").count() == 0
    assert_accessible(page)
    shot(page, "centro-estivo-bergamo-it")


@pytest.mark.parametrize(
    ("text", "language", "place"),
    [("grest alzano", "it", "Alzano Lombardo"), ("valtellina centro estivo", "it", "Valtellina"),
     ("summer camp Milan", "en", "Milano")],
)  # fmt: skip
def test_a_place_in_the_text_shows_in_the_place_field_and_its_chip_removes_it(page, text, language, place):
    search(page, text, language)
    assert page.locator("#place").input_value() == place
    chip = page.locator(".wp-chip", has_text=place)
    assert chip.is_visible()
    assert_accessible(page)
    shot(page, f"place-{place.split()[0].lower()}-{language}")
    chip.click()
    page.wait_for_load_state()
    assert page.locator("#place").input_value() == ""
    assert place.split()[0].lower() not in page.locator("#q").input_value().lower()


def test_filters_on_a_phone_sit_at_the_top_and_show_as_chips(page):
    search(page, "doposcuola")
    panel = page.locator("details.wp-filter-panel")
    assert panel.bounding_box()["y"] < page.locator(".wp-results").bounding_box()["y"]
    page.get_by_text("Filtra i risultati").click()
    page.get_by_label("Età della persona che ha bisogno del servizio").fill("8")
    page.get_by_role("button", name="Applica filtri").click()
    page.wait_for_load_state()
    chip = page.locator(".wp-chip", has_text="Età 8")
    assert chip.is_visible() and chip.bounding_box()["y"] < page.locator(".wp-results").bounding_box()["y"]
    assert_accessible(page)
    shot(page, "filters-chip-it")
    chip.click()
    page.wait_for_load_state()
    assert "age=" not in page.url and page.locator(".wp-chip").count() == 0


@pytest.mark.parametrize(("text", "language"), [("RSA", "it"), ("nursing home", "en")])
def test_needs_outside_the_networks_point_to_public_routes(page, text, language):
    search(page, text, language)
    note = page.locator(".wp-outside").inner_text()
    assert "INPS" in note and "ASST" in note
    assert "Forse cercavi" not in page.locator("main").inner_text()
    assert_accessible(page)
    shot(page, f"outside-{text.split()[0].lower()}-{language}")


def test_people_journeys_work_without_javascript(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport=SIZES["phone"])
    try:
        page = context.new_page()
        page.goto(live_server.url + "/search?lang=en")
        page.get_by_label("What are you looking for?").fill("badante sondrio")
        page.get_by_role("button", name="Search").first.click()
        page.wait_for_load_state()
        assert page.locator("#place").input_value() == "Sondrio"
        page.locator(".wp-wider a").first.click()
        page.wait_for_load_state()
        assert "Chiavenna" in page.locator(".wp-results").inner_text()
        page.get_by_text("Filter the results").click()
        page.get_by_label("Age of the person who needs the service").fill("80")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_load_state()
        page.locator(".wp-chip", has_text="Age 80").click()
        page.wait_for_load_state()
        assert "age=" not in page.url
        screenshot(page, "find", "no-javascript-badante-en-phone")
    finally:
        context.close()
