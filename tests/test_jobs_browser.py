"""A large import in a real browser, through the job runner (a real consumer on the live server's SQLite queue):
the job page waits for the runner and says so, moves its progress bar live with JavaScript, shows the preview,
imports, and says how many listings it added; without JavaScript the page refreshes itself to the same end. At
390 px and 1,366 px, in Italian and English, axe-clean. Screenshots go to ``WELFAREPOINT_SHOTS``/jobs when it is
set."""

from __future__ import annotations

import re
import time

import pytest

from tests.support.browser import assert_accessible, goto, screenshot
from tests.support.catalog import pavia_sheet
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.jobs.cli import embedded_consumer

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PASSWORD = "mirtilli-e-lamponi-2026"
MANAGER = "ettore@ats-pavia.example.org"
#: Rows of the file: over IMPORT_JOB_BYTES, so the job runner checks and imports it.
ROWS = 600
WORDS = {
    "it": {"sign_in": "Accedi", "email": "Indirizzo e-mail", "waiting": "In coda", "preview": "Anteprima",
           "import": "Importa queste schede", "imported": f"Importazione fatta: {ROWS} nuove", "check": "Controlla il file"},
    "en": {"sign_in": "Sign in", "email": "E-mail address", "waiting": "Waiting for the job runner",
           "preview": "Preview of", "import": "Import these listings", "imported": f"Imported: {ROWS} new",
           "check": "Check the file"},
}  # fmt: skip


@pytest.fixture
def manager(live_server):
    with live_server.app.app_context():
        if find_user(MANAGER) is None:
            create_user(MANAGER, PASSWORD, "ats_manager", ats="Pavia")
        db.session.commit()
    return MANAGER


def shot(page, name: str, lang: str, *, full_page: bool = True) -> None:
    screenshot(page, "jobs", f"{name}-{lang}-{page.viewport_size['width']}px", full_page=full_page)


def settle(page, expression: str, timeout: float) -> None:
    """Wait until ``expression`` is true on the page, which reloads itself meanwhile (the job page does when its
    job is over): an evaluation cut short by that navigation is tried again on the new page."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + timeout
    while True:
        try:
            if page.evaluate(expression):
                return
        except Error:  # the page was navigating
            pass
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(100)


def sign_in(page, lang: str) -> None:
    words = WORDS[lang]
    goto(page, f"/manage/login?lang={lang}")
    page.get_by_label(words["email"]).fill(MANAGER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_load_state()


def imported(live_server, prefix: str) -> int:
    with live_server.app.app_context():
        query = db.select(db.func.count(Service.id)).where(Service.external_id.like(f"{prefix}-%"))
        return db.session.execute(query).scalar_one()


@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_large_import_runs_as_a_job_with_a_live_progress_bar(page, manager, live_server, lang, tmp_path):
    if page.viewport_size["width"] < 1000:
        page.set_viewport_size({"width": 390, "height": 844})
    words = WORDS[lang]
    prefix = f"JB{lang.upper()}{page.viewport_size['width']}"
    sign_in(page, lang)
    upload = tmp_path / "doposcuola.csv"
    upload.write_bytes(pavia_sheet(ROWS, prefix=prefix))

    # 1. No consumer yet: the job waits, and the page says so at once (it does not hang).
    live_server.app.config["JOBS_WAITING_WARNING_SECONDS"] = 0
    goto(page, f"/manage/import?lang={lang}")
    page.locator('input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name=words["check"]).click()
    page.wait_for_load_state()
    assert re.search(r"/manage/import/jobs/\d+", page.url)
    assert words["waiting"] in page.locator(".wp-job-text").inner_text()
    assert page.locator(".wp-job-stalled").is_visible()
    assert page.locator("progress#job-progress").count() == 1
    assert_accessible(page)
    shot(page, "1-waiting-for-the-runner", lang)
    live_server.app.config["JOBS_WAITING_WARNING_SECONDS"] = 30

    # 2. The runner starts: the bar moves without a reload, then the preview comes.
    consumer = embedded_consumer(live_server.app)
    try:
        settle(
            page,
            "document.querySelector('#job-progress') === null || document.querySelector('#job-progress').value > 0",
            timeout=120,
        )
        if page.locator("#job-progress").count():
            assert not page.locator(".wp-job-stalled").is_visible()
            shot(page, "2-progress", lang)
        settle(page, "document.querySelector('#preview-title') !== null", timeout=300)
        page.wait_for_load_state()
        assert words["preview"] in page.locator("#preview-title").inner_text()
        assert_accessible(page)
        shot(page, "3-preview", lang, full_page=False)  # the table of changes is as long as the file

        # 3. The import itself, as a job too.
        page.get_by_role("button", name=words["import"]).click()
        page.wait_for_load_state()
        settle(page, "document.querySelector('#done-title') !== null", timeout=300)
        page.wait_for_load_state()
        assert words["imported"] in page.locator("#done-title").inner_text()
        assert_accessible(page)
        shot(page, "4-imported", lang)
    finally:
        consumer.stop(graceful=True)
    assert imported(live_server, prefix) == ROWS


def test_without_javascript_the_job_page_refreshes_itself(chromium, live_server, manager, tmp_path):
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.base_url = live_server.url
    page.set_default_timeout(10_000)
    upload = tmp_path / "doposcuola.csv"
    upload.write_bytes(pavia_sheet(400, prefix="JBNOJS"))
    consumer = embedded_consumer(live_server.app)
    try:
        sign_in(page, "it")
        goto(page, "/manage/import?lang=it")
        page.locator('input[type="file"]').set_input_files(str(upload))
        page.get_by_role("button", name=WORDS["it"]["check"]).click()
        page.wait_for_load_state()
        assert re.search(r"/manage/import/jobs/\d+", page.url)
        # Each refresh is a new page load; the preview's heading arrives with the last one.
        page.locator("#preview-title").wait_for(timeout=300_000)
        assert "Anteprima" in page.locator("#preview-title").inner_text()
        screenshot(page, "jobs", "no-javascript-preview-it-390px")
    finally:
        consumer.stop(graceful=True)
        context.close()
