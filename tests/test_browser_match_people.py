"""Issue 21's people in a real browser: the Alzano mother, the Sondrio carer whose father lives in Morbegno, the
Cremona firm; at 390 px and 1,366 px, in Italian and English, with and without JavaScript, axe-clean.

Screenshots go to ``WELFAREPOINT_SHOTS``/match when it is set.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests.support.browser import _open_page, assert_accessible, goto, screenshot, tick

pytestmark = pytest.mark.browser

SIZES = [
    pytest.param({"width": 390, "height": 844}, id="390"),
    pytest.param({"width": 1366, "height": 900}, id="1366"),
]


def shoot(page, name: str) -> None:
    screenshot(page, "match", f"{name}-{page.viewport_size['width']}")


@pytest.fixture(params=SIZES)
def sized(request, chromium, live_server):
    context, page, watch = _open_page(chromium, request.param, "it-IT")
    page.base_url = live_server.url
    yield page
    context.close()
    assert not watch.foreign_requests and not watch.errors, (watch.foreign_requests, watch.errors)


@pytest.fixture(params=SIZES)
def no_js(request, chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport=request.param)
    page = context.new_page()
    page.base_url = live_server.url
    yield page
    context.close()


def assert_accessible_without_scripts(chromium, page) -> None:
    """Audit with axe the page a visitor without JavaScript sees.

    axe is a script, and in a context without JavaScript it never finishes; so the same address (every step and
    results page is a GET permalink) is opened in a context that refuses the page's own scripts, which draws
    the page as without JavaScript (no script has run), and axe, injected through DevTools, audits it there.
    """
    context = chromium.new_context(viewport=page.viewport_size, locale="it-IT")
    context.route(
        "**/*",
        lambda route: (
            route.abort()
            if route.request.resource_type == "script" or urlsplit(route.request.url).hostname != "127.0.0.1"
            else route.continue_()
        ),
    )
    try:
        audit = context.new_page()
        audit.base_url = page.base_url
        goto(audit, page.url.removeprefix(page.base_url))
        assert audit.locator("main").inner_text() == page.locator("main").inner_text()  # the same state
        assert_accessible(audit)
    finally:
        context.close()


def test_the_alzano_mother_in_english(sized):
    page = sized
    goto(page, "/match/family?lang=en")
    page.get_by_label("Municipality where you live").fill("alzano")
    page.get_by_label("Municipality where you work").fill("Milan")
    page.get_by_label("Municipality where the children go to school").fill("Alzano Lombardo")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Child 1, age").fill("7")
    page.get_by_label("Child 2, age").fill("12-13")
    page.get_by_role("button", name="Continue").click()
    # The wrong age: same step, both values kept, the summary focused and naming the child.
    assert page.title().startswith("Error:")
    assert page.get_by_label("Child 1, age").input_value() == "7"
    assert page.get_by_label("Child 2, age").input_value() == "12-13"
    page.wait_for_load_state("load")  # the focus moves once the page's script has run
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert "Child 2" in page.locator("#error-summary").inner_text()
    assert_accessible(page)
    shoot(page, "mother-error-en")
    page.get_by_label("Child 2, age").fill("12")
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Continue").click()  # no need ticked: said on this step
    assert (
        page.title().startswith("Error:") and "Tick at least one need." in page.locator("main").inner_text()
    )
    tick(page.get_by_label("Before school starts"))
    tick(page.get_by_label("Summer school closure"))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="See the services").click()
    text = page.locator("main").inner_text()
    assert "For your child aged 7 we found no before-school care." in text
    assert "For your child aged 12 we found no before-school care." in text
    assert "For your child aged 12 we found no summer camp." in text
    assert "km from Alzano Lombardo" in text  # the alternatives say how far
    assert_accessible(page)
    shoot(page, "mother-results-en")


#: What the carer reads and types, in each language.
CARER = {
    "it": {
        "home": "Comune dove vivi",
        "age": "Età della persona di cui ti prendi cura",
        "cared": "Comune dove vive la persona di cui ti prendi cura",
        "needs": (
            "Assistenza a domicilio",
            "Sollievo per chi assiste un familiare",
            "Informazioni e orientamento per caregiver",
        ),
        "continue": "Continua",
        "see": "Vedi i servizi",
        "gap": "Per la persona di cui ti prendi cura, di 84 anni, non abbiamo trovato un servizio di assistenza",
        "km": r"a (\d+) km da Morbegno",
        "widen": "Cerca anche nei comuni vicini",
        "show": "Mostra",
        "widened": r"a \d+ km da (Morbegno|Sondrio) \([^)]*\): trovato cercando entro 30 km",
        "alternatives": "Le alternative più vicine",
    },
    "en": {
        "home": "Municipality where you live",
        "age": "Age of the person you care for",
        "cared": "Municipality where the person you care for lives",
        "needs": ("Care at home", "Respite for family carers", "Information and guidance for carers"),
        "continue": "Continue",
        "see": "See the services",
        "gap": "For the person you care for, aged 84, we found no care at home.",
        "km": r"(\d+) km from Morbegno",
        "widen": "Also look in nearby municipalities",
        "show": "Show",
        "widened": r"\d+ km from (Morbegno|Sondrio) \([^)]*\): found by looking within 30 km",
        "alternatives": "The nearest alternatives",
    },
}


def alternative_distances(page, words) -> list[int]:
    """The distances the nearest alternatives show, in the order shown."""
    section = page.locator('section[aria-labelledby="unmet"]')
    assert words["alternatives"] in section.inner_text()
    lines = section.locator("ol .wp-distance").all_inner_texts()
    return [int(re.search(r"(\d+) km", line).group(1)) for line in lines]


def carer_journey(page, lang: str, audit, shot: str = "") -> None:
    """The Sondrio man whose father, 84, lives in Morbegno: care at home, respite and a carers' desk; nothing
    covers Morbegno, the alternatives are the nearest, and widening to 30 km finds the Chiavenna desk."""
    words = CARER[lang]
    goto(page, f"/match/family?lang={lang}")
    page.get_by_label(words["home"]).fill("Sondrio")
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_label(words["age"]).fill("84")
    page.get_by_label(words["cared"]).fill("Morbegno")
    page.get_by_role("button", name=words["continue"]).click()
    for need in words["needs"]:
        tick(page.get_by_label(need))
    page.get_by_role("button", name=words["continue"]).click()
    page.get_by_role("button", name=words["see"]).click()
    text = page.locator("main").inner_text()
    assert words["gap"] in text
    assert re.search(words["km"], text)  # the alternatives say how far from where the father lives
    distances = alternative_distances(page, words)
    assert distances and distances == sorted(distances)  # nearest first
    assert not re.search(words["widened"], text)
    audit(page)
    shoot(page, f"carer-results-{lang}{shot}")
    page.get_by_label(words["widen"]).select_option("30")
    page.get_by_role("button", name=words["show"]).click()
    page.wait_for_load_state("load")
    assert "radius_km=30" in page.url  # a permalink, as every results page
    assert page.get_by_label(words["widen"]).input_value() == "30"
    found = page.locator(".wp-result").filter(has_text=re.compile(words["widened"]))
    assert found.count() >= 1  # the widened match says it was found by looking within 30 km
    assert "Chiavenna" in found.first.inner_text()
    text = page.locator("main").inner_text()
    assert words["gap"] in text  # care at home is still missing, and said
    distances = alternative_distances(page, words)
    assert distances == sorted(distances)
    audit(page)
    shoot(page, f"carer-widened-{lang}{shot}")


@pytest.mark.parametrize("lang", ["it", "en"])
def test_the_sondrio_carer_widens_the_search(sized, lang):
    carer_journey(sized, lang, assert_accessible)


def test_the_sondrio_carer_in_italian_without_javascript(no_js, chromium):
    carer_journey(no_js, "it", lambda page: assert_accessible_without_scripts(chromium, page), "-nojs")


def test_the_cremona_firm_in_english_gets_areas_with_an_index(sized):
    page = sized
    goto(page, "/match/company?lang=en")
    page.get_by_label("Municipality where the company is").fill("Cremona")
    tick(page.get_by_label("Small (10 to 49 staff)"))
    tick(page.get_by_label("Yes", exact=True))
    page.get_by_role("button", name="Continue").click()
    tick(page.get_by_label("Help building a company welfare plan"))
    tick(page.get_by_label("Training on smart working"))
    tick(page.get_by_label("Pilot smart working in your company"))
    page.get_by_role("button", name="See the services").click()
    text = page.locator("main").inner_text()
    assert "already has a welfare plan" in text
    index = page.get_by_role("navigation", name="In this page")
    assert index.get_by_role("link").count() >= 3
    page.wait_for_load_state("load")  # the page's script closes the areas on a phone
    areas = page.locator("details.wp-area")
    opened = [areas.nth(i).get_attribute("open") is not None for i in range(areas.count())]
    assert all(opened) if page.viewport_size["width"] > 576 else not any(opened)
    shoot(page, "firm-results-en")
    index.get_by_role("link", name="Training on smart working").click()
    assert page.locator("details.wp-area:has(#need-C5)").get_attribute("open") is not None
    lab = page.locator("details.wp-area:has(#need-C5)").inner_text()
    assert "km from Cremona" in lab and "where the company is" in lab
    assert_accessible(page)


def test_the_mother_in_italian_without_javascript(no_js, chromium):
    page = no_js
    goto(page, "/match/family?lang=it")
    page.locator("#municipality").fill("Piacenza")
    page.locator("#work_municipality").fill("Milano")
    page.locator("#school_municipality").fill("alzano")
    page.locator("button[type=submit]").click()
    page.locator("#child_age_0").fill("7")
    page.locator("#child_age_1").fill("12")
    page.locator("button[type=submit]").click()
    tick(page.locator("#need-before_school"))
    tick(page.locator("#need-summer_closure"))
    page.locator("button[type=submit]").click()
    page.locator("button[type=submit]").click()
    text = page.locator("main").inner_text()
    assert "Piacenza non è in Lombardia" in text
    assert "Per tuo figlio di 12 anni non abbiamo trovato un pre-scuola." in text
    assert_accessible_without_scripts(chromium, page)
    shoot(page, "mother-nojs-it")


def test_the_cremona_firm_in_italian_without_javascript(no_js, chromium):
    page = no_js
    goto(page, "/match/company?municipality=019036&size=small&has_plan=no&needs=C3&needs=C5&needs=C6&lang=it")
    assert page.locator("details.wp-area[open]").count() >= 3  # without JavaScript every area stays open
    assert "viene prima l'aiuto a costruirlo" in page.locator("main").inner_text()
    assert_accessible_without_scripts(chromium, page)
    shoot(page, "firm-nojs-it")
