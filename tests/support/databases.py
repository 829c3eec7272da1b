"""Where a test app's database lives: a SQLite file in its instance folder, or, when
``WELFAREPOINT_TEST_DATABASE_URL`` points at a PostgreSQL server, a database of its own on that server.

Each instance folder has exactly one database, named after the folder, so a second process started on the same
folder (the multi-process tests) finds the same data. Copying an instance folder copies its database too
(``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), which keeps "set up once, copy for every test" fast.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

TEST_DATABASE_URL = os.environ.get("WELFAREPOINT_TEST_DATABASE_URL", "").strip()
_created: set[str] = set()


def on_postgresql() -> bool:
    """Whether the tests run on PostgreSQL."""
    return TEST_DATABASE_URL.startswith("postgresql")


def _name(folder: Path) -> str:
    return "wpt_" + hashlib.sha1(str(Path(folder).resolve()).encode()).hexdigest()[:16]


def _admin():
    return create_engine(make_url(TEST_DATABASE_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _execute(*statements: str) -> None:
    engine = _admin()
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def database_uri(folder: Path) -> str:
    """The database of the instance in ``folder`` (created empty on PostgreSQL the first time)."""
    if not on_postgresql():
        return f"sqlite:///{Path(folder) / 'welfarepoint.sqlite3'}"
    name = _name(folder)
    if name not in _created:
        engine = _admin()
        try:
            with engine.connect() as connection:
                exists = connection.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
                )
                if exists.first() is None:  # another process (a second worker) may have made it already
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            engine.dispose()
        _created.add(name)
    return make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)


def copy_instance(source: Path, target: Path) -> None:
    """Copy an instance folder (search index, secret key) and its database."""
    shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)  # the index's `live` link stays a link
    if on_postgresql():
        name = _name(target)
        _execute(
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
            f'CREATE DATABASE "{name}" TEMPLATE "{_name(source)}"',
        )
        _created.add(name)


def drop_all() -> None:
    """Drop every database these tests made (at the end of the session)."""
    if on_postgresql() and _created:
        _execute(*(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)' for name in sorted(_created)))
        _created.clear()
