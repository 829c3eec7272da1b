"""The edges in a real browser: a file over the limit gets the 413 page, in the manager's language, axe-clean."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_accessible, goto, screenshot
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "ribes-e-more-2026"
EMAIL = "ornella@regione.example.org"


@pytest.fixture
def admin(live_server):
    with live_server.app.app_context():
        if find_user(EMAIL) is None:
            create_user(EMAIL, PASSWORD, "admin")
            db.session.commit()
    return EMAIL


def test_a_spreadsheet_too_large_gets_the_413_page_in_the_managers_language(page, admin, tmp_path):
    big = tmp_path / "tutti i servizi della regione.csv"
    big.write_bytes(
        b"external_id,title\n" + b"SRV-1,Asilo nido comunale di prova\n" * 200_000
    )  # about 6.6 MB
    goto(page, "/manage/login?lang=en")
    page.get_by_label("E-mail address").fill(admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    width = page.viewport_size["width"]
    for language, heading, upload, send in (
        ("en", "The file is too large", "File (Excel or CSV)", "Check the file"),
        ("it", "Il file è troppo grande", "File (Excel o CSV)", "Controlla il file"),
    ):
        goto(page, f"/manage/import?lang={language}")
        page.get_by_label(upload).set_input_files(str(big))
        page.get_by_role("button", name=send).click()
        assert page.locator("h1").inner_text() == heading
        assert_accessible(page)
        screenshot(page, "edges", f"413-import-too-large-{language}-{width}px")
