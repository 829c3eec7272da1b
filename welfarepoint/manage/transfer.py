"""Import a listings CSV in the browser: upload, read the report or the preview, confirm.

The file travels back with the confirmation (base64 in a hidden field), so nothing is kept on the server
between the two steps, and it is validated again at confirmation: what is imported is what was previewed,
or nothing at all.
"""

from __future__ import annotations

import base64
import binascii

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from welfarepoint.accounts import scope
from welfarepoint.catalog.interchange import import_and_commit
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ImportForm
from welfarepoint.manage.helpers import requires

ALLOWED_TYPES = (
    "text/csv",
    "text/plain",
    "application/vnd.ms-excel",
    "application/csv",
    "application/octet-stream",
)


def _uploaded(form: ImportForm) -> bytes | None:
    """The uploaded bytes, or None with the reason on the form."""
    upload = form.file.data
    problem = None
    if upload is None or not getattr(upload, "filename", ""):
        problem = _l("Choose a CSV file.")
    elif (
        not upload.filename.lower().endswith((".csv", ".txt")) or (upload.mimetype or "") not in ALLOWED_TYPES
    ):
        problem = _l("The file must be a CSV (save it from Excel as “CSV UTF-8” or “CSV”).")
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


@bp.route("/import", methods=["GET", "POST"])
@requires("import")
def import_listings_page():
    """Upload a file: every bad row is listed, or a preview of what will change is shown for confirmation."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("manage/import.html", form=form, report=None)
    if not form.validate() or (data := _uploaded(form)) is None:
        return render_template("manage/import.html", form=form, report=None), 400
    report = import_and_commit(
        data, author=current_user.email, dry_run=True, allowed=scope.import_refusals(current_user)
    )
    return (
        render_template(
            "manage/import.html",
            form=form,
            report=report,
            payload=base64.b64encode(data).decode("ascii"),
            filename=form.file.data.filename,
        ),
        200 if report.ok else 400,
    )


@bp.post("/import/confirm")
@requires("import")
def confirm_import():
    """Import the previewed file for real (validated again: all rows or none)."""
    try:
        data = base64.b64decode(request.form.get("payload", ""), validate=True)
    except (binascii.Error, ValueError):
        abort(400)
    if not data or len(data) > current_app.config["IMPORT_MAX_BYTES"]:
        abort(400)
    report = import_and_commit(data, author=current_user.email, allowed=scope.import_refusals(current_user))
    if not report.ok:
        return render_template("manage/import.html", form=ImportForm(), report=report, payload=None), 400
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
