"""Alerts for the public, privacy first (issue 25, point 6).

Every search and questionnaire results page offers an Atom feed of the listings that fit it, the latest change
first (nothing stored: :mod:`feeds`, :mod:`fits`), and an e-mail alert with double opt-in that keeps only the
address, the permalink, the language and dates (:mod:`operations`). ``flask mail alerts`` and the job runner's
daily task send the alerts and delete the ones too old.
"""

from __future__ import annotations

import click
from flask import Flask, g, request, url_for
from flask.cli import with_appcontext
from flask_babel import gettext

from welfarepoint.alerts import permalinks
from welfarepoint.alerts.views import bp
from welfarepoint.i18n import current_language

__all__ = ["bp", "init_app"]


def alert_links(address: str | None = None) -> dict | None:
    """The feed and the alert form of a results page (``address``: its permalink; by default this page's),
    made once per request (a results page asks in its head and beside its results)."""
    address = address if address is not None else request.full_path.rstrip("?")
    made = g.setdefault("wp_alert_links", {})
    if address not in made:
        made[address] = _links(address)
    return made[address]


def _links(address: str) -> dict | None:
    permalink = permalinks.parse(address)
    if permalink is None:
        return None
    language = current_language()
    separator = "&" if permalink.pairs else "?"
    return {
        "feed_url": f"{permalink.feed_address}{separator}lang={language}",
        "new_url": url_for("alerts.new", **{"for": permalink.address}),
        "title": gettext("New and changed services for these results (Atom)"),
    }


@click.command("alerts")
@with_appcontext
def alerts_command() -> None:
    """Send the e-mail alerts due, and delete the unconfirmed and expired ones (the job runner does it daily)."""
    from welfarepoint.alerts.operations import send_alerts

    run = send_alerts()
    click.echo(f"{run.sent} sent, {run.looked_at} alerts looked at, {run.deleted} deleted")


def init_app(app: Flask) -> None:
    """Register the pages, the templates' helper, ``flask mail alerts`` and the job runner's daily run."""
    from huey import crontab

    from welfarepoint.mail.cli import mail_command

    app.register_blueprint(bp)
    app.jinja_env.globals["alert_links"] = alert_links
    mail_command.add_command(alerts_command)
    queue = app.extensions["jobs"].huey

    @queue.periodic_task(crontab(minute="30", hour="5"), name="welfarepoint.send_alerts_daily")
    def send_alerts_daily() -> None:
        from welfarepoint.alerts.operations import send_alerts

        with app.app_context():
            send_alerts()

    app.extensions["alerts"] = send_alerts_daily
