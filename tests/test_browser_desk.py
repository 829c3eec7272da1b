"""The managers' desk in a real browser (issue 24, point 1): a save after the session expired keeps every typed
word; two managers changing different fields are merged without a question; changing the same field asks once per
field. At 390 and 1,366 px, in Italian and English, axe-clean; screenshots in ``WELFAREPOINT_SHOTS``/save when it is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.support.browser import _open_page, assert_accessible, goto, screenshot, tick
from tests.support.catalog import create_listing, row
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog import workflow
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"
DESCRIPTIONS = json.loads((Path(__file__).parent / "data" / "desk" / "descriptions.json").read_text("utf-8"))
WAYS = [
    pytest.param(({"width": 390, "height": 844}, "it"), id="390-it"),
    pytest.param(({"width": 390, "height": 844}, "en"), id="390-en"),
    pytest.param(({"width": 1366, "height": 900}, "it"), id="1366-it"),
    pytest.param(({"width": 1366, "height": 900}, "en"), id="1366-en"),
]
SAID = {
    "it": {
        "sign in": "Accedi",
        "kept": "quello che avevi scritto è conservato",
        "filled": "ecco tutto quello che avevi scritto",
        "saved": "Le modifiche sono salvate",
        "merged": "le sue modifiche sono state tenute insieme alle tue",
        "conflict": "Qualcun altro ha salvato questa scheda",
        "publish": "Pubblica",
    },
    "en": {
        "sign in": "Sign in",
        "kept": "what you typed is kept",
        "filled": "here is everything you typed",
        "saved": "Your changes are saved",
        "merged": "their changes are kept with yours",
        "conflict": "Someone else saved this listing",
        "publish": "Publish",
    },
}
_used: set[str] = set()


def manager(app, email: str) -> str:
    with app.app_context():
        if find_user(email) is None:
            create_user(email, PASSWORD, "ats_manager", ats="Montagna")
            db.session.commit()
    return email


def fresh_listing(app) -> str:
    """A published Montagna listing of its own for each journey of this run, in a town no other journey asks
    about (the live server is shared: a dozen pre-school listings in Sondrio would push the demo's own out of the
    nurse's results)."""
    with app.app_context():
        number = len(_used) + 1
        service = create_listing(
            row(
                external_id=f"desk-journey-{number}",
                title=f"Centro estivo del desk {number}",
                municipalities="Valfurva",
            )
        )
        db.session.commit()
        uuid = service.uuid
    _used.add(uuid)
    return uuid


def cells(app, uuid: str) -> dict[str, str]:
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=uuid)).unique().scalar_one()
        return workflow.current_cells(service)


def sign_in(page, email: str, lang: str) -> None:
    goto(page, f"/manage/login?lang={lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=SAID[lang]["sign in"]).click()
    page.wait_for_load_state()


def shot(page, name: str) -> None:
    screenshot(page, "save", f"{name}-{page.viewport_size['width']}", full_page=False)


def save(page) -> None:
    page.locator("button[name=action][value=save]").last.click()
    page.wait_for_load_state()


@pytest.fixture(params=WAYS)
def way(request):
    return request.param


@pytest.fixture
def two_pages(way, chromium, live_server):
    """Two managers' browsers of the same size and language."""
    viewport, lang = way
    opened = [_open_page(chromium, viewport, f"{lang}-IT" if lang == "it" else "en-GB") for _ in range(2)]
    for _context, page, _watch in opened:
        page.base_url = live_server.url
    yield opened[0][1], opened[1][1], lang
    for context, _page, watch in opened:
        context.close()
        assert not watch.errors and not watch.foreign_requests, (watch.errors, watch.foreign_requests)


def test_a_save_after_the_session_expired_keeps_every_typed_word(two_pages, live_server):
    page, _other, lang = two_pages
    app = live_server.app
    uuid = fresh_listing(app)
    email = manager(app, "anna@ats-montagna.example.org")
    sign_in(page, email, lang)
    goto(page, f"/manage/services/{uuid}?lang={lang}")
    pasted = DESCRIPTIONS[0]  # pasted from a PDF: smart quotes, bullets with tabs, hard line breaks
    page.locator("#description").fill(pasted["description"])
    page.locator("#schedule_notes").fill(pasted["hours"])
    page.locator("#phone").fill(pasted["phone"])
    page.context.clear_cookies(name="wp_session")  # half an hour on the phone: the session is gone
    save(page)
    assert "/manage/login" in page.url
    assert SAID[lang]["kept"] in page.get_by_role("status").inner_text()
    assert_accessible(page)
    shot(page, f"expired-sign-in-{lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=SAID[lang]["sign in"]).click()
    page.wait_for_load_state()
    assert f"/manage/services/{uuid}" in page.url
    assert SAID[lang]["filled"] in page.get_by_role("status").first.inner_text()
    assert page.locator("#description").input_value() == pasted["description"]
    assert page.locator("#schedule_notes").input_value() == pasted["hours"]
    assert cells(app, uuid)["description"] != pasted["description"]  # not saved behind the editor's back
    assert_accessible(page)
    shot(page, f"expired-form-filled-{lang}")
    save(page)
    # The phone as pasted ("tel. 0342/526111") is refused next to its field; everything else stays typed.
    assert page.locator("#phone-errors").is_visible()
    assert page.locator("#description").input_value() == pasted["description"]
    page.locator("#phone").fill("0342 526111")
    save(page)
    assert SAID[lang]["saved"] in page.get_by_role("status").first.inner_text()
    saved = cells(app, uuid)
    assert saved["description"].replace("\r\n", "\n") == pasted["description"]
    assert saved["phone"] == "0342 526111"


def test_two_managers_changing_different_fields_merge_without_a_question(two_pages, live_server):
    anna, bruno, lang = two_pages
    app = live_server.app
    uuid = fresh_listing(app)
    sign_in(anna, manager(app, "anna@ats-montagna.example.org"), lang)
    sign_in(bruno, manager(app, "bruno@ats-montagna.example.org"), lang)
    for page in (anna, bruno):
        goto(page, f"/manage/services/{uuid}?lang={lang}")
    anna.locator("#phone").fill("0342 526 245")
    save(anna)
    bruno.locator("#schedule_notes").fill("lun–ven 7.30–17.00")
    save(bruno)
    said = bruno.get_by_role("status").first.inner_text()
    assert SAID[lang]["saved"] in said and SAID[lang]["merged"] in said
    assert bruno.locator("#phone").input_value() == "0342 526 245"
    assert bruno.locator("#schedule_notes").input_value() == "lun–ven 7.30–17.00"
    assert_accessible(bruno)
    shot(bruno, f"merged-{lang}")


def test_two_managers_changing_the_same_field_are_asked_once_per_field(two_pages, live_server):
    anna, bruno, lang = two_pages
    app = live_server.app
    uuid = fresh_listing(app)
    sign_in(anna, manager(app, "anna@ats-montagna.example.org"), lang)
    sign_in(bruno, manager(app, "bruno@ats-montagna.example.org"), lang)
    for page in (anna, bruno):
        goto(page, f"/manage/services/{uuid}?lang={lang}")
    anna.locator("#summary").fill("Estate Ragazzi: € 90,00 a settimana, pranzo escluso.")
    anna.locator("#phone").fill("0372 407111")
    save(anna)
    bruno.locator("#summary").fill("Estate Ragazzi: € 88,00 a settimana (pranzo incluso).")
    bruno.locator("#description").fill(DESCRIPTIONS[22]["description"])
    save(bruno)
    assert SAID[lang]["conflict"] in bruno.locator("#conflict-title").inner_text()
    assert bruno.locator("fieldset.wp-merge-choice").count() == 1  # only the summary is asked about
    assert "€ 90,00" in bruno.locator("fieldset.wp-merge-choice").inner_text()
    assert bruno.locator("#summary").input_value() == "Estate Ragazzi: € 88,00 a settimana (pranzo incluso)."
    assert bruno.locator("#phone").input_value() == "0372 407111"  # Anna's, merged without a question
    assert bruno.locator("button[value=publish]").count() == 0  # no status action while the conflict is open
    assert bruno.locator(".wp-workflow").count() == 0
    assert_accessible(bruno)
    shot(bruno, f"conflict-{lang}")
    save(bruno)  # without choosing: asked again, nothing lost
    assert bruno.locator("fieldset.wp-merge-choice .wp-field-errors").count() == 1
    assert bruno.locator("#description").input_value() == DESCRIPTIONS[22]["description"]
    tick(bruno.locator("#keep-summary-mine"))
    save(bruno)
    assert SAID[lang]["saved"] in bruno.get_by_role("status").first.inner_text()
    saved = cells(app, uuid)
    assert saved["summary"] == "Estate Ragazzi: € 88,00 a settimana (pranzo incluso)."
    assert saved["phone"] == "0372 407111"
    assert saved["description"].replace("\r\n", "\n") == DESCRIPTIONS[22]["description"]


@pytest.mark.parametrize("way", [WAYS[1], WAYS[2]], indirect=True)
def test_an_idle_form_warns_before_the_session_ends_and_typing_keeps_it_alive(two_pages, live_server):
    page, _other, lang = two_pages
    app = live_server.app
    uuid = fresh_listing(app)
    sign_in(page, manager(app, "anna@ats-montagna.example.org"), lang)
    page.clock.install()  # the page's clock, moved on by the test: no waiting
    goto(page, f"/manage/services/{uuid}?lang={lang}")
    warning = page.locator("#session-warning")
    assert warning.is_hidden()
    page.clock.fast_forward("26:00")  # idle: 4 minutes left
    assert warning.is_visible() and warning.locator("[data-when=soon]").is_visible()
    assert_accessible(page)
    shot(page, f"session-warning-{lang}")
    with page.expect_response(lambda response: "/manage/session" in response.url) as answer:
        warning.get_by_role("button").click()
    assert answer.value.status == 200
    expect(warning).to_be_hidden()
    # While a form has unsaved changes, the page keeps the session and the form's token alive by itself.
    page.locator("#summary").fill("Una sintesi scritta durante una lunga telefonata.")
    with page.expect_response(lambda response: "/manage/session" in response.url) as answer:
        page.clock.fast_forward("12:00")
    expect(page.locator("input[name=csrf_token]").first).to_have_value(answer.value.json()["csrf_token"])
    expect(warning).to_be_hidden()
