"""The production set-up the resilience suite runs against, in a temporary folder, every part real:

- PostgreSQL (Debian's, a throwaway server on 127.0.0.1 that can be stopped and started again:
  ``tests/support/postgres.py``), with a database ``welfarepoint``;
- Redis (Debian's ``redis-server``), the rate limits' shared store and the job queue, as production runs them;
- an instance folder whose search index lives on a disk of its own that can be made full
  (``tests/support/disks.py``: a small tmpfs as root, a read-only folder otherwise);
- ``flask setup``, ``flask seed-demo`` and ``flask users create`` as an operator runs them;
- gunicorn as ``docs/operations.md`` starts it: 4 sync workers, ``--preload``, ``--max-requests``, the project's
  gunicorn settings with Prometheus metrics on, behind one trusted proxy (``PROXY_FIX_X_FOR=1``: the visitors'
  addresses come in ``X-Forwarded-For``, as nginx sends them);
- the job runner (``flask jobs run``) when this checkout has one (``flask jobs --help`` answers).

Every process started here is stopped, and every folder removed, by :meth:`Stack.close`, even on error.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.support.disks import IndexDisk
from tests.support.postgres import PostgresServer
from welfarepoint.config import PROJECT_ROOT

#: The managers who publish, each from an address of their own; their password.
MANAGERS = ("anna@ats-montagna.example.org", "bruno@ats-montagna.example.org")
PASSWORD = "resilienza-suite-2026"
WORKERS = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """The whole set-up; :meth:`start` builds and starts it, :meth:`close` stops and removes everything."""

    def __init__(self, workdir: Path | None = None, keep: bool = False):
        self.keep = keep
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="welfarepoint-resilience."))
        self.instance = self.workdir / "instance"
        self.log = self.workdir / "gunicorn.log"
        self.jobs_log = self.workdir / "jobs.log"
        self.postgres: PostgresServer | None = None
        self.disk: IndexDisk | None = None
        self.redis: subprocess.Popen | None = None
        self.gunicorn: subprocess.Popen | None = None
        self.jobs: subprocess.Popen | None = None
        self.base = ""
        self.database_url = ""
        self.env: dict[str, str] = {}

    # --- building ----------------------------------------------------------------------------------------

    def start(self, say=print) -> None:
        self.instance.mkdir(parents=True)
        say("  PostgreSQL...")
        self.postgres = PostgresServer()
        self._create_database()
        say("  Redis...")
        self.redis_url = self._start_redis()
        self.disk = IndexDisk(self.workdir / "index-disk")
        self.env = dict(
            os.environ,
            WELFAREPOINT_INSTANCE_PATH=str(self.instance),
            WELFAREPOINT_SQLALCHEMY_DATABASE_URI=self.database_url,
            WELFAREPOINT_SEARCH_INDEX_DIR=str(self.disk.folder),
            WELFAREPOINT_RATELIMIT_STORAGE_URI=self.redis_url,
            WELFAREPOINT_JOBS_REDIS_URL=self.redis_url.removesuffix("/0")
            + "/1",  # the job queue, in production
            WELFAREPOINT_PROXY_FIX_X_FOR="1",
            WELFAREPOINT_METRICS_ADDRESS=f"127.0.0.1:{free_port()}",
            PROMETHEUS_MULTIPROC_DIR=str(self.workdir / "metrics"),
        )
        (self.workdir / "metrics").mkdir()
        say("  flask setup, seed-demo, users create...")
        self.flask("setup")
        self.flask("seed-demo", "--if-empty")
        for email in MANAGERS:
            self.flask(
                "users", "create", email, "--role", "ats_manager", "--ats", "Montagna", "--password", PASSWORD
            )
        say("  gunicorn (4 sync workers, --preload)...")
        self._start_gunicorn()
        if self.has_job_runner():
            say("  the job runner (flask jobs run)...")
            self.start_job_runner()
        else:
            say("  no job runner in this checkout (flask jobs: no such command): not started")

    def flask(self, *args: str, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run ``flask --app welfarepoint ARGS`` on the instance, as an operator would."""
        completed = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "welfarepoint", *args],
            cwd=PROJECT_ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and completed.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{completed.stdout}\n{completed.stderr}")
        return completed

    def _create_database(self) -> None:
        engine = create_engine(self.postgres.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text('CREATE DATABASE "welfarepoint"'))
        finally:
            engine.dispose()
        self.database_url = make_url(self.postgres.url).set(database="welfarepoint").render_as_string(False)

    def _start_redis(self) -> str:
        program = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(program).exists():
            raise RuntimeError("redis-server is missing: run 'make redis' (Debian's redis-server)")
        folder = self.workdir / "redis"
        folder.mkdir()
        port = free_port()
        self.redis = subprocess.Popen(
            [program, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
             "--appendonly", "no", "--logfile", str(folder / "redis.log")],
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                    connection.sendall(b"PING\r\n")
                    if connection.recv(16).startswith(b"+PONG"):
                        return f"redis://127.0.0.1:{port}/0"
            except OSError:
                pass
            if self.redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("redis-server did not start")
            time.sleep(0.1)

    def _start_gunicorn(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "-c", "python:welfarepoint.ops.gunicorn",
            "-w", str(WORKERS), "--preload", "--max-requests", "10000", "--max-requests-jitter", "1000",
            "--no-control-socket", "-b", "127.0.0.1:0", "--access-logfile", "-",
            "welfarepoint:create_app()",
        ]  # fmt: skip
        with self.log.open("ab") as output:
            self.gunicorn = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 120
        port = None
        while time.monotonic() < deadline and self.gunicorn.poll() is None:
            found = re.search(
                r"Listening at: http://127\.0\.0\.1:(\d+)", self.log.read_text(errors="replace")
            )
            port = port or (int(found.group(1)) if found else None)
            if port is not None and len(self.worker_pids()) == WORKERS:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10).close()
                    self.base = f"http://127.0.0.1:{port}"
                    return
                except (urllib.error.URLError, OSError):
                    pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not start:\n{self.log.read_text(errors='replace')[-5000:]}")

    def has_job_runner(self) -> bool:
        """Whether this checkout has the job runner's command (``flask jobs run``)."""
        return self.flask("jobs", "--help", check=False, timeout=120).returncode == 0

    def start_job_runner(self) -> None:
        with self.jobs_log.open("ab") as output:
            self.jobs = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "welfarepoint", "jobs", "run"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    # --- looking at it -----------------------------------------------------------------------------------

    def worker_pids(self) -> list[int]:
        """The gunicorn workers' process ids (the master's children)."""
        if self.gunicorn is None:
            return []
        children = Path(f"/proc/{self.gunicorn.pid}/task/{self.gunicorn.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_worker(self) -> int:
        """Kill one worker at once (SIGKILL, as the kernel's OOM killer would); return its id."""
        pid = sorted(self.worker_pids())[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def log_position(self) -> int:
        return self.log.stat().st_size

    def log_since(self, position: int) -> str:
        with self.log.open("rb") as log:
            log.seek(position)
            return log.read().decode(errors="replace")

    def job_runner_state(self) -> str:
        if self.jobs is None:
            return "none in this checkout"
        code = self.jobs.poll()
        return "running" if code is None else f"stopped (exit {code})"

    # --- stopping ----------------------------------------------------------------------------------------

    def close(self) -> None:
        for process in (self.jobs, self.gunicorn, self.redis):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=20)
        if self.disk is not None:
            self.disk.close()
        if self.postgres is not None:
            self.postgres.remove()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
