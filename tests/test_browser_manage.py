"""The managers' sign-in in a real browser, axe-clean."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_accessible, goto, tick
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"


@pytest.fixture
def manager(live_server):
    with live_server.app.app_context():
        if find_user("marta@ats-montagna.example.org") is None:
            create_user("marta@ats-montagna.example.org", PASSWORD, "ats_manager", ats="Montagna")
            db.session.commit()
    return "marta@ats-montagna.example.org"


def test_manager_signs_in_sees_the_territory_and_signs_out(page, manager):
    goto(page, "/manage/?lang=en")
    assert page.locator("h1").inner_text() == "Sign in"
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(manager)
    page.get_by_label("Password").fill("not-the-password-1")
    page.get_by_role("button", name="Sign in").click()
    # (From the second failure of the run, the page also says how many attempts are left.)
    assert (
        page.get_by_role("alert").inner_text().startswith("The e-mail address or the password is not right.")
    )
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Your inbox"
    assert "manager of ATS Montagna" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "Sign in"


def test_monday_morning_verify_a_listing(page, manager):
    goto(page, "/manage/login?lang=en")
    page.get_by_label("E-mail address").fill(manager)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="To verify", exact=True).click()
    assert page.locator("h1").inner_text() == "Listings to verify"
    assert_accessible(page)
    page.wait_for_load_state()
    before = page.locator("tbody tr").count()
    assert before >= 1
    tick(page.locator("tbody tr").first.locator("input[type=checkbox]"))
    page.get_by_role("button", name="Mark the chosen as verified today").click()
    assert page.get_by_role("status").filter(has_text="marked as verified today").is_visible()
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() == before - 1
    page.get_by_role("link", name="Corrections", exact=True).click()
    assert page.locator("h1").inner_text() == "Corrections from the public"
    assert_accessible(page)


def sign_in(page, email: str, lang: str = "en") -> None:
    goto(page, f"/manage/login?lang={lang}")
    page.get_by_label("E-mail address" if lang == "en" else "Indirizzo e-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in" if lang == "en" else "Accedi").click()
    page.wait_for_load_state()


@pytest.fixture
def editor(live_server):
    from welfarepoint.catalog.models import Alliance

    with live_server.app.app_context():
        alliance = db.session.execute(db.select(Alliance.name).filter_by(ats="Montagna")).scalars().first()
        if find_user("luca@alleanza-montagna.example.org") is None:
            create_user("luca@alleanza-montagna.example.org", PASSWORD, "alliance_editor", alliance=alliance)
            db.session.commit()
    return "luca@alleanza-montagna.example.org"


def test_an_editor_submits_a_summer_camp_the_manager_fixes_publishes_and_finds_it(page, manager, editor):
    # The alliance's editor writes a new summer camp and submits it (one per window size: the server is shared).
    title = f"Centro estivo Le Marmotte {page.viewport_size['width']}"
    sign_in(page, editor)
    page.get_by_role("link", name="Listings", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_role("link", name="New listing").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "New listing"
    page.get_by_label("Title (Italian)").fill(title)
    page.get_by_label("Summary (Italian)").fill("Settimane estive per bambini: giochi, escursioni, compiti.")
    page.get_by_label("Who it is for").select_option("persons")
    page.get_by_label("Category").select_option("P2")
    tick(page.get_by_label("Summer school closure"))
    tick(page.get_by_label("Summer", exact=True))  # no period is ticked by itself
    page.get_by_label("Municipalities covered").fill("Edolo")
    page.get_by_label("From age").fill("6")
    page.get_by_label("To age").fill("4")  # a slip: the manager will fix it
    page.get_by_label("Cost", exact=True).select_option("contribution")
    page.get_by_label("Provider", exact=True).fill("Cooperativa Le Marmotte")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    # The range is upside down: the form says so and keeps everything typed.
    assert page.get_by_role("alert").filter(has_text="not saved yet").is_visible()
    assert page.get_by_label("Title (Italian)").input_value() == title
    assert_accessible(page)
    page.get_by_label("To age").fill("11")
    page.get_by_label("Type of provider").select_option("non_profit")
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="submitted for review").is_visible()
    assert page.get_by_role("button", name="Publish").count() == 0
    assert_accessible(page)

    # The manager finds it waiting, previews it, fixes the age range and publishes.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_load_state()
    sign_in(page, manager)
    page.get_by_role("link", name="Waiting for review").click()
    page.wait_for_load_state()
    page.get_by_role("link", name=title).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Preview").click()
    page.wait_for_load_state()
    assert title in page.locator("h1").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Back to the form").click()
    page.wait_for_load_state()
    page.get_by_label("To age").fill("12")
    page.get_by_role("button", name="Publish now").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").filter(has_text="the public can find it now").is_visible()
    page.get_by_role("link", name="History").click()
    page.wait_for_load_state()
    assert page.get_by_text("Published ·").count() >= 1
    assert_accessible(page)

    # A second later, the public search finds it.
    goto(page, "/search?q=centro+estivo+marmotte&lang=en")
    assert page.get_by_role("link", name=title).count() == 1


def test_the_other_backend_pages_are_accessible(page, manager, tmp_path):
    sign_in(page, manager)
    for name in ("Organisations", "Alliances"):
        page.get_by_role("link", name=name, exact=True).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == name
        assert_accessible(page)
    page.locator("tbody a").first.click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Members").count() == 1
    assert_accessible(page)
    # A spreadsheet with a bad row: the report names it.
    sheet = tmp_path / "alleanza.csv"
    sheet.write_text(
        "external_id,title,audience,category,ats,cost,provider\nX-1,Doposcuola,persons,P9,Montagna,free,Ente\n"
    )
    page.get_by_role("link", name="Import", exact=True).click()
    page.wait_for_load_state()
    page.get_by_label("File (Excel or CSV)").set_input_files(str(sheet))
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_load_state()
    assert "nothing was imported" in page.get_by_role("alert").inner_text()
    assert_accessible(page)
    goto(page, "/manage/services?lang=it")
    assert page.locator("h1").inner_text() == "Schede"
    assert_accessible(page)


def test_insights_dashboard_monitoring_overlaps_and_open_data(page, manager, live_server):
    from welfarepoint.insights.counters import count_questionnaire

    with live_server.app.app_context():
        for _ in range(12):
            count_questionnaire("persons", "Montagna", {"after_school": "unmet", "summer_closure": "matched"})
    sign_in(page, manager)
    page.get_by_role("link", name="Demand and supply").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Demand and supply: ATS Montagna"
    assert page.locator("svg.wp-chart").count() == 3
    assert page.get_by_role("img", name="Requests by need: found something, found nothing").count() == 1
    assert_accessible(page)
    page.get_by_role("link", name="Monitoring table for the Region").click()
    page.wait_for_load_state()
    assert "Monitoring table" in page.locator("h1").inner_text()
    assert_accessible(page)
    goto(page, "/manage/insights/overlaps?lang=en")
    assert page.locator("h1").inner_text() == "Listings that overlap"
    assert_accessible(page)
    for lang, heading in (("it", "Dati aperti"), ("en", "Open data")):
        goto(page, f"/open-data?lang={lang}")
        assert page.locator("h1").inner_text() == heading
        assert_accessible(page)


def test_the_regional_officer_compares_the_eight_ats(page, live_server):
    with live_server.app.app_context():
        if find_user("regione@example.org") is None:
            create_user("regione@example.org", PASSWORD, "admin")
            db.session.commit()
    sign_in(page, "regione@example.org")
    goto(page, "/manage/insights?lang=en")
    assert page.get_by_role("heading", name="The eight ATS side by side").count() == 1
    assert_accessible(page)
    page.get_by_label("ATS", exact=True).select_option("Pavia")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Demand and supply: ATS Pavia"
