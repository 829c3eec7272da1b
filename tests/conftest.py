"""Fixtures: a fresh app per test (its own database and index folder), a client, a CLI runner, the builders and
``auth`` of :mod:`tests.support.fixtures`, and a real Chromium driven by Playwright against a live server on
127.0.0.1. Helpers live in ``tests/support``; no test module imports another.

Markers: ``browser``, ``multiprocess`` and ``slow`` are written on the tests (``make test-fast`` leaves them out);
``database`` is set here, from the fixtures a test uses (``make test-postgres`` runs those on PostgreSQL).

The database is a SQLite file in the instance folder, or a PostgreSQL database of its own when
``WELFAREPOINT_TEST_DATABASE_URL`` is set (``make test-postgres``): see :mod:`tests.support.databases`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Hundreds of apps are built in this process: frozen out of the garbage collector (as a worker's is), none would
# ever be freed. Every app of the tests, and the servers they start, leave it off (a test turns it on).
os.environ["WELFAREPOINT_GC_WORKER_TUNING"] = "false"

from tests.support.apps import build_app, make_config
from tests.support.databases import copy_instance, drop_all
from welfarepoint import create_app, search
from welfarepoint.cli import setup_database
from welfarepoint.extensions import db, limiter

#: The fixtures that give a test a database of its own: every app fixture of this file is built on the first
#: two; a module's own fixture that makes a database with ``make_config`` is named here too.
DATABASE_FIXTURES = {"template_instance", "demo_instance", "api_demo_app"}


def pytest_collection_modifyitems(items):
    """Mark ``database`` every test whose fixtures make a database: ``make test-postgres`` runs those again."""
    for item in items:
        if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.database)


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory) -> Path:
    """An instance folder set up once through the real migrations and reference data, copied by each test."""
    folder = tmp_path_factory.mktemp("template-instance")
    app = create_app(make_config(folder))
    with app.app_context():
        setup_database()
        db.session.remove()  # the index check's reads left a connection checked out: dispose() keeps those
        db.engine.dispose()
    return folder


def _app_on(instance: Path):
    """A test's app on its own copy of an instance folder, with no requests counted against the rate limits yet;
    afterwards its connections are closed and its searchers (their files) and caches dropped."""
    application = build_app(make_config(instance))
    limiter.reset()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    search.forget_all()


@pytest.fixture
def app(tmp_path, template_instance):
    """A fresh application with its own copy of the set-up database and an empty search index folder."""
    instance = tmp_path / "instance"
    copy_instance(template_instance, instance)
    yield from _app_on(instance)


@pytest.fixture(scope="session")
def demo_instance(tmp_path_factory, template_instance) -> Path:
    """An instance folder with the demo network loaded and indexed, made once and copied by each test."""
    from welfarepoint.demo.loader import load_demo_network

    folder = tmp_path_factory.mktemp("demo-instance")
    copy_instance(template_instance, folder)
    application = create_app(make_config(folder))
    with application.app_context():
        load_demo_network()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    search.forget_all()
    return folder


@pytest.fixture
def demo_app(tmp_path, demo_instance):
    """A fresh application on its own copy of the demo network (database and search index)."""
    instance = tmp_path / "demo"
    copy_instance(demo_instance, instance)
    yield from _app_on(instance)


@pytest.fixture(scope="session", autouse=True)
def _drop_test_databases():
    """On PostgreSQL, drop the databases the session made once it is over."""
    yield
    drop_all()


@pytest.fixture
def client(app):
    """A test client of :func:`app`."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner of :func:`app`'s ``flask`` commands."""
    return app.test_cli_runner()


# The browser fixtures and the builders live in tests/support; importing them here makes them visible to every test.
from tests.support.browser import chromium, live_server, page  # noqa: E402, F401
from tests.support.fixtures import auth, make_organisation, make_service, make_user, the_app  # noqa: E402, F401
from tests.support.mail import smtp_server  # noqa: E402, F401
