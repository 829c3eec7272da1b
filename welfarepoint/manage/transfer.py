"""Import a listings file in the browser: upload, read the grouped report or the preview, map, choose, confirm.

A small file (up to ``IMPORT_JOB_BYTES``) travels back with every step (base64 in a hidden field), with the
columns the manager mapped and the organisations they chose, so nothing is kept on the server between steps; a
larger one is kept in the instance folder and checked and imported by the job runner, with a progress page
(:mod:`welfarepoint.manage.import_jobs`). Either way it is validated again at every step and at confirmation:
what is imported is what was previewed, or nothing at all.
"""

from __future__ import annotations

import base64
import binascii
import json
from pathlib import PurePath

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from welfarepoint.accounts import scope
from welfarepoint.catalog import columns, workbook
from welfarepoint.catalog.interchange import (
    ImportReport,
    errors_file,
    import_and_commit,
    import_listings,
    is_workbook,
    lines_text,
)
from welfarepoint.manage import import_jobs
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ImportForm
from welfarepoint.manage.helpers import requires

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED_TYPES = (
    "text/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/csv",
    "application/octet-stream",
    "application/zip",
    XLSX_TYPE,
)
LEAVE_OUT = "-"
#: At most this many mapped headers or chosen organisations travel with a file.
MAX_CHOICES = 200


def _uploaded(form: ImportForm) -> bytes | None:
    """The uploaded bytes, or None with the reason on the form."""
    upload = form.file.data
    problem = None
    if upload is None or not getattr(upload, "filename", ""):
        problem = _l("Choose a file.")
    elif (
        not upload.filename.lower().endswith((".csv", ".txt", ".xlsx"))
        or (upload.mimetype or "") not in ALLOWED_TYPES
    ):
        problem = _l("The file must be an Excel workbook (.xlsx) or a CSV file.")
    else:
        limit = current_app.config["IMPORT_MAX_BYTES"]
        data = upload.read(limit + 1)
        upload.close()
        if len(data) > limit:
            problem = _l(
                "The file is larger than %(limit)s KB: split it into smaller files.", limit=limit // 1024
            )
        elif not data.strip():
            problem = _l("The file is empty.")
        else:
            return data
    form.file.errors = [*form.file.errors, problem]
    return None


def _choices(name: str) -> dict[str, str]:
    """A mapping that travels with the file as JSON (headers to columns, or new names to existing ones)."""
    try:
        value = json.loads(request.form.get(name) or "{}")
    except ValueError:
        abort(400)
    if not isinstance(value, dict) or len(value) > MAX_CHOICES:
        abort(400)
    return {str(key)[:300]: str(item)[:300] for key, item in value.items()}


def chosen_mapping() -> dict[str, str]:
    """The columns the manager mapped: the carried ones, updated by the mapping step's selects."""
    mapping = _choices("mapping")
    for header, column in zip(
        request.form.getlist("map_header"), request.form.getlist("map_column"), strict=False
    ):
        if column == LEAVE_OUT:
            mapping[header[:300]] = ""
        elif column in columns.COLUMN_SPECS or column in {c.name for c in columns.columns()}:
            mapping[header[:300]] = column
    return dict(list(mapping.items())[:MAX_CHOICES])


def chosen_providers() -> dict[str, str]:
    """The existing organisation the manager chose for each organisation the import would create."""
    providers = _choices("providers")
    for name, choice in zip(
        request.form.getlist("org_name"), request.form.getlist("org_choice"), strict=False
    ):
        providers[name[:300]] = choice[:300]
    return {name: choice for name, choice in providers.items() if choice}


def _payload() -> bytes:
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if not data or len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        abort(400)
    return data


def _check(data: bytes, filename: str, mapping: dict[str, str], providers: dict[str, str], form: ImportForm):
    report = import_listings(
        data,
        author=current_user.email,
        dry_run=True,
        allowed=scope.import_refusals(current_user),
        mapping=mapping,
        providers=providers,
    )
    return _render(report, form, data, filename, mapping, providers), 200 if report.ok else 400


def _render(
    report: ImportReport | None,
    form: ImportForm,
    data: bytes | None = None,
    filename: str = "",
    mapping: dict[str, str] | None = None,
    providers: dict[str, str] | None = None,
) -> str:
    return render_template(
        "manage/import.html",
        form=form,
        report=report,
        payload=base64.b64encode(data).decode("ascii") if data else None,
        filename=PurePath(filename or "").name[:200],
        mapping=json.dumps(mapping or {}, ensure_ascii=False),
        mapped=mapping or {},
        providers=json.dumps(providers or {}, ensure_ascii=False),
        chosen=providers or {},
        columns=columns.columns(),
        leave_out=LEAVE_OUT,
        lines_text=lines_text,
        column_label=lambda name: columns.column(name).label,
    )


@bp.route("/import", methods=["GET", "POST"])
@requires("import")
def import_listings_page():
    """Upload a file: its problems grouped by field, or a preview of what will change, to confirm."""
    form = ImportForm()
    if request.method == "GET":
        return _render(None, form)
    mapping = chosen_mapping()
    if not form.validate() or (data := _uploaded(form)) is None:
        return _render(None, form, mapping=mapping), 400
    if len(data) > current_app.config["IMPORT_JOB_BYTES"]:
        return import_jobs.start_check(data, form.file.data.filename, mapping, {})
    return _check(data, form.file.data.filename, mapping, {}, form)


@bp.post("/import/check")
@requires("import")
def check_import():
    """Check the carried file again with the columns mapped and the organisations chosen."""
    return _check(
        _payload(), request.form.get("filename", ""), chosen_mapping(), chosen_providers(), ImportForm()
    )


@bp.post("/import/problems")
@requires("import")
def import_problems():
    """The file as uploaded, with a last column listing each row's problems (same format, CSV or Excel)."""
    data = _payload()
    report = import_listings(
        data,
        author=current_user.email,
        dry_run=True,
        allowed=scope.import_refusals(current_user),
        mapping=chosen_mapping(),
        providers=chosen_providers(),
    )
    if report.table is None:
        abort(400)
    stem = PurePath(request.form.get("filename", "") or "file").stem[:100] or "file"
    workbook = is_workbook(data)
    name = f"{stem}-{gettext('problems')}.{'xlsx' if workbook else 'csv'}"
    return Response(
        errors_file(report.table, report.errors),
        mimetype=XLSX_TYPE if workbook else "text/csv",
        headers={"Content-Disposition": f'attachment; filename="{ascii_name(name)}"'},
    )


def ascii_name(name: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_" for ch in name)


@bp.post("/import/confirm")
@requires("import")
def confirm_import():
    """Import the previewed file for real (validated again: all rows or none)."""
    data = _payload()
    mapping, providers = chosen_mapping(), chosen_providers()
    report = import_and_commit(
        data,
        author=current_user.email,
        allowed=scope.import_refusals(current_user),
        mapping=mapping,
        providers=providers,
    )
    if not report.ok:
        return _render(report, ImportForm(), data, request.form.get("filename", ""), mapping, providers), 400
    flash(
        gettext(
            "Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.",
            created=report.count("created"),
            updated=report.count("updated"),
            unchanged=report.count("unchanged"),
        ),
        "success",
    )
    return redirect(url_for("manage.services"))


@bp.get("/import/model.xlsx")
@requires("import")
def import_template():
    """The empty model of a listings file: the header, drop-down lists for every vocabulary, a legend."""
    return Response(
        workbook.template_workbook(),
        mimetype=XLSX_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name(gettext("welfarepoint-model"))}.xlsx"'
        },
    )
