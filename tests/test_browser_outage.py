"""The 503 pages in a real browser (issue 26, points 1 and 3): "search is being rebuilt" and "briefly
unavailable", at 390 and 1,366 px, in Italian and English, axe-clean, and the way back to the site.

Each test runs its own live server (the session's one must keep its index and database): the index broken on a
disk that is full (so it stays broken while the pages are looked at), and the SQLite database locked by another
program. Screenshots go to ``WELFAREPOINT_SHOTS``/outage when it is set.
"""

from __future__ import annotations

import gc
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.support.apps import make_config
from tests.support.browser import DESKTOP, LiveServer, _open_page, assert_accessible, screenshot
from tests.support.databases import copy_instance, on_postgresql
from tests.support.disks import IndexDisk
from welfarepoint import create_app, search
from welfarepoint.extensions import db

# A rebuild that fails on the full disk leaves Whoosh's half-written files open (its writer does not close them
# on an error); they are collected in the test that made them (``gc.collect`` below).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings(
        r"ignore:Exception ignored in.*/index-\d{8}T\d{6}-.*:pytest.PytestUnraisableExceptionWarning"
    ),
]

PHONE_390 = {"width": 390, "height": 844}
SIZES = [pytest.param(PHONE_390, id="390"), pytest.param(DESKTOP, id="1366")]
LANGUAGES = [pytest.param(("it-IT", "it"), id="it"), pytest.param(("en-GB", "en"), id="en")]


def shoot(page, name: str) -> None:
    screenshot(page, "outage", name)


@pytest.fixture(scope="module")
def broken_site(tmp_path_factory, demo_instance):
    """A live server of the demo network whose search index was deleted on a disk that is full."""
    if on_postgresql():
        pytest.skip("browser tests run on SQLite")
    folder = tmp_path_factory.mktemp("outage-instance")
    copy_instance(demo_instance, folder)
    disk = IndexDisk(folder / "index-disk")
    app = create_app(
        make_config(
            folder,
            TESTING=False,
            SEARCH_INDEX_DIR=str(disk.folder),
            SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.5}},  # a lock is waited for 0.5 s
        )
    )
    with app.app_context():
        search.rebuild()
    search.forget_all()
    server = LiveServer(app)
    server.start()
    server.disk = disk
    server.database = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    yield server
    server.stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    search.forget_all()
    disk.close()


def _break_index(site) -> None:
    search.forget_all()
    for entry in site.disk.folder.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    site.disk.fill()  # the rebuild cannot write: the page stays while it is looked at


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_search_being_rebuilt_page_then_back_to_the_site(chromium, broken_site, size, language):
    locale, lang = language
    context, page, watch = _open_page(chromium, size, locale)
    try:
        page.goto(f"{broken_site.url}/?lang={lang}")
        _break_index(broken_site)
        page.locator("#home-q").fill("  asilo nido sondrio!!  ")  # messy, as typed on a phone
        page.locator("#home-q").press("Enter")
        page.wait_for_load_state()
        heading = page.locator("h1").inner_text()
        assert heading == {"it": "La ricerca è in ricostruzione", "en": "Search is being rebuilt"}[lang]
        assert page.locator("html").get_attribute("lang") == lang
        assert_accessible(page)
        shoot(page, f"503-search-rebuilding-{lang}-{size['width']}")
        page.get_by_role(
            "link", name={"it": "Vai alla pagina iniziale", "en": "Go to the home page"}[lang]
        ).click()
        page.wait_for_load_state()
        assert page.locator("#home-q").is_visible()  # the rest of the site works
    finally:
        broken_site.disk.free()
        context.close()
        gc.collect()
    assert not watch.foreign_requests and not [e for e in watch.errors if "503" not in e]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("size", SIZES)
def test_database_unavailable_page(chromium, broken_site, size, language):
    locale, lang = language
    context, page, watch = _open_page(chromium, size, locale)
    holder = sqlite3.connect(broken_site.database, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # another program holds the whole database
        response = page.goto(f"{broken_site.url}/services/nido-che-non-esiste?lang={lang}")
        assert response.status == 503 and response.headers["retry-after"]
        heading = page.locator("h1").inner_text()
        assert (
            heading
            == {
                "it": "Il servizio è momentaneamente non disponibile",
                "en": "The service is briefly unavailable",
            }[lang]
        )
        assert_accessible(page)
        shoot(page, f"503-database-unavailable-{lang}-{size['width']}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        context.close()
    assert not watch.foreign_requests and not watch.errors
