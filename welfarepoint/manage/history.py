"""A listing's workflow buttons and its history: status changes, the recorded versions, restore, export.

The history is shown with the edit form's labels and the vocabularies' labels (never raw field names or
codes), and exported as CSV (``excel=1`` for Italian Excel) or as an Excel workbook.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from wtforms.fields.core import UnboundField

from welfarepoint import territory
from welfarepoint.accounts import desk, scope
from welfarepoint.catalog import columns, taxonomy, workflow
from welfarepoint.catalog.interchange import page_language
from welfarepoint.catalog.models import Revision, Service
from welfarepoint.extensions import db
from welfarepoint.manage import inbox
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ActionForm, ListingForm
from welfarepoint.manage.helpers import commit_or_flash, ensure_may, scoped_service

#: What each kind of revision is called in the history.
REVISION_ACTIONS = {
    "create": _l("Created"),
    "import": _l("Imported"),
    "update": _l("Edited"),
    "submit": _l("Submitted for review"),
    "publish": _l("Published"),
    "send_back": _l("Sent back to the editor"),
    "discard": _l("Waiting changes discarded"),
    "archive": _l("Archived"),
    "restore": _l("Restored"),
    "verify": _l("Checked with the provider"),
    "merge": _l("Merged into another listing"),
    "unmerge": _l("Merge undone"),
    "provider_merged": _l("Provider merged into another organisation"),
    "feedback_resolved": _l("Correction from the public resolved"),
    "feedback_dismissed": _l("Correction from the public dismissed"),
    "feedback_answered": _l("Answered by the provider"),  # helper "fresh" (issue 25 point 5)
}
#: Revisions that record a note, not a version of the content: they are never "put back".
NOTE_ACTIONS = ("send_back", "feedback_resolved", "feedback_dismissed", "feedback_answered")
#: Names a revision keeps that are not the form's own fields, and the field (or label) they are shown as.
SNAPSHOT_NAMES = {
    "municipality_code": "municipality",
    "coverage": "municipalities",
    "status": _l("Status"),
    "last_verified": _l("Last checked with the provider"),
}


def field_label(name: str) -> str:
    """The label the edit form gives the field a revision calls ``name`` (the name itself if there is none)."""
    shown = SNAPSHOT_NAMES.get(name, name)
    if not isinstance(shown, str):
        return str(shown)
    field = getattr(ListingForm, shown, None)
    if isinstance(field, UnboundField):
        label = field.kwargs.get("label", field.args[0] if field.args else name)
        return str(label)
    return name


def field_value(name: str, value: Any, language: str) -> str:
    """A value a revision kept, as a person reads it: labels for codes, names for municipalities."""
    if value is None or value == "" or value == []:
        return ""
    if name in ("coverage", "municipality_code"):
        codes = value if isinstance(value, list) else [value]
        return "; ".join(place.name if (place := territory.by_istat(code)) else str(code) for code in codes)
    if name == "status":
        return taxonomy.label("statuses", value, language)
    column = next((column for column in columns.columns() if column.name == name), None)
    vocabulary = column.vocabulary if column is not None else ""
    items = value if isinstance(value, list) else [value]
    if vocabulary == "languages":
        items = [taxonomy.language_name(code, language) for code in items]
    elif vocabulary:
        items = [taxonomy.label(vocabulary, str(code), language) or str(code) for code in items]
    return "; ".join(str(item) for item in items)


def history_rows(service: Service) -> list[dict[str, Any]]:
    """Every revision of ``service``, newest first, with its changes as (label, before, after) in the page's
    language, its note, and the public's suggestion it closed (if any)."""
    language = page_language()
    closed = desk.closed_corrections_of(service)
    rows = []
    for revision in reversed(service.revisions):
        changes = [
            (field_label(name), field_value(name, pair[0], language), field_value(name, pair[1], language))
            for name, pair in sorted(revision.changes.items())
        ]
        rows.append(
            {
                "revision": revision,
                "action": str(REVISION_ACTIONS.get(revision.action, revision.action)),
                "changes": changes,
                "correction": closed.get(revision.at) if revision.action.startswith("feedback_") else None,
                "restorable": bool(revision.snapshot) and revision.action not in NOTE_ACTIONS,
            }
        )
    return rows


WORKFLOW_ACTIONS = {
    "submit": lambda service, **kw: workflow.submit(service, None, **kw),
    "publish": lambda service, **kw: workflow.publish(service, None, **kw),
    "discard": workflow.discard,
    "archive": workflow.archive,
    "restore": workflow.restore,
}


def _expected_version(form) -> int:
    """The version the page was showing (-1, which never matches, when the field is missing or garbled)."""
    return int(form.version.data) if (form.version.data or "").isdecimal() else -1


@bp.post("/services/<uuid>/status")
@login_required
def service_status(uuid: str):
    """Submit, publish, send back (asking why), discard the waiting changes, archive or restore a listing."""
    service = scoped_service(uuid)
    form = ActionForm()
    action = request.form.get("action", "")
    if action == "send_back":
        return inbox.send_back(uuid)
    if action not in WORKFLOW_ACTIONS:
        abort(400)
    ensure_may(action)
    if not form.validate():
        abort(400)
    expected = _expected_version(form)

    def change() -> None:
        WORKFLOW_ACTIONS[action](service, author=current_user.email, expected_version=expected)
        if action == "publish":
            inbox.verify_if_ticked(service)

    if commit_or_flash(
        change,
        on_conflict=lambda error: flash(
            str(error.message) + " " + gettext("Here is the latest version."), "warning"
        ),
    ):
        flash(_status_message(action, service), "success")
    return redirect(url_for("manage.edit_service", uuid=uuid))


def _status_message(action: str, service: Service) -> str:
    return {
        "submit": gettext("“%(title)s” is submitted for review.", title=service.title),
        "publish": gettext("“%(title)s” is published: the public can find it now.", title=service.title),
        "discard": gettext("The waiting changes are discarded: the published version stays."),
        "archive": gettext(
            "“%(title)s” is archived: it is no longer in the public search.", title=service.title
        ),
        "restore": gettext("“%(title)s” is restored as a draft.", title=service.title),
    }[action]


@bp.get("/services/<uuid>/history")
@login_required
def service_history(uuid: str):
    """Every recorded change of the listing: who, when, what, why; each version can be put back."""
    service = scoped_service(uuid)
    return render_template(
        "manage/service_history.html",
        service=service,
        rows=history_rows(service),
        kinds=inbox.FEEDBACK_LABELS,
    )


def _export_table(service: Service) -> tuple[list[str], list[list[Any]]]:
    """The history as a table: one line per changed field (one for a change of no field)."""
    header = [
        gettext("When"),
        gettext("What"),
        gettext("By"),
        gettext("Version"),
        gettext("Field"),
        gettext("Before"),
        gettext("After"),
        gettext("Note"),
    ]
    lines = []
    for row in history_rows(service):
        revision = row["revision"]
        at = revision.at.replace(tzinfo=None) if isinstance(revision.at, datetime) else revision.at
        note = revision.note
        if row["correction"] is not None:
            note = f"{row['correction'].message} → {note}"
        for label, before, after in row["changes"] or [("", "", "")]:
            lines.append([at, row["action"], revision.author, revision.version, label, before, after, note])
    return header, lines


def _filename(service: Service, extension: str) -> str:
    """The download's name: the listing's identifier in plain ASCII (a header holds nothing else safely)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", service.external_id).strip("-")[:60] or str(service.id)
    return f'attachment; filename="welfarepoint-history-{name}.{extension}"'


@bp.get("/services/<uuid>/history.csv")
@login_required
def export_history(uuid: str):
    """The history as CSV (``excel=1``: the BOM, ``;`` and formula-safe cells Italian Excel expects)."""
    service = scoped_service(uuid)
    excel = request.args.get("excel") == "1"
    header, lines = _export_table(service)
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(header)
    for line in lines:
        cells = [format_datetime(line[0], "yyyy-MM-dd HH:mm"), *line[1:]]
        if excel:
            cells = [columns.neutralise(str(cell)) for cell in cells]
        writer.writerow(cells)
    return Response(
        ("\ufeff" if excel else "") + output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": _filename(service, "csv")},
    )


@bp.get("/services/<uuid>/history.xlsx")
@login_required
def export_history_workbook(uuid: str):
    """The history as an Excel workbook: dates as dates, text as text, a frozen header."""
    service = scoped_service(uuid)
    header, lines = _export_table(service)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("History"))
    sheet.freeze_panes = "A2"
    sheet.append([_cell(sheet, text, bold=True) for text in header])
    for line in lines:
        sheet.append([_cell(sheet, value) for value in line])
    output = io.BytesIO()
    workbook.save(output)
    return Response(
        output.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": _filename(service, "xlsx")},
    )


def _cell(sheet, value: Any, bold: bool = False) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, datetime):
        cell.number_format = "DD/MM/YYYY HH:MM"
    elif isinstance(value, str):
        cell.data_type = "s"  # text stays text, even "=..."
    if bold:
        cell.font = Font(bold=True)
    return cell


@bp.post("/services/<uuid>/history/<int:revision_id>/restore")
@login_required
def restore_revision(uuid: str, revision_id: int):
    """Put back the content of one recorded version (held for review when the listing is published)."""
    service = scoped_service(uuid)
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.service_id != service.id:
        abort(404)
    form = ActionForm()
    if not form.validate():
        abort(400)
    expected = _expected_version(form)
    if not commit_or_flash(
        lambda: workflow.restore_revision(
            service,
            revision,
            author=current_user.email,
            expected_version=expected,
            allowed=lambda listing: scope.listing_problems(current_user, listing),
        )
    ):
        return redirect(url_for("manage.service_history", uuid=uuid))
    flash(gettext("The version of %(date)s is back.", date=revision.at.strftime("%Y-%m-%d %H:%M")), "success")
    return redirect(url_for("manage.edit_service", uuid=uuid))
