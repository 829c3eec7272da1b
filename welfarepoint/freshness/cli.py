"""``flask mail digests``: send today's freshness digests (once a day; running it again sends nothing more)."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask
from flask.cli import with_appcontext


@click.command("digests")
@with_appcontext
@click.option(
    "--day", type=click.DateTime(formats=["%Y-%m-%d"]), help="The day to send for (default: today)."
)
def digests_command(day) -> None:
    """Queue today's digests to the providers of listings due for a check, and send them."""
    from welfarepoint import mail
    from welfarepoint.extensions import db
    from welfarepoint.freshness.digests import send_digests

    summary = send_digests(day.date() if day else date.today())
    db.session.commit()
    mail.deliver_pending()
    click.echo(
        f"{summary.digests} digests, {summary.listings} listings named, {summary.second} second reminders, "
        f"{summary.already} already sent today"
    )


def register(app: Flask) -> None:
    """Add ``digests`` to the ``flask mail`` group of the mail core."""
    from welfarepoint.mail.cli import mail_command

    if "digests" not in mail_command.commands:
        mail_command.add_command(digests_command)
