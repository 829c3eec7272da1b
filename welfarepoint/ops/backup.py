"""``flask backup`` and ``flask restore`` of a SQLite database, with SQLite's online backup API
(``sqlite3.Connection.backup``): a consistent copy while the site runs, and a restore into the live file that
every process sees at its next query. PostgreSQL has its own tools (``pg_dump`` / ``pg_restore``), described in
``docs/operations.md``; these commands say so.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

#: Tables a Welfare Point database has: a file without them is not restored.
REQUIRED_TABLES = {"alembic_version", "service", "catalog_state"}


def sqlite_path() -> Path:
    """The SQLite file of the current app (ClickException on another database)."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(
            f"{url.get_backend_name()} is backed up with its own tools: see docs/operations.md "
            "(PostgreSQL: pg_dump --format=custom, restored with pg_restore --clean)."
        )
    return Path(url.database)


def _check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise click.ClickException(f"{what} is damaged: {result}")
    tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not REQUIRED_TABLES.issubset(tables):
        raise click.ClickException(f"{what} is not a Welfare Point database")


def backup(database: Path, target: Path) -> None:
    """Copy ``database`` into ``target`` with the online backup API, whole or not at all (never a half file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)
        _check(copy, str(target))
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)


def restore(backup_file: Path, database: Path) -> None:
    """Copy ``backup_file`` over the live ``database`` with the online backup API (checked first)."""
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    try:
        _check(source, str(backup_file))
        live = sqlite3.connect(database, timeout=30)
        try:
            source.backup(live)
        finally:
            live.close()
    finally:
        source.close()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Copy the SQLite database into TARGET while the site runs (SQLite's online backup)."""
    database = sqlite_path()
    backup(database, target)
    click.echo(f"Backed up {database} to {target} ({target.stat().st_size} bytes).")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source: Path, yes: bool) -> None:
    """Replace the SQLite database's content with the backup SOURCE, then bring schema and search index in line."""
    from welfarepoint.cli import setup_database
    from welfarepoint.extensions import db

    database = sqlite_path()
    if not yes:
        click.confirm(f"Replace everything in {database} with {source}?", abort=True)
    db.session.remove()
    db.engine.dispose()  # this process's connections would keep pages of the old content
    restore(source, database)
    setup_database()  # an older backup's schema upgraded; the index compared with the restored listings
    click.echo(f"Restored {database} from {source}; schema and search index brought in line.")
