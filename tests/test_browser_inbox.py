"""The managers' desk in a real browser (issue 24): a correction goes from the inbox to the form and back with
its note in the history; a submission is sent back with a reason the editor reads; overdue listings are verified
in bulk. At phone and desktop sizes, in Italian and English, axe-clean; screenshots in ``WELFAREPOINT_SHOTS``/inbox when it is set."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.browser import assert_accessible, goto, screenshot, tick
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog import operations, workflow
from welfarepoint.catalog.models import Alliance, Feedback, Service
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"
MANAGER = "marta@ats-montagna.example.org"
EDITOR = "elena@alleanza-montagna.example.org"
WORDS = {
    "it": {
        "sign_in": "Accedi", "inbox": "Le tue attività", "corrected": "Corretta", "history": "Cronologia",
        "note": "Nota per la cronologia (che cosa hai fatto)", "send_button": "Rimanda con questo motivo",
        "reason": "Perché la rimandi", "sent_back": "Rimandate a te", "verify": "Segna le scelte come verificate oggi",
        "email": "Indirizzo e-mail",
    },
    "en": {
        "sign_in": "Sign in", "inbox": "Your inbox", "corrected": "Corrected", "history": "History",
        "note": "Note for the history (what you did)", "send_button": "Send back with this reason",
        "reason": "Why you send it back", "sent_back": "Sent back to you", "verify": "Mark the chosen as verified today",
        "email": "E-mail address",
    },
}  # fmt: skip


def shot(page, name: str) -> None:
    screenshot(page, "inbox", f"{name}-{page.viewport_size['width']}")


@pytest.fixture
def people(live_server):
    """A manager of ATS Montagna and an editor of one of its alliances."""
    with live_server.app.app_context():
        query = db.select(Alliance).where(Alliance.ats == "Montagna").order_by(Alliance.id)
        alliance = db.session.execute(query).scalars().first()
        if find_user(MANAGER) is None:
            create_user(MANAGER, PASSWORD, "ats_manager", ats="Montagna")
        if find_user(EDITOR) is None:
            create_user(EDITOR, PASSWORD, "alliance_editor", alliance=alliance.name)
        db.session.commit()
        return {"alliance_id": alliance.id}


def sign_in(page, email: str, language: str) -> None:
    goto(page, f"/manage/login?lang={language}")
    page.get_by_label(WORDS[language]["email"]).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=WORDS[language]["sign_in"]).click()
    assert page.locator("h1").inner_text() == WORDS[language]["inbox"]


def a_listing(app, number: int, **where) -> tuple[int, str, str]:
    """The ``number``-th published Montagna listing matching ``where``: id, uuid, title."""
    with app.app_context():
        query = db.select(Service.id, Service.uuid, Service.title).filter_by(status="published", **where)
        rows = db.session.execute(query.where(Service.ats == "Montagna").order_by(Service.id)).all()
        return tuple(rows[number % len(rows)])


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_correction_goes_from_the_inbox_to_the_form_and_back_with_its_note(
    page, live_server, people, language
):
    width = page.viewport_size["width"]
    number = {"it": 0, "en": 1}[language] + (2 if width < 500 else 0)
    service_id, uuid, title = a_listing(live_server.app, number)
    message = f"Il sabato e chiuso, non aperto fino alle 12 ({language} {width})"
    with live_server.app.app_context():
        operations.suggest_correction(db.session.get(Service, service_id), "hours", message)
        db.session.commit()
    sign_in(page, MANAGER, language)
    corrections = page.locator("#corrections")
    assert message in corrections.inner_text()
    shot(page, f"inbox-{language}")
    assert_accessible(page)
    corrections.get_by_role("link", name=title).first.click()
    assert f"/manage/services/{uuid}" in page.url  # the form, not the public page
    panel = page.locator("aside#corrections")
    assert message in panel.inner_text()
    form = panel.locator("form").filter(has=page.get_by_text(WORDS[language]["note"])).last
    form.get_by_label(WORDS[language]["note"]).fill("Telefonato all'ente: orario del sabato corretto")
    shot(page, f"correction-panel-{language}")
    assert_accessible(page)
    form.get_by_role("button", name=WORDS[language]["corrected"]).click()
    assert page.locator("h1").inner_text() == WORDS[language]["inbox"]
    assert message not in page.locator("#corrections").inner_text()
    goto(page, f"/manage/services/{uuid}/history?lang={language}")
    history = page.locator("main").inner_text()
    assert "Telefonato all'ente: orario del sabato corretto" in history and message in history
    shot(page, f"history-{language}")
    assert_accessible(page)
    with live_server.app.app_context():
        item = db.session.execute(db.select(Feedback).filter_by(message=message)).scalar_one()
        assert item.status == "resolved" and item.resolved_by == MANAGER


@pytest.mark.parametrize("language", ["it", "en"])
def test_send_back_with_a_reason_the_editor_reads(page, live_server, people, language):
    width = page.viewport_size["width"]
    number = {"it": 0, "en": 1}[language] + (2 if width < 500 else 0)
    service_id, uuid, title = a_listing(live_server.app, number, alliance_id=people["alliance_id"])
    with live_server.app.app_context():
        service = db.session.get(Service, service_id)
        changed = workflow.listing_from_cells(
            {**workflow.current_cells(service), "summary": f"Nuovo riassunto {language} {width}"}
        )
        workflow.submit(service, changed, author=EDITOR)
        db.session.commit()
    sign_in(page, MANAGER, language)
    review = page.locator("#review")
    assert title in review.inner_text() and EDITOR in review.inner_text()
    review.locator("li").filter(has_text=title).first.get_by_role("link").nth(1).click()
    page.get_by_role("button", name=WORDS[language]["send_button"]).click()  # no reason: asked again
    assert page.get_by_role("alert").is_visible()
    shot(page, f"send-back-error-{language}")
    assert_accessible(page)
    reason = "Manca l'orario del sabato; scrivi anche il costo mensile"
    page.get_by_label(WORDS[language]["reason"]).fill(reason)
    page.get_by_role("button", name=WORDS[language]["send_button"]).click()
    assert f"/manage/services/{uuid}" in page.url
    # The page the redirect leads to must have answered before the cookies are cleared: a late answer sets the
    # manager's session cookie again, under the editor's sign-in form ("the form has expired", seen under load).
    page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    sign_in(page, EDITOR, language)
    sent_back = page.locator("#sent-back")
    assert sent_back.get_by_role("heading").inner_text().startswith(WORDS[language]["sent_back"])
    assert reason in sent_back.inner_text() and title in sent_back.inner_text()
    shot(page, f"sent-back-editor-{language}")
    assert_accessible(page)
    with live_server.app.app_context():
        service = db.session.get(Service, service_id)
        assert service.draft["author"] == EDITOR and not service.draft["submitted"]


@pytest.mark.parametrize("language", ["it", "en"])
def test_overdue_listings_are_verified_in_bulk(page, live_server, people, language):
    with live_server.app.app_context():
        rows = (
            db.session.execute(
                db.select(Service)
                .where(Service.ats == "Montagna", Service.status == "published")
                .order_by(Service.id.desc())
                .limit(2)
            )
            .unique()
            .scalars()
        )
        chosen = []
        for service in rows:
            service.last_verified = None  # never checked: first in the list
            chosen.append((service.id, service.uuid))
        db.session.commit()
    sign_in(page, MANAGER, language)
    overdue = page.locator("#overdue")
    for _, uuid in chosen:
        tick(overdue.locator(f"#pick-{uuid}"))
    shot(page, f"bulk-ticked-{language}")
    overdue.get_by_role("button", name=WORDS[language]["verify"]).click()
    assert page.get_by_role("status").filter(has_text="2").first.is_visible()
    shot(page, f"bulk-done-{language}")
    assert_accessible(page)
    with live_server.app.app_context():
        for service_id, _ in chosen:
            assert db.session.get(Service, service_id).last_verified == date.today()
