"""Finding services in a real browser: search, filter, open a service, suggest a correction, switch language."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import assert_accessible, goto, tick

pytestmark = pytest.mark.browser


def test_search_filter_and_open_a_service(page):
    goto(page, "/")
    page.get_by_label("Cosa stai cercando?").fill("centro estivo")
    page.get_by_role("button", name="Cerca").first.click()
    page.wait_for_url("**/search?q=centro+estivo*")
    count = page.locator(".wp-result-count").inner_text()
    assert "trovat" in count
    form = page.locator(".wp-search-form").bounding_box()
    card = page.locator(".wp-result").first.bounding_box()  # in line with the form, none sticking out
    assert abs(card["x"] - form["x"]) < 1 and card["x"] + card["width"] <= form["x"] + form["width"] + 1
    assert_accessible(page)
    page.get_by_label("Dove").fill("Sondrio")
    page.get_by_role("button", name="Cerca").first.click()
    page.wait_for_url("**place=Sondrio*")
    assert "Sondrio" in page.locator(".wp-result-count").inner_text()
    first = page.locator(".wp-results h3 a").first
    title = first.inner_text()
    first.click()
    assert page.locator("h1").inner_text() == title
    headings = page.locator(".wp-service-sections h2").all_inner_texts()
    assert headings[:3] == ["A chi è rivolto", "Descrizione", "Come fare"]
    data = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert data["@type"] == "Service" and data["name"] == title
    assert_accessible(page)


def test_english_search_finds_italian_listings(page):
    goto(page, "/search?q=after+school+care&lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    page.wait_for_load_state()
    assert page.locator(".wp-results > li").count() > 0
    assert_accessible(page)


def test_typo_is_corrected_and_said(page):
    goto(page, "/search?q=doposcula")
    page.wait_for_load_state()
    assert page.locator(".wp-results > li").count() > 0
    assert "doposcuola" in page.locator(".wp-note").first.inner_text()


def test_nothing_found_shows_ways_forward(page):
    goto(page, "/search?q=ippoterapia+subacquea&municipality=017028&lang=en")  # Breno
    assert page.get_by_text("No service found").is_visible()
    assert page.get_by_text("None in Breno.").is_visible()  # and no wider search: none finds anything
    assert page.get_by_role("link", name="Look in all of Lombardy").is_visible()
    assert page.get_by_role("link", name="All the Welfare Points").is_visible()
    assert_accessible(page)


def test_suggest_a_correction(page):
    goto(page, "/search?q=sportello+caregiver")
    page.locator(".wp-results h3 a").first.click()
    page.get_by_label("Cosa è sbagliato?").select_option("hours")
    page.get_by_label("Cosa dovrebbe esserci scritto?").fill("corto")
    page.get_by_role("button", name="Invia il suggerimento").click()
    page.wait_for_load_state()
    assert page.locator(".wp-field-errors").count() == 1
    assert_accessible(page)
    page.get_by_label("Cosa dovrebbe esserci scritto?").fill(
        "Il giovedì lo sportello apre alle 9, non alle 10."
    )
    page.get_by_role("button", name="Invia il suggerimento").click()
    assert page.get_by_role("status").filter(has_text="Grazie").is_visible()


def test_welfare_points_by_territory(page):
    goto(page, "/welfare-points")
    page.get_by_label("Il tuo comune").fill("Breno")
    page.get_by_role("button", name="Mostra").click()
    assert "ATS Montagna" in page.locator("main").inner_text()
    page.wait_for_load_state()
    assert page.locator("main h2").count() == 1
    assert_accessible(page)


def test_search_works_without_javascript(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live_server.url + "/?lang=en")
        page.get_by_label("What are you looking for?").fill("summer camp")
        page.get_by_role("button", name="Search").first.click()
        page.wait_for_load_state()
        assert page.locator(".wp-results > li").count() > 0
        page.get_by_text("Filter the results").click()  # the filter panel, a <details>
        tick(page.get_by_label("Free only"))
        page.get_by_role("button", name="Apply filters").click()
        assert "cost=free" in page.url
        page.locator(".wp-results h3 a").first.click()
        page.wait_for_load_state()
        assert page.locator("h1").count() == 1
    finally:
        context.close()
