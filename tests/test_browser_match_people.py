"""Issue 21's people in a real browser: the Alzano mother, the Sondrio carer whose father lives in Morbegno, the
Cremona firm; at 390 px and 1,366 px, in Italian and English, with and without JavaScript, axe-clean.

Screenshots go to ``WELFAREPOINT_SHOTS``/match when it is set.
"""

from __future__ import annotations

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


def test_the_alzano_mother_in_english(sized):
    page = sized
    goto(page, "/match/family?lang=en")
    page.get_by_label("Municipality where you live").fill("alzano")
    page.get_by_label("Municipality where you work").fill("Milan")
    page.get_by_label("Municipality where the children go to school").fill("Alzano Lombardo")
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Child 1, age").fill("7")
    page.get_by_label("Child 2, age").fill("twelve")
    page.get_by_role("button", name="Continue").click()
    # The wrong age: same step, both values kept, the summary focused and naming the child.
    assert page.title().startswith("Error:")
    assert page.get_by_label("Child 1, age").input_value() == "7"
    assert page.get_by_label("Child 2, age").input_value() == "twelve"
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


def test_the_sondrio_carer_in_italian_widens_the_search(sized):
    page = sized
    goto(page, "/match/family?municipality=Sondrio&from_step=place&step=people&lang=it")
    page.get_by_label("Età della persona di cui ti prendi cura").fill("84")
    page.get_by_label("Comune dove vive la persona di cui ti prendi cura").fill("Morbegno")
    page.get_by_role("button", name="Continua").click()
    tick(page.get_by_label("Assistenza a domicilio"))
    tick(page.get_by_label("Sollievo per chi assiste un familiare"))
    page.get_by_role("button", name="Continua").click()
    page.get_by_role("button", name="Vedi i servizi").click()
    text = page.locator("main").inner_text()
    assert "Per la persona di cui ti prendi cura, di 84 anni, non abbiamo trovato" in text
    assert "km da Morbegno" in text
    assert_accessible(page)
    shoot(page, "carer-results-it")
    page.get_by_label("Cerca anche nei comuni vicini").select_option("30")
    page.get_by_role("button", name="Mostra").click()
    assert "radius_km=30" in page.url
    assert_accessible(page)
    shoot(page, "carer-widened-it")


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


def test_the_mother_in_italian_without_javascript(no_js):
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
    shoot(page, "mother-nojs-it")  # axe is a script: the same pages are audited in the journeys with it on


def test_the_cremona_firm_in_italian_without_javascript(no_js):
    page = no_js
    goto(page, "/match/company?municipality=019036&size=small&has_plan=no&needs=C3&needs=C5&needs=C6&lang=it")
    assert page.locator("details.wp-area[open]").count() >= 3  # without JavaScript every area stays open
    assert "viene prima l'aiuto a costruirlo" in page.locator("main").inner_text()
    shoot(page, "firm-nojs-it")
