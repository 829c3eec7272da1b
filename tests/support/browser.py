"""Browser fixtures: a live server on 127.0.0.1, Debian's Chromium through Playwright, and an axe-core audit.

Tests using ``page`` are marked ``browser``. A click that navigates returns once the new page is committed,
before it is parsed: tests call ``page.wait_for_load_state()`` before counting what is on it. Every page a test opens is watched: a request to any host but
127.0.0.1, a JavaScript error or a Content-Security-Policy violation fails the test.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from welfarepoint import create_app
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db

CHROMIUM = os.environ.get("WELFAREPOINT_CHROMIUM", "/usr/bin/chromium")
AXE_SOURCE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1366, "height": 900}


def prepare_live_instance(folder: Path) -> None:
    """Set up the database (and, once the catalog exists, the demo network) the live server serves."""
    from tests.support.apps import make_config
    from welfarepoint.cli import prepare_demo_instance

    app = create_app(make_config(folder))
    with app.app_context():
        prepare_demo_instance()
        db.engine.dispose()


def _buffer_static_files(app):
    """Read static files whole before sending them.

    Werkzeug's development server skips closing a response whose client hung up mid-transfer (as a browser
    does when a test ends); for the files it streams, that leaves an open file behind and a ResourceWarning.
    """

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith("/static/"):
            return iterable
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


class LiveServer:
    """The app served by Werkzeug in a thread, on a free port of 127.0.0.1."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app = app
        self.server = make_server("127.0.0.1", 0, _buffer_static_files(app), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """One live server for the browser tests, with the demo network loaded."""
    from tests.support.apps import make_config

    folder = tmp_path_factory.mktemp("live-instance")
    prepare_live_instance(folder)
    server = LiveServer(create_app(make_config(folder, TESTING=False)))
    server.start()
    yield server
    server.stop()
    with server.app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, launched once per session (never a browser downloaded by Playwright)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a test must not allow: foreign requests, script errors, CSP violations."""

    def __init__(self):
        self.foreign_requests: list[str] = []
        self.errors: list[str] = []

    def on_request(self, request) -> None:
        url = urlsplit(request.url)
        if url.scheme in ("data", "about", "blob"):
            return
        if url.hostname != "127.0.0.1":
            self.foreign_requests.append(request.url)

    def on_console(self, message) -> None:
        # A page answered with 404 or 400 on purpose logs "Failed to load resource"; failed assets are caught
        # by on_response instead, which knows what kind of request it was.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.errors.append(f"console: {message.text}")

    def on_response(self, response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def on_page_error(self, error) -> None:
        self.errors.append(f"page error: {error}")


def _open_page(chromium, viewport: dict, locale: str):
    context = chromium.new_context(viewport=viewport, locale=locale)
    watch = PageWatch()
    # Nothing may leave this machine: requests to other hosts are recorded and refused.
    context.route(
        lambda url: urlsplit(url).hostname not in (None, "127.0.0.1"),
        lambda route: route.abort(),
    )
    page = context.new_page()
    page.on("request", watch.on_request)
    page.on("console", watch.on_console)
    page.on("response", watch.on_response)
    page.on("pageerror", watch.on_page_error)
    page.set_default_timeout(10_000)
    return context, page, watch


@pytest.fixture(params=[pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="phone")])
def page(request, chromium, live_server):
    """A fresh page (desktop and phone sizes) whose address base is the live server."""
    context, page, watch = _open_page(chromium, request.param, "it-IT")
    page.base_url = live_server.url
    yield page
    context.close()
    assert not watch.foreign_requests, f"requests left 127.0.0.1: {watch.foreign_requests}"
    assert not watch.errors, f"the page reported errors: {watch.errors}"


def goto(page, path: str):
    """Open ``path`` on the live server and return the response."""
    response = page.goto(page.base_url + path)
    assert response is not None
    return response


def assert_accessible(page) -> None:
    """Run axe-core on the page and fail on any WCAG 2.0/2.1 A or AA violation."""
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `npm ci` (make install does it)")
    # A click that navigates returns once the new page is committed; audit it once its styles are in.
    page.wait_for_load_state("load")
    wait_until(page, "document.fonts.status === 'loaded'")
    # page.evaluate goes through the DevTools protocol, so the page's CSP does not block the audit script.
    page.evaluate(AXE_SOURCE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    assert not violations, f"axe found WCAG violations on {page.url}:\n{json.dumps(violations, indent=2)}"


def tick(checkbox, checked: bool = True) -> None:
    """Tick (or untick) a checkbox or radio by clicking its label, as a person does.

    Bootstrap Italia draws the box on the label and moves the input itself out of the way.
    """
    if checkbox.is_checked() != checked:
        checkbox.page.locator(f'label[for="{checkbox.get_attribute("id")}"]').click()
    assert checkbox.is_checked() == checked


def wait_until(page, expression: str, timeout: float = 10.0) -> None:
    """Wait until a JavaScript expression is true on the page.

    Not ``page.wait_for_function``: it evaluates strings inside the page, which the strict CSP forbids;
    ``page.evaluate`` goes through the DevTools protocol instead.
    """
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {expression}")
        page.wait_for_timeout(50)


#: A folder for the journeys' screenshots, to be looked at (``WELFAREPOINT_SHOTS``); none are taken without it.
SHOTS = os.environ.get("WELFAREPOINT_SHOTS", "")


def screenshot(page, folder: str, name: str, *, full_page: bool = True) -> None:
    """Keep a screenshot of ``page`` as ``<WELFAREPOINT_SHOTS>/<folder>/<name>.png`` when that variable is set."""
    if SHOTS:
        path = Path(SHOTS) / folder / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page, timeout=60_000)
