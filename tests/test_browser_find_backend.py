"""The backend side of issue 20 in a real browser, at 390 px and 1,366 px, axe-clean: a region administrator
curates the vocabulary (seeing which searches that found nothing a group would answer), an ATS manager lists a
public route, and the public search uses both at once."""

from __future__ import annotations

import pytest

from tests.support.browser import _open_page, assert_accessible, goto, screenshot
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.extensions import db
from welfarepoint.territory.models import PublicRoute
from welfarepoint.vocabulary.models import SearchSynonym

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"
SIZES = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1366, "height": 900}}


@pytest.fixture(params=list(SIZES))
def page(request, chromium, live_server):
    context, page, watch = _open_page(chromium, SIZES[request.param], "it-IT")
    page.base_url = live_server.url
    page.size_name = request.param
    yield page
    context.close()
    with live_server.app.app_context():  # the live server is shared: leave it as it was
        db.session.execute(db.delete(SearchSynonym))
        db.session.execute(db.delete(PublicRoute))
        db.session.commit()
    assert not watch.foreign_requests and not watch.errors, (watch.foreign_requests, watch.errors)


def account(live_server, email: str, role: str, **where) -> str:
    with live_server.app.app_context():
        if find_user(email) is None:
            create_user(email, PASSWORD, role, **where)
            db.session.commit()
    return email


def sign_in(page, email: str) -> None:
    goto(page, "/manage/login?lang=en")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    screenshot(page, "find", f"{name}-{page.size_name}")


def test_the_administrator_curates_a_group_that_every_search_uses_at_once(page, live_server):
    for _ in range(5):  # a search that finds nothing, often enough to be shown
        goto(page, "/search?q=gnomolandia&lang=en")
    assert "No service found" in page.locator(".wp-result-count").inner_text()
    sign_in(page, account(live_server, "regione@example.org", "admin"))
    goto(page, "/manage/vocabulary?lang=en")
    page.get_by_label("Group").fill("[summer_closure] gnomolandia | estate gnomi")
    page.get_by_role("button", name="Which searches would it answer?").click()
    page.wait_for_load_state()
    assert "“gnomolandia”" in page.locator("main").inner_text()
    assert_accessible(page)
    shot(page, "vocabulary-preview-en")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "gnomolandia" in page.locator("table").inner_text()
    goto(page, "/search?q=gnomolandia&lang=en")
    assert "services found" in page.locator(".wp-result-count").inner_text()


def test_an_ats_manager_lists_a_public_route_that_search_shows(page, live_server):
    sign_in(page, account(live_server, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna"))
    goto(page, "/manage/routes?lang=it")
    page.get_by_label("Ufficio").fill("Ufficio di Piano di Sondrio")
    page.get_by_label("Per che cosa rivolgersi").fill("RSA, ADI, misure B1 e B2")
    page.get_by_label("Telefono").fill("+39 0342 000 999")
    page.get_by_role("button", name="Salva").click()
    page.wait_for_load_state()
    assert "Ufficio di Piano di Sondrio" in page.locator("table").inner_text()
    assert_accessible(page)
    shot(page, "public-routes-it")
    goto(page, "/search?q=rsa+sondrio&lang=it")
    note = page.locator(".wp-outside").inner_text()
    assert "Ufficio di Piano di Sondrio" in note and "misure B1 e B2" in note
    assert_accessible(page)
    shot(page, "rsa-sondrio-public-route-it")
