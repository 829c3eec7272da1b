"""Every kind of message the site sends, made by real changes through the site and delivered by a real SMTP
server (aiosmtpd) that is down while the changes are made: nothing is lost, each message arrives once, in its
recipient's language, as plain text and HTML, with the sender and a link to the e-mail preferences (issue 25)."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import quote

from sqlalchemy import select, update

from tests.support.accounts import provider_organisation
from tests.support.mail import html_of, links_in, smtp_config, text_of
from tests.support.manage import account, signed_in, token
from welfarepoint import mail
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.extensions import db, limiter
from welfarepoint.mail.models import MailMessage

MANAGER = "anna@ats-montagna.example.org"


def test_every_message_made_while_the_server_is_down_arrives_once_when_it_is_back(demo_app, smtp_server):
    demo_app.config.update(smtp_config(smtp_server))
    limiter.reset()
    smtp_server.stop()
    organisation = provider_organisation(demo_app)
    manager = signed_in(demo_app, account(demo_app, MANAGER, "ats_manager", ats="Montagna"))

    # A manager invites a person of a provider, in English.
    page = manager.get(f"/manage/organisations/{organisation.uuid}?lang=en")
    invited = manager.post(
        f"/manage/organisations/{organisation.uuid}/people?lang=en",
        data={
            "invite-csrf_token": token(page.text.split('id="invite-provider"')[1]),
            "invite-email": "segreteria@girasole.example.it",
            "invite-name": "Segreteria",
            "invite-locale": "en",
            "next": "organisation",
        },
    )
    assert invited.status_code == 302
    # The manager forgot her password (another browser).
    visitor = demo_app.test_client()
    forgot = visitor.get("/manage/password/forgot?lang=it")
    assert (
        visitor.post(
            "/manage/password/forgot?lang=it", data={"csrf_token": token(forgot.text), "email": MANAGER}
        ).status_code
        == 200
    )
    # A visitor corrects one of the provider's listings.
    with demo_app.app_context():
        slug = db.session.execute(
            select(Service.slug).where(Service.uuid == organisation.published)
        ).scalar_one()
    sheet = visitor.get(f"/services/{slug}")
    assert (
        visitor.post(
            f"/services/{slug}/feedback",
            data={"csrf_token": token(sheet.text), "kind": "hours", "message": "Il sabato è chiuso."},
        ).status_code
        == 302
    )
    # A family asks for an alert of a search.
    permalink = "/search?q=centro+estivo&ats=Montagna"
    form = visitor.get(f"/alerts/new?for={quote(permalink, safe='')}&lang=it")
    hidden = html.unescape(form.text.split('name="permalink"')[1].split('value="')[1].split('"')[0])
    assert (
        visitor.post(
            "/alerts/new?lang=it",
            data={"csrf_token": token(form.text), "permalink": hidden, "email": "famiglia.rossi@libero.it"},
        ).status_code
        == 303
    )

    with demo_app.app_context():
        assert mail.deliver_pending() == 0  # the server is down: every message waits
        queued = db.session.execute(select(MailMessage).order_by(MailMessage.id)).scalars().all()
        assert {message.status for message in queued} == {"queued"}
        expected = sorted((message.to, message.template) for message in queued)
    templates = {template for _, template in expected}
    assert {"account_invite", "account_reset", "alert_confirm"} <= templates
    assert any(template.startswith("correction_") for template in templates)

    smtp_server.start()
    with demo_app.app_context():  # the next round of the job runner, once the back-off is over
        db.session.execute(update(MailMessage).values(next_attempt_at=now_utc() - timedelta(seconds=1)))
        db.session.commit()
        assert mail.deliver_pending() == len(expected)
        assert mail.deliver_pending() == 0
    received = smtp_server.wait_for(len(expected))
    assert len(received) == len(expected) == len({message["Message-ID"] for message in received})
    with demo_app.app_context():
        template_of = dict(db.session.execute(select(MailMessage.id, MailMessage.template)).all())
    by_kind = {
        (message["To"], template_of[int(message["Message-ID"].split("-")[1])]): message
        for message in received
    }
    assert sorted(by_kind) == expected
    invitation = by_kind[("segreteria@girasole.example.it", "account_invite")]
    assert invitation["Content-Language"] == "en" and "/manage/welcome/" in text_of(invitation)
    reset = by_kind[(MANAGER, "account_reset")]
    assert reset["Content-Language"] == "it" and "/manage/password/reset/" in text_of(reset)
    for message in received:
        assert message["From"] == "Welfare Point Lombardia <noreply@welfarepoint.example.org>"
        assert text_of(message).strip() and "<html" in html_of(message)
        assert links_in(message)  # a link to act on, and the preferences or the stop link
    alert = by_kind[("famiglia.rossi@libero.it", "alert_confirm")]
    assert "/alerts/" in text_of(alert)
