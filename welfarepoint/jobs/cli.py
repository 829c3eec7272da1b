"""``flask jobs run`` (the consumer: runs queued jobs until stopped) and ``flask jobs status``."""

from __future__ import annotations

import json
import logging

import click
from flask import current_app
from flask.cli import AppGroup
from huey.consumer import Consumer

jobs_command = AppGroup("jobs", help="The job runner (imports, exports, rebuilds off the request).")


class EmbeddedConsumer(Consumer):
    """A consumer started inside another program (a test, a development server): it leaves that program's signal
    handlers alone, and is stopped with :meth:`stop`."""

    def _set_signal_handlers(self) -> None:
        pass


def consumer_options(workers: int, periodic: bool = False) -> dict:
    """Threads that ask for work often, so that a queued job starts within a fraction of a second; ``periodic``
    also runs the periodic tasks (mail every minute, digests and alerts daily)."""
    return {
        "workers": workers,
        "worker_type": "thread",
        "periodic": periodic,
        "initial_delay": 0.1,
        "backoff": 1.15,
        "max_delay": 1.0,
    }


def embedded_consumer(app, workers: int = 1) -> EmbeddedConsumer:
    """A started consumer of ``app``'s queue, in threads of this process (call ``stop(graceful=True)``)."""
    consumer = EmbeddedConsumer(app.extensions["jobs"].huey, **consumer_options(workers))
    consumer.start()
    return consumer


@jobs_command.command("run")
@click.option("--workers", type=int, default=None, help="Jobs run at the same time (default: JOBS_WORKERS).")
def run_command(workers: int | None) -> None:
    """Run queued jobs until stopped (SIGINT: finish the running jobs first; SIGTERM: at once)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    runner = current_app.extensions["jobs"]
    if runner.huey.immediate:
        raise click.ClickException(
            "JOBS_IMMEDIATE is on: jobs run inside the requests, there is nothing to consume."
        )
    from welfarepoint.jobs.runner import fail_interrupted

    interrupted = fail_interrupted()
    if interrupted:
        logging.getLogger(__name__).warning("%s jobs interrupted by the last stop marked failed", interrupted)
    count = workers or current_app.config["JOBS_WORKERS"]
    Consumer(runner.huey, **consumer_options(count, periodic=True)).run()


@jobs_command.command("status")
def status_command() -> None:
    """The queue: tasks pending, jobs by status, the oldest waiting job's age in seconds (JSON)."""
    from welfarepoint.jobs.runner import queue_state

    click.echo(json.dumps(queue_state()))
