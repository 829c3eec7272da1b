"""The project's one job runner: long work (imports, exports, later mail and digests) done off the request.

It is Huey (a well-kept task queue): its queue lives in ``<instance>/jobs.sqlite3`` by default (``JOBS_SQLITE_PATH``)
or in Redis when ``JOBS_REDIS_URL`` is set (production, with several web processes or hosts). The web queues a
:class:`~welfarepoint.jobs.models.Job` row and one task naming it; ``flask jobs run`` (the consumer) runs the task
inside an app context, records progress and the result on the row. Each kind of job has a handler registered with
:func:`handler`; ``docs/operations.md`` says how to run the consumer.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

from welfarepoint.jobs.runner import handler, queue_job

__all__ = ["handler", "huey", "init_app", "queue_job"]

#: The queue's name in its store (Redis keys, the SQLite file's rows).
QUEUE_NAME = "welfarepoint"


def make_huey(app: Flask) -> Huey:
    """The Huey of ``app``'s settings: Redis when ``JOBS_REDIS_URL`` is set, else SQLite in the instance folder;
    ``JOBS_IMMEDIATE`` runs each job at once inside the request that queues it (development only)."""
    config = app.config
    if config["JOBS_REDIS_URL"]:
        return RedisHuey(QUEUE_NAME, url=config["JOBS_REDIS_URL"], immediate=config["JOBS_IMMEDIATE"])
    path = config["JOBS_SQLITE_PATH"] or str(Path(app.instance_path) / "jobs.sqlite3")
    return SqliteHuey(QUEUE_NAME, filename=path, immediate=config["JOBS_IMMEDIATE"])


def init_app(app: Flask) -> None:
    """Make ``app``'s Huey, register the one task that runs a job, add ``flask jobs``."""
    from welfarepoint.jobs import runner
    from welfarepoint.jobs.cli import jobs_command

    for name, default in (
        ("JOBS_REDIS_URL", ""),
        ("JOBS_SQLITE_PATH", ""),
        ("JOBS_IMMEDIATE", False),
        ("JOBS_WORKERS", 2),
        ("JOBS_WAITING_WARNING_SECONDS", 30),
        ("JOBS_KEEP_DAYS", 7),
        ("IMPORT_JOB_BYTES", 64 * 1024),
        ("EXPORT_JOB_LISTINGS", 2000),
    ):
        app.config.setdefault(name, default)
    queue = make_huey(app)

    @queue.task(name="welfarepoint.run_job")
    def run_job(job_id: int) -> None:
        with app.app_context():
            runner.execute(job_id)

    app.extensions["jobs"] = runner.Runner(queue, run_job)
    app.cli.add_command(jobs_command)

    # Import the handlers so that every kind of job is known to the web and to the consumer alike.
    from welfarepoint.jobs import exports, imports  # noqa: F401


def huey() -> Huey:
    """The current app's Huey (its queue and its key-value store)."""
    return current_app.extensions["jobs"].huey
