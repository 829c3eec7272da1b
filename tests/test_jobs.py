"""The job runner (Huey, its SQLite store in the instance folder) and imports as jobs, with a real consumer: the
progress page refreshes itself without JavaScript, reaches 100 % with the listings created; a failing import
leaves nothing; only the manager who started a job (and administrators) see it; a queue nobody consumes is said
so on the page and in /readyz."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.catalog import pavia_sheet
from tests.support.manage import account, signed_in, token
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.jobs.cli import embedded_consumer
from welfarepoint.jobs.models import Job

PROJECT_ROOT = Path(__file__).resolve().parent.parent
JOB_PAGE = re.compile(r"/manage/import/jobs/(\d+)$")


@pytest.fixture
def manager(demo_app):
    return signed_in(demo_app, account(demo_app, "anna@ats-pavia.example.org", "ats_manager", ats="Pavia"))


@pytest.fixture
def consumer(demo_app):
    """A real Huey consumer (threads of this process) on the app's SQLite queue in its instance folder."""
    running = embedded_consumer(demo_app)
    yield running
    running.stop(graceful=True)


def upload(client, data: bytes, lang: str = "en"):
    page = client.get(f"/manage/import?lang={lang}")
    return client.post(
        f"/manage/import?lang={lang}",
        data={"csrf_token": token(page.text), "file": (io.BytesIO(data), "alleanza.csv", "text/csv")},
        content_type="multipart/form-data",
    )


def job_address(response) -> str:
    assert response.status_code == 302, response.text[:500]
    location = response.headers["Location"]
    assert JOB_PAGE.search(location), location
    return location


def follow(client, address: str, patience: float = 600):
    """Open the job page as a browser without JavaScript does: again and again while it asks to be refreshed."""
    deadline = time.monotonic() + patience
    while True:
        page = client.get(address)
        if 'http-equiv="refresh"' not in page.text:
            return page
        assert "<progress" in page.text
        assert time.monotonic() < deadline, "the job did not finish"
        time.sleep(0.5)


def count(app, **where) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Service.id)).filter_by(**where)).scalar_one()


@pytest.mark.slow
def test_a_file_of_two_thousand_rows_is_checked_and_imported_by_the_runner(demo_app, manager, consumer):
    before = count(demo_app)
    address = job_address(upload(manager, pavia_sheet(2000, prefix="PV-JOB")))
    first = manager.get(address)
    assert first.status_code == 200
    assert '<noscript><meta http-equiv="refresh"' in first.text  # refreshed without JavaScript
    assert re.search(r'<progress id="job-progress"[^>]*max="\d+"', first.text)
    assert 'src="/static/js/jobs.js' in first.text and "<script>" not in first.text  # live with it, no inline

    preview = follow(manager, address)
    assert preview.status_code == 200
    assert (
        "Every row is valid. Importing will add 2000 listings, change 0 and leave 0 as they are."
        in preview.text
    )
    state = manager.get(address + ".json").get_json()
    assert state["status"] == "done" and state["value"] == state["max"] > 0 and state["total"] == 2000
    assert count(demo_app) == before  # a check writes nothing

    confirm = re.search(
        r'<form method="post" action="(/manage/import/jobs/\d+/confirm)"', preview.text
    ).group(1)
    fields = {"csrf_token": token(preview.text), "mapping": "{}", "providers": "{}"}
    done = follow(manager, job_address(manager.post(confirm, data=fields)))
    assert "Imported: 2000 new, 0 changed, 0 unchanged." in done.text
    assert '<progress class="d-block w-100 my-2" max="1" value="1"' in done.text  # 100 %
    assert count(demo_app) == before + 2000
    assert count(demo_app, external_id="PV-JOB-01999", status="published") == 1


def test_a_file_changed_under_the_import_leaves_nothing(demo_app, manager, consumer):
    """Checked clean, then another territory takes one of its identifiers: the confirmation refuses that row and
    imports none of the others."""
    before = count(demo_app)
    preview = follow(manager, job_address(upload(manager, pavia_sheet(400, prefix="PV-JOB"))))
    assert "Importing will add 400 listings" in preview.text
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    with demo_app.app_context():
        taken = db.session.execute(db.select(Service).filter(Service.ats != "Pavia")).scalars().first()
        taken.external_id = "PV-JOB-00300"
        db.session.commit()
    del admin
    confirm = re.search(r'action="(/manage/import/jobs/\d+/confirm)"', preview.text).group(1)
    outcome = follow(
        manager,
        job_address(
            manager.post(
                confirm, data={"csrf_token": token(preview.text), "mapping": "{}", "providers": "{}"}
            )
        ),
    )
    assert outcome.status_code == 400
    assert "The file has 1 problem: nothing was imported." in outcome.text
    assert "belongs to a listing of another territory" in outcome.text
    assert re.search(r'href="/manage/import/jobs/\d+/problems"', outcome.text)
    assert count(demo_app) == before
    problems = manager.get(re.search(r'href="(/manage/import/jobs/\d+/problems)"', outcome.text).group(1))
    assert problems.status_code == 200 and "belongs to a listing of another territory" in problems.text


def test_a_file_with_problems_lists_them_in_the_pages_language_and_keeps_the_mapping(
    demo_app, manager, consumer
):
    data = pavia_sheet(300, prefix="PV-JOB").replace(b"provider_type", b"Tipo ente gestore XYZ", 1)
    response = upload(manager, data, lang="it")
    report = follow(manager, job_address(response) + "?lang=it")
    assert report.status_code == 400
    assert "Colonne da abbinare" in report.text
    fields = {
        "csrf_token": token(report.text),
        "mapping": "{}",
        "providers": "{}",
        "map_header": "Tipo ente gestore XYZ",
        "map_column": "provider_type",
    }
    check = re.search(r'<form method="post" action="(/manage/import/jobs/\d+/check)"', report.text).group(1)
    again = follow(manager, job_address(manager.post(check, data=fields)) + "?lang=en")
    assert "Importing will add 300 listings" in again.text
    assert (
        "&#34;Tipo ente gestore XYZ&#34;: &#34;provider_type&#34;" in again.text
    )  # carried to the confirmation


def test_only_the_manager_who_started_a_job_and_administrators_see_it(demo_app, manager):
    address = job_address(upload(manager, pavia_sheet(300, prefix="PV-JOB")))
    other = signed_in(demo_app, account(demo_app, "marco@ats-pavia.example.org", "ats_manager", ats="Pavia"))
    for path in (address, address + ".json", address + "/problems"):
        assert other.get(path).status_code == 404
    assert (
        other.post(
            address + "/confirm", data={"csrf_token": token(other.get("/manage/import").text)}
        ).status_code
        == 404
    )
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    assert admin.get(address).status_code == 200


def test_a_queue_nobody_consumes_is_said_so_then_runs_when_a_consumer_starts(demo_app, manager):
    demo_app.config["JOBS_WAITING_WARNING_SECONDS"] = 0
    address = job_address(upload(manager, pavia_sheet(300, prefix="PV-JOB")))
    waiting = manager.get(address)
    assert waiting.status_code == 200
    assert "Waiting for the job runner to start it." in waiting.text
    assert "it may not be running" in waiting.text
    assert "<h1>Import listings</h1>" in waiting.text and "Checking “alleanza.csv”" in waiting.text
    assert f'data-job-state="{address}.json"' in waiting.text  # what the live script asks
    assert '<meta http-equiv="refresh"' in waiting.text  # without JavaScript, the page refreshes itself
    ready = manager.get("/readyz").get_json()
    assert ready["status"] == "ready"  # a late queue does not take the site out of the balancer
    jobs = ready["checks"]["jobs"]
    assert jobs["status"] == "late" and jobs["pending"] == 1 and jobs["waiting"] == 1
    assert jobs["oldest_waiting_seconds"] >= 0

    running = embedded_consumer(demo_app)
    try:
        assert "Importing will add 300 listings" in follow(manager, address).text
    finally:
        running.stop(graceful=True)
    jobs = manager.get("/readyz").get_json()["checks"]["jobs"]
    assert jobs["status"] == "ok" and jobs["pending"] == 0 and jobs["done"] == 1


def test_a_job_that_breaks_is_failed_and_says_so(demo_app, manager, consumer):
    consumer.stop(graceful=True)
    address = job_address(upload(manager, pavia_sheet(300, prefix="PV-JOB")))
    job_id = int(JOB_PAGE.search(address).group(1))
    (Path(demo_app.instance_path) / "job-files" / str(job_id) / "upload").unlink()  # the disk lost it
    restarted = embedded_consumer(demo_app)
    try:
        page = follow(manager, address)
    finally:
        restarted.stop(graceful=True)
    assert "The import stopped because of an error on the server: nothing was imported." in page.text
    with demo_app.app_context():
        job = db.session.get(Job, job_id)
        assert job.status == "failed" and "FileNotFoundError" in job.error


def test_small_files_are_still_checked_in_the_request(demo_app, manager):
    response = upload(manager, pavia_sheet(3, prefix="PV-JOB"))
    assert response.status_code == 200
    assert "Importing will add 3 listings" in response.text


@pytest.mark.multiprocess
def consumer_process(app, log_name: str = "consumer.log") -> subprocess.Popen:
    """``flask jobs run`` in a process of its own, on ``app``'s instance folder and database."""
    env = dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=app.instance_path,
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        WELFAREPOINT_SEARCH_INDEX_DIR=app.config["SEARCH_INDEX_DIR"],
        WELFAREPOINT_SECRET_KEY="test-secret-key",
    )
    with (Path(app.instance_path) / log_name).open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "welfarepoint", "jobs", "run", "--workers", "1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def test_flask_jobs_run_is_the_consumer(demo_app, manager):
    """``flask jobs run`` in its own process runs what the web queued, then stops on SIGINT."""
    address = job_address(upload(manager, pavia_sheet(300, prefix="PV-JOB")))
    process = consumer_process(demo_app)
    log = Path(demo_app.instance_path) / "consumer.log"
    try:
        page = follow(manager, address, patience=300)
        assert "Importing will add 300 listings" in page.text, log.read_text()
    finally:
        process.send_signal(2)
        process.wait(timeout=60)
    assert process.returncode == 0, log.read_text()


@pytest.mark.slow
def test_a_job_a_sigterm_left_running_is_failed_when_the_runner_starts_again(demo_app, manager):
    """SIGTERM stops the consumer at once: the import it was running wrote nothing (its transaction died with the
    process) and its row still says ``running``. When ``flask jobs run`` starts again, the job is failed and its
    page says nothing was imported, instead of showing "running" for ever."""
    before = count(demo_app)
    address = job_address(upload(manager, pavia_sheet(300, prefix="PV-CUT")))
    job_id = int(JOB_PAGE.search(address).group(1))
    with demo_app.app_context():  # what a SIGTERM in the middle of the job leaves behind
        job = db.session.get(Job, job_id)
        job.status, job.started_at = "running", job.created_at
        db.session.commit()
    process = consumer_process(demo_app)
    try:
        page = follow(manager, address, patience=120)
    finally:
        process.send_signal(2)
        process.wait(timeout=60)
    assert "The import stopped because of an error on the server: nothing was imported." in page.text
    assert status_of(demo_app, job_id) == "failed" and count(demo_app) == before


def status_of(app, job_id: int) -> str:
    with app.app_context():
        return db.session.get(Job, job_id).status


def test_a_large_export_is_written_by_the_runner_for_its_manager_only(demo_app, manager, consumer):
    demo_app.config["EXPORT_JOB_LISTINGS"] = 10
    with demo_app.app_context():
        pavia = db.session.execute(db.select(db.func.count(Service.id)).filter_by(ats="Pavia")).scalar_one()
    assert pavia > 10
    asked = manager.get("/manage/services/export.xlsx?lang=en")
    assert asked.status_code == 302
    address = asked.headers["Location"]
    assert re.search(r"/manage/jobs/\d+$", address)
    ready = follow(manager, address)
    assert f"The file of {pavia} listings is ready." in ready.text
    download = re.search(r'href="(/manage/jobs/\d+/file)"', ready.text).group(1)
    workbook = manager.get(download)
    assert workbook.status_code == 200
    assert workbook.headers["Content-Disposition"] == 'attachment; filename="welfarepoint-listings.xlsx"'
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).worksheets[0]
    assert sheet.max_row == pavia + 1  # the header and the ATS's listings
    other = signed_in(demo_app, account(demo_app, "marco@ats-pavia.example.org", "ats_manager", ats="Pavia"))
    assert other.get(address).status_code == 404 and other.get(download).status_code == 404
