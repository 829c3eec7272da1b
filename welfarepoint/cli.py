"""The ``flask`` commands of Welfare Point (run them as ``flask --app welfarepoint COMMAND``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from welfarepoint.config import PROJECT_ROOT, TRANSLATIONS_FOLDER

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def setup_database() -> dict[str, int]:
    """Create or upgrade the schema and load the reference data; safe to run any number of times."""
    from flask_migrate import upgrade

    from welfarepoint.extensions import db
    from welfarepoint.territory.models import load_municipalities

    Path(current_app.config["SEARCH_INDEX_DIR"]).mkdir(parents=True, exist_ok=True)
    upgrade(directory=str(MIGRATIONS_DIR))
    changed = load_municipalities()
    db.session.commit()
    return {"municipalities_changed": changed}


def prepare_demo_instance() -> dict[str, int]:
    """Set up the database, and load the demo network when the catalog is empty (what ``make run`` does)."""
    return setup_database()


@click.command("setup")
@with_appcontext
def setup_command() -> None:
    """Create or upgrade the database and the search index folder, and load the reference data."""
    result = setup_database()
    click.echo(f"Database ready ({result['municipalities_changed']} municipality rows added or changed).")


@click.group("translate")
def translate_group() -> None:
    """Extract, update and compile the Italian and English message catalogs."""


def _pybabel(*args: str) -> None:
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    if subprocess.call(command, cwd=PROJECT_ROOT) != 0:
        raise click.ClickException(f"pybabel {' '.join(args)} failed")


POT_FILE = TRANSLATIONS_FOLDER / "messages.pot"


@translate_group.command("extract")
def translate_extract() -> None:
    """Collect every translatable string into translations/messages.pot."""
    _pybabel(
        "extract", "-F", "babel.cfg", "-k", "_l", "--no-location", "--sort-output",
        "--project", "welfarepoint", "-o", str(POT_FILE), ".",
    )


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge the new strings into the it and en catalogs."""
    translate_extract.callback()  # type: ignore[misc]
    _pybabel("update", "-i", str(POT_FILE), "-d", str(TRANSLATIONS_FOLDER), "--no-fuzzy-matching", "--ignore-obsolete")
    filled = fill_source_language(TRANSLATIONS_FOLDER / "en" / "LC_MESSAGES" / "messages.po")
    click.echo(f"en: {filled} new messages copied from their English source text; translate the rest in it/.")


def fill_source_language(po_path: Path) -> int:
    """Give every untranslated message of the English catalog its own text (msgids are written in English)."""
    from babel.messages.pofile import read_po, write_po

    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    filled = 0
    for message in catalog:
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not message.id or all(strings):
            continue
        message.string = tuple(message.id) if isinstance(message.id, tuple) else message.id
        message.flags.discard("fuzzy")
        filled += 1
    with po_path.open("wb") as handle:
        write_po(handle, catalog, width=110)
    return filled


@translate_group.command("compile")
def translate_compile() -> None:
    """Compile the catalogs into the .mo files the site reads."""
    _pybabel("compile", "-d", str(TRANSLATIONS_FOLDER), "--statistics")


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    app.cli.add_command(setup_command)
    app.cli.add_command(translate_group)


def main() -> None:
    """Entry point of the ``welfarepoint`` console script: the same commands as ``flask --app welfarepoint``."""
    from welfarepoint import create_app

    FlaskGroup(create_app=create_app)()
