"""``flask mail send`` (send what is due now) and ``flask mail status``; other modules add their commands
(digests, alerts) to :data:`mail_command`."""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from welfarepoint.extensions import db

mail_command = AppGroup("mail", help="E-mail: send the queue now, see its state, digests and alerts.")


@mail_command.command("send")
def send_command() -> None:
    """Send the messages that are due now (the job runner does this every minute by itself)."""
    from welfarepoint.mail.delivery import deliver_pending

    click.echo(f"{deliver_pending()} sent")


@mail_command.command("status")
def status_command() -> None:
    """Messages by status (JSON)."""
    from welfarepoint.mail.models import MailMessage

    counts = dict(
        db.session.execute(select(MailMessage.status, func.count()).group_by(MailMessage.status)).all()
    )
    click.echo(json.dumps(counts))


@mail_command.command("test")
@click.argument("address")
@click.option("--lang", type=click.Choice(["it", "en"]), default="it")
def test_command(address: str, lang: str) -> None:
    """Queue a test message to ADDRESS and send it now: checks the SMTP settings."""
    from welfarepoint import mail
    from welfarepoint.mail.delivery import deliver_pending

    try:
        message = mail.send(address, "mail_test", locale=lang, context={"requested_by": "flask mail test"})
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="ADDRESS") from error
    db.session.commit()
    deliver_pending()
    db.session.refresh(message)
    click.echo(f"{message.status}{': ' + message.error if message.error else ''}")
    if message.status != "sent":
        raise SystemExit(1)
