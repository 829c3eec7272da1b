"""Queue a job, run it in the consumer, keep its progress: the part every kind of job shares."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import force_locale, get_locale
from huey import Huey
from sqlalchemy import func, select, text

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db
from welfarepoint.jobs.models import Job

log = logging.getLogger(__name__)

#: What a kind of job does: given the job (running, in an app context) and a progress callback, its result.
Handler = Callable[[Job, Callable[[str, int, int], None]], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


@dataclass
class Runner:
    """An app's queue and the task that runs a job by its id."""

    huey: Huey
    task: Any


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that does jobs of ``kind``."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


def files_folder() -> Path:
    """Where jobs keep their files (an upload, a problems file, an export): ``<instance>/job-files``."""
    folder = Path(current_app.instance_path) / "job-files"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def job_folder(job: Job) -> Path:
    folder = files_folder() / str(job.id)
    folder.mkdir(exist_ok=True)
    return folder


def scope_of(user: Any) -> str:
    if user is None:
        return ""
    territory = user.ats or (user.alliance.name if getattr(user, "alliance", None) else "")
    return f"{user.role}:{territory}"[:120] if territory else user.role


def owner_of(job: Job):
    """The account that queued ``job``, as it is now (a job of a disabled or deleted account does not run)."""
    from welfarepoint.accounts.models import User

    owner = db.session.get(User, job.owner_id) if job.owner_id else None
    if owner is None or not owner.active:
        raise PermissionError("the account that started this job no longer exists or is disabled")
    return owner


def queue_job(kind: str, owner: Any, params: dict[str, Any], files: dict[str, bytes] | None = None) -> Job:
    """Record a job of ``kind`` for ``owner`` with ``params`` (and its files), commit it, and queue it. The job
    runs in the language of the page that queued it (what it writes in words: a file of problems, a message)."""
    forget_old_jobs()
    params = {"locale": str(get_locale() or ""), **params}
    job = Job(kind=kind, owner_id=owner.id if owner else None, scope=scope_of(owner), params=params)
    job.status, job.total, job.done, job.error = "waiting", 0, 0, ""
    db.session.add(job)
    db.session.flush()
    for name, data in (files or {}).items():
        (job_folder(job) / name).write_bytes(data)
    db.session.commit()
    current_app.extensions["jobs"].task(job.id)
    return db.session.get(Job, job.id) or job


def execute(job_id: int) -> None:
    """Run a waiting job (in the consumer, inside an app context): running, then done with its result or failed."""
    job = db.session.get(Job, job_id)
    if job is None or job.status != "waiting":
        return
    job.status, job.started_at = "running", now_utc()
    db.session.commit()
    keep_readers_reading()
    try:
        with force_locale(job.params.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"]):
            result = HANDLERS[job.kind](
                job, lambda step, done, total: tell_progress(job_id, step, done, total)
            )
    except Exception as error:  # the job fails, the runner goes on: the row says what broke
        log.exception("job %s (%s) failed", job_id, job.kind if job else "?")
        db.session.rollback()
        job = db.session.get(Job, job_id)
        job.status, job.error, job.finished_at = (
            "failed",
            f"{type(error).__name__}: {error}"[:2000],
            now_utc(),
        )
        db.session.commit()
        return
    job = db.session.get(Job, job_id)
    job.status, job.result, job.finished_at = "done", result, now_utc()
    job.total = int(result.get("total", job.total) or 0)
    job.done = job.total
    db.session.commit()
    current_app.extensions["jobs"].huey.delete(_progress_key(job_id))


def fail_interrupted() -> int:
    """Jobs left ``running`` by a consumer that was stopped at once (SIGTERM, a crash): their transaction was
    rolled back with the process, so nothing of them was written. Marked failed, so that their page says so and
    the manager starts again, instead of waiting for ever. Called when a consumer starts (one per site)."""
    stale = db.session.execute(select(Job).where(Job.status == "running")).scalars().all()
    for job in stale:
        job.status, job.finished_at = "failed", now_utc()
        job.error = "interrupted: the job runner stopped while this job ran; nothing of it was written"
    db.session.commit()
    return len(stale)


def keep_readers_reading() -> None:
    """On SQLite, keep a long job's changes in memory until it commits (``cache_spill`` off): spilling them to
    the file mid-way takes SQLite's exclusive lock, and every page of the site (its progress page too) would wait
    for the whole job instead of a moment at its commit. PostgreSQL's readers never wait for a writer."""
    if db.session.get_bind().dialect.name == "sqlite":
        # Left uncommitted: the session keeps this connection for the job's transaction, which follows.
        db.session.execute(text("PRAGMA cache_spill = OFF"))


def _progress_key(job_id: int) -> str:
    return f"progress:{job_id}"


def tell_progress(job_id: int, step: str, done: int, total: int) -> None:
    """Keep a running job's progress in the runner's own store (Redis or its SQLite file), not in the database:
    the job's database transaction (an import is all or nothing) is still open, and the page must see it now."""
    current_app.extensions["jobs"].huey.put(
        _progress_key(job_id), {"step": step, "done": done, "total": total}
    )


def progress(job: Job) -> dict[str, Any]:
    """How far ``job`` got: its step, rows done and total (the runner's latest word while it runs)."""
    if job.status == "running":
        told = current_app.extensions["jobs"].huey.get(_progress_key(job.id), peek=True)
        if told:
            return told
        return {"step": "check", "done": 0, "total": 0}
    if job.status == "done":
        return {"step": "write", "done": job.total, "total": job.total}
    return {"step": "", "done": 0, "total": 0}


def queue_state() -> dict[str, Any]:
    """The queue as ``/readyz`` and the metrics say it: tasks in the runner's queue, jobs by status, and how long
    the oldest waiting job has waited (seconds; grows when no consumer runs)."""
    counts = dict(db.session.execute(select(Job.status, func.count()).group_by(Job.status)).all())
    oldest = db.session.execute(select(func.min(Job.created_at)).where(Job.status == "waiting")).scalar()
    age = None
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=now_utc().tzinfo)
        age = max(0, round((now_utc() - oldest).total_seconds()))
    try:
        pending = current_app.extensions["jobs"].huey.pending_count()
    except Exception:  # the queue's store out of reach: say so, do not fail the check
        pending = None
    return {
        "pending": pending,
        "waiting": counts.get("waiting", 0),
        "running": counts.get("running", 0),
        "done": counts.get("done", 0),
        "failed": counts.get("failed", 0),
        "oldest_waiting_seconds": age,
    }


def waited_seconds(job: Job) -> int:
    created = job.created_at if job.created_at.tzinfo else job.created_at.replace(tzinfo=now_utc().tzinfo)
    return max(0, int((now_utc() - created).total_seconds()))


def forget_old_jobs() -> None:
    """Drop finished jobs older than ``JOBS_KEEP_DAYS`` and their files."""
    limit = now_utc() - timedelta(days=current_app.config["JOBS_KEEP_DAYS"])
    old = db.session.execute(
        select(Job).where(Job.status.in_(("done", "failed")), Job.created_at < limit)
    ).scalars()
    for job in old:
        shutil.rmtree(files_folder() / str(job.id), ignore_errors=True)
        db.session.delete(job)
