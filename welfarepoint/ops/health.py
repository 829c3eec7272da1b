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


@bp.get("/readyz")
def readyz():
    """Ready when the database answers and the search index is present; says the index's lag (catalog changes
    not yet in this instance's index) and that there is no job runner yet. A missing index is rebuilt aside."""
    from welfarepoint import search

    database_up, generation = database_generation()
    index = search.index_state(generation)
    ready = database_up and index["status"] == "ok"
    checks = {
        "database": {"status": "ok" if database_up else "unreachable"},
        "search_index": index,
        "jobs": {"status": "none", "detail": "no job runner yet"},
    }
    if current_app.config.get("METRICS_ADDRESS"):
        from welfarepoint.ops import metrics

        metrics.observe_readiness(database_up, index)
    response = jsonify(status="ready" if ready else "not ready", checks=checks)
    response.status_code = 200 if ready else 503
    return _no_store(response)
