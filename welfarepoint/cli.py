"""The ``flask`` commands of Welfare Point (run them as ``flask --app welfarepoint COMMAND``)."""

from __future__ import annotations

import os
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
    from welfarepoint import search

    search.ensure_index()
    return {"municipalities_changed": changed}


def prepare_demo_instance() -> dict[str, int]:
    """Set up the database, and load the demo network when the catalog is empty (what ``make run`` does)."""
    from welfarepoint.demo.loader import catalog_is_empty, load_demo_network
    from welfarepoint.extensions import db

    result = setup_database()
    if catalog_is_empty():
        result.update(load_demo_network())
        db.session.commit()
    return result


def cli_language(explicit: str | None) -> str:
    """The language of a command's messages: ``--lang``, else the shell's LANG, else Italian."""
    if explicit:
        return explicit
    shell = os.environ.get("LANG", "") or os.environ.get("LC_ALL", "")
    return "en" if shell.lower().startswith("en") else "it"


LANG_OPTION = click.option(
    "--lang",
    type=click.Choice(["it", "en"]),
    default=None,
    help="Language of the messages (default: from LANG).",
)


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
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--project",
        "welfarepoint",
        "-o",
        str(POT_FILE),
        ".",
    )


@translate_group.command("update")
def translate_update() -> None:
    """Extract, then merge the new strings into the it and en catalogs."""
    translate_extract.callback()  # type: ignore[misc]
    _pybabel(
        "update",
        "-i",
        str(POT_FILE),
        "-d",
        str(TRANSLATIONS_FOLDER),
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )
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


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True, help="Do nothing when the catalog already has listings.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Load the demo network (organisations, alliances, listings that match the 2020-2023 monitoring)."""
    from welfarepoint.demo.loader import catalog_is_empty, load_demo_network
    from welfarepoint.extensions import db

    if not catalog_is_empty():
        if if_empty:
            click.echo("The catalog already has listings: demo network not loaded.")
            return
        raise click.ClickException(
            "The catalog is not empty: the demo network goes into an empty database only."
        )
    result = load_demo_network()
    db.session.commit()
    click.echo(
        f"Demo network loaded: {result['organisations']} organisations, {result['alliances']} alliances, "
        f"{result['services']} listings, {result['public_routes']} public offices."
    )


@click.group("catalog")
def catalog_group() -> None:
    """Import and export listings in the CSV format of the networks."""


@catalog_group.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Validate and show what would change, write nothing.")
@click.option("--author", default="import", show_default=True, help="Who the revisions are recorded as.")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="HEADER=COLUMN",
    help="What a header the import does not know holds (a column name, or nothing to leave it out).",
)
@LANG_OPTION
@with_appcontext
def catalog_import(file, dry_run: bool, author: str, maps: tuple[str, ...], lang: str | None) -> None:
    """Import (upsert by external_id) the listings of a CSV or XLSX file; a file with any problem imports nothing."""
    from flask_babel import force_locale, gettext, ngettext

    from welfarepoint.catalog.interchange import describe, import_and_commit

    mapping = dict(item.partition("=")[::2] for item in maps)
    mapping = {header.strip(): column.strip() for header, column in mapping.items()}
    report = import_and_commit(file.read(), author=author, dry_run=dry_run, mapping=mapping)
    with force_locale(cli_language(lang)):
        if not report.ok:
            for text in describe(report):
                click.echo(text, err=True)
            raise click.ClickException(
                ngettext(
                    "%(num)s problem found: nothing was imported.",
                    "%(num)s problems found: nothing was imported.",
                    len(report.errors),
                )
            )
        summary = gettext(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
            created=report.count("created"),
            updated=report.count("updated"),
            unchanged=report.count("unchanged"),
        )
        for change in report.changes:
            if change.action == "updated":
                click.echo(f"{change.external_id}: {', '.join(change.fields)}")
        prefix = gettext("Dry run, nothing written:") if dry_run else gettext("Imported:")
        click.echo(f"{prefix} {summary}")


@catalog_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True), default="-")
@click.option("--ats", default=None, help="Only the listings of this ATS.")
@click.option("--status", default=None, type=click.Choice(["draft", "in_review", "published", "archived"]))
@click.option("--excel", is_flag=True, help="Write a BOM and ';' separators for Italian Excel.")
@LANG_OPTION
@with_appcontext
def catalog_export(file: str, ats: str | None, status: str | None, excel: bool, lang: str | None) -> None:
    """Write the listings as CSV (to FILE, or to standard output), or as an Excel workbook when FILE ends in
    .xlsx (the labels in the language of --lang)."""
    from flask_babel import force_locale

    from welfarepoint import territory
    from welfarepoint.catalog.interchange import export_listings, services_for_export
    from welfarepoint.catalog.workbook import listings_workbook

    ats_name = territory.ats_by_name(ats) if ats else None
    if ats and ats_name is None:
        raise click.BadParameter(
            f"unknown ATS {ats!r}; one of: {', '.join(territory.ATS_NAMES)}", param_hint="--ats"
        )
    services = services_for_export(ats_name, status)
    if file.lower().endswith(".xlsx"):
        with force_locale(cli_language(lang)):
            Path(file).write_bytes(listings_workbook(services))
        return
    text = export_listings(services, excel=excel)
    if file == "-":
        click.echo(text, nl=False)
    else:
        Path(file).write_text(text, encoding="utf-8", newline="")


@click.group("search")
def search_group() -> None:
    """The search index of published listings."""


@search_group.command("reindex")
@click.option(
    "--repair", is_flag=True, help="Only write what differs from the database instead of rebuilding."
)
@with_appcontext
def search_reindex(repair: bool) -> None:
    """Rebuild the search index from the database (or repair it with --repair)."""
    from welfarepoint import search

    if repair:
        written, deleted = search.sync()
        click.echo(f"Search index repaired: {written} listings written, {deleted} removed.")
    else:
        click.echo(f"Search index rebuilt: {search.rebuild()} published listings.")


@click.group("users")
def users_group() -> None:
    """The accounts of community managers and alliance editors."""


def _user_or_fail(email: str):
    from welfarepoint.accounts.operations import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"No account for {email}.")
    return user


def _account_call(function, *args, **kwargs):
    from flask_babel import force_locale

    from welfarepoint.accounts.operations import AccountError

    try:
        return function(*args, **kwargs)
    except AccountError as error:
        with force_locale(cli_language(None)):
            raise click.ClickException(str(error.message)) from None


@users_group.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "ats_manager", "alliance_editor"]))
@click.option("--ats", default=None, help="The ATS of an ats_manager.")
@click.option("--alliance", default=None, help="The alliance (exact name) of an alliance_editor.")
@click.option("--name", default="", help="The person's name.")
@click.password_option(help="At least 12 characters; asked for when not given.")
@with_appcontext
def users_create(
    email: str, role: str, ats: str | None, alliance: str | None, name: str, password: str
) -> None:
    """Create an account with its role and territory."""
    from welfarepoint.accounts.operations import create_user
    from welfarepoint.extensions import db

    user = _account_call(create_user, email, password, role, name=name, ats=ats, alliance=alliance)
    db.session.commit()
    click.echo(f"Created {user.email} ({user.role}{', ' + user.ats if user.ats else ''}).")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List the accounts."""
    from welfarepoint.accounts.models import User
    from welfarepoint.extensions import db

    for user in db.session.execute(db.select(User).order_by(User.email)).scalars():
        state = "active" if user.active else "disabled"
        click.echo(f"{user.email}\t{user.role}\t{user.ats or '-'}\t{state}")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def users_disable(email: str) -> None:
    """Disable an account (it can no longer sign in)."""
    from welfarepoint.accounts.operations import set_active
    from welfarepoint.extensions import db

    set_active(_user_or_fail(email), False)
    db.session.commit()
    click.echo(f"Disabled {email}.")


@users_group.command("set-password")
@click.argument("email")
@click.password_option(help="At least 12 characters; asked for when not given.")
@with_appcontext
def users_set_password(email: str, password: str) -> None:
    """Set a new password for an account."""
    from welfarepoint.accounts.operations import set_password
    from welfarepoint.extensions import db

    _account_call(set_password, _user_or_fail(email), password)
    db.session.commit()
    click.echo(f"Password changed for {email}.")


@users_group.command("sign-out-everywhere")
@click.argument("email")
@with_appcontext
def users_sign_out_everywhere(email: str) -> None:
    """End every session of an account at once (it can sign in again)."""
    from welfarepoint.accounts.operations import end_sessions, record
    from welfarepoint.extensions import db

    user = _user_or_fail(email)
    end_sessions(user)
    record(user.email, "signed_out_everywhere", "cli")
    db.session.commit()
    click.echo(f"Every session of {user.email} has ended.")


@users_group.command("unlock")
@click.argument("email")
@with_appcontext
def users_unlock(email: str) -> None:
    """Lift the sign-in lock of an account, from every address (its failed attempts before now no longer count)."""
    from welfarepoint.accounts.operations import unlock
    from welfarepoint.extensions import db

    unlock(_user_or_fail(email))
    db.session.commit()
    click.echo(f"Unlocked {email}.")


@click.group("insights")
def insights_group() -> None:
    """Monitoring tables and the retention of the anonymous counters."""


@insights_group.command("monitoring")
@click.option("--format", "output", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@click.option("--ats", default=None, help="Only this ATS (default: the whole region).")
@click.option("--excel", is_flag=True, help="With --format csv: a BOM and ';' separators for Italian Excel.")
@LANG_OPTION
@with_appcontext
def insights_monitoring(output: str, ats: str | None, excel: bool, lang: str | None) -> None:
    """Print the Region's monitoring table: alliances, actions and partners per ATS and per alliance."""
    from welfarepoint.insights.monitoring import monitoring_report, report_csv, report_text_table

    language = cli_language(lang)
    try:
        report = monitoring_report(ats)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--ats") from error
    if output == "csv":
        click.echo(report_csv(report, language=language, excel=excel), nl=False)
    else:
        click.echo(report_text_table(report, language=language))


@insights_group.command("purge")
@with_appcontext
def insights_purge() -> None:
    """Delete anonymous counters older than the retention periods (run it weekly, e.g. from cron)."""
    from welfarepoint.extensions import db
    from welfarepoint.insights.demand import RETENTION_WEEKS, SEARCH_RETENTION_WEEKS, purge

    removed = purge()
    db.session.commit()
    click.echo(
        f"Removed {removed['demand_count']} questionnaire counters older than {RETENTION_WEEKS} weeks and "
        f"{removed['search_count']} search counters older than {SEARCH_RETENTION_WEEKS} weeks."
    )


def init_app(app: Flask) -> None:
    """Register the commands on ``app``."""
    app.cli.add_command(users_group)
    app.cli.add_command(search_group)
    app.cli.add_command(setup_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(catalog_group)
    app.cli.add_command(translate_group)
    app.cli.add_command(insights_group)


def main() -> None:
    """Entry point of the ``welfarepoint`` console script: the same commands as ``flask --app welfarepoint``."""
    from welfarepoint import create_app

    FlaskGroup(create_app=create_app)()
