"""Freshness by e-mail (issue 25, points 4 and 5): the providers keep their listings true.

- :mod:`~welfarepoint.freshness.digests`: one e-mail a day at most to each provider naming its listings due for a
  check, a second reminder after no answer (``flask mail digests``, and the job runner's daily task);
- :mod:`~welfarepoint.freshness.links` and :mod:`~welfarepoint.freshness.views`: the signed links of those
  e-mails ("still correct", "needs changes", the answer to a correction), used without signing in;
- :mod:`~welfarepoint.freshness.forwarding`: a public correction forwarded to the provider and the curators;
- :mod:`~welfarepoint.freshness.desk`: what the managers see of it (who was reminded, who answered).

Who is written to is :mod:`~welfarepoint.freshness.recipients`: the organisation's provider accounts, or, without
one, the listing's contact address when a manager allows it.
"""

from __future__ import annotations

from datetime import date

from flask import Flask

SETTINGS = {
    #: A listing is named in a digest this many days before its review date (and after it, until checked).
    "FRESH_DIGEST_AHEAD_DAYS": 14,
    #: Without an answer, a listing is named once more this many days after the first digest; then no more.
    "FRESH_SECOND_REMINDER_DAYS": 14,
    #: How long the links of a digest or a forwarded correction work.
    "FRESH_LINK_DAYS": 30,
    #: How often one address may send the provider's short forms ("needs changes", the answer to a correction).
    "FRESH_FORM_RATE_LIMIT": "20 per 10 minutes;100 per day",
    #: The hour (server time) the job runner sends the day's digests; empty: only ``flask mail digests`` does.
    "FRESH_DIGEST_HOUR": 7,
}


def init_app(app: Flask) -> None:
    """Settings, the pages of the links, what the backend shows, ``flask mail digests`` and the daily task."""
    from welfarepoint.freshness import cli, desk
    from welfarepoint.freshness.views import bp

    for name, default in SETTINGS.items():
        app.config.setdefault(name, default)
    app.register_blueprint(bp)

    @app.context_processor
    def freshness_helpers():
        return {"freshness_of": desk.of_listing, "freshness_notes": desk.notes}

    cli.register(app)
    _schedule(app)


def _schedule(app: Flask) -> None:
    """The job runner's daily task that sends the digests (at ``FRESH_DIGEST_HOUR``)."""
    from huey import crontab

    hour = app.config["FRESH_DIGEST_HOUR"]
    if hour in ("", None):
        return
    queue = app.extensions["jobs"].huey

    @queue.periodic_task(crontab(minute="0", hour=str(hour)), name="welfarepoint.fresh_digests")
    def fresh_digests() -> None:
        from welfarepoint.extensions import db
        from welfarepoint.freshness.digests import send_digests

        with app.app_context():
            send_digests(date.today())
            db.session.commit()

    app.extensions["fresh_digests"] = fresh_digests
