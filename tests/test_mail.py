"""E-mail (issue 25, point 1): queued with the change that causes it, written to the outbox without a server,
sent through a real SMTP server (aiosmtpd) when one is set, retried while the server is away, never sent twice,
in the recipient's language, and read by admins at /manage/outbox."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from tests.support.apps import build_app, make_config
from tests.support.databases import copy_instance
from tests.support.mail import html_of, links_in, outbox, smtp_config, text_of
from welfarepoint import mail, signed
from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db
from welfarepoint.jobs.cli import embedded_consumer
from welfarepoint.mail.delivery import _claim, deliver_pending
from welfarepoint.mail.models import MailMessage

ADDRESSES = json.loads((Path(__file__).parent / "data" / "mail" / "addresses.json").read_text("utf-8"))


@pytest.fixture
def app_with(tmp_path, template_instance):
    """Apps of their own settings on a copy of the set-up database (an SMTP server, the runner inline)."""
    made = []

    def build(**settings):
        instance = tmp_path / f"instance-{len(made)}"
        copy_instance(template_instance, instance)
        application = build_app(make_config(instance, **settings))
        made.append(application)
        return application

    yield build
    for application in made:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


def queue_test(app, to="mario.rossi@libero.it", locale="it", **context):
    with app.app_context():
        message = mail.send(to, "mail_test", locale=locale, context={"requested_by": "Anna", **context})
        db.session.commit()
        return message.id


def statuses(app) -> list[str]:
    with app.app_context():
        return list(db.session.execute(select(MailMessage.status).order_by(MailMessage.id)).scalars())


def test_a_message_is_written_to_the_outbox_in_the_recipients_language(app):
    queue_test(app, locale="it")
    queue_test(app, to="JOHN@Example.ORG", locale="en")
    assert outbox(app) == []  # queued with the change: nothing goes before the sender runs
    with app.app_context():
        assert deliver_pending() == 2
    italian, english = outbox(app)
    assert italian["Subject"] == "Welfare Point: messaggio di prova"
    assert "le impostazioni della posta di Welfare Point funzionano" in text_of(italian)
    assert "le impostazioni della posta" in html_of(italian)
    assert italian["Content-Language"] == "it"
    assert italian["From"] == "Welfare Point Lombardia <noreply@welfarepoint.example.org>"
    assert english["To"] == "JOHN@example.org"
    assert english["Subject"] == "Welfare Point: test message"
    assert "Your e-mail preferences:" in text_of(english)
    assert links_in(english)[-1].endswith("/manage/account") or links_in(english)[-1].endswith("/")
    assert statuses(app) == ["sent", "sent"]


def test_a_change_rolled_back_sends_nothing(app):
    with app.app_context():
        mail.send("anna@ats-montagna.example.org", "mail_test", context={"requested_by": "x"})
        db.session.rollback()
        assert deliver_pending() == 0
    assert outbox(app) == [] and statuses(app) == []


def test_a_message_with_a_key_is_queued_once(app):
    with app.app_context():
        first = mail.send(
            "a@comune.sondrio.it", "mail_test", context={"requested_by": "x"}, key="digest:1:2026-12-02"
        )
        again = mail.send(
            "a@comune.sondrio.it", "mail_test", context={"requested_by": "x"}, key="digest:1:2026-12-02"
        )
        db.session.commit()
        assert first is not None and again is None
        later = mail.send(
            "a@comune.sondrio.it", "mail_test", context={"requested_by": "x"}, key="digest:1:2026-12-02"
        )
        assert later is None
    assert statuses(app) == ["queued"]


@pytest.mark.parametrize("case", ADDRESSES["valid"], ids=lambda case: case["typed"].strip()[:40])
def test_addresses_as_people_type_them_are_kept_cleaned(case):
    assert mail.clean_address(case["typed"]) == case["expected"]


@pytest.mark.parametrize("case", ADDRESSES["invalid"], ids=lambda case: case["why"][:40])
def test_what_is_not_one_address_is_refused(case):
    with pytest.raises(ValueError):
        mail.clean_address(case["typed"])


def test_no_header_can_be_injected_through_a_field(app):
    with app.app_context():
        with pytest.raises(ValueError):
            mail.send(
                "anna@example.org\r\nBcc: someone@evil.example", "mail_test", context={"requested_by": "x"}
            )
        mail.send(
            "anna@example.org",
            "mail_test",
            context={
                "requested_by": "x",
                "unsubscribe_url": "https://site.example/u?t=1\r\nBcc: evil@example.org",
            },
        )
        db.session.commit()
        deliver_pending()
    (message,) = outbox(app)
    assert message["Bcc"] is None and message["List-Unsubscribe"].startswith("<https://site.example/u?t=1")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "\n" not in message["Subject"]


def test_smtp_delivers_each_message_once(app_with, smtp_server):
    app = app_with(**smtp_config(smtp_server))
    for number in range(3):
        queue_test(app, to=f"genitore{number}@gmail.com")
    with app.app_context():
        assert deliver_pending() == 3
        assert deliver_pending() == 0
    received = smtp_server.wait_for(3)
    assert sorted(message["To"] for message in received) == [f"genitore{n}@gmail.com" for n in range(3)]
    assert all(text_of(message) and html_of(message) for message in received)
    assert outbox(app) == []


def test_the_smtp_server_down_loses_nothing_and_sends_each_message_once_it_is_back(app_with, smtp_server):
    app = app_with(**smtp_config(smtp_server))
    smtp_server.stop()
    ids = [queue_test(app, to=f"provider{number}@coop.example.it") for number in range(4)]
    with app.app_context():
        assert deliver_pending() == 0
        first = db.session.get(MailMessage, ids[0])
        assert first.status == "queued" and first.attempts == 1 and first.error
        assert first.next_attempt_at.replace(tzinfo=now_utc().tzinfo) > now_utc()  # waits before trying again
        assert deliver_pending() == 0  # not due yet: no new attempt
    smtp_server.start()
    with app.app_context():  # a minute later: every message is due again
        db.session.execute(update(MailMessage).values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
        assert deliver_pending() == 4
        assert deliver_pending() == 0
    received = smtp_server.wait_for(4)
    time.sleep(0.3)
    assert sorted(message["To"] for message in received) == sorted(
        f"provider{number}@coop.example.it" for number in range(4)
    )
    assert len(received) == 4
    assert statuses(app) == ["sent"] * 4


def test_a_message_claimed_by_one_sender_is_not_taken_by_another(app):
    message_id = queue_test(app)
    with app.app_context():
        assert _claim(message_id) is True
        assert _claim(message_id) is False


def test_a_sender_that_stopped_mid_way_never_causes_a_second_copy(app):
    message_id = queue_test(app)
    with app.app_context():
        long_ago = now_utc() - timedelta(hours=1)
        db.session.execute(update(MailMessage).values(status="sending", claimed_at=long_ago, attempts=1))
        db.session.commit()
        deliver_pending()
        message = db.session.get(MailMessage, message_id)
        assert message.status == "failed" and "not sent again" in message.error
    assert outbox(app) == []


def test_a_message_is_given_up_after_days_and_an_admin_sends_it_again(app_with, smtp_server, auth):
    app = app_with(**smtp_config(smtp_server))
    smtp_server.stop()
    message_id = queue_test(app)
    with app.app_context():
        db.session.execute(update(MailMessage).values(created_at=now_utc() - timedelta(days=4)))
        db.session.commit()
        deliver_pending()
        assert db.session.get(MailMessage, message_id).status == "failed"
    smtp_server.start()
    from tests.support.manage import account, signed_in, token

    admin = signed_in(app, account(app, "admin@welfarepoint.example.org", "admin"))
    page = admin.get(f"/manage/outbox/{message_id}?lang=en")
    assert page.status_code == 200 and b"Send it again" in page.data and b"Last error" in page.data
    listing = admin.get("/manage/outbox?status=failed&lang=it").get_data(as_text=True)
    assert "Non riuscito" in listing and "Welfare Point: messaggio di prova" in listing
    again = admin.post(
        f"/manage/outbox/{message_id}/again", data={"csrf_token": token(page.get_data(as_text=True))}
    )
    assert again.status_code == 302
    with app.app_context():
        deliver_pending()
        assert db.session.get(MailMessage, message_id).status == "sent"
    assert len(smtp_server.wait_for(1)) == 1


def test_only_admins_read_the_outbox(app, auth):
    queue_test(app)
    assert auth("ats_manager").get("/manage/outbox").status_code == 403
    admin = auth("admin")
    page = admin.get("/manage/outbox?lang=en").get_data(as_text=True)
    assert "Outbox" in page and "mario.rossi@libero.it" in page and "Queued" in page


def test_the_job_runner_delivers_what_a_commit_queued(app):
    consumer = embedded_consumer(app)
    try:
        queue_test(app, to="carla@parrocchia.example.it")
        deadline = time.monotonic() + 10
        while not outbox(app) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        consumer.stop(graceful=True)
    (message,) = outbox(app)
    assert message["To"] == "carla@parrocchia.example.it"
    assert statuses(app) == ["sent"]


def test_with_the_runner_inline_the_message_goes_at_the_commit(app_with):
    app = app_with(JOBS_IMMEDIATE=True)
    queue_test(app)
    assert len(outbox(app)) == 1


def test_flask_mail_test_checks_the_settings(app_with, smtp_server):
    app = app_with(**smtp_config(smtp_server))
    result = app.test_cli_runner().invoke(
        args=["mail", "test", " Ufficio.Piani@Comune.Sondrio.IT ", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "sent"
    (message,) = smtp_server.wait_for(1)
    assert message["To"] == "Ufficio.Piani@comune.sondrio.it"
    refused = app.test_cli_runner().invoke(args=["mail", "test", "Mario Rossi <mario@x.it>"])
    assert refused.exit_code != 0 and "not one e-mail address" in refused.output
    smtp_server.stop()
    down = app.test_cli_runner().invoke(args=["mail", "test", "ufficio@comune.sondrio.it"])
    assert down.exit_code == 1 and down.output.startswith("queued: ")


def test_a_signed_link_works_for_its_purpose_and_only_once(app):
    with app.app_context():
        token = signed.sign("invite", user_id=3, v=0)
        assert signed.unsign("invite", token, max_age=60) == {"user_id": 3, "v": 0}
        with pytest.raises(signed.BadLink):
            signed.unsign("reset", token, max_age=60)  # made for another purpose
        with pytest.raises(signed.BadLink):
            signed.unsign("invite", token[:-2] + ("AA" if token[-2:] != "AA" else "BB"), max_age=60)
        with pytest.raises(signed.BadLink) as expired:
            signed.unsign("invite", token, max_age=-1)
        assert expired.value.expired
        assert signed.use_once("invite", token) is True
        db.session.commit()
        assert signed.use_once("invite", token) is False


def test_readyz_says_the_mail_queue_is_late_while_the_server_is_away(app_with, smtp_server):
    app = app_with(**smtp_config(smtp_server), MAIL_LATE_SECONDS=60)
    client = app.test_client()
    smtp_server.stop()
    queue_test(app)
    with app.app_context():
        deliver_pending()
    state = client.get("/readyz").get_json()["checks"]["mail"]
    assert state["status"] == "ok" and state["queued"] == 1 and state["sent"] == 0
    with app.app_context():  # ten minutes later, still not sent
        db.session.execute(update(MailMessage).values(created_at=now_utc() - timedelta(minutes=10)))
        db.session.commit()
    late = client.get("/readyz")
    assert late.status_code == 200  # mail waiting does not take the site out of the balancer
    state = late.get_json()["checks"]["mail"]
    assert state["status"] == "late" and state["oldest_queued_seconds"] >= 600
    smtp_server.start()
    with app.app_context():
        db.session.execute(update(MailMessage).values(next_attempt_at=now_utc()))
        db.session.commit()
        deliver_pending()
    state = client.get("/readyz").get_json()["checks"]["mail"]
    assert state == {
        "status": "ok",
        "queued": 0,
        "sending": 0,
        "sent": 1,
        "failed": 0,
        "oldest_queued_seconds": None,
    }
