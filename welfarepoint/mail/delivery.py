"""Sending what is queued: each message claimed by one sender, sent once, retried with back-off when the server
is away, given up (and shown as failed on the outbox page) after ``MAIL_GIVE_UP_HOURS``.

Where it goes: ``MAIL_SERVER`` set, by SMTP; empty (the default: ``make run``, the tests), into the outbox folder
(``<instance>/outbox``, one ``.eml`` file per message), which admins read at ``/manage/outbox``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db
from welfarepoint.mail.compose import build
from welfarepoint.mail.models import MailMessage

log = logging.getLogger(__name__)

#: Minutes to wait after the 1st, 2nd, 3rd... failed attempt; the last one repeats until giving up.
BACKOFF_MINUTES = (1, 5, 15, 60, 360)


class Unreachable(Exception):
    """The server could not be reached or refused for now: this message and the rest wait for the next round."""


class Refused(Exception):
    """The server refused this message for good (a 5xx answer): it is not tried again."""


def outbox_folder() -> Path:
    folder = Path(current_app.config["MAIL_OUTBOX_DIR"] or Path(current_app.instance_path) / "outbox")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def outbox_file(message: MailMessage) -> Path:
    return outbox_folder() / f"{message.id:06d}-{message.template}.eml"


class OutboxWriter:
    """Writes each message whole into the outbox folder (a temporary file, then renamed)."""

    def send(self, message: MailMessage, email: EmailMessage) -> None:
        target = outbox_file(message)
        partial = target.with_suffix(".part")
        partial.write_bytes(email.as_bytes())
        os.replace(partial, target)

    def close(self) -> None:
        pass


class SmtpSender:
    """One SMTP connection for a round of messages, opened at the first one."""

    def __init__(self) -> None:
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = current_app.config
        host, port, timeout = config["MAIL_SERVER"], int(config["MAIL_PORT"]), float(config["MAIL_TIMEOUT"])
        context = ssl.create_default_context()
        if config["MAIL_USE_SSL"]:
            connection: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if config["MAIL_USE_TLS"]:
                connection.starttls(context=context)
        if config["MAIL_USERNAME"]:
            connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        return connection

    def send(self, message: MailMessage, email: EmailMessage) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            if codes and all(code >= 500 for code in codes):
                raise Refused(str(error.recipients)) from error
            raise Unreachable(str(error.recipients)) from error
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500 and error.smtp_code not in (521, 530, 554):
                raise Refused(f"{error.smtp_code} {error.smtp_error!r}") from error
            self.close()
            raise Unreachable(f"{error.smtp_code} {error.smtp_error!r}") from error
        except (TimeoutError, OSError, smtplib.SMTPException) as error:
            self.close()
            raise Unreachable(f"{type(error).__name__}: {error}") from error

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.connection = None


def sender() -> OutboxWriter | SmtpSender:
    return SmtpSender() if current_app.config["MAIL_SERVER"] else OutboxWriter()


def _claim(message_id: int) -> bool:
    """Take a due message for this sender; ``False`` when another sender took it first."""
    claimed = db.session.execute(
        update(MailMessage)
        .where(MailMessage.id == message_id, MailMessage.status == "queued")
        .values(status="sending", claimed_at=now_utc(), attempts=MailMessage.attempts + 1)
    )
    db.session.commit()
    return claimed.rowcount == 1


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=now_utc().tzinfo)


def _wait_again(message: MailMessage, reason: str) -> None:
    """Put a message back in the queue after a failed attempt, or give it up when it is too old."""
    now = now_utc()
    message.error = reason[:2000]
    give_up = _aware(message.created_at) + timedelta(hours=current_app.config["MAIL_GIVE_UP_HOURS"])
    if now >= give_up:
        message.status = "failed"
        return
    step = BACKOFF_MINUTES[min(message.attempts, len(BACKOFF_MINUTES)) - 1]
    message.status, message.next_attempt_at = "queued", now + timedelta(minutes=step)


def abandon_interrupted() -> None:
    """Messages claimed long ago and never marked sent: their sender stopped mid-way, so whether the server got
    them is unknown. They are marked failed, not sent again (a message is never sent twice); the outbox page shows
    them, and an admin may send one again."""
    limit = now_utc() - timedelta(minutes=current_app.config["MAIL_CLAIM_MINUTES"])
    db.session.execute(
        update(MailMessage)
        .where(MailMessage.status == "sending", MailMessage.claimed_at < limit)
        .values(status="failed", error="the sender stopped while sending it: not sent again automatically")
    )
    db.session.commit()


def deliver_pending(limit: int | None = None) -> int:
    """Send the messages that are due, oldest first; the number sent. Called by the job runner after each commit
    that queued mail, every minute by its periodic task, and by ``flask mail send``."""
    abandon_interrupted()
    batch = limit or current_app.config["MAIL_BATCH"]
    due = (
        db.session.execute(
            select(MailMessage.id)
            .where(MailMessage.status == "queued", MailMessage.next_attempt_at <= now_utc())
            .order_by(MailMessage.id)
            .limit(batch)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    sent, way = 0, sender()
    try:
        for message_id in due:
            if not _claim(message_id):
                continue
            message = db.session.get(MailMessage, message_id)
            try:
                way.send(message, build(message))
            except Refused as error:
                message.status, message.error = "failed", str(error)[:2000]
            except Unreachable as error:
                _wait_again(message, str(error))
                db.session.commit()
                log.warning("mail server unreachable, %s messages wait: %s", len(due), error)
                break
            else:
                message.status, message.sent_at, message.error = "sent", now_utc(), ""
                sent += 1
            db.session.commit()
    finally:
        way.close()
    return sent


def send_again(message: MailMessage) -> None:
    """An admin's "send again" for a failed message: queued now, with its attempts counted afresh."""
    message.status, message.next_attempt_at, message.attempts, message.claimed_at = (
        "queued",
        now_utc(),
        0,
        None,
    )
    message.created_at = now_utc()
    db.session.info["mail_queued"] = (
        True  # sent by the job runner once the caller commits, as mail.send's are
    )


def queue_state() -> dict:
    """The mail queue as ``/readyz`` and the metrics say it: messages by status, and how long the oldest message
    still queued has waited (seconds; grows while the server is away or no job runner runs)."""
    counts = dict(
        db.session.execute(select(MailMessage.status, func.count()).group_by(MailMessage.status)).all()
    )
    oldest = db.session.execute(
        select(func.min(MailMessage.created_at)).where(MailMessage.status == "queued")
    ).scalar()
    waited = None if oldest is None else max(0, round((now_utc() - _aware(oldest)).total_seconds()))
    return {status: counts.get(status, 0) for status in ("queued", "sending", "sent", "failed")} | {
        "oldest_queued_seconds": waited
    }
