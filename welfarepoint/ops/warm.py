"""Warm an application up before gunicorn forks its workers (``--preload``; :mod:`welfarepoint.ops.gunicorn`).

What every worker would otherwise build at its first requests, each its own copy, is built once in the master:
every template compiled, both languages' message catalogs, the territory and the taxonomy, the offers the
questionnaires match on (kept until the catalog changes, as each worker would keep them), the places read in a
search's text and what searches read from the index's segments (kept as long as each segment: every posting,
when the cache holds them all). The workers start with them, sharing their memory pages with the master until
they write to them, and answer their first requests as fast as the next ones.

The warm-up asks the app for a few public pages through its test client: none is counted in the anonymous
statistics (no search text, no completed questionnaire) nor in the metrics (:data:`ENVIRON_KEY`). Then the
search index is closed (not its segments' caches) and the database connections dropped, so that no worker
inherits the master's open files and connections.
"""

from __future__ import annotations

import gc
import logging

from flask import Flask
from sqlalchemy import select

log = logging.getLogger(__name__)

#: Set in the WSGI environment of the warm-up's own requests.
ENVIRON_KEY = "welfarepoint.warm_up"


def addresses(app: Flask) -> list[str]:
    """The pages asked in each language: home, search, one listing, both questionnaires' results, Welfare Points."""
    from welfarepoint import territory
    from welfarepoint.catalog.models import Service
    from welfarepoint.extensions import db

    with app.app_context():
        slug = db.session.execute(
            select(Service.slug).where(Service.status == "published").order_by(Service.id).limit(1)
        ).scalar()
        db.session.remove()
    town = next(iter(territory.all_municipalities())).istat_code
    pages = [
        "/",
        "/search",
        f"/match/family?municipality={town}&child_age=8&needs=after_school",
        f"/match/family?municipality={town}&cared_age=80&needs=care_respite",
        f"/match/company?municipality={town}&size=small&needs=C1",
        "/welfare-points",
    ]
    if slug:
        pages.append(f"/services/{slug}")
    return [
        f"{page}{'&' if '?' in page else '?'}lang={language}" for language in ("it", "en") for page in pages
    ]


def _searches(app: Flask) -> None:
    """Searches of every kind, straight through :func:`search.query` (so none is counted): a place read from
    the text, a typo corrected, every filter and facet, in both languages; they read the index's postings,
    columns and words into the caches the workers inherit."""
    from welfarepoint import search, territory

    town = next(iter(territory.all_municipalities()))
    with app.test_request_context("/"):
        search.query("centro estvo bergamo", language="it")
        search.query(
            "summer camp",
            search.Filters(ats=town.ats, age=8, free_only=True, period="summer"),
            language="en",
        )
        search.query(
            "badante", search.Filters(municipality=town.istat_code, audience="persons"), language="it"
        )
        search.read_ahead()  # every other word's postings too, when they fit


def warm_worker(app: Flask) -> None:
    """Open, in a worker before its first request, what each process opens for itself and the master closed
    before forking: its database connection, the search index and a searcher (gunicorn's ``post_worker_init``).

    The first visitor of a new worker, at start or after ``--max-requests``, then does not wait for them. Nothing
    is counted; a failure is logged, and the first request opens them as it would have.
    """
    from welfarepoint import search
    from welfarepoint.extensions import db
    from welfarepoint.public import drawn

    with app.test_request_context("/search"):
        try:
            db.session.connection()
            drawn.edition()  # the index's generation, the vocabulary and the public routes
            search.query("centro estivo", language="it")
        except Exception:
            log.exception("warm-up of a worker failed")
        finally:
            db.session.remove()


def warm_up(app: Flask) -> int:
    """Build what the first requests of a worker would build; return how many warm-up pages failed (logged)."""
    from welfarepoint import search
    from welfarepoint.extensions import db

    with app.app_context():
        for name in app.jinja_env.list_templates(extensions=["html"]):
            app.jinja_env.get_template(name)
    failed = 0
    client = app.test_client()
    for address in addresses(app):
        try:
            status = client.get(address, environ_overrides={ENVIRON_KEY: True}).status_code
        except Exception:  # a page that fails here fails in the workers too, and is logged there
            log.exception("warm-up: %s failed", address)
            status = 500
        if status >= 400:
            failed += 1
            log.warning("warm-up: %s answered %s", address, status)
    try:
        _searches(app)
    except Exception:  # the workers build it at their first searches instead
        log.exception("warm-up: a search failed")
        failed += 1
    with app.app_context():
        search.close_all()  # each worker opens the index again; what was read from its segments stays, shared
        db.session.remove()
        db.engine.dispose()
    if app.config["GC_WORKER_TUNING"]:
        gc.collect()
        gc.freeze()
    return failed
