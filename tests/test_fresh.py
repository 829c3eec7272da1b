"""Freshness by e-mail (issue 25, points 4 and 5), with the real mail path (the outbox folder), real signed links
and real requests: the digests (who gets one, what it names, once a day), "still correct" and "needs changes"
from the e-mail without signing in, links refused, the second reminder and "no answer" in the inbox, a public
correction forwarded (and nothing about the visitor) and answered from the e-mail."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.mail import html_of, links_in, outbox, smtp_config, text_of
from tests.support.manage import token
from welfarepoint import mail
from welfarepoint.accounts.models import User
from welfarepoint.catalog import workflow
from welfarepoint.catalog.models import Feedback, Organisation, Revision, Service
from welfarepoint.extensions import db
from welfarepoint.freshness import links
from welfarepoint.freshness.digests import send_digests
from welfarepoint.freshness.models import Reminder
from welfarepoint.freshness.recipients import providers_of

DATA = Path(__file__).parent / "data" / "mail"
PROVIDER = "anna.rossi@girasole.example.org"
CONTACT = "info@aurora.example.org"
SILENT = "parroco@sanrocco.example.org"
MANAGER = "anna@ats-montagna.example.org"
ALLIANCE = "Alleanza Valmalenco Test"
VISITOR_ADDRESS = "203.0.113.77"
VISITOR_BROWSER = "VisitorBrowser/9.1 (Linux; visitor-marker)"


def days_ago(number: int) -> str:
    return (date.today() - timedelta(days=number)).isoformat()


@pytest.fixture
def world(app, make_service, make_user):
    """Three providers of ATS Montagna: one with a provider account (in English), one without an account whose
    contact address a manager allows, one without either; listings overdue, due soon and not due; a manager."""
    make_user("ats_manager")
    with app.app_context():
        ids = {}
        for key, title, provider, email, verified in (
            (
                "overdue",
                "Nido comunale Il Girasole",
                "Cooperativa Il Girasole",
                "nido@girasole.example.org",
                200,
            ),
            ("soon", "Pre-scuola Girasole", "Cooperativa Il Girasole", "", 175),
            ("fresh", "Doposcuola Girasole", "Cooperativa Il Girasole", "", 10),
            ("contact", "Centro estivo Aurora", "Associazione Aurora", CONTACT, 200),
            ("silent", "Grest San Rocco", "Parrocchia San Rocco", SILENT, 200),
        ):
            service = make_service(
                external_id=key,
                title=title,
                provider=provider,
                email=email,
                last_verified=days_ago(verified),
                alliance=ALLIANCE if key == "silent" else "",
            )
            ids[key] = service.id
        girasole = db.session.execute(
            db.select(Organisation).filter_by(name="Cooperativa Il Girasole")
        ).scalar_one()
        db.session.add(
            User(email=PROVIDER, password_hash="!", role="provider", organisation_id=girasole.id, locale="en")
        )
        db.session.get(Service, ids["contact"]).contact_reminders = True
        db.session.commit()
    return ids


def run_digests(app, day: date | None = None):
    with app.app_context():
        summary = send_digests(day or date.today())
        db.session.commit()
        mail.deliver_pending()
        return summary


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_a_digest_names_the_listings_due_to_the_provider_account_and_the_allowed_contact_only(app, world):
    summary = run_digests(app)
    assert summary.digests == 2
    messages = outbox(app)
    assert sorted(message["To"] for message in messages) == sorted([CONTACT, PROVIDER])
    account = next(message for message in messages if message["To"] == PROVIDER)
    text = text_of(account)
    # In the account's language (English), the overdue and the soon-due listings, not the one checked lately.
    assert "listings of yours to check" in account["Subject"]
    assert "Nido comunale Il Girasole" in text and "Pre-scuola Girasole" in text
    assert "Doposcuola Girasole" not in text and "Centro estivo Aurora" not in text
    assert "Still correct? One click:" in text
    assert "opens the listing in the backend" in text
    with app.app_context():
        overdue = db.session.get(Service, world["overdue"])
    urls = links_in(account)
    assert any(f"/provider/services/{overdue.uuid}/still-correct/" in url for url in urls)
    assert any(url.endswith(f"/manage/services/{overdue.uuid}?lang=en") for url in urls)  # the edit form
    assert "Nido comunale Il Girasole" in html_of(account)
    # The contact address a manager allowed: Italian, and "needs changes" is the short public form.
    contact = next(message for message in messages if message["To"] == CONTACT)
    contact_text = text_of(contact)
    assert "schede da controllare" in contact["Subject"] or "scheda da controllare" in contact["Subject"]
    assert "Centro estivo Aurora" in contact_text and "/changes/" in contact_text
    # Nobody for the provider with no account whose contact address may not be used.
    assert all("Grest San Rocco" not in text_of(message) for message in messages)
    assert all(message["To"] != SILENT for message in messages)
    with app.app_context():
        reminded = db.session.execute(db.select(Reminder.service_id, Reminder.recipient)).all()
    assert sorted(reminded) == sorted(
        [(world["overdue"], PROVIDER), (world["soon"], PROVIDER), (world["contact"], CONTACT)]
    )


def test_digests_go_once_a_day_whatever_runs_them(app, world, runner):
    run_digests(app)
    run_digests(app)
    result = runner.invoke(args=["mail", "digests"])
    assert result.exit_code == 0, result.output
    assert "0 digests" in result.output
    assert len(outbox(app)) == 2
    # The next day: nothing new is due, nobody is written to again before the second reminder.
    run_digests(app, date.today() + timedelta(days=1))
    assert len(outbox(app)) == 2


def check_link(app, address: str, service_id: int) -> str:
    with app.app_context():
        uuid = db.session.get(Service, service_id).uuid
    message = next(message for message in outbox(app) if message["To"] == address)
    return next(
        path_of(url) for url in links_in(message) if f"/provider/services/{uuid}/still-correct/" in url
    )


def test_still_correct_records_the_check_without_signing_in_and_the_listing_leaves_the_overdue_queue(
    app, world, auth, client
):
    manager = auth("ats_manager")
    assert "Nido comunale Il Girasole" in manager.get("/manage/verify?lang=en").text
    run_digests(app)
    path = check_link(app, PROVIDER, world["overdue"])
    page = client.get(path)
    assert page.status_code == 200 and "Nido comunale Il Girasole" in page.text
    with app.app_context():  # opening the link records nothing: a mail scanner's visit is harmless
        assert db.session.get(Service, world["overdue"]).last_verified == date.fromisoformat(days_ago(200))
    done = client.post(path, data={"csrf_token": token(page.text)}, follow_redirects=True)
    assert done.status_code == 200
    with app.app_context():
        service = db.session.get(Service, world["overdue"])
        assert service.last_verified == date.today() and service.last_verified_by == PROVIDER
        checks = (
            db.session.execute(db.select(Revision).filter_by(service_id=service.id, action="verify"))
            .scalars()
            .all()
        )
        assert [revision.author for revision in checks] == [PROVIDER]
        reminder = db.session.execute(db.select(Reminder).filter_by(service_id=service.id)).scalar_one()
        assert reminder.answer == "verified" and reminder.answered_at is not None
        other = db.session.get(Service, world["soon"])
        assert other.last_verified == date.fromisoformat(days_ago(175))  # the link acted on its listing only
    assert "Nido comunale Il Girasole" not in manager.get("/manage/verify?lang=en").text
    history = manager.get(f"/manage/services/{service.uuid}/history?lang=en").text
    assert "Checked with the provider" in history and PROVIDER in history
    form = manager.get(f"/manage/services/{service.uuid}?lang=en").text
    assert "Still correct, on" in form
    # Used again (a second click, a forwarded e-mail): nothing more is recorded.
    again = client.post(path, data={"csrf_token": token(page.text)}, follow_redirects=True)
    assert again.status_code == 200 and "Thank you: the check is recorded" in again.text
    with app.app_context():
        assert (
            db.session.execute(
                db.select(db.func.count(Revision.id)).filter_by(service_id=world["overdue"], action="verify")
            ).scalar_one()
            == 1
        )


def old_token(app, purpose: str, data: dict, age_days: int) -> str:
    """A token signed like the site's, dated ``age_days`` ago (a real old link, not a stand-in)."""

    class Dated(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age_days * 24 * 3600

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=f"welfarepoint-link:{purpose}", signer=Dated
    )
    return serializer.dumps(data)


def test_expired_forged_and_other_listing_links_are_refused_with_a_clear_page(app, world, client):
    run_digests(app)
    path = check_link(app, PROVIDER, world["overdue"])
    with app.app_context():
        overdue = db.session.get(Service, world["overdue"])
        soon = db.session.get(Service, world["soon"])
        data = {"s": overdue.id, "c": links.cycle_of(overdue), "to": PROVIDER}
        expired = old_token(app, links.CHECK, data, age_days=app.config["FRESH_LINK_DAYS"] + 1)
        overdue_uuid, soon_uuid = overdue.uuid, soon.uuid
    answer = client.get(f"/provider/services/{overdue_uuid}/still-correct/{expired}?lang=en")
    assert answer.status_code == 410 and "This link has expired" in answer.text
    forged = path.replace("/still-correct/", "/still-correct/x")
    answer = client.get(forged + ("&" if "?" in forged else "?") + "lang=en")
    assert answer.status_code == 400 and "This link does not work" in answer.text
    other = path.replace(overdue_uuid, soon_uuid)
    answer = client.get(other)
    assert answer.status_code == 404 and "This link does not work" in answer.text
    page = client.get(path)
    refused = client.post(other, data={"csrf_token": token(page.text)})
    assert refused.status_code == 404
    # A "needs changes" token does not confirm, nor the other way round.
    with app.app_context():
        changes = links.changes_url(db.session.get(Service, world["overdue"]), PROVIDER)
    wrong = path.split("/still-correct/")[0] + "/still-correct/" + changes.rsplit("/", 1)[1]
    assert client.get(wrong).status_code == 400
    with app.app_context():
        assert db.session.get(Service, world["overdue"]).last_verified != date.today()
        assert db.session.get(Service, world["soon"]).last_verified != date.today()
        workflow.archive(db.session.get(Service, world["overdue"]), author=MANAGER)
        db.session.commit()
    gone = client.get(path)  # the listing archived since the e-mail: nothing to confirm
    assert gone.status_code == 409 and "This listing is no longer published" in gone.text


def test_a_second_reminder_then_the_inbox_says_reminded_twice_without_an_answer(app, world, auth):
    run_digests(app)
    later = date.today() + timedelta(days=app.config["FRESH_SECOND_REMINDER_DAYS"])
    run_digests(app, later - timedelta(days=1))
    assert len(outbox(app)) == 2  # not yet
    run_digests(app, later)
    second = [message for message in outbox(app) if message["To"] == CONTACT]
    assert len(second) == 2
    assert "Vi abbiamo già scritto" in text_of(second[1]) and "Centro estivo Aurora" in text_of(second[1])
    run_digests(app, later + timedelta(days=30))
    assert len([message for message in outbox(app) if message["To"] == CONTACT]) == 2  # then no more
    manager = auth("ats_manager")
    inbox = manager.get("/manage/?lang=en").text
    assert "Reminded twice" in inbox and "no answer" in inbox
    with app.app_context():
        uuid = db.session.get(Service, world["contact"]).uuid
    form = manager.get(f"/manage/services/{uuid}?lang=en").text
    assert CONTACT in form and "second reminder" in form and "No answer" in form


BLIND_ANSWERS = json.loads((DATA / "provider_answers.json").read_text("utf-8"))
#: How the blind writer's kinds are chosen in the form.
FORM_KIND = {"change": "other", "closed": "closed", "still fine": "other", "unclear": "other"}


def test_needs_changes_as_providers_write_it_reaches_the_inbox_word_for_word(app, world, auth, client):
    app.config["FRESH_FORM_RATE_LIMIT"] = "1000 per minute"
    run_digests(app)
    with app.app_context():
        service = db.session.get(Service, world["contact"])
        uuid = service.uuid
    accepted = []
    for answer in BLIND_ANSWERS:
        with app.app_context():
            path = path_of(links.changes_url(db.session.get(Service, world["contact"]), CONTACT))
        page = client.get(path)
        assert page.status_code == 200
        sent = client.post(
            path,
            data={
                "csrf_token": token(page.text),
                "kind": FORM_KIND[answer["kind"]],
                "message": answer["text"],
            },
        )
        if len(answer["text"].strip()) < 10:
            assert sent.status_code == 400, answer
            assert "usate invece il pulsante" in sent.text  # the message next to the field says what to do
            assert 'aria-invalid="true"' in sent.text
        else:
            assert sent.status_code == 302, (answer, sent.text[:500])
            accepted.append(answer["text"])
            assert "Grazie" in client.get(path).text  # the link used: the thanks page again, nothing more
    with app.app_context():
        kept = (
            db.session.execute(
                db.select(Feedback).filter_by(service_id=world["contact"]).order_by(Feedback.id)
            )
            .scalars()
            .all()
        )
        assert [item.message for item in kept] == accepted
        assert all(item.from_provider == CONTACT for item in kept)
        reminder = db.session.execute(db.select(Reminder).filter_by(service_id=world["contact"])).scalar_one()
        assert reminder.answer == "changes"
    inbox = auth("ats_manager").get("/manage/?lang=en").text
    assert f"From the provider ({CONTACT})" in inbox
    with app.app_context():
        mail.deliver_pending()
    curator = [message for message in outbox(app) if message["To"] == MANAGER]
    assert curator and "Modifiche dall'ente" in curator[0]["Subject"]  # the manager's language: Italian
    assert uuid in text_of(curator[0])


def send_correction(client, slug: str, kind: str, message: str, visitor: int = 1):
    page = client.get(f"/services/{slug}")
    return client.post(
        f"/services/{slug}/feedback",
        data={"csrf_token": token(page.text), "kind": kind, "message": message},
        headers={"User-Agent": VISITOR_BROWSER, "X-Forwarded-For": VISITOR_ADDRESS},
        environ_base={"REMOTE_ADDR": f"10.0.1.{visitor}"},
    )


def test_a_public_correction_goes_to_the_provider_and_the_curator_with_nothing_about_the_visitor(
    app, world, client
):
    with app.app_context():
        slugs = {key: db.session.get(Service, world[key]).slug for key in ("overdue", "silent")}
    assert (
        send_correction(
            client, slugs["overdue"], "hours", "Il sabato il nido è chiuso, non aperto."
        ).status_code
        == 302
    )
    with app.app_context():
        mail.deliver_pending()
    messages = outbox(app)
    assert {message["To"] for message in messages} == {MANAGER, PROVIDER} and len(messages) == 2
    provider = next(message for message in messages if message["To"] == PROVIDER)
    text = text_of(provider)
    assert provider["Subject"] == "A correction to your listing “Nido comunale Il Girasole”"
    assert "Days, hours or periods are wrong" in text  # its kind, in the provider's language
    assert "Il sabato il nido è chiuso, non aperto." in text
    assert any("/provider/corrections/" in url for url in links_in(provider))
    curator = next(message for message in messages if message["To"] == MANAGER)
    assert "Il sabato il nido è chiuso, non aperto." in text_of(curator)
    for message in messages:
        whole = str(message) + text_of(message) + html_of(message)
        assert VISITOR_ADDRESS not in whole and "visitor-marker" not in whole and "10.0.1.1" not in whole
    # Without a provider account and with the contact address not allowed, only the curator hears of it.
    assert (
        send_correction(client, slugs["silent"], "cost", "Costa 40 euro, non 30.", visitor=2).status_code
        == 302
    )
    with app.app_context():
        mail.deliver_pending()
    new = outbox(app)[len(messages) :]
    assert [message["To"] for message in new] == [MANAGER]


BLIND_REPLIES = json.loads((DATA / "correction_replies.json").read_text("utf-8"))


def test_providers_answers_to_corrections_as_they_write_them_are_recorded_in_the_inbox_and_history(
    app, world, client, auth
):
    app.config["FRESH_FORM_RATE_LIMIT"] = "1000 per minute"
    with app.app_context():
        slug = db.session.get(Service, world["overdue"]).slug
        uuid = db.session.get(Service, world["overdue"]).uuid
    seen = 0
    for number, pair in enumerate(BLIND_REPLIES):
        assert (
            send_correction(client, slug, "other", pair["correction"], visitor=number + 1).status_code == 302
        )
        with app.app_context():
            mail.deliver_pending()
        forwarded = [message for message in outbox(app)[seen:] if message["To"] == PROVIDER]
        seen = len(outbox(app))
        assert len(forwarded) == 1 and pair["correction"] in text_of(forwarded[0])
        path = next(path_of(url) for url in links_in(forwarded[0]) if "/provider/corrections/" in url)
        page = client.get(path)
        assert page.status_code == 200 and pair["correction"][:20].replace("'", "&#39;") in page.text
        done = client.post(path, data={"csrf_token": token(page.text), "answer": pair["reply"]})
        assert done.status_code == 302, done.text[:400]
        replay = client.post(path, data={"csrf_token": token(page.text), "answer": "un'altra risposta"})
        assert replay.status_code == 200  # the answer page, the first answer kept
    with app.app_context():
        kept = (
            db.session.execute(
                db.select(Feedback).filter_by(service_id=world["overdue"]).order_by(Feedback.id)
            )
            .scalars()
            .all()
        )
        assert [(item.message, item.answer) for item in kept] == [
            (pair["correction"], pair["reply"].strip()) for pair in BLIND_REPLIES
        ]
        assert all(item.answered_by == PROVIDER for item in kept)
    manager = auth("ats_manager")
    inbox = manager.get("/manage/feedback?lang=en").text
    assert "The provider’s answer" in inbox
    history = manager.get(f"/manage/services/{uuid}/history?lang=en").text
    assert "Answered by the provider" in history
    assert "Grazie della segnalazione, il numero giusto è 0342/512345. Ho corretto." in history


def test_an_empty_or_too_long_answer_gets_a_message_next_to_the_field_with_what_was_typed(app, world, client):
    with app.app_context():
        slug = db.session.get(Service, world["overdue"]).slug
    send_correction(client, slug, "cost", "La retta è sbagliata, costa di più.")
    with app.app_context():
        mail.deliver_pending()
        feedback = db.session.execute(db.select(Feedback)).scalar_one()
        path = path_of(links.answer_url(feedback, PROVIDER, "en"))
    page = client.get(path)
    empty = client.post(path, data={"csrf_token": token(page.text), "answer": "   "})
    assert empty.status_code == 400 and "Write your answer." in empty.text
    long = "Troppo lungo <b>davvero</b> " * 100
    refused = client.post(path, data={"csrf_token": token(page.text), "answer": long})
    assert refused.status_code == 400 and "Write at most 2000 characters." in refused.text
    assert "Troppo lungo &lt;b&gt;davvero&lt;/b&gt;" in refused.text  # kept, escaped
    with app.app_context():
        assert db.session.get(Feedback, feedback.id).answer == ""
    other = path.replace(f"/corrections/{feedback.id}/", f"/corrections/{feedback.id + 1}/")
    assert client.get(other).status_code == 404


def test_a_manager_lets_reminders_go_to_a_contact_address_an_editor_may_not(app, world, auth):
    with app.app_context():
        uuid = db.session.get(Service, world["silent"]).uuid
    manager = auth("ats_manager")
    form = manager.get(f"/manage/services/{uuid}?lang=en")
    assert f"Allow writing to {SILENT}" in form.text
    switched = manager.post(
        f"/manage/services/{uuid}/contact-reminders", data={"csrf_token": token(form.text), "allow": "1"}
    )
    assert switched.status_code == 302
    with app.app_context():
        service = db.session.get(Service, world["silent"])
        assert service.contact_reminders is True and len(service.revisions) == 1  # not a change of content
    run_digests(app)
    assert any(message["To"] == SILENT for message in outbox(app))
    editor = auth("alliance_editor", alliance=ALLIANCE)
    page = editor.get(f"/manage/services/{uuid}?lang=en")
    assert "Allow writing to" not in page.text and "Stop writing to" not in page.text
    refused = editor.post(
        f"/manage/services/{uuid}/contact-reminders", data={"csrf_token": token(page.text), "allow": "0"}
    )
    assert refused.status_code == 403


def test_the_provider_forms_are_rate_limited(app, world, client):
    app.config["FRESH_FORM_RATE_LIMIT"] = "2 per minute"
    with app.app_context():
        service = db.session.get(Service, world["contact"])
        path = path_of(links.changes_url(service, CONTACT))
    page = client.get(path)
    answers = [
        client.post(path, data={"csrf_token": token(page.text), "kind": "other", "message": "x"}).status_code
        for _ in range(3)
    ]
    assert answers == [400, 400, 429]


def test_the_digest_and_a_forwarded_correction_go_through_a_real_smtp_server(app, world, client, smtp_server):
    app.config.update(smtp_config(smtp_server))
    run_digests(app)
    with app.app_context():
        slug = db.session.get(Service, world["overdue"]).slug
    assert send_correction(client, slug, "contacts", "Il telefono giusto è 0342 512345.").status_code == 302
    with app.app_context():
        mail.deliver_pending()
    received = smtp_server.wait_for(4)
    assert sorted(message["To"] for message in received) == sorted([CONTACT, PROVIDER, PROVIDER, MANAGER])
    for message in received:
        assert message["From"] and message["Subject"] and "\n" not in message["Subject"]
        assert text_of(message).strip() and "<html" in html_of(message)
    digest = next(message for message in received if message["To"] == CONTACT)
    assert "Centro estivo Aurora" in text_of(digest) and message_language(digest) == "it"


def message_language(message) -> str:
    """The language of a message's HTML part (its ``<html lang>``)."""
    return html_of(message).split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_manager_lets_reminders_go_to_every_listing_of_an_organisation_from_its_page(app, world, auth):
    with app.app_context():
        organisation = db.session.execute(
            db.select(Organisation).filter_by(name="Parrocchia San Rocco")
        ).scalar_one()
        organisation.email = "segreteria@sanrocco.example.org"
        db.session.commit()
        uuid = organisation.uuid
    manager = auth("ats_manager")
    page = manager.get(f"/manage/organisations/{uuid}?lang=en")
    assert "Allow writing to segreteria@sanrocco.example.org" in page.text
    switched = manager.post(
        f"/manage/organisations/{uuid}/contact-reminders", data={"csrf_token": token(page.text), "allow": "1"}
    )
    assert switched.status_code == 302
    assert (
        "Stop writing to segreteria@sanrocco.example.org"
        in manager.get(f"/manage/organisations/{uuid}?lang=en").text
    )
    run_digests(app)
    # The listing's own contact address comes first; the organisation's is used when the listing has none.
    silent = [message for message in outbox(app) if message["To"] == SILENT]
    assert len(silent) == 1 and "Grest San Rocco" in text_of(silent[0])


ADDRESSES = json.loads((DATA / "addresses.json").read_text("utf-8"))


def test_contact_addresses_as_people_type_them_are_written_to_only_when_they_are_one_plain_address(
    app, world
):
    with app.app_context():
        service = db.session.get(Service, world["contact"])
        for entry in ADDRESSES["valid"] + ADDRESSES["invalid"]:
            with db.session.no_autoflush:  # never written: some are longer than the column
                service.email = entry["typed"]  # as if stored by an older import: the digest checks it itself
                found = [recipient.address for recipient in providers_of(service)]
            assert found == ([entry["expected"]] if "expected" in entry else []), entry
        db.session.rollback()
    # The whole way, for a header injection and for an address typed with spaces and capitals.
    for typed, expected in (
        ("info@aurora.example.org\r\nBcc: evil@evil.example", []),
        ("  Info@Aurora.EXAMPLE.org ", ["Info@aurora.example.org"]),
    ):
        with app.app_context():
            db.session.execute(
                Service.__table__.update().where(Service.id == world["contact"]).values(email=typed)
            )
            db.session.execute(Reminder.__table__.delete())
            db.session.commit()
        before = len(outbox(app))
        run_digests(app, date.today() + timedelta(days=len(expected) + 1))
        new = [
            message["To"] for message in outbox(app)[before:] if "Centro estivo Aurora" in text_of(message)
        ]
        assert new == expected


def test_the_job_runner_s_daily_task_sends_the_digests(app, world):
    task = app.extensions["fresh_digests"]
    assert task.name == "welfarepoint.fresh_digests"
    task.call_local()  # what the consumer runs at FRESH_DIGEST_HOUR
    with app.app_context():
        mail.deliver_pending()
    assert sorted(message["To"] for message in outbox(app)) == sorted([CONTACT, PROVIDER])


def test_a_provider_who_edits_the_listing_has_answered_and_gets_no_second_reminder_for_it(app, world):
    """A provider's account that follows "needs changes" to the edit form and saves has answered: the manager
    sees it, and the second reminder leaves that listing out."""
    from tests.support.manage import form_data, sign_in
    from welfarepoint.accounts.operations import set_password

    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(email=PROVIDER)).scalar_one()
        user.ats = "Montagna"
        set_password(user, "girasoli sul balcone 2026")
        db.session.commit()
        uuid = db.session.get(Service, world["overdue"]).uuid
    run_digests(app)
    provider = app.test_client()
    assert sign_in(provider, PROVIDER, "girasoli sul balcone 2026").status_code == 302
    page = provider.get(f"/manage/services/{uuid}").text
    data = form_data(app, uuid, page, schedule_notes="Dal lunedì al venerdì, 7.30-16.30")
    assert provider.post(f"/manage/services/{uuid}", data=data).status_code == 302
    with app.app_context():
        answers = dict(
            db.session.execute(
                db.select(Reminder.service_id, Reminder.answer).where(Reminder.recipient == PROVIDER)
            ).all()
        )
    assert answers[world["overdue"]] == "changes" and answers[world["soon"]] == ""
    later = date.today() + timedelta(days=app.config["FRESH_SECOND_REMINDER_DAYS"])
    run_digests(app, later)
    second = [message for message in outbox(app) if message["To"] == PROVIDER][-1]
    assert "Pre-scuola Girasole" in text_of(second) and "Nido comunale Il Girasole" not in text_of(second)
