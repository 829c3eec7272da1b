"""Journeys of issue 22 in Chromium, at 390 px and 1,366 px, in Italian and English: the Sondrio carer builds a
list from a search, a service page and an alternative and prints it; the mother sees cost, hours and the next step
on every card and calls from her phone; "In breve" is in the first screen; without JavaScript too; axe-clean.
Screenshots go to ``WELFAREPOINT_SHOTS``/sheets when it is set, to be looked at."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.browser import SHOTS, PageWatch, assert_accessible, screenshot

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1366 = {"width": 1366, "height": 900}


def shot(page, name: str, *, full: bool = True) -> None:
    """Keep a screenshot of the page when a folder for them was given."""
    screenshot(page, "sheets", name, full_page=full)


@pytest.fixture
def open_page(chromium, live_server):
    """Open pages at a given size and language, each watched for foreign requests, script errors and CSP."""
    opened = []

    def open_(viewport: dict, locale: str = "it-IT", javascript: bool = True):
        context = chromium.new_context(viewport=viewport, locale=locale, java_script_enabled=javascript)
        context.route(
            lambda url: urlsplit(url).hostname not in (None, "127.0.0.1"), lambda route: route.abort()
        )
        page = context.new_page()
        watch = PageWatch()
        page.on("request", watch.on_request)
        page.on("console", watch.on_console)
        page.on("response", watch.on_response)
        page.on("pageerror", watch.on_page_error)
        page.set_default_timeout(10_000)
        opened.append((context, watch))
        return page

    open_.base = live_server.url
    yield open_
    for context, watch in opened:
        context.close()
        assert not watch.foreign_requests, watch.foreign_requests
        assert not watch.errors, watch.errors


@pytest.mark.parametrize(
    ("viewport", "size"),
    [pytest.param(PHONE_390, "390", id="390"), pytest.param(DESKTOP_1366, "1366", id="1366")],
)
def test_the_sondrio_carer_builds_a_list_prints_it_and_sends_it(open_page, viewport, size, tmp_path):
    page = open_page(viewport)
    # A search, typed as people type it.
    page.goto(open_page.base + "/search?q=sportello+caregiver")
    page.wait_for_load_state()
    first = page.locator(".wp-result").first
    first_title = first.locator(".card-title").inner_text()
    first.get_by_role("link", name=re.compile("Aggiungi alla mia lista")).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "La mia lista di servizi"
    assert first_title in page.locator(".wp-dossier-list").inner_text()
    # Back to the results, which carry the list, then into a service page, and add it from there.
    page.get_by_role("link", name="Torna ai risultati").click()
    page.wait_for_load_state()
    assert page.get_by_text("Nella tua lista").first.is_visible()
    second = page.locator(".wp-result").nth(1)
    second_title = second.locator(".card-title").inner_text()
    second.locator(".card-title a").click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text="In breve").is_visible()
    shot(page, f"carer-service-page-{size}-it", full=False)
    assert_accessible(page)
    page.locator(".wp-in-brief").get_by_role("link", name=re.compile("Aggiungi alla mia lista")).click()
    page.wait_for_load_state()
    kept = page.url
    # An alternative from the questionnaire: her mother is 82 and nothing of the kind is offered nearby.
    page.goto(
        open_page.base
        + "/match/family?municipality=014061&cared_age=82&needs=care_at_home&needs=care_respite&"
        + urlsplit(kept).query.split("&back=")[0]
    )
    page.wait_for_load_state()
    alternatives = page.locator("section.wp-empty")
    assert alternatives.get_by_role("heading", name="Le alternative più vicine").is_visible()
    add = alternatives.get_by_role("link", name=re.compile("Aggiungi alla mia lista")).first
    add.click()
    page.wait_for_load_state()
    items = page.locator(".wp-dossier-item")
    assert items.count() == 3
    text = page.locator(".wp-dossier-list").inner_text()
    assert first_title in text and second_title in text
    for label in ("Chi lo gestisce", "Orari", "Costo", "Contatti"):
        assert label in text
    assert page.locator("svg.wp-qr").is_visible()
    assert re.search(r"Preparata il \d+ \w+ \d{4}", page.locator(".wp-dossier-meta").inner_text())
    assert page.locator(".wp-dossier-answers").is_visible()  # the answers given
    send = page.get_by_role("link", name="Invia la lista per e-mail").get_attribute("href")
    assert send.startswith("mailto:?subject=") and "keep%3D" in send
    assert_accessible(page)
    shot(page, f"carer-list-{size}-it")
    pdf = tmp_path / "lista.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    page.emulate_media(media="print")
    shot(page, f"carer-list-{size}-print")
    if SHOTS:
        (Path(SHOTS) / "sheets" / f"carer-list-{size}.pdf").write_bytes(pdf.read_bytes())


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_mother_sees_cost_hours_and_next_step_on_every_card_and_calls(open_page, lang):
    page = open_page(PHONE_390, locale="it-IT" if lang == "it" else "en-GB")
    page.goto(
        open_page.base
        + f"/match/family?municipality=015146&child_age=7&needs=before_school&needs=after_school&needs=summer_closure&lang={lang}"
    )
    page.wait_for_load_state()
    cards = page.locator(".wp-result")
    assert cards.count() >= 3
    cost_word, next_word = ("Costo:", "Prossimo passo:") if lang == "it" else ("Cost:", "Next step:")
    for index in range(cards.count()):
        card = cards.nth(index)
        text = card.inner_text()
        assert next_word in text, text
        assert card.locator(
            ".wp-facts li", has_text=re.compile(r"€|Gratuito|Free|contributo|contribution")
        ).count()
        assert card.locator(".wp-facts .icon").count() >= 3
        assert (
            card.locator("li").filter(has=page.locator("span.visually-hidden", has_text=cost_word)).count()
            == 1
        )
        if card.locator("a[href^='tel:']").count():
            href = card.locator("a[href^='tel:']").first.get_attribute("href")
            assert re.fullmatch(r"tel:\+39\d{6,12}", href)
    assert page.locator(".wp-result a[href^='tel:']").count() >= 3
    shot(page, f"mother-results-390-{lang}")
    assert_accessible(page)


@pytest.mark.parametrize("lang", ["it", "en"])
def test_in_brief_is_in_the_first_screen_of_a_phone(open_page, lang):
    page = open_page(PHONE_390)
    page.goto(open_page.base + f"/search?q=pre-scuola&lang={lang}")
    page.locator(".wp-result .card-title a").first.click()
    page.wait_for_load_state()
    box = page.locator(".wp-in-brief").bounding_box()
    assert box is not None and box["y"] < 844 - 200  # its heading and first facts show without scrolling
    cost = page.locator(".wp-in-brief-facts dd").nth(2).bounding_box()
    assert cost["y"] + cost["height"] < 844 * 1.5
    shot(page, f"service-first-screen-390-{lang}", full=False)
    assert_accessible(page)


def test_the_page_index_opens_beside_the_sections_on_a_desktop_and_rating_works(open_page):
    page = open_page(DESKTOP_1366, locale="en-GB")
    page.goto(open_page.base + "/search?q=respite&lang=en")
    page.locator(".wp-result .card-title a").first.click()
    page.wait_for_load_state()
    assert page.locator(".wp-page-index details").get_attribute("open") is not None
    page.get_by_role("link", name="Costs", exact=True).click()
    assert page.url.endswith("#cost")
    page.locator("label[for='score-4']").click()
    page.get_by_role("button", name="Send the rating").click()
    page.wait_for_load_state()
    assert page.get_by_text("Thank you for your answer").is_visible()
    shot(page, "service-1366-en")
    assert_accessible(page)


def test_a_list_and_a_service_page_work_without_javascript(open_page):
    page = open_page(PHONE_390, javascript=False)
    page.goto(open_page.base + "/search?q=centro+estivo&lang=it")
    page.locator(".wp-result").first.get_by_role("link", name=re.compile("Aggiungi alla mia lista")).click()
    assert page.locator(".wp-dossier-item").count() == 1
    page.locator(".wp-dossier-item h2 a").click()
    assert page.locator("h2", has_text="In breve").is_visible()
    page.get_by_text("Indice della pagina").click()  # <details> opens without a script
    assert page.get_by_role("link", name="Cosa serve").is_visible()


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("path", ["/legal-notes", "/accessibility", "/list?keep=none"])
def test_legal_pages_and_an_empty_list_are_accessible(open_page, path, lang):
    for viewport in (PHONE_390, DESKTOP_1366):
        page = open_page(viewport)
        page.goto(open_page.base + f"{path}{'&' if '?' in path else '?'}lang={lang}")
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page)


def test_an_english_phone_lands_in_italian_with_an_offer_in_english(open_page):
    page = open_page(PHONE_390, locale="en-GB")
    page.goto(open_page.base + "/")
    assert page.locator("html").get_attribute("lang") == "it"
    offer = page.locator(".wp-lang-offer")
    assert offer.get_attribute("lang") == "en" and "This site is also in English." in offer.inner_text()
    shot(page, "language-offer-390", full=False)
    assert_accessible(page)
    offer.get_by_role("link", name="Read it in English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en" and page.locator(".wp-lang-offer").count() == 0
    page.goto(open_page.base + "/privacy")
    assert page.locator("html").get_attribute("lang") == "en"
