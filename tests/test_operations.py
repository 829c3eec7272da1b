"""Operations (issue 26, point 8): /healthz and /readyz for a load balancer, Prometheus metrics (in gunicorn's
multiprocess mode too, on a separate address only), and a restore drill: back up, change, restore, check."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from tests.support.apps import build_app, make_config
from tests.support.catalog import create_listing, row
from tests.support.databases import on_postgresql
from tests.support.servers import gunicorn, port_of, stop
from welfarepoint import search
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db


def _publish(app, title: str) -> int:
    with app.app_context():
        service = create_listing(row(external_id=title.split()[-1], title=title), today=date(2026, 11, 25))
        db.session.commit()
        return service.id


def _found(app, word: str) -> int:
    with app.app_context():
        return search.query(word).total


def test_healthz_says_alive_without_the_database(client, app):
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "alive"}
    assert answer.headers["Cache-Control"] == "no-store"


def test_readyz_reports_database_index_lag_and_job_queue(tmp_path, app, client):
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == {"status": "ok"}
    assert body["checks"]["search_index"]["status"] == "ok"
    assert body["checks"]["search_index"]["lag"] == 0
    jobs = body["checks"]["jobs"]
    assert jobs["status"] == "ok" and jobs["pending"] == 0 and jobs["oldest_waiting_seconds"] is None

    # Another instance (same database, an index of its own) publishes: this instance's index lags by one
    # until its next search catches it up.
    other = build_app(
        make_config(
            Path(app.instance_path),
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            SEARCH_INDEX_DIR=str(tmp_path / "other-index"),
        )
    )
    with other.app_context():
        search.rebuild()
    _publish(other, "Laboratorio di ceramica tornio7")
    with other.app_context():
        db.session.remove()
        db.engine.dispose()
    assert client.get("/readyz").get_json()["checks"]["search_index"]["lag"] == 1
    assert _found(app, "tornio7") == 1
    assert client.get("/readyz").get_json()["checks"]["search_index"]["lag"] == 0


def test_readyz_is_503_while_the_database_is_unreachable_and_ready_again_after(app, client):
    if on_postgresql():
        pytest.skip("a SQLite lock; the PostgreSQL outage is in tests/test_outage.py")
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 0.2}}
    with app.app_context():
        db.engine.dispose()
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        answer = client.get("/readyz")
        assert answer.status_code == 503
        assert answer.get_json()["checks"]["database"] == {"status": "unreachable"}
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_while_the_index_is_missing_and_starts_its_rebuild(app, client):
    index_root = Path(app.config["SEARCH_INDEX_DIR"])
    with app.app_context():
        search.rebuild()
    search.forget_all()
    shutil.rmtree(index_root)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["checks"]["search_index"]["status"] == "missing"
    deadline = time.monotonic() + 60
    while client.get("/readyz").status_code != 200:  # rebuilt aside, with nobody searching
        assert time.monotonic() < deadline, "the index was not rebuilt"
        time.sleep(0.2)


def _metric(text: str, name: str, **labels) -> float:
    """The sum of the samples called ``name`` with these ``labels`` (among others) in the Prometheus ``text``."""
    total = 0.0
    for line in text.splitlines():
        found = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not found or found.group(1) != name:
            continue
        sample = dict(re.findall(r'(\w+)="([^"]*)"', found.group(2) or ""))
        if all(sample.get(key) == value for key, value in labels.items()):
            total += float(found.group(3))
    return total


def test_metrics_count_requests_by_route_and_status_with_their_latency(tmp_path, template_instance):
    from prometheus_client import generate_latest

    from tests.support.databases import copy_instance
    from welfarepoint.ops import metrics

    instance = tmp_path / "instance"
    copy_instance(template_instance, instance)
    app = build_app(make_config(instance, METRICS_ADDRESS="127.0.0.1:0"))
    client = app.test_client()
    before = generate_latest(metrics.REGISTRY).decode()
    for _ in range(3):
        assert client.get("/search?q=nido").status_code == 200
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/readyz").status_code == 200
    after = generate_latest(metrics.REGISTRY).decode()
    requests = "welfarepoint_http_requests_total"
    assert (
        _metric(after, requests, route="/search", method="GET", status="200")
        - _metric(before, requests, route="/search", method="GET", status="200")
        == 3
    )
    assert _metric(after, requests, route="(no route)", method="GET", status="404") >= 1
    assert _metric(after, "welfarepoint_http_request_duration_seconds_count", route="/search") >= 3
    assert _metric(after, "welfarepoint_database_up") == 1
    assert _metric(after, "welfarepoint_search_index_ready") == 1
    assert "welfarepoint_search_index_lag 0.0" in after.splitlines()
    assert _metric(after, "welfarepoint_mail_messages", status="queued") == 0
    assert "welfarepoint_mail_oldest_queued_seconds 0.0" in after.splitlines()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.mark.multiprocess
def test_gunicorn_workers_metrics_are_served_together_on_the_metrics_address_only(tmp_path, demo_instance):
    from tests.support.databases import copy_instance, database_uri

    folder = tmp_path / "instance"
    copy_instance(demo_instance, folder)
    log = tmp_path / "gunicorn.log"
    server = gunicorn(
        folder, database_uri(folder), log, "-k", "gthread", "--threads", "2", "--preload",
        "-c", "python:welfarepoint.ops.gunicorn", workers=2,
        WELFAREPOINT_METRICS_ADDRESS="127.0.0.1:0", PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        WELFAREPOINT_SEARCH_INDEX_DIR=str(folder / "search-index"),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        metrics_port = port = None
        while (
            (port is None or metrics_port is None) and time.monotonic() < deadline and server.poll() is None
        ):
            port = port_of(log)
            found = re.search(
                r"Metrics at: http://127\.0\.0\.1:(\d+)/metrics", log.read_text(errors="replace")
            )
            metrics_port = int(found.group(1)) if found else None
            time.sleep(0.2)
        assert port and metrics_port, log.read_text(errors="replace")
        for _ in range(20):  # spread over both workers by the kernel
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as answer:
                assert answer.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=30) as answer:
            text = answer.read().decode()
        assert (
            _metric(text, "welfarepoint_http_requests_total", route="/healthz", method="GET", status="200")
            == 20
        )
        with pytest.raises(urllib.error.HTTPError) as public:  # not on the site's own address
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30)
        assert public.value.code == 404
        public.value.close()
    finally:
        stop(server)


def _opened_under(pid: int, folder: Path) -> bool:
    """Whether process ``pid`` holds a file of ``folder`` open or mapped."""
    proc = Path(f"/proc/{pid}")
    try:
        links = [str((proc / "fd" / fd).readlink()) for fd in (proc / "fd").iterdir()]
        links += (proc / "maps").read_text().split()
    except OSError:
        return False
    return any(link.startswith(f"{folder}/") for link in links)


@pytest.mark.multiprocess
def test_each_production_worker_opens_its_own_search_index_before_its_first_request(tmp_path, demo_instance):
    """The master closes the index before forking (no worker shares its files); gunicorn's ``post_worker_init``
    (``welfarepoint.ops.gunicorn``) has every worker open its own before any request, so a new worker's first
    visitor does not wait for it."""
    from tests.support.databases import copy_instance, database_uri

    folder = tmp_path / "instance"
    copy_instance(demo_instance, folder)
    log = tmp_path / "gunicorn.log"
    server = gunicorn(
        folder, database_uri(folder), log, "--preload", "-c", "python:welfarepoint.ops.gunicorn", workers=2,
        WELFAREPOINT_SEARCH_INDEX_DIR=str(folder / "search-index"),
    )  # fmt: skip
    index = (folder / "search-index").resolve()
    try:
        deadline, workers = time.monotonic() + 90, []
        while time.monotonic() < deadline and server.poll() is None:
            children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
            workers = [int(pid) for pid in children]
            if port_of(log) and len(workers) == 2 and all(_opened_under(pid, index) for pid in workers):
                break
            time.sleep(0.2)
        assert len(workers) == 2 and all(_opened_under(pid, index) for pid in workers), log.read_text(
            errors="replace"
        )
        assert not _opened_under(server.pid, index)  # no request was made: the workers opened it themselves
    finally:
        stop(server)


def test_restore_drill_back_up_change_restore_check(app, runner, tmp_path):
    if on_postgresql():
        pytest.skip("SQLite's online backup; PostgreSQL's pg_dump routine is in docs/operations.md")
    kept = _publish(app, "Ludoteca del sabato girandola3")
    with app.app_context():
        search.rebuild()
    target = tmp_path / "backups" / "welfarepoint.sqlite3"
    made = runner.invoke(args=["backup", str(target)])
    assert made.exit_code == 0, made.output
    assert target.exists()

    # After the backup: the listing is archived and another is published.
    with app.app_context():
        operations.change_status(db.session.get(Service, kept), "archived", author="test@example.org")
        db.session.commit()
    added = _publish(app, "Corso di nuoto delfino9")
    assert _found(app, "girandola3") == 0 and _found(app, "delfino9") == 1

    restored = runner.invoke(args=["restore", str(target), "--yes"])
    assert restored.exit_code == 0, restored.output
    with app.app_context():
        assert db.session.get(Service, kept).status == "published"
        assert db.session.get(Service, added) is None
    search.forget_all()
    assert _found(app, "girandola3") == 1 and _found(app, "delfino9") == 0


def test_restore_refuses_a_file_that_is_not_a_welfare_point_database(app, runner, tmp_path):
    if on_postgresql():
        pytest.skip("SQLite only")
    stranger = tmp_path / "other.sqlite3"
    connection = sqlite3.connect(stranger)
    connection.execute("CREATE TABLE notes (text)")
    connection.commit()
    connection.close()
    refused = runner.invoke(args=["restore", str(stranger), "--yes"])
    assert refused.exit_code != 0 and "not a Welfare Point database" in refused.output
    with app.app_context():
        assert db.session.execute(db.select(db.func.count()).select_from(Service)).scalar() >= 0


@pytest.mark.multiprocess
@pytest.mark.slow
def test_postgresql_restore_drill_with_the_documented_pg_dump_and_pg_restore(tmp_path):
    """docs/operations.md's PostgreSQL routine, as written: pg_dump --format=custom, pg_restore --clean, flask setup."""
    import subprocess

    from tests.support.postgres import PostgresServer
    from welfarepoint import create_app
    from welfarepoint.cli import setup_database

    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    server = PostgresServer()
    try:
        app = create_app(make_config(tmp_path / "instance", SQLALCHEMY_DATABASE_URI=server.url))
        with app.app_context():
            setup_database()
        kept = _publish(app, "Ludoteca del sabato girandola3")
        address = server.url.replace("+psycopg", "")
        dump = tmp_path / "welfarepoint.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", address], check=True)

        with app.app_context():
            operations.change_status(db.session.get(Service, kept), "archived", author="test@example.org")
            db.session.commit()
        added = _publish(app, "Corso di nuoto delfino9")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()  # the routine: workers stopped while pg_restore runs

        subprocess.run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={address}", str(dump)],
            check=True,
        )
        with app.app_context():
            setup_database()  # `flask setup` on each instance
            assert db.session.get(Service, kept).status == "published"
            assert db.session.get(Service, added) is None
            db.session.remove()
        search.forget_all()
        assert _found(app, "girandola3") == 1 and _found(app, "delfino9") == 0
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        search.forget_all()
        server.remove()


def test_production_workers_give_a_large_freed_array_back_to_the_system():
    """glibc would carve the second large array from the heap after the first was freed and keep it resident; the
    project's gunicorn settings keep large arrays mapped apart, so a worker's memory falls back once a request's
    array is freed (the process is the settings' own: they are read before the app, and workers inherit them)."""
    program = (
        "import welfarepoint.ops.gunicorn\n"
        "def resident():\n"
        "    return next(int(line.split()[1]) for line in open('/proc/self/status') if line.startswith('VmRSS:'))\n"
        "first = bytearray(8 << 20)\n"
        "del first\n"
        "before = resident()\n"
        "second = bytearray(8 << 20)\n"
        "del second\n"
        "print(resident() - before)\n"
    )
    kept_kb = int(
        subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    )
    assert kept_kb < 1024
