"""Rate limits per address on public pages, the API and every form, in a store every worker shares (issue 19).

The limits answer with the site's 429 page (in the visitor's language; JSON under /api/) and ``Retry-After``.
The last test starts a real Redis (Debian's ``redis-server``) and a gunicorn with two workers, and shows that
requests spread over both workers are counted together: the (limit + 1)-th is refused.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.support.apps import make_config
from tests.support.databases import copy_instance, database_uri
from welfarepoint import create_app
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db, limiter


@pytest.fixture
def limited_app(tmp_path, template_instance):
    """An app that lets one address make 5 requests a minute, and send each form 3 times."""
    copy_instance(template_instance, tmp_path / "instance")
    application = create_app(
        make_config(tmp_path / "instance", RATE_LIMIT="5 per minute", FORM_RATE_LIMIT="3 per minute")
    )
    limiter.reset()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def retry_after(response) -> int:
    return int(response.headers["Retry-After"])


def test_public_pages_and_the_api_share_one_limit_per_address(limited_app):
    visitor = limited_app.test_client()
    for path in ("/?lang=en", "/?lang=en", "/api/v1/", "/?lang=en", "/api/v1/"):
        assert visitor.get(path).status_code == 200
    page = visitor.get("/?lang=en")
    assert page.status_code == 429 and "Too many requests" in page.text and 0 < retry_after(page) <= 60
    italian = visitor.get("/?lang=it")
    assert italian.status_code == 429 and "Troppe richieste" in italian.text
    api = visitor.get("/api/v1/")
    assert api.status_code == 429 and api.is_json and api.json["error"]["status"] == 429
    assert 0 < retry_after(api) <= 60
    # Another address is not held back.
    other = limited_app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert other.get("/?lang=en").status_code == 200


def test_every_form_has_its_own_limit_per_address(limited_app):
    visitor = limited_app.test_client()
    answers = [visitor.post("/manage/login?lang=en", data={"email": "a@b.org"}).status_code for _ in range(4)]
    assert answers == [400, 400, 400, 429]  # no form token: refused, and counted all the same
    assert retry_after(visitor.post("/manage/login?lang=en", data={})) > 0


def test_answers_under_the_limit_carry_no_retry_after(client):
    assert "Retry-After" not in client.get("/?lang=en").headers


def test_an_unreachable_store_falls_back_to_counting_in_the_process(tmp_path, template_instance):
    copy_instance(template_instance, tmp_path / "instance")
    settings = {"RATELIMIT_STORAGE_URI": f"redis://127.0.0.1:{free_port()}/0", "RATE_LIMIT": "2 per minute"}
    application = create_app(make_config(tmp_path / "instance", **settings))  # nothing listens on that port
    try:
        visitor = application.test_client()
        assert [visitor.get("/api/v1/").status_code for _ in range(3)] == [200, 200, 429]
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()


# --- Shared by two gunicorn workers, through a real Redis ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throwaway redis-server on a free port, its files in a temporary folder, nothing saved."""
    server_path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(server_path).exists():
        pytest.fail("redis-server is missing: run 'make redis' (Debian's redis-server)")
    folder = tmp_path / "redis"
    folder.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [server_path, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--logfile", str(folder / "redis.log")],
    )  # fmt: skip
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(
                    f"redis-server did not start: {(folder / 'redis.log').read_text(errors='replace')}"
                )
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0", client
    client.close()
    server.terminate()
    server.wait(timeout=20)


def start_two_workers(folder: Path, log: Path, **settings: str) -> tuple[subprocess.Popen, int]:
    """gunicorn with two sync workers over the instance in ``folder``; its access log names each worker (pid)."""
    env = dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=str(folder),
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=database_uri(folder),
        WELFAREPOINT_SEARCH_INDEX_DIR=str(folder / "search-index"),
        **settings,
    )
    with log.open("ab") as output:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "-w", "2", "-b", "127.0.0.1:0", "--no-control-socket",
                "--access-logfile", "-", "--access-logformat", "served-by %(p)s %(s)s %(U)s",
                "welfarepoint:create_app()",
            ],
            cwd=PROJECT_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and server.poll() is None:
        listening = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
        booted = len(re.findall(r"Booting worker with pid", log.read_text(errors="replace")))
        if listening and booted >= 2:
            port = int(listening.group(1))
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/", timeout=10).close()
                return server, port
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.3)
    server.kill()
    server.wait(timeout=20)
    pytest.fail(f"gunicorn did not start: {log.read_text(errors='replace')[-2000:]}")


def status_of(port: int, path: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def pair_over_both_workers(port: int, path: str) -> list[int]:
    """Two requests that two different workers answer: a sync worker busy reading one request cannot take the other.

    The first request's head is sent without its last line, which keeps the worker that accepted it waiting;
    the second request is then answered by the other worker; then the first one is completed.
    """
    held = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        held.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
        second, _ = status_of(port, path)
        held.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := held.recv(65536):
            answer += chunk
    finally:
        held.close()
    first = int(answer.split(b" ", 2)[1])
    return [first, second]


@pytest.mark.multiprocess
def test_a_limit_is_shared_by_two_gunicorn_workers_through_redis(tmp_path, template_instance, redis_url):
    url, redis_client = redis_url
    folder = tmp_path / "instance"
    copy_instance(template_instance, folder)
    log = tmp_path / "gunicorn.log"
    limit = 6
    server, port = start_two_workers(
        folder, log, WELFAREPOINT_RATELIMIT_STORAGE_URI=url, WELFAREPOINT_RATE_LIMIT=f"{limit} per hour"
    )
    try:
        redis_client.flushall()  # forget the requests that checked the server was up
        statuses = []
        for _ in range(limit // 2):
            statuses += pair_over_both_workers(port, "/?lang=en")
        assert statuses == [200] * limit
        refused, headers = status_of(port, "/?lang=en")
        assert refused == 429 and int(headers["Retry-After"]) > 0
        api, _ = status_of(port, "/api/v1/")
        assert api == 429
    finally:
        server.terminate()
        server.wait(timeout=30)
    served = re.findall(r"served-by <(\d+)> (\d{3}) /(?:\s|$)", log.read_text(errors="replace"))
    workers = {pid for pid, status in served if status == "200"}
    assert len(workers) == 2, served  # the six requests under the limit were answered by both workers
    assert [status for _, status in served][-limit - 1 :] == ["200"] * limit + ["429"]
