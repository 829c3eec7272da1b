"""The site in a real browser: both languages, phone and desktop, keyboard, no JavaScript, axe-clean."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_accessible, goto, wait_until

pytestmark = pytest.mark.browser

PAGES = ["/", "/accessibility", "/privacy", "/report-a-problem", "/nowhere"]


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_pages_are_accessible_in_both_languages(page, path, lang):
    response = goto(page, f"{path}?lang={lang}")
    assert response.status == (404 if path == "/nowhere" else 200)
    assert page.locator("html").get_attribute("lang") == lang
    assert_accessible(page)


def test_home_offers_what_the_service_does_and_switches_language(page):
    goto(page, "/")
    assert page.locator("h1").inner_text() == "Trova i servizi che ti aiutano a conciliare lavoro e famiglia"
    page.get_by_role("link", name="ENG English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Find the services that help you balance work and family"
    # The choice is remembered on the next page.
    page.get_by_role("link", name="Privacy notice", exact=True).click()
    assert page.locator("h1").inner_text() == "Privacy notice"


def test_skip_link_is_the_first_stop_and_moves_to_the_content(page):
    goto(page, "/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('href')")
    assert focused == "#main-content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main-content"


def test_fonts_and_styles_are_served_by_the_site(page):
    goto(page, "/")
    family = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "Titillium Web" in family
    wait_until(page, "document.fonts.status === 'loaded'")
    assert page.evaluate("document.fonts.check('16px \"Titillium Web\"')")


def test_site_works_without_javascript(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/?lang=en")
        page.get_by_role("link", name="Accessibility statement").click()
        assert page.locator("h1").inner_text() == "Accessibility statement"
        page.get_by_role("link", name="ITA Italiano").click()
        assert page.locator("h1").inner_text() == "Dichiarazione di accessibilità"
    finally:
        context.close()


def test_no_horizontal_scrolling_on_a_phone(chromium, live_server):
    context = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        page = context.new_page()
        for path in PAGES:
            page.goto(live_server.url + path)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    finally:
        context.close()
