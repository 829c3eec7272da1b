"""Fixtures: a fresh app per test (its own database and index folder), a client, a CLI runner, and a real
Chromium driven by Playwright against a live server on 127.0.0.1.

The database is a SQLite file in the instance folder, or a PostgreSQL database of its own when
``WELFAREPOINT_TEST_DATABASE_URL`` is set (``make test-postgres``): see :mod:`tests.databases`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Hundreds of apps are built in this process: frozen out of the garbage collector (as a worker's is), none would
# ever be freed. Every app of the tests, and the servers they start, leave it off (a test turns it on).
os.environ["WELFAREPOINT_GC_WORKER_TUNING"] = "false"

from tests.databases import copy_instance, database_uri, drop_all
from welfarepoint import create_app, search
from welfarepoint.cli import setup_database
from welfarepoint.extensions import db, limiter


def make_config(folder: Path, **overrides) -> dict:
    """Settings of a test app whose every file lives in ``folder``."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri(folder),
        "SEARCH_INDEX_DIR": str(folder / "search-index"),
        "COUNTER_FLUSH_SECONDS": 0,  # tests read the counters right after counting
        # A module's tests make hundreds of requests from one address in a minute: the general and form limits are
        # tested with their own settings (tests/test_rate_limits.py); FEEDBACK_RATE_LIMIT keeps its default.
        "RATE_LIMIT": "100000 per minute",
        "FORM_RATE_LIMIT": "100000 per minute",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="session")
def template_instance(tmp_path_factory) -> Path:
    """An instance folder set up once through the real migrations and reference data, copied by each test."""
    folder = tmp_path_factory.mktemp("template-instance")
    app = create_app(make_config(folder))
    with app.app_context():
        setup_database()
        db.engine.dispose()
    return folder


@pytest.fixture
def app(tmp_path, template_instance):
    """A fresh application with its own copy of the set-up database and an empty search index folder."""
    instance = tmp_path / "instance"
    copy_instance(template_instance, instance)
    application = create_app(make_config(instance))
    limiter.reset()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    search.forget_all()  # close this test's searchers (their files) and drop its caches


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
        db.engine.dispose()
    search.forget_all()
    return folder


@pytest.fixture
def demo_app(tmp_path, demo_instance):
    """A fresh application on its own copy of the demo network (database and search index)."""
    instance = tmp_path / "demo"
    copy_instance(demo_instance, instance)
    application = create_app(make_config(instance))
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()
    search.forget_all()


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


# The browser fixtures live in their own module; importing them here makes them visible to every test.
from tests.browser import chromium, live_server, page  # noqa: E402, F401
