"""Real servers for the multi-process tests: gunicorn on a free port of 127.0.0.1, and a tiny HTTP client.

Every gunicorn these tests start runs with ``--no-control-socket``: gunicorn 25.1 and later otherwise open a
control socket in ``$XDG_RUNTIME_DIR`` or ``~/.gunicorn``, one path for every server the same user starts, so
servers running at once would take it from each other and remove it when they stop.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.manage import PASSWORD, token
from welfarepoint.config import PROJECT_ROOT

GUNICORN = [sys.executable, "-m", "gunicorn", "--no-control-socket"]


class Browser:
    """A tiny HTTP client with cookies, enough to sign in and post the backend's forms."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str]:
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                self.url = response.geturl()
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, email: str) -> None:
        login = self.get("/manage/login?lang=en")
        status, _ = self.post(
            "/manage/login", [("csrf_token", token(login)), ("email", email), ("password", PASSWORD)]
        )
        assert status == 200  # followed the redirect to the dashboard


def publish_through_form(site: Browser, title: str) -> tuple[int, str]:
    """Publish a free ATS Montagna play group called ``title`` through the backend's form (signed in)."""
    form = site.get("/manage/services/new")
    fields = [
        ("csrf_token", token(form)), ("title", title), ("summary", "Giochi e letture il sabato mattina."),
        ("audience", "persons"), ("category", "P2"), ("needs", "educational_activities"), ("ats", "Montagna"),
        ("cost", "free"), ("provider", "Associazione Marmotte"), ("provider_type", "non_profit"),
        ("periods", "all_year"), ("languages", "it"), ("availability", "open"),
        ("review_interval_days", "180"), ("action", "publish"),
    ]  # fmt: skip
    return site.post("/manage/services/new", fields)


def gunicorn(
    folder: Path, database: str, log: Path, *options: str, workers: int = 2, **settings: str
) -> subprocess.Popen:
    """Start (and return at once) gunicorn serving the instance in ``folder``; its log goes to ``log``.

    ``options`` are more gunicorn options; ``settings`` more ``WELFAREPOINT_*`` variables. The server binds port
    0 and the kernel picks a free port (:func:`port_of` reads it back from the log): no port chosen here can be
    taken by another socket before the server binds it.
    """
    env = dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=str(folder),
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=database,
        **settings,
    )
    command = [*GUNICORN, "-w", str(workers), "-b", "127.0.0.1:0", "--access-logfile", "-", *options]
    with log.open("ab") as output:  # the server keeps its own copy of the file
        return subprocess.Popen(
            [*command, "welfarepoint:create_app()"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def port_of(log: Path) -> int | None:
    """The port a gunicorn server listens on, once its log says so."""
    listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
    return int(listening.group(1)) if listening else None


def start(folder: Path, database: str, log: Path, **settings: str) -> tuple[subprocess.Popen, int]:
    """A gunicorn server of the instance in ``folder`` with the app preloaded, as production runs it, in two
    gthread processes of four threads each (production runs sync workers: threads exercise the same code and
    its thread safety as well), and its port, once it answers ``/``."""
    settings.setdefault("WELFAREPOINT_SEARCH_INDEX_DIR", str(folder / "search-index"))
    server = gunicorn(folder, database, log, "-k", "gthread", "--threads", "4", "--preload", **settings)
    deadline = time.monotonic() + 60
    port, answer = None, "no port in the log"
    while time.monotonic() < deadline and server.poll() is None:
        port = port or port_of(log)
        if port is not None:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                return server, port
            except urllib.error.HTTPError as error:  # started, but answering with an error
                answer = f"HTTP {error.code}"
            except OSError as error:
                answer = repr(error)
        time.sleep(0.3)
    stopped = server.poll()
    stop(server)
    state = f"it stopped with {stopped}" if stopped is not None else f"last answer: {answer}"
    pytest.fail(f"the server of {folder.name} did not start ({state})")


def stop(server: subprocess.Popen) -> None:
    """Stop a server and wait for it (killed if it does not stop within 20 s)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
