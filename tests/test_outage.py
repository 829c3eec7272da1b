"""A database outage is a 503 in the visitor's language (JSON under /api/) with Retry-After, and the site
recovers by itself (issue 26, point 3): a real PostgreSQL server stopped and started under gunicorn, and a
SQLite database locked or out of reach.

The helpers (``ask``, ``PostgresServer``) are written for the resilience suite to reuse.
"""

from __future__ import annotations

import sqlite3
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from tests.support.apps import build_app, make_config
from tests.support.catalog import create_listing, row
from tests.support.postgres import PostgresServer
from tests.support.servers import start, stop
from welfarepoint import create_app, search
from welfarepoint.cli import setup_database
from welfarepoint.errors import DATABASE_RETRY_AFTER_SECONDS
from welfarepoint.extensions import db

ITALIAN = "Il servizio è momentaneamente non disponibile"
ENGLISH = "The service is briefly unavailable"
#: How long a test waits for the site to answer again once the database is back (never asserted as a speed).
RECOVERY_DEADLINE = 30


def ask(url: str, language: str = "it") -> tuple[int, dict, str]:
    """GET ``url`` as a visitor whose browser prefers ``language``: (status, headers, body)."""
    request = urllib.request.Request(url, headers={"Accept-Language": language})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def _listing_slug(app) -> str:
    with app.app_context():
        service = create_listing(row(title="Doposcuola al Villaggio"), today=date(2026, 11, 25))
        db.session.commit()
        return service.slug


def _assert_unavailable(get, slug: str) -> None:
    """Every page that needs the database is a 503 saying so, in the visitor's language, with Retry-After."""
    for path, language, expected in (
        ("/", "it", ITALIAN),
        ("/?lang=en", "it", ENGLISH),
        (f"/services/{slug}?lang=en", "en", ENGLISH),
        ("/search?q=villaggio", "it", ITALIAN),  # a results page drawn before the outage is still served
    ):
        status, headers, body = get(path, language)
        assert status == 503, (path, status)
        assert headers["Retry-After"] == str(DATABASE_RETRY_AFTER_SECONDS)
        assert expected in body, path
    status, headers, body = get("/api/v1/services?search=doposcuola&lang=en", "en")
    assert status == 503 and headers["Retry-After"]
    assert (
        '"title": "The service is briefly unavailable"' in body
        or '"title":"The service is briefly unavailable"' in body
    )


@pytest.mark.multiprocess
@pytest.mark.slow
def test_postgresql_stopped_is_a_503_and_the_site_recovers_when_it_starts_again(tmp_path):
    server = PostgresServer()
    folder = tmp_path / "instance"
    gunicorn = None
    try:
        app = create_app(make_config(folder, SQLALCHEMY_DATABASE_URI=server.url))
        with app.app_context():
            setup_database()
        slug = _listing_slug(app)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        search.forget_all()
        log = tmp_path / "gunicorn.log"
        gunicorn, port = start(folder, server.url, log)
        base = f"http://127.0.0.1:{port}"

        def get(path, language="it"):
            return ask(base + path, language)

        assert get(f"/services/{slug}")[0] == 200
        assert get("/search?q=doposcuola")[0] == 200  # every worker's pool holds connections now
        server.stop()
        _assert_unavailable(get, slug)
        assert get("/healthz")[0] == 200  # alive: the load balancer keeps the process
        status, _, body = get("/readyz")
        assert status == 503 and '"unreachable"' in body  # but sends nobody to it
        server.start()
        deadline = time.monotonic() + RECOVERY_DEADLINE
        while get(f"/services/{slug}")[0] != 200:
            assert time.monotonic() < deadline, "the site did not recover once the database was back"
            time.sleep(0.2)
        for _ in range(10):  # every worker's pooled connections were cut: each is replaced before use
            assert get(f"/services/{slug}")[0] == 200
            assert get("/search?q=doposcuola")[0] == 200
            assert get("/readyz")[0] == 200
        text = log.read_text(errors="replace")
        assert '" 500 ' not in text and "Internal Server Error" not in text
    finally:
        if gunicorn is not None:
            stop(gunicorn)
        server.remove()


@pytest.fixture
def sqlite_app(tmp_path, template_instance):
    """An app on a SQLite file (whatever the suite's database) whose connections wait 0.2 s for a lock."""
    from tests.support.databases import on_postgresql

    if on_postgresql():
        pytest.skip("a SQLite outage: the PostgreSQL one is tested above")
    from tests.support.databases import copy_instance

    instance = tmp_path / "instance"
    copy_instance(template_instance, instance)
    application = build_app(
        make_config(instance, SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}}, TESTING=False)
    )
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    search.forget_all()


def _client_get(app):
    def get(path, language="it"):  # a new visitor each time (no language cookie kept)
        response = app.test_client().get(path, headers={"Accept-Language": language})
        return response.status_code, response.headers, response.get_data(as_text=True)

    return get


def test_a_locked_sqlite_database_is_a_503_and_the_site_recovers_when_it_is_released(sqlite_app):
    slug = _listing_slug(sqlite_app)
    get = _client_get(sqlite_app)
    assert get(f"/services/{slug}")[0] == 200
    database = Path(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    holder = sqlite3.connect(database, isolation_level=None)  # another program holding the whole file
    try:
        holder.execute("BEGIN EXCLUSIVE")
        _assert_unavailable(get, slug)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert get(f"/services/{slug}")[0] == 200
    assert get("/")[0] == 200


def test_a_sqlite_database_out_of_reach_is_a_503_for_a_worker_that_starts_meanwhile(sqlite_app, tmp_path):
    slug = _listing_slug(sqlite_app)
    database = Path(sqlite_app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    with sqlite_app.app_context():
        db.session.remove()
        db.engine.dispose()
    aside = database.with_name("moved-away.sqlite3")
    database.rename(aside)
    database.mkdir()  # where the file was, something SQLite cannot open (a storage that went away)
    try:
        _assert_unavailable(_client_get(sqlite_app), slug)
    finally:
        database.rmdir()
        aside.rename(database)
    assert _client_get(sqlite_app)(f"/services/{slug}")[0] == 200
