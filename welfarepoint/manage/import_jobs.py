"""Imports run by the job runner: a large file's check and every confirmation of one. The upload is kept in the
instance folder; its job page shows a progress bar (refreshed without JavaScript, live with it), then the same
preview or report as the import page, with the file of problems to download. Only the manager who started a job
(and the region's administrators) can see it."""

from __future__ import annotations

import json
from pathlib import PurePath

from flask import Response, abort, jsonify, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user

from welfarepoint.catalog import columns
from welfarepoint.catalog.interchange import lines_text
from welfarepoint.jobs import queue_job
from welfarepoint.jobs.imports import UPLOAD, problems_path, report_from_json, upload_of
from welfarepoint.jobs.models import Job
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import requires
from welfarepoint.manage.job_pages import job_state, visible_job

IMPORT_KINDS = ("import_check", "import_confirm")


def start_check(data: bytes, filename: str, mapping: dict[str, str], providers: dict[str, str]) -> Response:
    """Queue the check of an uploaded file and go to its job page."""
    job = queue_job(
        "import_check",
        current_user,
        {"filename": PurePath(filename or "").name[:200], "mapping": mapping, "providers": providers},
        files={UPLOAD: data},
    )
    return redirect(url_for("manage.import_job", job_id=job.id))


def own_job(job_id: int) -> Job:
    """The import job if the signed-in account started it (or is an administrator); 404 otherwise."""
    return visible_job(job_id, IMPORT_KINDS)


def _follow_up(job: Job, kind: str) -> Response:
    """A new job on the same upload, with the columns mapped and organisations chosen on the page."""
    from welfarepoint.manage.transfer import chosen_mapping, chosen_providers

    params = {
        "filename": job.params.get("filename", ""),
        "mapping": chosen_mapping(),
        "providers": chosen_providers(),
    }
    new = queue_job(kind, current_user, params, files={UPLOAD: upload_of(job)})
    return redirect(url_for("manage.import_job", job_id=new.id))


@bp.get("/import/jobs/<int:job_id>")
@requires("import")
def import_job(job_id: int):
    """A running import's progress, then its preview (a check) or its outcome (a confirmation)."""
    job = own_job(job_id)
    result = job.result or {}
    report = report_from_json(result, dry_run=job.kind == "import_check") if job.status == "done" else None
    mapping = job.params.get("mapping") or {}
    providers = job.params.get("providers") or {}
    page = render_template(
        "manage/import_job.html",
        job=job,
        state=job_state(job),
        report=report,
        committed=result.get("committed", False),
        filename=job.params.get("filename", ""),
        hidden=[
            ("mapping", json.dumps(mapping, ensure_ascii=False)),
            ("providers", json.dumps(providers, ensure_ascii=False)),
        ],
        mapped=mapping,
        chosen=providers,
        check_url=url_for("manage.import_job_check", job_id=job.id),
        confirm_url=url_for("manage.import_job_confirm", job_id=job.id),
        problems_url=url_for("manage.import_job_problems", job_id=job.id) if problems_path(job) else None,
        columns=columns.columns(),
        leave_out="-",
        lines_text=lines_text,
        column_label=lambda name: columns.column(name).label,
    )
    status = 400 if report is not None and not report.ok else 200
    return page, status


@bp.get("/import/jobs/<int:job_id>.json")
@requires("import")
def import_job_state(job_id: int):
    """The job's progress for the page's script (it reloads the page when the job is over)."""
    response = jsonify(job_state(own_job(job_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/import/jobs/<int:job_id>/check")
@requires("import")
def import_job_check(job_id: int):
    """Check the same file again with the columns mapped and the organisations chosen."""
    return _follow_up(own_job(job_id), "import_check")


@bp.post("/import/jobs/<int:job_id>/confirm")
@requires("import")
def import_job_confirm(job_id: int):
    """Import the checked file for real (checked again as it is written: every row or none)."""
    job = own_job(job_id)
    if job.status != "done" or job.kind != "import_check" or not (job.result or {}).get("ok"):
        abort(409)
    return _follow_up(job, "import_confirm")


@bp.get("/import/jobs/<int:job_id>/problems")
@requires("import")
def import_job_problems(job_id: int):
    """The file as uploaded with a last column listing each row's problems."""
    from welfarepoint.manage.transfer import XLSX_TYPE, ascii_name

    job = own_job(job_id)
    path = problems_path(job)
    if path is None or not path.exists():
        abort(404)
    stem = PurePath(job.params.get("filename", "") or "file").stem[:100] or "file"
    workbook = path.suffix == ".xlsx"
    name = f"{stem}-{gettext('problems')}.{'xlsx' if workbook else 'csv'}"
    return Response(
        path.read_bytes(),
        mimetype=XLSX_TYPE if workbook else "text/csv",
        headers={"Content-Disposition": f'attachment; filename="{ascii_name(name)}"'},
    )
