"""Several app instances over one database: each keeps its own search index, in step with the database; and
several workers starting at once on an empty instance folder.

Two real gunicorn servers (two sync workers each) share the database (PostgreSQL under `make test-postgres`,
else one SQLite file) but not their index folders, as two machines behind a load balancer would. A listing
published through one is found by the other's search at its next request, and archived through the other,
disappears from the first.

At a first start, whichever worker (or process) gets there first makes the instance folder and its secret key;
the others read that key, so that a session signed by one worker holds in every other.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.apps import make_config
from tests.support.databases import copy_instance, database_uri
from tests.support.servers import (
    PASSWORD,
    Browser,
    gunicorn,
    port_of,
    publish_through_form,
    start,
    stop,
    token,
)
from welfarepoint import config as wp_config
from welfarepoint import create_app, search
from welfarepoint.accounts.operations import create_user
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db

PROBE = Path(__file__).parent / "support" / "gunicorn_probe.py"


@pytest.mark.multiprocess
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
            # Each search asks the database whether the catalog changed (by default once a second per process).
            server, port = start(folder, database, log, WELFAREPOINT_SEARCH_CATALOG_CHECK_SECONDS="0")
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
            stop(server)


# A first start, many times over: gunicorn's workers, and plain processes released at the same instant.
GUNICORN_ROUNDS, GUNICORN_WORKERS = 5, 4
PROCESS_ROUNDS, PROCESSES = 20, 4

CHILD = """
import json, sys, traceback
from welfarepoint import create_app
from welfarepoint.extensions import db

print("ready", flush=True)
for line in sys.stdin:  # one empty instance folder per round, sent to every process at once
    try:
        app = create_app({"INSTANCE_PATH": line.strip(), "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
        with app.app_context():
            db.engine.dispose()
        print(json.dumps({"key": app.config["SECRET_KEY"]}), flush=True)
    except Exception:
        print(json.dumps({"error": traceback.format_exc()}), flush=True)
"""


def shared_database(tmp_path: Path, template_instance: Path) -> str:
    """A set-up database outside the instance folders (as PostgreSQL is in production)."""
    copy_instance(template_instance, tmp_path / "database")
    return database_uri(tmp_path / "database")


def instance_key(folder: Path) -> str:
    """The secret key an instance folder holds, checked to be readable by its owner only."""
    key_file = folder / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(path.name for path in folder.iterdir() if path.name.startswith(".secret_key")) == []
    return key_file.read_text(encoding="utf-8").strip()


@pytest.mark.multiprocess
@pytest.mark.slow
def test_gunicorn_workers_starting_on_an_empty_instance_all_boot_with_one_key(tmp_path, template_instance):
    database = shared_database(tmp_path, template_instance)
    home = tmp_path / "home"
    home.mkdir()
    for round_ in range(GUNICORN_ROUNDS):
        folder = tmp_path / f"instance-{round_}"  # does not exist yet: the first worker makes it
        probes = tmp_path / f"probes-{round_}"
        probes.mkdir()
        log = tmp_path / f"gunicorn-{round_}.log"
        # HOME and XDG_RUNTIME_DIR say where gunicorn would put a control socket: the test's own home shows none.
        server = gunicorn(
            folder, database, log, "-c", str(PROBE), workers=GUNICORN_WORKERS,
            WELFAREPOINT_TEST_PROBE_DIR=str(probes), HOME=str(home), XDG_RUNTIME_DIR="",
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while len(list(probes.glob("[0-9]*"))) < GUNICORN_WORKERS and server.poll() is None:
                assert time.monotonic() < deadline, "the workers did not boot in 2 minutes"
                time.sleep(0.1)
            assert server.poll() is None, f"gunicorn stopped with {server.returncode}"
            with urllib.request.urlopen(f"http://127.0.0.1:{port_of(log)}/", timeout=30) as answer:
                assert answer.status == 200
            assert server.poll() is None
            digest = hashlib.sha256(instance_key(folder).encode()).hexdigest()
            assert [path.read_text() for path in probes.glob("[0-9]*")] == [digest] * GUNICORN_WORKERS
        except BaseException:
            print(f"--- {log.name}", log.read_text(errors="replace")[-20_000:], sep="\n")
            raise
        finally:
            stop(server)
        assert "Worker failed to boot" not in log.read_text(errors="replace")
    assert list(home.iterdir()) == []  # no control socket in the home folder


@pytest.mark.multiprocess
def test_processes_building_the_app_at_the_same_instant_on_an_empty_instance_share_one_key(
    tmp_path, template_instance
):
    database = shared_database(tmp_path, template_instance)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, database],
            cwd=PROJECT_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    try:
        assert [child.stdout.readline().strip() for child in children] == ["ready"] * PROCESSES
        for round_ in range(PROCESS_ROUNDS):
            folder = tmp_path / f"instance-{round_}"
            for child in children:  # every process is waiting on its input: this releases them together
                child.stdin.write(f"{folder}\n")
                child.stdin.flush()
            answers = [json.loads(child.stdout.readline()) for child in children]
            assert [answer.get("error") for answer in answers] == [None] * PROCESSES, answers
            assert [answer["key"] for answer in answers] == [instance_key(folder)] * PROCESSES
    finally:
        for child in children:
            child.stdin.close()
            child.wait(timeout=60)
            child.stdout.close()


def test_an_instance_keeps_the_secret_key_it_was_given(tmp_path):
    folder = tmp_path / "instance"
    folder.mkdir()
    (folder / "secret_key").write_text("the key every instance of this site shares\n", encoding="utf-8")
    assert wp_config.ensure_secret_key(folder) == "the key every instance of this site shares"
    app = create_app({"INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": database_uri(tmp_path)})
    assert app.config["SECRET_KEY"] == "the key every instance of this site shares"
    with app.app_context():
        db.engine.dispose()


def test_an_empty_secret_key_file_is_an_error_that_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setattr(wp_config, "SECRET_KEY_WAIT_SECONDS", 0)
    (tmp_path / "secret_key").touch()
    with pytest.raises(RuntimeError, match="secret_key is empty: write a secret key into it, or delete it"):
        wp_config.ensure_secret_key(tmp_path)
    assert (tmp_path / "secret_key").read_text() == ""  # never replaced behind the operator's back
