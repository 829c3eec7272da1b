"""Several app instances over one database: each keeps its own search index, in step with the database.

Two real gunicorn servers (two sync workers each) share the database (PostgreSQL under `make test-postgres`,
else one SQLite file) but not their index folders, as two machines behind a load balancer would. A listing
published through one is found by the other's search at its next request, and archived through the other,
disappears from the first.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import make_config
from tests.databases import copy_instance
from welfarepoint import create_app, search
from welfarepoint.accounts.operations import create_user
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db

PASSWORD = "lamponi-e-mirtilli-2026"


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


def token(page: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)


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


def start(folder: Path, database: str, log: Path, **settings: str) -> tuple[subprocess.Popen, int]:
    """A gunicorn server of the instance in ``folder`` and its port; its log (errors, each request) goes to ``log``.

    ``settings`` are more ``WELFAREPOINT_*`` variables. The server binds port 0 and the kernel picks a free port, read back from the log: no port chosen here can
    be taken by another socket before the server binds it.
    """
    env = dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=str(folder),
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=database,
        WELFAREPOINT_SEARCH_INDEX_DIR=str(folder / "search-index"),
        **settings,
    )
    with log.open("ab") as output:  # the server keeps its own copy of the file
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-k", "gthread", "-w", "2", "--threads", "4", "--preload",
                "-b", "127.0.0.1:0", "--access-logfile", "-", "welfarepoint:create_app()",  # as production runs it
            ],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    port, answer = None, "no port in the log"
    while time.monotonic() < deadline and server.poll() is None:
        if port is None:
            listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
            port = int(listening.group(1)) if listening else None
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
    server.kill()
    server.wait(timeout=20)
    state = f"it stopped with {stopped}" if stopped is not None else f"last answer: {answer}"
    pytest.fail(f"the server of {folder.name} did not start ({state})")


def test_a_listing_published_through_one_instance_is_found_through_the_other(tmp_path, demo_instance):
    first, second = tmp_path / "first", tmp_path / "second"
    copy_instance(demo_instance, first)  # the database, and the first instance's index
    shutil.copytree(demo_instance, second, symlinks=True)  # the second instance: its own index folder
    shutil.rmtree(second / "search-index", ignore_errors=True)  # built from the database by its setup
    database = make_config(first)["SQLALCHEMY_DATABASE_URI"]
    with create_app(make_config(second, SQLALCHEMY_DATABASE_URI=database)).app_context():
        assert search.ensure_index() == "rebuilt"  # what `flask setup` does on each instance
        db.engine.dispose()
    search.forget_all()
    setup = create_app(make_config(first))
    with setup.app_context():
        create_user("anna@ats-montagna.example.org", PASSWORD, "ats_manager", ats="Montagna")
        db.session.commit()
        db.engine.dispose()
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    servers, ports = [], []
    try:
        for folder, log in zip((first, second), logs, strict=True):
            server, port = start(folder, database, log)
            servers.append(server)
            ports.append(port)
        one, other = (Browser(f"http://127.0.0.1:{port}") for port in ports)
        title = "Ludoteca delle marmotte curiose"
        assert "ludoteca-delle-marmotte-curiose" not in other.get("/search?q=marmotte+curiose")
        login = one.get("/manage/login?lang=en")
        status, _ = one.post(
            "/manage/login",
            [
                ("csrf_token", token(login)),
                ("email", "anna@ats-montagna.example.org"),
                ("password", PASSWORD),
            ],
        )
        assert status == 200  # followed the redirect to the dashboard
        status, page = publish_through_form(one, title)
        assert status == 200 and "the public can find it now" in page
        # The other instance, with its own index, finds it at its next search (whichever worker answers).
        for _ in range(4):
            assert 'href="/services/ludoteca-delle-marmotte-curiose"' in other.get(
                "/search?q=marmotte+curiose"
            )
        assert (second / "search-index" / "live" / "catalog-generation").exists()
        # And back: archived through the second instance, it leaves the first one's search.
        edit_path = urllib.parse.urlparse(one.url).path
        other.sign_in("anna@ats-montagna.example.org")
        edit = other.get(edit_path)
        version = re.search(r'name="version" value="(\d+)"', edit).group(1)
        status, page = other.post(
            edit_path + "/status", [("csrf_token", token(edit)), ("version", version), ("action", "archive")]
        )
        assert status == 200 and "no longer in the public search" in page
        for _ in range(4):
            assert 'href="/services/ludoteca-delle-marmotte-curiose"' not in one.get(
                "/search?q=marmotte+curiose"
            )
    except BaseException:
        for log in logs:  # what the servers said, in the test's report
            print(f"--- {log.name}", log.read_text(errors="replace")[-20_000:], sep="\n")
        raise
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=20)
