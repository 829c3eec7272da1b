"""The backend's pages of jobs other than imports (a large export): progress, then the file to download. What
every job page shares: who may see a job, and its state as the page and its script read it."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from pathlib import PurePath

from flask import Response, abort, current_app, jsonify, redirect, render_template, url_for
from flask_babel import format_number, format_timedelta
from flask_login import current_user, login_required

from welfarepoint.accounts import scope
from welfarepoint.accounts.scope import ListingFilter
from welfarepoint.extensions import db
from welfarepoint.jobs import queue_job
from welfarepoint.jobs.models import Job
from welfarepoint.jobs.runner import job_folder, progress, waited_seconds
from welfarepoint.manage.blueprint import bp

#: The kinds of job this module's pages show (imports have their own: :mod:`welfarepoint.manage.import_jobs`).
FILE_KINDS = ("export",)
MIMETYPES = {
    ".csv": "text/csv",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def visible_job(job_id: int, kinds: tuple[str, ...]) -> Job:
    """The job if it is of ``kinds`` and the signed-in account started it (or is an administrator); else 404."""
    job = db.session.get(Job, job_id)
    if job is None or job.kind not in kinds:
        abort(404)
    if job.owner_id != current_user.id and current_user.role != "admin":
        abort(404)
    return job


def job_state(job: Job) -> dict:
    """How far a job got, for its page and its script: status, step, rows done of the total, the bar's value and
    maximum (an import's two steps share one bar), how long it waited, and whether the runner seems down."""
    told = progress(job)
    steps = max(told["total"], 0) * (2 if job.kind.startswith("import") else 1)
    value = told["done"] + (told["total"] if told["step"] == "write" else 0)
    waited = waited_seconds(job)
    return {
        "status": job.status,
        "step": told["step"],
        "done": told["done"],
        "total": told["total"],
        "value": min(value, steps),
        "max": steps,
        "waited": waited,
        "stalled": job.status == "waiting" and waited >= current_app.config["JOBS_WAITING_WARNING_SECONDS"],
        "done_text": format_number(told["done"]),
        "total_text": format_number(told["total"]),
        "waited_text": format_timedelta(timedelta(seconds=waited), threshold=1),
    }


def queue_export_if_large(wanted: ListingFilter, form: str, download: str) -> Response | None:
    """Queue the export of the signed-in account's listings matching ``wanted`` when there are more than
    ``EXPORT_JOB_LISTINGS`` of them, and go to its page; None for a smaller export (made in the request)."""
    count = scope.listings_page(current_user, wanted, 1, 1).total
    if count <= current_app.config["EXPORT_JOB_LISTINGS"]:
        return None
    params = {"wanted": asdict(wanted), "format": form, "download": download, "count": count}
    job = queue_job("export", current_user, params)
    return redirect(url_for("manage.job_page", job_id=job.id))


@bp.get("/jobs/<int:job_id>")
@login_required
def job_page(job_id: int):
    """A job's progress, then the file it made."""
    job = visible_job(job_id, FILE_KINDS)
    return render_template("manage/job.html", job=job, state=job_state(job))


@bp.get("/jobs/<int:job_id>.json")
@login_required
def job_page_state(job_id: int):
    response = jsonify(job_state(visible_job(job_id, FILE_KINDS)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/jobs/<int:job_id>/file")
@login_required
def job_file(job_id: int):
    """The file a finished job made (an export), under the name it was asked for."""
    job = visible_job(job_id, FILE_KINDS)
    name = (job.result or {}).get("file")
    if job.status != "done" or not name or not (job_folder(job) / name).exists():
        abort(404)
    download = PurePath(job.params.get("download") or name).name
    return Response(
        (job_folder(job) / name).read_bytes(),
        mimetype=MIMETYPES.get(PurePath(name).suffix, "application/octet-stream"),
        headers={"Content-Disposition": f'attachment; filename="{download}"'},
    )
