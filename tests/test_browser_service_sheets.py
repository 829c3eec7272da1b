"""Journeys of issue 22 in Chromium, at 390 px and 1,366 px, in Italian and English: the Sondrio carer builds a
list from a search, a service page and an alternative and prints it; the mother sees cost, hours and the next step
on every card and calls from her phone; "In breve" is in the first screen; without JavaScript too; axe-clean.
Screenshots go to ``WELFAREPOINT_SHOTS``/sheets when it is set, to be looked at."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.browser import SHOTS, PageWatch, assert_accessible, screenshot
from welfarepoint.catalog import queries
from welfarepoint.i18n import format_date
from welfarepoint.public import sheets

pytestmark = pytest.mark.browser

PHONE_390 = {"width": 390, "height": 844}
DESKTOP_1366 = {"width": 1366, "height": 900}


def shot(page, name: str, *, full: bool = True) -> None:
    """Keep a screenshot of the page when a folder for them was given."""
    screenshot(page, "sheets", name, full_page=full)


def slug_of(href: str) -> str:
    """The listing a link to a service page leads to."""
    return urlsplit(href).path.rsplit("/", 1)[1]


def what_the_product_says(live_server, slug: str, lang: str) -> dict:
    """What the product says of a listing in a language (its hours in one line, the number a phone dials, the
    address, the first step, the deadline), read with the product's own helpers from the served database."""
    with live_server.app.test_request_context(f"/?lang={lang}"):
        service = queries.service_by_slug(slug)
        steps, _ = service.texts("steps", lang)
        deadline = format_date(service.enrolment_deadline, "long") if service.enrolment_deadline else ""
        return {
            "hours": sheets.hours_line(service),
            "tel": sheets.tel_href(service.phone) if service.phone else "",
            "address": service.address or "",
            "first_step": steps[0] if steps else "",
            "deadline": deadline,
        }


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


#: What the carer reads, in each language.
CARER_WORDS = {
    "it": {
        "add": "Aggiungi alla mia lista",
        "list": "La mia lista di servizi",
        "back": "Torna ai risultati",
        "kept": "Nella tua lista",
        "in_brief": "In breve",
        "alternatives": "Le alternative più vicine",
        "labels": (
            "Chi lo gestisce",
            "Indirizzo",
            "Orari",
            "Costo",
            "Scadenza",
            "Contatti",
            "Come fare domanda",
        ),
        "prepared": "Preparata il {date} con Welfare Point.",
        "send": "Invia la lista per e-mail",
    },
    "en": {
        "add": "Add to my list",
        "list": "My list of services",
        "back": "Back to the results",
        "kept": "In your list",
        "in_brief": "In brief",
        "alternatives": "The nearest alternatives",
        "labels": ("Who runs it", "Address", "Hours", "Cost", "Deadline", "Contacts", "How to apply"),
        "prepared": "Prepared on {date} with Welfare Point.",
        "send": "Send the list by e-mail",
    },
}


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize(
    ("viewport", "size"),
    [pytest.param(PHONE_390, "390", id="390"), pytest.param(DESKTOP_1366, "1366", id="1366")],
)
def test_the_sondrio_carer_builds_a_list_prints_it_and_sends_it(
    open_page, live_server, viewport, size, lang, tmp_path
):
    words = CARER_WORDS[lang]
    page = open_page(viewport, locale="it-IT" if lang == "it" else "en-GB")
    # A search, typed as people type it.
    page.goto(open_page.base + f"/search?q=sportello+caregiver&lang={lang}")
    page.wait_for_load_state()
    first = page.locator(".wp-result").first
    first_title = first.locator(".card-title").inner_text()
    first.get_by_role("link", name=re.compile(words["add"])).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == words["list"]
    assert first_title in page.locator(".wp-dossier-list").inner_text()
    # Back to the results, which carry the list, then into a service page, and add it from there.
    page.get_by_role("link", name=words["back"]).click()
    page.wait_for_load_state()
    assert page.get_by_text(words["kept"]).first.is_visible()
    second = page.locator(".wp-result").nth(1)
    second_title = second.locator(".card-title").inner_text()
    second.locator(".card-title a").click()
    page.wait_for_load_state()
    assert page.locator("h2", has_text=words["in_brief"]).is_visible()
    shot(page, f"carer-service-page-{size}-{lang}", full=False)
    assert_accessible(page)
    page.locator(".wp-in-brief").get_by_role("link", name=re.compile(words["add"])).click()
    page.wait_for_load_state()
    kept = urlsplit(page.url).query.split("&back=")[0]
    # A course for families of people with dementia, which has an enrolment deadline, from one more search.
    page.goto(open_page.base + f"/search?q=formazione+caregiver&lang={lang}&" + kept)
    page.wait_for_load_state()
    course = (
        page.locator(".wp-result")
        .filter(has=page.locator(".wp-next-step", has_text=re.compile("Iscrizioni|Enrol")))
        .first
    )
    course_title = course.locator(".card-title").inner_text()
    course.get_by_role("link", name=re.compile(words["add"])).click()
    page.wait_for_load_state()
    kept = urlsplit(page.url).query.split("&back=")[0]
    # An alternative from the questionnaire: her mother is 82 and nothing of the kind is offered nearby.
    page.goto(
        open_page.base
        + f"/match/family?municipality=014061&cared_age=82&needs=care_at_home&needs=care_respite&lang={lang}&"
        + kept
    )
    page.wait_for_load_state()
    alternatives = page.locator("section.wp-empty")
    assert alternatives.get_by_role("heading", name=words["alternatives"]).is_visible()
    assert_accessible(page)
    add = alternatives.get_by_role("link", name=re.compile(words["add"])).first
    add.click()
    page.wait_for_load_state()
    items = page.locator(".wp-dossier-item")
    assert items.count() == 4
    text = page.locator(".wp-dossier-list").inner_text()
    assert first_title in text and second_title in text and course_title in text
    for label in words["labels"]:
        assert label in text
    assert page.locator("svg.wp-qr").is_visible()
    with live_server.app.test_request_context(f"/?lang={lang}"):
        today = format_date(date.today(), "long")
    assert page.locator(".wp-dossier-meta").inner_text().startswith(words["prepared"].format(date=today))
    assert page.locator(".wp-dossier-answers").is_visible()  # the answers given
    send = page.get_by_role("link", name=words["send"]).get_attribute("href")
    assert send.startswith("mailto:?subject=") and "keep%3D" in send
    assert_accessible(page)
    shot(page, f"carer-list-{size}-{lang}")
    pdf = tmp_path / "lista.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    # What the printed list says (Chromium prints the page as print media shows it; no PDF reader is installed):
    # for each service the address, hours, how to apply, the deadline and the number to call, as the product
    # says them; the buttons and links to change the list are left out.
    page.emulate_media(media="print")
    assert page.locator("svg.wp-qr").is_visible() and page.locator(".wp-dossier-answers").is_visible()
    assert not page.get_by_role("link", name=words["send"]).is_visible()
    deadlines = 0
    for index in range(items.count()):
        item = items.nth(index)
        printed = item.inner_text()
        facts = what_the_product_says(live_server, slug_of(item.locator("h2 a").get_attribute("href")), lang)
        for fact in ("address", "hours", "first_step", "deadline"):
            assert facts[fact] in printed, (fact, facts[fact], printed)
        deadlines += bool(facts["deadline"])
        if facts["tel"]:
            assert item.locator("a[href^='tel:']").get_attribute("href") == facts["tel"]
    assert deadlines >= 1 and words["labels"][4] in page.locator(".wp-dossier-list").inner_text()
    shot(page, f"carer-list-{size}-{lang}-print")
    if SHOTS:
        (Path(SHOTS) / "sheets" / f"carer-list-{size}-{lang}.pdf").write_bytes(pdf.read_bytes())


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize(
    ("viewport", "size"),
    [pytest.param(PHONE_390, "390", id="390"), pytest.param(DESKTOP_1366, "1366", id="1366")],
)
def test_the_mother_sees_cost_hours_and_next_step_on_every_card_and_calls(
    open_page, live_server, viewport, size, lang
):
    page = open_page(viewport, locale="it-IT" if lang == "it" else "en-GB")
    page.goto(
        open_page.base
        + f"/match/family?municipality=015146&child_age=7&needs=before_school&needs=after_school&needs=summer_closure&lang={lang}"
    )
    page.wait_for_load_state()
    cards = page.locator(".wp-result")
    assert cards.count() >= 3
    cost_word, hours_word, next_word = (
        ("Costo:", "Orari di apertura:", "Prossimo passo:")
        if lang == "it"
        else ("Cost:", "Opening hours:", "Next step:")
    )
    with_hours = calls = 0
    for index in range(cards.count()):
        card = cards.nth(index)
        text = card.inner_text()
        assert next_word in text, text
        assert card.locator(
            ".wp-facts li", has_text=re.compile(r"€|Gratuito|Free|contributo|contribution")
        ).count()
        assert (
            card.locator("li").filter(has=page.locator("span.visually-hidden", has_text=cost_word)).count()
            == 1
        )
        facts = what_the_product_says(
            live_server, slug_of(card.locator(".card-title a").get_attribute("href")), lang
        )
        hours = card.locator(".wp-facts li").filter(
            has=page.locator("span.visually-hidden", has_text=hours_word)
        )
        if facts["hours"]:  # the days and times in words, on the card itself
            assert hours.count() == 1 and hours.is_visible()
            assert hours.inner_text().strip().endswith(facts["hours"]), (hours.inner_text(), facts["hours"])
            with_hours += 1
        else:
            assert hours.count() == 0
        call = card.locator("a[href^='tel:']")
        if facts[
            "tel"
        ]:  # the number as a phone dials it: +39 for landlines and mobiles, free numbers as written
            assert call.count() == 1 and call.is_visible() and call.get_attribute("href") == facts["tel"]
            assert re.fullmatch(r"tel:(\+39\d{6,12}|[1-9]\d{3,11})", facts["tel"])
            calls += 1
    assert with_hours >= 1 and calls >= 3
    shot(page, f"mother-results-{size}-{lang}")
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
    page.wait_for_load_state()  # the list's page, whole (a count does not wait)
    assert page.locator(".wp-dossier-item").count() == 1
    page.locator(".wp-dossier-item h2 a").click()
    page.wait_for_load_state()
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


def test_a_carer_without_javascript_switches_language_gets_alternatives_keeps_one_and_rates_a_page(open_page):
    page = open_page(PHONE_390, locale="en-GB", javascript=False)
    # The offer to switch language is a plain link; the choice is then remembered by the next pages.
    page.goto(open_page.base + "/")
    assert page.locator("html").get_attribute("lang") == "it"
    page.locator(".wp-lang-offer").get_by_role("link", name="Read it in English").click()
    assert page.locator("html").get_attribute("lang") == "en" and page.locator(".wp-lang-offer").count() == 0
    # The questionnaire, answered as people type; plain forms carry it from step to step.
    page.goto(open_page.base + "/match/family")
    assert page.locator("html").get_attribute("lang") == "en"
    page.locator("#municipality").fill("  sondrio ")
    page.locator("button[type=submit]").click()
    page.locator("#cared_age").fill("82")
    page.locator("button[type=submit]").click()
    for need in ("care_at_home", "care_respite"):
        page.locator(f"label[for='need-{need}']").click()
    for _ in range(3):  # the remaining steps, each with its own button, until the results
        if not page.locator(
            "form button[type=submit]", has_text=re.compile("Continue|See the services")
        ).count():
            break
        page.locator("form button[type=submit]", has_text=re.compile("Continue|See the services")).click()
    alternatives = page.locator("section.wp-empty")
    assert alternatives.get_by_role("heading", name="The nearest alternatives").is_visible()
    shot(page, "no-js-alternatives-390-en")
    alternative = alternatives.locator(".wp-result").first
    title = alternative.locator(".card-title").inner_text()
    alternative.get_by_role("link", name=re.compile("Add to my list")).click()
    assert page.locator("h1").inner_text() == "My list of services"
    assert (
        page.locator(".wp-dossier-item").count() == 1
        and title in page.locator(".wp-dossier-list").inner_text()
    )
    # The service page's rating form: sent empty it says what to do; with a choice it thanks.
    page.locator(".wp-dossier-item h2 a").click()
    assert page.locator("h2", has_text="In brief").is_visible()
    page.get_by_role("button", name="Send the rating").click()
    assert page.get_by_text("Choose how clear the page is, from 1 to 5, then send.").is_visible()
    page.locator("label[for='score-2']").click()
    page.get_by_role("button", name="Send the rating").click()
    assert page.url.endswith("#rating")
    assert page.get_by_text("Thank you for your answer").is_visible()
    page.locator("#rating").scroll_into_view_if_needed()
    shot(page, "no-js-rated-390-en", full=False)
