"""The managers' desk (issue 24): the inbox of each role, send-back reasons, correction notes, the history's
labels and export, "verified with the provider today"."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.support.manage import form_data, token
from welfarepoint.catalog import operations, workflow
from welfarepoint.catalog.models import Feedback, Revision, Service
from welfarepoint.extensions import db

EDITOR = "luca@alleanza.example.org"
ALLIANCE = "Alleanza Valtellina Insieme"
REASON = "Manca l'orario del sabato; scrivi anche il costo mensile."


def section(page: str, name: str) -> str:
    """The text of the inbox's section ``name`` (tags dropped)."""
    match = re.search(rf'id="{name}".*?</section>', page, re.S)
    assert match, f"no section {name}"
    return re.sub(r"<[^>]+>", " ", match.group(0))


@pytest.fixture
def desk(app, make_service, make_user):
    """Listings of every kind the inbox shows, in ATS Montagna (one alliance's) and one in Pavia."""
    today = date.today()
    with app.app_context():
        ids = {}

        def make(key, **cells):
            checked = cells.pop("last_verified", "2026-11-01")
            service = make_service(external_id=key, alliance=cells.pop("alliance", ALLIANCE), **cells)
            service.last_verified = date.fromisoformat(checked)  # days relative to the real today
            db.session.flush()
            ids[key] = service.id
            return service

        make("overdue", title="Doposcuola mai verificato", last_verified="2020-01-01")
        make("fresh", title="Centro estivo verificato", last_verified=(today - timedelta(days=3)).isoformat())
        review = make("review", title="Ludoteca in revisione", status="draft")
        workflow.submit(review, None, author=EDITOR)
        held = make("held", title="Pre-scuola con modifiche")
        workflow.save(held, workflow.listing_from_cells({**workflow.current_cells(held), "summary": "Nuovo."}),
                      author=EDITOR)  # fmt: skip
        coming = make("coming", title="Campus di Natale", last_verified=today.isoformat())
        coming.enrolment_deadline = today + timedelta(days=5)
        passed = make("passed", title="Settimane verdi", last_verified=today.isoformat())
        passed.enrolment_deadline = today - timedelta(days=3)
        make("twin-1", title="Spazio compiti", last_verified=today.isoformat())
        make("twin-2", title="Spazio compiti", last_verified=today.isoformat())
        # Saved before "all year" with a season was refused (the form and imports refuse it now): still listed.
        odd = make(
            "odd", title="Campo estivo tutto l'anno", periods="summer", last_verified=today.isoformat()
        )
        odd.periods = ["summer", "all_year"]
        make("pavia", title="Doposcuola di Pavia", ats="Pavia", municipalities="Pavia", alliance="",
             last_verified="2020-01-01")  # fmt: skip
        own = db.session.get(Service, ids["overdue"])
        operations.suggest_correction(
            own, "contacts", "Il telefono non risponde mai, quello giusto finisce in 99."
        )
        operations.suggest_correction(
            db.session.get(Service, ids["pavia"]), "cost", "Costa 40 euro al mese, non e gratuito."
        )
        db.session.commit()
        uuids = {key: db.session.get(Service, value).uuid for key, value in ids.items()}
    make_user("alliance_editor", alliance=ALLIANCE)
    return uuids


def test_a_manager_s_inbox_lists_each_kind_of_item_of_the_territory_only(desk, auth):
    page = auth("ats_manager").get("/manage/?lang=en").text
    review = section(page, "review")
    assert "Ludoteca in revisione" in review and f"submitted by {EDITOR}" in review
    held = section(page, "held")
    assert "Pre-scuola con modifiche" in held and f"saved by {EDITOR}" in held
    overdue = section(page, "overdue")
    assert "Doposcuola mai verificato" in overdue and "Centro estivo verificato" not in overdue
    assert "+39 0342 000 1234" in overdue and "info@sentiero.example.org" in overdue
    assert re.search(r"\d+ days", overdue)
    corrections = section(page, "corrections")
    assert "Address, phone or e-mail are wrong" in corrections and "finisce in 99" in corrections
    assert f"/manage/services/{desk['overdue']}#corrections" in page  # to the form, not the public page
    deadlines = section(page, "deadlines")
    assert "Campus di Natale" in deadlines and "in 5 days" in deadlines
    assert "Settimane verdi" in deadlines and "passed 3 days ago" in deadlines
    doubts = section(page, "doubts")
    assert "Campo estivo tutto l&#39;anno" in doubts and "Centro estivo verificato" not in doubts
    duplicates = auth("ats_manager").get("/manage/duplicates?lang=en").text
    assert "“Spazio compiti” is the title of 2 listings of ATS Montagna" in duplicates
    assert "Pavia" not in overdue and "40 euro" not in corrections


def test_an_alliance_editor_sees_and_verifies_the_alliance_s_overdue_listings_and_corrections(
    app, desk, auth
):
    editor = auth("alliance_editor", alliance=ALLIANCE)
    page = editor.get("/manage/?lang=en").text
    assert 'id="review"' not in page  # reviewing is a manager's
    assert "Doposcuola mai verificato" in section(page, "overdue")
    assert "finisce in 99" in section(page, "corrections")
    assert editor.get("/manage/verify").status_code == 200
    assert editor.get("/manage/feedback").status_code == 200
    edit = editor.get(f"/manage/services/{desk['overdue']}?lang=en").text
    assert "Overdue" in edit or "Never checked" in edit
    assert "finisce in 99" in edit and "Note for the history" in edit
    saved = editor.post(
        f"/manage/services/{desk['overdue']}",
        data=form_data(app, desk["overdue"], edit, phone="+39 0342 000 1299", verified_today="1"),
    )
    assert saved.status_code == 302
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=desk["overdue"])).unique().scalar_one()
        assert service.last_verified == date.today() and service.last_verified_by == EDITOR
        assert service.draft["cells"]["phone"] == "+39 0342 000 1299"  # held for a manager's review


def test_send_back_asks_a_reason_keeps_the_change_the_editor_s_and_tells_the_editor(app, desk, auth):
    with app.app_context():
        held = db.session.execute(db.select(Service).filter_by(uuid=desk["held"])).unique().scalar_one()
        workflow.submit(held, None, author=EDITOR)
        db.session.commit()
        version = held.version
    manager = auth("ats_manager")
    edit = manager.get(f"/manage/services/{desk['held']}?lang=en").text
    asked = manager.post(
        f"/manage/services/{desk['held']}/status",
        data={"csrf_token": token(edit), "version": version, "action": "send_back"},
    )
    assert asked.status_code == 200 and "Why you send it back" in asked.text and EDITOR in asked.text
    empty = manager.post(
        f"/manage/services/{desk['held']}/send-back?lang=en",
        data={"csrf_token": token(edit), "version": version, "reason": "   "},
    )
    assert empty.status_code == 400 and "Write why you send it back" in empty.text
    with app.app_context():
        assert (
            db.session.execute(db.select(Service.version).filter_by(uuid=desk["held"])).scalar_one()
            == version
        )
    sent = manager.post(
        f"/manage/services/{desk['held']}/send-back",
        data={"csrf_token": token(edit), "version": version, "reason": REASON},
    )
    assert sent.status_code == 302
    with app.app_context():
        held = db.session.execute(db.select(Service).filter_by(uuid=desk["held"])).unique().scalar_one()
        assert held.draft["author"] == EDITOR and held.draft["submitted"] is False
        revision = held.revisions[-1]
        assert (revision.action, revision.note, revision.addressee, revision.changes) == (
            "send_back", REASON, EDITOR, {},
        )  # fmt: skip
    editor = auth("alliance_editor", alliance=ALLIANCE)
    inbox = section(editor.get("/manage/?lang=en").text, "sent-back")
    assert "Pre-scuola con modifiche" in inbox and "sabato" in inbox
    history = editor.get(f"/manage/services/{desk['held']}/history?lang=en").text
    assert "Sent back to the editor" in history and "sabato" in history
    with app.app_context():  # once submitted again, it is no longer "sent back to you"
        held = db.session.get(Service, held.id)
        workflow.submit(held, None, author=EDITOR)
        db.session.commit()
    assert 'id="sent-back"' not in editor.get("/manage/?lang=en").text


def test_a_listing_in_review_sent_back_goes_to_its_submitter_as_a_draft(app, desk, auth):
    manager = auth("ats_manager")
    edit = manager.get(f"/manage/services/{desk['review']}").text
    with app.app_context():
        version = db.session.execute(db.select(Service.version).filter_by(uuid=desk["review"])).scalar_one()
    manager.post(
        f"/manage/services/{desk['review']}/send-back",
        data={"csrf_token": token(edit), "version": version, "reason": REASON},
    )
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=desk["review"])).unique().scalar_one()
        assert service.status == "draft"
        last = service.revisions[-1]
        assert (last.action, last.addressee, last.note) == ("send_back", EDITOR, REASON)


def test_a_correction_is_closed_only_with_a_note_which_goes_into_the_history(app, desk, auth):
    manager = auth("ats_manager")
    with app.app_context():
        item = db.session.execute(db.select(Feedback).filter_by(kind="contacts")).scalar_one()
        item_id = item.id
    edit = manager.get(f"/manage/services/{desk['overdue']}?lang=en").text
    refused = manager.post(
        f"/manage/feedback/{item_id}",
        data={"csrf_token": token(edit), "outcome": "resolved", "note": "  ", "next": "edit"},
        follow_redirects=True,
    )
    assert "Write a note" in refused.text
    with app.app_context():
        assert db.session.get(Feedback, item_id).status == "open"
    closed = manager.post(
        f"/manage/feedback/{item_id}",
        data={
            "csrf_token": token(edit),
            "outcome": "resolved",
            "note": "Numero corretto: 0342 000 1299",
            "next": "edit",
        },
    )
    assert closed.status_code == 302 and closed.headers["Location"].endswith("/manage/")
    history = manager.get(f"/manage/services/{desk['overdue']}/history?lang=en").text
    assert "Correction from the public resolved" in history
    assert "Numero corretto: 0342 000 1299" in history and "finisce in 99" in history
    with app.app_context():
        item = db.session.get(Feedback, item_id)
        assert (item.status, item.note) == ("resolved", "Numero corretto: 0342 000 1299")


def test_the_history_shows_the_form_s_labels_and_is_exported_as_csv_and_xlsx(app, desk, auth):
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=desk["fresh"])).unique().scalar_one()
        changed = {
            **workflow.current_cells(service),
            "title": "Centro estivo = nuovo",
            "periods": "summer;easter",
        }
        workflow.publish(
            service, workflow.listing_from_cells(changed), author="anna@ats-montagna.example.org"
        )
        db.session.commit()
    manager = auth("ats_manager")
    history = manager.get(f"/manage/services/{desk['fresh']}/history?lang=en").text
    assert "Title (Italian)" in history and "Periods" in history and "Summer" in history
    assert '<th scope="row">title</th>' not in history and "summer;" not in history
    exported = manager.get(f"/manage/services/{desk['fresh']}/history.csv?lang=en")
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["When", "What", "By", "Version", "Field", "Before", "After", "Note"]
    assert ["Published", "Title (Italian)", "Centro estivo verificato", "Centro estivo = nuovo"] in [
        [row[1], row[4], row[5], row[6]] for row in rows
    ]
    excel = manager.get(f"/manage/services/{desk['fresh']}/history.csv?excel=1&lang=en").text
    assert excel.startswith("\ufeff") and "'=" not in excel.split("Centro estivo")[0]
    sheet = load_workbook(
        io.BytesIO(manager.get(f"/manage/services/{desk['fresh']}/history.xlsx?lang=en").data)
    )
    values = [[cell.value for cell in row] for row in sheet.active.iter_rows()]
    assert values[0][:3] == ["When", "What", "By"]
    assert any(row[4] == "Title (Italian)" and row[6] == "Centro estivo = nuovo" for row in values[1:])
    with app.app_context():
        assert (
            db.session.execute(db.select(Revision).filter_by(action="publish")).scalars().first() is not None
        )


#: What the public and the managers wrote, as a helper who never read the code wrote them (tests/data/desk).
BLIND = json.loads((Path(__file__).parent / "data" / "desk" / "reasons.json").read_text("utf-8"))
#: The kinds the blind writer named, as the public form offers them.
BLIND_KINDS = {
    "wrong_phone": "contacts",
    "closed_service": "closed",
    "wrong_hours": "hours",
    "wrong_price": "cost",
    "other": "other",
}


def test_corrections_and_notes_as_people_write_them_reach_the_history_word_for_word(app, desk, auth):
    with app.app_context():
        slug = db.session.execute(db.select(Service.slug).filter_by(uuid=desk["fresh"])).scalar_one()
    pairs = list(zip(BLIND["public_corrections"], BLIND["correction_resolved_notes"], strict=True))
    visitor = app.test_client()
    for number, (correction, _note) in enumerate(pairs):
        page = visitor.get(f"/services/{slug}")
        sent = visitor.post(
            f"/services/{slug}/feedback",
            data={
                "csrf_token": token(page.text),
                "kind": BLIND_KINDS[correction["kind"]],
                "message": correction["text"],
            },
            environ_base={"REMOTE_ADDR": f"10.0.0.{number + 1}"},  # one visitor each, within the public limit
        )
        assert sent.status_code in (302, 303), (correction["text"], sent.text[:300])
    manager = auth("ats_manager")
    edit = manager.get(f"/manage/services/{desk['fresh']}?lang=it").text
    with app.app_context():
        waiting = {
            item.message: item.id
            for item in db.session.execute(db.select(Feedback).filter_by(status="open")).scalars()
        }
    for correction, note in pairs:
        closed = manager.post(
            f"/manage/feedback/{waiting[correction['text'].strip()]}",
            data={"csrf_token": token(edit), "outcome": "resolved", "note": note["text"], "next": "edit"},
        )
        assert closed.status_code == 302, (note["text"], closed.text[:300])
    history = html.unescape(manager.get(f"/manage/services/{desk['fresh']}/history?lang=it").text)
    for correction, note in pairs:
        assert correction["text"].strip() in history and note["text"].strip() in history
