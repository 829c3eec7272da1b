"""``/healthz`` (the process answers) and ``/readyz`` (it can serve: database reachable, search index present),
for a load balancer. Both answer JSON and are never cached or rate-limited."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

bp = Blueprint("ops", __name__)


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz():
    """The process is alive and answers (touches neither the database nor the index)."""
    return _no_store(jsonify(status="alive"))


def database_generation() -> tuple[bool, int | None]:
    """Whether the database answers, and the catalog's generation (None when it does not answer)."""
    from welfarepoint.catalog.models import CatalogState
    from welfarepoint.extensions import db

    try:
        value = db.session.execute(select(CatalogState.generation).where(CatalogState.id == 1)).scalar()
        return True, int(value or 0)
    except SQLAlchemyError:
        db.session.rollback()
        return False, None


def _queue_check(queue_state, oldest_key: str, late_setting: str) -> dict:
    """A queue's state for ``/readyz``: ``late`` once its oldest item has waited ``late_setting`` seconds."""
    try:
        state = queue_state()
    except SQLAlchemyError:
        from welfarepoint.extensions import db

        db.session.rollback()
        return {"status": "unknown"}
    oldest = state[oldest_key]
    late = oldest is not None and oldest >= current_app.config[late_setting]
    return {"status": "late" if late else "ok", **state}


def _jobs_state() -> dict:
    from welfarepoint.jobs.runner import queue_state

    return _queue_check(queue_state, "oldest_waiting_seconds", "JOBS_WAITING_WARNING_SECONDS")


def _mail_state() -> dict:
    from welfarepoint.mail.delivery import queue_state

    return _queue_check(queue_state, "oldest_queued_seconds", "MAIL_LATE_SECONDS")


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and the search index is present; says the index's lag (catalog changes
    not yet in this instance's index) and the job queue (tasks pending, jobs by status, the oldest waiting job's
    age: it grows when no consumer runs, which does not make the site unready) and the mail queue (messages by
    status; ``late`` when a message has been queued ``MAIL_LATE_SECONDS``: the SMTP server or the runner is away). A missing index is rebuilt aside."""
    from welfarepoint import search

    database_up, generation = database_generation()
    index = search.index_state(generation)
    ready = database_up and index["status"] == "ok"
    checks = {
        "database": {"status": "ok" if database_up else "unreachable"},
        "search_index": index,
        "jobs": _jobs_state() if database_up else {"status": "unknown"},
        "mail": _mail_state() if database_up else {"status": "unknown"},
    }
    if current_app.config.get("METRICS_ADDRESS"):
        from welfarepoint.ops import metrics

        metrics.observe_readiness(database_up, index)
        if database_up:
            metrics.observe_jobs(checks["jobs"])
            metrics.observe_mail(checks["mail"])
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)
