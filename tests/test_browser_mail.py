"""The outbox in a real browser: an admin reads the e-mail the site queued (no SMTP server configured), on a
phone and a desktop, in Italian and English, and the pages pass axe."""

from __future__ import annotations

import pytest

from tests.support.browser import assert_accessible, goto, screenshot
from welfarepoint import mail
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "posta-in-uscita-2026"
ADMIN = "regione.outbox@welfarepoint.example.org"
WORDS = {
    "it": {"sign in": "Accedi", "outbox": "Posta in uscita", "sent": "Inviato", "preferences": "preferenze"},
    "en": {"sign in": "Sign in", "outbox": "Outbox", "sent": "Sent", "preferences": "preferences"},
}


@pytest.fixture(params=["it", "en"])
def language(request):
    return request.param


def test_an_admin_reads_a_queued_message_in_the_outbox(page, live_server, language):
    app = live_server.app
    with app.app_context():
        if find_user(ADMIN) is None:
            create_user(ADMIN, PASSWORD, "admin")
        mail.send(
            "Ufficio.Piani@Comune.Sondrio.IT",
            "mail_test",
            locale=language,
            context={"requested_by": f"the outbox journey ({page.viewport_size['width']} px, {language})"},
        )
        db.session.commit()
        mail.deliver_pending()
    goto(page, f"/manage/login?lang={language}")
    page.locator("#email").fill(ADMIN)
    page.locator("#password").fill(PASSWORD)
    page.get_by_role("button", name=WORDS[language]["sign in"]).click()
    page.wait_for_load_state()
    page.get_by_role("link", name=WORDS[language]["outbox"], exact=True).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == WORDS[language]["outbox"]
    row = page.locator("tbody tr").filter(has_text=f"{page.viewport_size['width']} px")
    if row.count() == 0:  # the subject is the link; the journey's own message is the newest
        row = page.locator("tbody tr").first
    assert "Ufficio.Piani@comune.sondrio.it" in row.inner_text()
    assert WORDS[language]["sent"] in row.inner_text()
    assert_accessible(page)
    screenshot(page, "mail", f"outbox-{page.viewport_size['width']}-{language}")
    row.get_by_role("link").click()
    page.wait_for_load_state()
    text = page.locator("pre.wp-mail-text").inner_text()
    assert f"({page.viewport_size['width']} px, {language})" in text
    assert WORDS[language]["preferences"] in text
    assert_accessible(page)
    screenshot(page, "mail", f"outbox-message-{page.viewport_size['width']}-{language}")
