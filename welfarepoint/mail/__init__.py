"""E-mail: a message is queued in the same transaction as the change that causes it, and sent by the job runner.

- :func:`send` renders a message in the recipient's language and adds it to the current transaction: if the
  change commits, the message goes; if it rolls back, nothing goes.
- After a commit that queued mail, one job-runner task delivers it (:func:`deliver_pending`); the runner's
  periodic task does so every minute too (retries after a failure), as does ``flask mail send``.
- Without ``MAIL_SERVER`` (``make run``, the tests) messages are written to ``<instance>/outbox`` and admins read
  them at ``/manage/outbox``. ``docs/operations.md`` says how to configure a real SMTP server.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from welfarepoint.extensions import db
from welfarepoint.mail.compose import absolute_url, clean_address, one_line, render
from welfarepoint.mail.delivery import deliver_pending
from welfarepoint.mail.models import MailMessage

__all__ = ["MailMessage", "absolute_url", "clean_address", "deliver_pending", "init_app", "send"]

log = logging.getLogger(__name__)

SETTINGS = {
    #: The SMTP server; empty: messages are written to the outbox folder instead.
    "MAIL_SERVER": "",
    "MAIL_PORT": 25,
    "MAIL_USE_TLS": False,  # STARTTLS after connecting (usually port 587)
    "MAIL_USE_SSL": False,  # TLS from the start (usually port 465)
    "MAIL_USERNAME": "",
    "MAIL_PASSWORD": "",
    "MAIL_TIMEOUT": 10,
    #: The sender of every message, and the name shown beside it.
    "MAIL_SENDER": "noreply@welfarepoint.example.org",
    "MAIL_SENDER_NAME": "Welfare Point Lombardia",
    "MAIL_SITE_NAME": "Welfare Point",
    #: Where messages are written without a server (default ``<instance>/outbox``).
    "MAIL_OUTBOX_DIR": "",
    #: Messages sent per round; a message not sent after this many hours is given up (shown as failed).
    "MAIL_BATCH": 200,
    "MAIL_GIVE_UP_HOURS": 72,
    #: A message claimed by a sender this long ago and never marked sent is not sent again (see delivery.py).
    "MAIL_CLAIM_MINUTES": 30,
    #: ``/readyz`` says the mail queue is late when a message has been queued this long.
    "MAIL_LATE_SECONDS": 600,
    #: The site's address for the links in messages sent by the job runner and the CLI (no request to take it
    #: from), e.g. ``https://welfarepoint.regione.lombardia.it``.
    "SITE_URL": "",
}


def send(
    to: str,
    template: str,
    *,
    locale: str | None = None,
    context: dict[str, Any] | None = None,
    key: str | None = None,
) -> MailMessage | None:
    """Queue ``template`` for ``to`` in the current transaction (the caller commits); ``None`` when a message
    with ``key`` was queued before. ``ValueError`` for an address that is not one plain address."""
    address = clean_address(to)
    if key is not None:
        key = key[:200]
        if db.session.execute(select(MailMessage.id).where(MailMessage.key == key)).first():
            return None
    languages = current_app.config["LANGUAGES"]
    locale = locale if locale in languages else current_app.config["BABEL_DEFAULT_LOCALE"]
    context = dict(context or {})
    subject, text, html = render(template, locale, context)
    headers = {}
    if context.get("unsubscribe_url"):
        headers["List-Unsubscribe"] = f"<{one_line(context['unsubscribe_url'])}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = MailMessage(
        key=key,
        to=address,
        locale=locale,
        template=template,
        subject=subject,
        text=text,
        html=html,
        headers=headers,
        status="queued",
        attempts=0,
    )
    db.session.add(message)
    db.session.info["mail_queued"] = True
    return message


def _after_commit(session: Session) -> None:
    """Once a transaction that queued mail is committed, ask the job runner to deliver it. Should the runner's
    queue be out of reach, the message waits in the database for the next periodic round: the change the visitor
    or manager made stays done."""
    if not session.info.pop("mail_queued", False):
        return
    try:
        current_app.extensions["mail"]()
    except Exception:
        log.exception("could not ask the job runner to send mail: it goes at its next round")


def _after_rollback(session: Session) -> None:
    session.info.pop("mail_queued", None)


def init_app(app: Flask) -> None:
    """Settings, the runner's delivery tasks, the hooks that start delivery after a commit, ``flask mail``."""
    from huey import crontab

    from welfarepoint.mail.cli import mail_command

    for name, default in SETTINGS.items():
        app.config.setdefault(name, default)
    queue = app.extensions["jobs"].huey

    @queue.task(name="welfarepoint.deliver_mail")
    def deliver_mail() -> None:
        with app.app_context():
            deliver_pending()

    @queue.periodic_task(crontab(minute="*"), name="welfarepoint.deliver_mail_every_minute")
    def deliver_mail_every_minute() -> None:
        with app.app_context():
            deliver_pending()

    app.extensions["mail"] = deliver_mail
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_rollback", _after_rollback)
    app.cli.add_command(mail_command)
