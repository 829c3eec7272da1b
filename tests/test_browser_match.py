"""The questionnaires in a real browser: the journeys of docs/journeys.md, in both languages, with and without JS."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import assert_accessible, goto, tick, wait_until

pytestmark = pytest.mark.browser


def test_nurse_in_sondrio_finds_before_school_and_summer_care(page):
    goto(page, "/?lang=en")
    page.get_by_role("link", name="Find the services for your family").click()
    assert_accessible(page)
    page.get_by_label("Municipality where you live").fill("Sondr")
    page.get_by_role("button", name="Continue").click()
    # "Sondr" is not a municipality: the step comes back with suggestions to pick from.
    tick(page.get_by_label("Sondrio (SO)"))
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Child 1, age").fill("8")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    tick(page.get_by_label("Before school starts"))
    tick(page.get_by_label("Summer school closure"))
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    assert_accessible(page)
    page.get_by_role("button", name="See the services").click()
    assert page.locator("h1").inner_text() == "Services for your family"
    assert "done" not in page.url and "municipality=014061" in page.url
    cards = page.locator(".wp-result")
    page.wait_for_load_state()
    assert cards.count() >= 2
    reasons = page.locator(".wp-reasons").first.inner_text()
    assert "Sondrio" in reasons and "8" in reasons
    page.wait_for_load_state()
    assert page.locator(".badge", has_text="Full").count() >= 1
    assert_accessible(page)
    boxes = page.get_by_label("Keep in my list")
    tick(boxes.nth(0))
    tick(boxes.nth(1))
    page.get_by_role("button", name="Make a list of the ones I ticked").click()
    assert page.locator("h1").inner_text() == "My list of services"
    page.wait_for_load_state()
    assert page.locator(".wp-dossier-item").count() == 2
    assert (
        page.get_by_role("link", name="Send the list by e-mail")
        .get_attribute("href")
        .startswith("mailto:?subject=")
    )
    assert_accessible(page)


def test_carer_in_como_working_in_milan_and_changing_an_answer(page):
    goto(
        page,
        "/match/family?municipality=013075&work_municipality=015146&cared_age=82&needs=care_accompaniment&needs=care_respite&needs=care_information&lang=en",
    )
    text = page.locator("main").inner_text()
    assert "Como" in text and "Milano" in text
    page.wait_for_load_state()
    assert page.locator(".wp-result").count() >= 3
    page.get_by_role("link", name="Change needs").click()
    assert page.get_by_label("Respite for family carers").is_checked()
    tick(page.get_by_label("Respite for family carers"), checked=False)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="See the services").click()
    assert "care_respite" not in page.url and "work_municipality=015146" in page.url


def test_nothing_fits_says_so_and_shows_alternatives_and_welfare_points(page):
    goto(
        page, "/match/family?municipality=017028&child_age=9&needs=after_school&lang=en"
    )  # Breno, Valcamonica
    assert page.get_by_role("heading", name="What we could not find").is_visible()
    assert page.get_by_role("heading", name="Talk to a Welfare Point").is_visible()
    assert_accessible(page)


def test_hr_office_in_cremona_gets_a_plan_outline(page):
    goto(page, "/match/company?lang=en")
    page.get_by_label("Municipality where the company is").fill("Cremona")
    tick(page.get_by_label("Small (10 to 49 staff)"))
    tick(page.get_by_label("No", exact=True))
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    tick(page.get_by_label("Help building a company welfare plan"))
    tick(page.get_by_label("Pilot smart working in your company"))
    tick(page.get_by_label("Join or build a conciliation agreement"))
    assert_accessible(page)
    page.get_by_role("button", name="See the services").click()
    page.wait_for_load_state()
    assert page.locator(".wp-result").count() >= 3
    assert_accessible(page)
    for section in page.locator("main form section").all()[:3]:
        area = section.locator("details.wp-area")
        if area.count() and area.get_attribute("open") is None:
            area.locator("summary").click()  # on a phone the areas start closed
        tick(section.get_by_label("Keep in my list").first)
    page.get_by_role("button", name="Build a plan outline with the ones I ticked").click()
    assert page.locator("h1").inner_text() == "Outline of a company welfare plan"
    page.wait_for_load_state()
    assert page.locator("main h2").count() >= 2
    assert_accessible(page)


def test_family_questionnaire_in_italian_without_javascript(chromium, live_server):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 375, "height": 740})
    try:
        page = context.new_page()
        page.goto(live_server.url + "/match/family?lang=it")
        page.locator("#municipality").fill("Sondrio")
        page.locator("button[type=submit]").click()
        page.locator("#child_age_0").fill("8")
        page.locator("button[type=submit]").click()
        tick(page.locator("#need-before_school"))
        page.locator("button[type=submit]").click()
        page.locator("button[type=submit]").click()
        assert page.locator("html").get_attribute("lang") == "it"
        page.wait_for_load_state()
        assert page.locator(".wp-result").count() >= 1
    finally:
        context.close()


def test_company_questionnaire_in_italian(page):
    goto(page, "/match/company?lang=it")
    page.get_by_label("Comune dove ha sede l'impresa").fill("Brescia")
    tick(page.get_by_label("Grande (250 addetti e oltre)"))
    page.get_by_role("button", name="Continua").click()
    tick(page.get_by_label("Un maggiordomo aziendale per le commissioni dei dipendenti"))
    tick(page.get_by_label("Accordi con i servizi del territorio per i tuoi dipendenti"))
    page.get_by_role("button", name="Vedi i servizi").click()
    assert page.locator("h1").inner_text() == "Servizi di welfare aziendale per te"
    page.wait_for_load_state()
    assert page.locator(".wp-result").count() >= 2
    assert_accessible(page)


def test_municipality_names_are_suggested_while_typing(page):
    goto(page, "/match/family?lang=en")
    page.get_by_label("Municipality where you live").press_sequentially("Sondr", delay=50)
    wait_until(page, "document.querySelectorAll('#wp-municipalities-0 option').length > 0")
    options = page.eval_on_selector_all("#wp-municipalities-0 option", "nodes => nodes.map(n => n.value)")
    assert "Sondrio" in options and "Sondalo" in options


def test_a_family_pages_through_every_service_of_one_need_and_comes_back(page, monkeypatch):
    from welfarepoint.public import questionnaires

    monkeypatch.setattr(questionnaires, "MATCHES_PER_NEED", 1)  # the demo network has few per need
    goto(page, "/match/family?municipality=014061&child_age=8&needs=summer_closure&lang=en")
    assert page.locator(".wp-result").count() == 1
    see_all = page.get_by_role("link", name=re.compile(r"See all \d+ services for this need"))
    total = int(re.search(r"\d+", see_all.inner_text()).group())
    see_all.click()
    assert page.get_by_text(f"Services 1 to 1 of {total} for this need.").is_visible()
    assert_accessible(page)
    page.get_by_role("navigation", name="Pages of services for this need").get_by_role(
        "link", name="Next"
    ).click()
    assert page.get_by_text(f"Services 2 to 2 of {total} for this need.").is_visible()
    assert page.locator(".wp-result").count() == 1
    page.get_by_role("link", name="Back to all your results").click()
    assert page.get_by_role("link", name=re.compile("See all")).is_visible()
