"""E-mail alerts (issue 25, point 6): double opt-in, one message per change, one-click stop, expiry.

Real parts: the app's database, its search index, the mail queue delivered by ``mail.deliver_pending`` (what the
job runner runs) to the outbox folder or to a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import html
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from sqlalchemy import inspect, select

from tests.support.apps import build_app, make_config
from tests.support.catalog import create_listing, row
from tests.support.databases import copy_instance
from tests.support.mail import links_in, outbox, smtp_config, text_of
from tests.support.manage import token
from welfarepoint import mail
from welfarepoint.alerts.models import Alert
from welfarepoint.alerts.operations import send_alerts
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.extensions import db, limiter
from welfarepoint.mail.models import MailMessage

#: A family in Sondrio with a child of 8 who needs care before school: the listing of ``row()`` fits it.
FAMILY = "/match/family?municipality=014061&child_age=8&needs=before_school"
BLIND = json.loads((Path(__file__).parent / "data" / "mail" / "addresses.json").read_text(encoding="utf-8"))


@pytest.fixture
def alert_app(app):
    app.config["ALERTS_DELAY_SECONDS"] = 0  # a change is sent by the next run (production waits 5 minutes)
    return app


def ask(client, permalink: str, email: str, lang: str = "it"):
    """Fill in the alert form of ``permalink`` with ``email``, as a visitor does."""
    form = client.get(f"/alerts/new?for={_quoted(permalink)}&lang={lang}")
    assert form.status_code == 200, form.text
    return client.post(
        f"/alerts/new?lang={lang}",
        data={"csrf_token": token(form.text), "permalink": _hidden(form.text, "permalink"), "email": email},
    )


def _quoted(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"|value="([^"]*)"[^>]*name="{name}"', page)
    assert match, page
    return html.unescape(match.group(1) or match.group(2))


def delivered(app) -> list:
    with app.app_context():
        mail.deliver_pending()
    return outbox(app)


def publish(app, **cells) -> Service:
    """Create a draft listing, then publish it as a manager does (committed: the index is written)."""
    with app.app_context():
        listing = create_listing(row(status="draft", **cells))
        db.session.commit()
        operations.change_status(listing, "published", author="maria@example.org")
        db.session.commit()
        return listing.id


def run_job(app):
    with app.app_context():
        return send_alerts()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def confirmed(app, client, permalink: str, email: str, lang: str = "it") -> None:
    """Ask for an alert and confirm it from its message."""
    assert ask(client, permalink, email, lang).status_code == 303
    message = [m for m in delivered(app) if m["To"] == email][-1]
    confirm = next(link for link in links_in(message) if "/alerts/confirm/" in link)
    page = client.get(path_of(confirm))
    assert client.post(path_of(confirm), data={"csrf_token": token(page.text)}).status_code == 200


def test_the_form_stores_only_the_address_the_permalink_the_language_and_dates(alert_app):
    visitor = alert_app.test_client()
    response = ask(visitor, FAMILY + "&page=2&need=before_school&keep=x", "  Mario.Rossi@Gmail.COM ", "en")
    assert response.status_code == 303
    page = visitor.get(response.headers["Location"])
    assert "Check your e-mail" in page.text
    with alert_app.app_context():
        columns = {column["name"] for column in inspect(db.engine).get_columns("alert")}
        assert columns == {
            "id",
            "email",
            "permalink",
            "locale",
            "created_at",
            "confirmed_at",
            "last_sent_at",
            "renewed_at",
        }
        alert = db.session.execute(select(Alert)).scalar_one()
        assert (alert.email, alert.permalink, alert.locale) == ("Mario.Rossi@gmail.com", FAMILY, "en")
        assert alert.confirmed_at is None and alert.last_sent_at is None and alert.renewed_at is None
    [message] = delivered(alert_app)
    assert message["To"] == "Mario.Rossi@gmail.com"
    assert message["Content-Language"] == "en" and "Confirm" in message["Subject"]
    assert "Before school" in text_of(message) or "before school" in text_of(message).lower()


def test_the_answer_never_says_whether_the_address_was_already_subscribed(alert_app):
    first = alert_app.test_client()
    confirmed(alert_app, first, FAMILY, "anna@example.org")
    answers = []
    for email in ("anna@example.org", "nuovo@example.org"):
        response = ask(alert_app.test_client(), FAMILY, email)
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                alert_app.test_client().get(response.headers["Location"]).text,
            )
        )
    assert answers[0] == answers[1]
    # The confirmed address got nothing more: only its first request to confirm.
    assert [m["To"] for m in delivered(alert_app)].count("anna@example.org") == 1


def test_nothing_is_sent_before_confirmation(alert_app):
    ask(alert_app.test_client(), FAMILY, "waiting@example.org")
    publish(alert_app, external_id="new-1", title="Pre-scuola alla primaria Credaro")
    assert run_job(alert_app).sent == 0
    [request] = delivered(alert_app)  # the request to confirm, nothing else
    assert request["Subject"] == "Conferma il tuo avviso di Welfare Point"


def test_the_confirmation_link_works_once_and_expires(alert_app, monkeypatch):
    visitor = alert_app.test_client()
    ask(visitor, FAMILY, "once@example.org")
    [message] = delivered(alert_app)
    confirm = path_of(next(link for link in links_in(message) if "/alerts/confirm/" in link))
    page = visitor.get(confirm)
    assert page.status_code == 200 and "Sì, mandami questi avvisi" in page.text
    with alert_app.app_context():
        assert (
            db.session.execute(select(Alert.confirmed_at)).scalar_one() is None
        )  # opening the link is not enough
    assert visitor.post(confirm, data={"csrf_token": token(page.text)}).status_code == 200
    again = visitor.post(confirm, data={"csrf_token": token(page.text)})
    assert again.status_code == 410 and "già stato usato" in again.text
    assert visitor.get(confirm).status_code == 410

    # A link of 8 days ago no longer works (its alert waits, for a day more than it may).
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 8 * 24 * 3600
    )
    late = alert_app.test_client()
    ask(late, FAMILY, "late@example.org")
    monkeypatch.undo()
    message = [m for m in delivered(alert_app) if m["To"] == "late@example.org"][0]
    old_link = path_of(next(link for link in links_in(message) if "/alerts/confirm/" in link))
    assert late.get(old_link).status_code == 404
    late_token = token(late.get(f"/alerts/new?for={_quoted(FAMILY)}").text)
    assert late.post(old_link, data={"csrf_token": late_token}).status_code == 404
    with alert_app.app_context():
        alert = db.session.execute(select(Alert).where(Alert.email == "late@example.org")).scalar_one()
        assert alert.confirmed_at is None


def test_an_alert_after_publication_arrives_once_through_the_smtp_server(
    tmp_path, template_instance, smtp_server
):
    copy_instance(template_instance, tmp_path / "instance")
    app = build_app(make_config(tmp_path / "instance", ALERTS_DELAY_SECONDS=0, **smtp_config(smtp_server)))
    limiter.reset()
    try:
        visitor = app.test_client()
        ask(visitor, FAMILY, "famiglia@example.org")
        with app.app_context():
            mail.deliver_pending()
        [request] = smtp_server.wait_for(1)
        confirm = path_of(next(link for link in links_in(request) if "/alerts/confirm/" in link))
        visitor.post(confirm, data={"csrf_token": token(visitor.get(confirm).text)})

        publish(app, external_id="fits", title="Pre-scuola alla primaria Credaro")
        publish(
            app, external_id="elsewhere", title="Pre-scuola a Como", ats="Insubria", municipalities="Como"
        )
        assert run_job(app).sent == 1
        assert run_job(app).sent == 0  # the same change is never sent twice
        with app.app_context():
            mail.deliver_pending()
        messages = smtp_server.wait_for(2)
        assert len(messages) == 2
        alert = messages[1]
        body = text_of(alert)
        assert alert["To"] == "famiglia@example.org" and "Credaro" in body and "Como" not in body
        stop = alert["List-Unsubscribe"].strip("<>")
        assert "/alerts/stop/" in stop and alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert any("/alerts/keep/" in link for link in links_in(alert))

        # A new change of the same listing is news again, once.
        with app.app_context():
            listing = db.session.execute(select(Service).where(Service.external_id == "fits")).scalar_one()
            listing.summary = "Accoglienza dalle 7:15, anche il sabato."
            listing.updated_at = now_utc()
            db.session.commit()
        assert run_job(app).sent == 1
        assert run_job(app).sent == 0
        with app.app_context():
            mail.deliver_pending()
        assert len(smtp_server.wait_for(3)) == 3

        # One click in the mail client (RFC 8058): no cookie, no form token.
        stranger = app.test_client()
        response = stranger.post(path_of(stop), data={"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        with app.app_context():
            assert db.session.execute(select(Alert)).first() is None
            assert (
                db.session.execute(select(MailMessage).where(MailMessage.key.like("alert%"))).first() is None
            )
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_stop_in_one_click_shows_one_button_then_deletes(alert_app):
    visitor = alert_app.test_client()
    confirmed(alert_app, visitor, FAMILY, "stop@example.org", "en")
    publish(alert_app, external_id="fits", title="Before school at Credaro primary")
    run_job(alert_app)
    message = delivered(alert_app)[-1]
    stop = path_of(next(link for link in links_in(message) if "/alerts/stop/" in link))
    page = alert_app.test_client().get(stop)
    assert page.status_code == 200 and page.text.count('type="submit"') == 1
    assert "Stop and delete this alert" in page.text
    with alert_app.app_context():
        assert db.session.execute(select(Alert)).scalar_one().email == "stop@example.org"
    done = alert_app.test_client().post(stop)
    assert done.status_code == 200 and "The alert is stopped" in done.text
    with alert_app.app_context():
        assert db.session.execute(select(Alert)).first() is None
    assert alert_app.test_client().get(stop).status_code == 404


def test_keep_renews_for_twelve_months(alert_app):
    visitor = alert_app.test_client()
    confirmed(alert_app, visitor, FAMILY, "keep@example.org")
    publish(alert_app, external_id="fits", title="Pre-scuola alla primaria Credaro")
    run_job(alert_app)
    keep = path_of(next(link for link in links_in(delivered(alert_app)[-1]) if "/alerts/keep/" in link))
    page = visitor.get(keep)
    assert "Mantieni questo avviso per altri 12 mesi" in page.text
    assert visitor.post(keep, data={"csrf_token": token(page.text)}).status_code == 200
    with alert_app.app_context():
        assert db.session.execute(select(Alert.renewed_at)).scalar_one() is not None


def test_unconfirmed_after_7_days_and_unrenewed_after_12_months_are_deleted(alert_app):
    now = now_utc()
    with alert_app.app_context():
        for email, created, confirmed_at, renewed in (
            ("eight-days@example.org", now - timedelta(days=8), None, None),
            ("six-days@example.org", now - timedelta(days=6), None, None),
            ("thirteen-months@example.org", now - timedelta(days=400), now - timedelta(days=396), None),
            (
                "renewed@example.org",
                now - timedelta(days=400),
                now - timedelta(days=396),
                now - timedelta(days=60),
            ),
            ("eleven-months@example.org", now - timedelta(days=335), now - timedelta(days=334), None),
        ):
            db.session.add(
                Alert(
                    email=email,
                    permalink=FAMILY,
                    locale="it",
                    created_at=created,
                    confirmed_at=confirmed_at,
                    last_sent_at=confirmed_at,
                    renewed_at=renewed,
                )
            )
        db.session.commit()
    assert run_job(alert_app).deleted == 2
    with alert_app.app_context():
        left = set(db.session.scalars(select(Alert.email)))
    assert left == {"six-days@example.org", "renewed@example.org", "eleven-months@example.org"}


def test_the_cli_runs_the_job(alert_app):
    confirmed(alert_app, alert_app.test_client(), FAMILY, "cli@example.org")
    publish(alert_app, external_id="fits", title="Pre-scuola alla primaria Credaro")
    result = alert_app.test_cli_runner().invoke(args=["mail", "alerts"])
    assert result.exit_code == 0 and result.output.startswith("1 sent")
    assert alert_app.test_cli_runner().invoke(args=["mail", "alerts"]).output.startswith("0 sent")


@pytest.mark.parametrize("case", BLIND["valid"], ids=lambda case: repr(case["typed"])[:40])
def test_addresses_as_people_type_them_are_accepted(alert_app, case):
    response = ask(alert_app.test_client(), FAMILY, case["typed"])
    assert response.status_code == 303
    with alert_app.app_context():
        assert db.session.execute(select(Alert.email)).scalar_one() == case["expected"]


@pytest.mark.parametrize("case", BLIND["invalid"], ids=lambda case: repr(case["typed"])[:40])
def test_wrong_addresses_get_a_message_beside_the_field_and_are_kept(alert_app, case):
    response = ask(alert_app.test_client(), FAMILY, case["typed"])
    assert response.status_code == 400
    assert 'id="email-errors"' in response.text and 'aria-invalid="true"' in response.text
    if case["typed"].strip():
        assert f'value="{html.escape(case["typed"], quote=True)}"' in response.text.replace("&#34;", "&quot;")
    with alert_app.app_context():
        assert db.session.execute(select(Alert)).first() is None
        assert db.session.execute(select(MailMessage)).first() is None


def test_the_form_is_rate_limited(alert_app):
    alert_app.config["ALERT_RATE_LIMIT"] = "2 per minute"
    visitor = alert_app.test_client()
    assert ask(visitor, FAMILY, "a@example.org").status_code == 303
    assert ask(visitor, FAMILY, "b@example.org").status_code == 303
    assert ask(visitor, FAMILY, "c@example.org").status_code == 429


@pytest.mark.parametrize(
    "address", ["https://evil.example/search?q=x", "//evil.example/search", "/services/x", "/manage/"]
)
def test_only_results_pages_have_alerts(alert_app, address):
    assert alert_app.test_client().get(f"/alerts/new?for={_quoted(address)}").status_code == 404


@pytest.mark.parametrize(
    ("lang", "facts"),
    [
        ("it", ["Avvisi via e-mail", "conserviamo solo", "7 giorni", "12 mesi", "con un clic", "consenso"]),
        ("en", ["E-mail alerts", "we keep only", "7 days", "12 months", "in one click", "consent"]),
    ],
)
def test_the_privacy_notice_says_what_an_alert_keeps_and_for_how_long(alert_app, lang, facts):
    page = alert_app.test_client().get(f"/privacy?lang={lang}")
    section = page.text.split('id="alerts"', 1)[1].split("<h2", 1)[0]
    for fact in facts:
        assert fact in html.unescape(section), fact


def test_the_job_runner_sends_the_alerts_every_morning(alert_app):
    confirmed(alert_app, alert_app.test_client(), FAMILY, "runner@example.org")
    publish(alert_app, external_id="fits", title="Pre-scuola alla primaria Credaro")
    daily = alert_app.extensions["alerts"]
    task = daily.s()
    assert task.validate_datetime(datetime(2026, 12, 3, 5, 30)) and not task.validate_datetime(
        datetime(2026, 12, 3, 6, 30)
    )
    daily.call_local()  # what the consumer (`flask jobs run`) runs at 05:30
    assert [m["To"] for m in delivered(alert_app)] == ["runner@example.org", "runner@example.org"]
