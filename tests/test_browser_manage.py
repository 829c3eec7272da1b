"""The managers' sign-in in a real browser, axe-clean."""

from __future__ import annotations

import pytest

from tests.browser import assert_accessible, goto
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
    assert page.get_by_role("alert").inner_text() == "The e-mail address or the password is not right."
    assert_accessible(page)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.locator("h1").inner_text() == "Your territory"
    assert "manager of ATS Montagna" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_role("button", name="Sign out").click()
    assert page.locator("h1").inner_text() == "Sign in"


def test_monday_morning_verify_a_listing(page, manager):
    goto(page, "/manage/login?lang=en")
    page.get_by_label("E-mail address").fill(manager)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Published listings to verify").click()
    assert page.locator("h1").inner_text() == "Listings to verify"
    assert_accessible(page)
    page.wait_for_load_state()
    before = page.locator("tbody tr").count()
    assert before >= 1
    page.locator("tbody tr").first.get_by_role("button").click()
    assert page.get_by_role("status").filter(has_text="marked as verified today").is_visible()
    page.wait_for_load_state()
    assert page.locator("tbody tr").count() == before - 1
    page.get_by_role("link", name="Your territory").click()
    page.get_by_role("link", name="Corrections suggested by the public, to read").click()
    assert page.locator("h1").inner_text() == "Corrections from the public"
    assert_accessible(page)
