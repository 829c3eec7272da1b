"""The instance's search process (``flask search serve``): workers ask it over a Unix socket and keep neither
Whoosh, NumPy nor the index's caches; when it is down they search by themselves."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.apps import make_config
from tests.support.databases import copy_instance
from tests.support.servers import PASSWORD, Browser, publish_through_form, start
from welfarepoint import create_app, search
from welfarepoint.accounts.operations import create_user
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db
from welfarepoint.search import service

QUERIES = [
    ("centro estivo", search.Filters()),
    ("doposcuola", search.Filters(ats="Montagna")),
    ("anziani", search.Filters(audience="persons")),
    ("welfare aziendale", search.Filters()),
]


SERVE = [sys.executable, "-m", "flask", "--app", "welfarepoint", "search", "serve"]


def environment(folder: Path, database: str, socket_path: Path) -> dict[str, str]:
    """The variables of a search process (and of the workers asking it) for the instance in ``folder``."""
    return dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=str(folder),
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=database,
        WELFAREPOINT_SEARCH_INDEX_DIR=str(folder / "search-index"),
        WELFAREPOINT_SEARCH_SERVICE_SOCKET=str(socket_path),
    )


def serve(folder: Path, database: str, socket_path: Path, log: Path) -> subprocess.Popen:
    """``flask search serve`` on ``socket_path`` for the instance in ``folder``, once it answers."""
    with log.open("ab") as output:
        process = subprocess.Popen(
            SERVE,
            cwd=PROJECT_ROOT,
            env=environment(folder, database, socket_path),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            service.call(str(socket_path), "generation")
            return process
        except service.Unreachable:
            time.sleep(0.2)
    process.kill()
    process.wait(timeout=20)
    pytest.fail(f"the search process did not start: {log.read_text(errors='replace')[-3000:]}")


def mapped_libraries(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


def workers_of(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


@pytest.mark.multiprocess
def test_workers_ask_the_search_process_find_what_they_would_find_themselves_and_load_no_search_engine(
    tmp_path, demo_instance
):
    folder = tmp_path / "instance"
    copy_instance(demo_instance, folder)
    config = make_config(folder)
    database = config["SQLALCHEMY_DATABASE_URI"]
    socket_path = tmp_path / "search.sock"
    setup = create_app(config)
    with setup.app_context():
        create_user("anna@ats-montagna.example.org", PASSWORD, "ats_manager", ats="Montagna")
        db.session.commit()
        expected = [[hit.service_id for hit in search.query(text, filters).hits] for text, filters in QUERIES]
        db.engine.dispose()
    search.forget_all()
    logs = [tmp_path / "search.log", tmp_path / "gunicorn.log"]
    processes = []
    try:
        processes.append(serve(folder, database, socket_path, logs[0]))
        # What the search process answers is what this process found by itself.
        asked = [service.call(str(socket_path), "query", text, filters) for text, filters in QUERIES]
        assert [[hit.service_id for hit in result.hits] for result in asked] == expected
        assert all(expected)
        with pytest.raises(service.Failed):
            service.call(str(socket_path), "no-such-operation")

        server, port = start(folder, database, logs[1], WELFAREPOINT_SEARCH_SERVICE_SOCKET=str(socket_path))
        processes.append(server)
        site = Browser(f"http://127.0.0.1:{port}")
        title = "Ludoteca delle marmotte curiose"
        assert "ludoteca-delle-marmotte-curiose" not in site.get("/search?q=marmotte+curiose")
        site.sign_in("anna@ats-montagna.example.org")
        status, page = publish_through_form(site, title)
        assert status == 200 and "the public can find it now" in page
        for _ in range(4):  # whichever worker answers
            assert 'href="/services/ludoteca-delle-marmotte-curiose"' in site.get(
                "/search?q=marmotte+curiose"
            )
        assert "ludoteca-delle-marmotte-curiose" in site.get(
            "/match/family?municipality=014061&child_age=8&needs=educational_activities"
        )
        # Searching, matching and publishing loaded neither Whoosh nor NumPy in any worker.
        for pid in workers_of(server.pid):
            maps = mapped_libraries(pid)
            assert "_multiarray_umath" not in maps  # NumPy's core library
        found = service.call(str(socket_path), "query", "marmotte curiose", search.Filters())
        assert [hit.service_id for hit in found.hits]  # written to the index by the search process
    except BaseException:
        for log in logs:
            if log.exists():
                print(f"--- {log.name}", log.read_text(errors="replace")[-20_000:], sep="\n")
        raise
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=20)
    assert not socket_path.exists()  # the search process removed its socket when stopped


def test_a_worker_whose_search_process_is_down_searches_by_itself_and_logs_it(demo_app, tmp_path, caplog):
    demo_app.config["SEARCH_SERVICE_SOCKET"] = str(tmp_path / "nobody-listens.sock")
    client = demo_app.test_client()
    with caplog.at_level(logging.WARNING, logger="welfarepoint.search"):
        page = client.get("/search?q=centro+estivo&lang=en")
        matched = client.get("/match/family?municipality=014061&child_age=8&needs=summer_closure&lang=en")
    assert page.status_code == 200 and 'href="/services/' in page.text
    assert matched.status_code == 200 and "fit what you told us" in matched.text
    assert "searches by itself" in caplog.text


@pytest.mark.multiprocess
def test_a_stale_socket_is_replaced_and_a_second_search_process_refused(tmp_path, demo_instance):
    folder = tmp_path / "instance"
    copy_instance(demo_instance, folder)
    database = make_config(folder)["SQLALCHEMY_DATABASE_URI"]
    socket_path = tmp_path / "search.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(socket_path))  # a socket file nobody listens on: left by a search process that died
    stale.close()
    first = serve(folder, database, socket_path, tmp_path / "first.log")
    try:
        assert service.call(str(socket_path), "generation")
        second = subprocess.run(
            SERVE,
            cwd=PROJECT_ROOT,
            env=environment(folder, database, socket_path),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode != 0 and "already answers" in second.stderr
        assert service.call(str(socket_path), "generation")  # the first one still answers
    finally:
        first.terminate()
        first.wait(timeout=20)
