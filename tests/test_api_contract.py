"""The API keeps the contract of its OpenAPI document, as a third-party fuzzer (Schemathesis) judges it.

Schemathesis runs with every check against gunicorn serving the demo network (the production way: a too long
address is gunicorn's 414), with the HSDS schemas of ``tests/hsds`` (no network). Values whose validity depends
on the data rather than on a schema (a municipality's name, the ATS, the one need among those asked, the id of a
published listing) are given real values; every other parameter is generated, valid and not. The run is bounded
in examples per operation.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.browser import prepare_live_instance
from tests.support.contract import local_openapi
from tests.support.databases import database_uri
from tests.support.servers import start, stop
from welfarepoint import create_app
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db

pytestmark = [pytest.mark.multiprocess, pytest.mark.slow]

MAX_EXAMPLES = 20


def _config(service: str, organisation: str) -> str:
    return f"""
[parameters]
"query.municipality" = "014061"
"query.work_municipality" = "014061"
"query.school_municipality" = "014061"
"query.cared_municipality" = "014061"
"query.child_school" = ["014061"]
"query.ats" = "Montagna"
"query.need" = ""

# A request line too long for gunicorn (documented 414) is refused before the app: a rejection too.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "414", "415", "422", "428", "429"]

[[operations]]
include-path = "/services/{{id}}"
parameters = {{ "path.id" = "{service}" }}

[[operations]]
include-path = "/organizations/{{id}}"
parameters = {{ "path.id" = "{organisation}" }}
"""


def test_schemathesis_finds_nothing(tmp_path):
    from tests.support.apps import make_config

    folder = tmp_path / "instance"
    folder.mkdir()
    prepare_live_instance(folder)
    app = create_app(make_config(folder))
    with app.app_context():
        service = (
            db.session.execute(db.select(Service).filter_by(status="published")).unique().scalars().first()
        )
        ids = (service.uuid, service.provider.uuid)
        db.session.remove()
        db.engine.dispose()
    (tmp_path / "openapi.json").write_text(json.dumps(local_openapi()))
    (tmp_path / "schemathesis.toml").write_text(_config(*ids))
    server, port = start(
        folder,
        database_uri(folder),
        tmp_path / "gunicorn.log",
        WELFAREPOINT_RATELIMIT_ENABLED="false",  # a 429 would leave the logic behind it untested
    )
    try:
        run = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--no-color",
                "--config-file",
                str(tmp_path / "schemathesis.toml"),
                "run",
                str(tmp_path / "openapi.json"),
                "--url",
                f"http://127.0.0.1:{port}/api/v1",
                "--checks",
                "all",
                "--workers",
                "1",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--phases",
                "examples,coverage,fuzzing",
                "--continue-on-failure",
                "--seed",
                "26",
            ],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=tmp_path,
        )
    finally:
        stop(server)
    failures = run.stdout.find("FAILURES")
    summary = run.stdout[max(failures, 0) :][:6000]  # the first failures in full
    assert run.returncode == 0, summary
    assert "Warnings:" not in run.stdout, summary
    assert "No issues found" in run.stdout or "passed" in run.stdout, summary
