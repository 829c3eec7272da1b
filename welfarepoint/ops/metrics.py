"""Prometheus metrics with the official client (``prometheus-client``): requests by route, method and status,
their latencies, the database's, the search index's and the job queue's state at the last ``/readyz``.

Under gunicorn, each worker writes its metrics into ``PROMETHEUS_MULTIPROC_DIR`` and the master serves them all
on ``METRICS_ADDRESS`` (the client's documented multiprocess mode: :mod:`welfarepoint.ops.gunicorn`). The address
must not be public: by default it is off; bind it to 127.0.0.1 or a private network (``docs/operations.md``).
"""

from __future__ import annotations

import os
import time

from flask import Flask, g, request
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, start_http_server

#: The metrics of this process (in multiprocess mode, every worker's are read from their files instead).
REGISTRY = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "welfarepoint_http_requests",
    "Requests answered, by route, method and status.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "welfarepoint_http_request_duration_seconds",
    "Time from a request's arrival in the app to its answer, by route.",
    ["route"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
DATABASE_UP = Gauge(
    "welfarepoint_database_up",
    "1 when the database answered the last /readyz, else 0.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
INDEX_READY = Gauge(
    "welfarepoint_search_index_ready",
    "1 when the search index was present at the last /readyz, else 0.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
INDEX_LAG = Gauge(
    "welfarepoint_search_index_lag",
    "Catalog changes not yet in this instance's search index at the last /readyz (caught up at the next search).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

JOBS = Gauge(
    "welfarepoint_jobs",
    "Jobs of the job runner by status (waiting, running, done, failed) at the last /readyz.",
    ["status"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
JOBS_PENDING = Gauge(
    "welfarepoint_jobs_pending",
    "Tasks in the job runner's queue at the last /readyz.",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
JOBS_OLDEST_WAITING = Gauge(
    "welfarepoint_jobs_oldest_waiting_seconds",
    "How long the oldest waiting job had waited at the last /readyz (0: none waiting; grows with no consumer).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)

MAIL = Gauge(
    "welfarepoint_mail_messages",
    "E-mail messages by status (queued, sending, sent, failed) at the last /readyz.",
    ["status"],
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)
MAIL_OLDEST_QUEUED = Gauge(
    "welfarepoint_mail_oldest_queued_seconds",
    "How long the oldest message still queued had waited at the last /readyz (0: none).",
    multiprocess_mode="mostrecent",
    registry=REGISTRY,
)


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _answered(response):
    if request.environ.get("welfarepoint.warm_up"):  # the master's own warm-up (ops/warm.py): not a visitor's
        return response
    route = request.url_rule.rule if request.url_rule is not None else "(no route)"
    REQUESTS.labels(route, request.method, str(response.status_code)).inc()
    started = g.get("metrics_started")
    if started is not None:
        LATENCY.labels(route).observe(time.perf_counter() - started)
    return response


def init_app(app: Flask) -> None:
    """Count every request of ``app`` (its 500s and 503s too: Flask runs these hooks for error pages)."""
    app.before_request(_started)
    app.after_request(_answered)


def observe_readiness(database_up: bool, index: dict) -> None:
    """Keep what ``/readyz`` found for the next scrape."""
    DATABASE_UP.set(1 if database_up else 0)
    INDEX_READY.set(1 if index["status"] == "ok" else 0)
    if index.get("lag") is not None:
        INDEX_LAG.set(index["lag"])


def observe_jobs(state: dict) -> None:
    """Keep the job queue's state that ``/readyz`` found for the next scrape."""
    if state.get("status") == "unknown":
        return
    for status in ("waiting", "running", "done", "failed"):
        JOBS.labels(status).set(state[status])
    if state["pending"] is not None:
        JOBS_PENDING.set(state["pending"])
    JOBS_OLDEST_WAITING.set(state["oldest_waiting_seconds"] or 0)


def observe_mail(state: dict) -> None:
    """Keep the mail queue's state that ``/readyz`` found for the next scrape."""
    if state.get("status") == "unknown":
        return
    for status in ("queued", "sending", "sent", "failed"):
        MAIL.labels(status).set(state[status])
    MAIL_OLDEST_QUEUED.set(state["oldest_queued_seconds"] or 0)


def registry() -> CollectorRegistry:
    """What to expose: every worker's metrics in multiprocess mode, else this process's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        collected = CollectorRegistry()
        multiprocess.MultiProcessCollector(collected)
        return collected
    return REGISTRY


def serve(address: str):
    """Serve the metrics on ``address`` (``host:port``; port 0: any free port) in a thread; return the server."""
    host, _, port = address.rpartition(":")
    server, _thread = start_http_server(int(port), addr=host or "127.0.0.1", registry=registry())
    return server
