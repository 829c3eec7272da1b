"""A visitor's e-mail alert in a real browser (issue 25, point 6): subscribe on a questionnaire's results,
confirm from the e-mail, receive the alert when a fitting listing is published, stop it in one click.

At 390 px and 1,366 px, in Italian and English, axe-clean at every step; the messages are read from the live
server's outbox, after ``mail.deliver_pending()`` (what the job runner runs)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.support.browser import assert_accessible, screenshot
from tests.support.catalog import create_listing, row
from tests.support.mail import links_in, outbox
from welfarepoint import mail
from welfarepoint.alerts.models import Alert
from welfarepoint.alerts.operations import send_alerts
from welfarepoint.catalog import operations
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser

#: A family in Livigno with a child of 9 who needs care before school.
RESULTS = "/match/family?municipality=014037&child_age=9&needs=before_school"
WORDS = {
    "it": {
        "offer": "Avvisami via e-mail",
        "field": "Il tuo indirizzo e-mail",
        "send": "Mandami la conferma",
        "sent": "Controlla la tua posta",
        "confirm": "Sì, mandami questi avvisi",
        "on": "L'avviso è attivo",
        "stop": "Ferma e cancella questo avviso",
        "stopped": "L'avviso è fermato",
        "space": "Un indirizzo e-mail non ha spazi.",
    },
    "en": {
        "offer": "Alert me by e-mail",
        "field": "Your e-mail address",
        "send": "Send me the confirmation",
        "sent": "Check your e-mail",
        "confirm": "Yes, send me these alerts",
        "on": "The alert is on",
        "stop": "Stop and delete this alert",
        "stopped": "The alert is stopped",
        "space": "An e-mail address has no spaces.",
    },
}


def messages_to(app, address: str) -> list:
    with app.app_context():
        mail.deliver_pending()
    return [message for message in outbox(app) if message["To"] == address]


def local(url: str, base: str) -> str:
    parts = urlsplit(url)
    return base + parts.path + ("?" + parts.query if parts.query else "")


@pytest.mark.parametrize("width", [390, 1366], ids=["390px", "1366px"])
@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_family_subscribes_confirms_gets_the_alert_and_stops_it(chromium, live_server, width, lang):
    app = live_server.app
    app.config["ALERT_RATE_LIMIT"] = "1000 per minute"  # four journeys from one address
    app.config["ALERTS_DELAY_SECONDS"] = 0
    words = WORDS[lang]
    address = f"famiglia.{lang}.{width}@example.org"
    shots = f"alerts/{lang}-{width}"
    context = chromium.new_context(viewport={"width": width, "height": 900}, locale=f"{lang}-IT")
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(f"{live_server.url}{RESULTS}&lang={lang}")
        feed = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
        assert feed.count() == 1
        assert page.locator('a[type="application/atom+xml"]').is_visible()
        assert_accessible(page)
        screenshot(page, shots, "1-results")

        page.get_by_role("link", name=words["offer"]).click()
        page.wait_for_load_state()
        assert_accessible(page)
        # Typed with a space in the middle: the message is beside the field, the text kept.
        page.get_by_label(words["field"]).fill("famiglia rossi@example.org")
        page.get_by_role("button", name=words["send"]).click()
        page.wait_for_load_state()
        assert page.locator("#email-errors").inner_text() == words["space"]
        assert page.get_by_label(words["field"]).input_value() == "famiglia rossi@example.org"
        assert_accessible(page)
        screenshot(page, shots, "2-form-with-a-mistake")
        page.get_by_label(words["field"]).fill(f"  {address} ")
        page.get_by_role("button", name=words["send"]).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == words["sent"]
        assert_accessible(page)
        screenshot(page, shots, "3-check-your-mail")

        [request] = messages_to(app, address)
        assert request["Content-Language"] == lang
        confirm = next(link for link in links_in(request) if "/alerts/confirm/" in link)
        page.goto(local(confirm, live_server.url))
        assert_accessible(page)
        screenshot(page, shots, "4-confirm")
        page.get_by_role("button", name=words["confirm"]).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == words["on"]
        assert_accessible(page)
        screenshot(page, shots, "5-confirmed")

        title = f"Pre-scuola a Livigno ({lang}, {width})"
        with app.app_context():
            listing = create_listing(
                row(
                    external_id=f"alert-{lang}-{width}",
                    status="draft",
                    title=title,
                    municipalities="Livigno",
                    age_min="6",
                    age_max="11",
                )
            )
            db.session.commit()
            operations.change_status(listing, "published", author="anna@ats-montagna.example.org")
            db.session.commit()
            send_alerts()
        [alert] = messages_to(app, address)[1:]
        assert title in alert.get_body(preferencelist=("plain",)).get_content()
        assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

        stop = next(link for link in links_in(alert) if "/alerts/stop/" in link)
        page.goto(local(stop, live_server.url))
        assert_accessible(page)
        screenshot(page, shots, "6-stop")
        page.get_by_role("button", name=words["stop"]).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == words["stopped"]
        assert_accessible(page)
        screenshot(page, shots, "7-stopped")
        with app.app_context():
            assert db.session.execute(select(Alert).where(Alert.email == address)).first() is None
    finally:
        context.close()


def test_the_alert_form_and_the_stop_button_work_without_javascript(chromium, live_server):
    app = live_server.app
    app.config["ALERT_RATE_LIMIT"] = "1000 per minute"
    address = "senza.script@example.org"
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/search?q=doposcuola&place=Sondrio&lang=it")
        page.get_by_role("link", name="Avvisami via e-mail").click()
        page.get_by_label("Il tuo indirizzo e-mail").fill(address)
        page.get_by_role("button", name="Mandami la conferma").click()
        assert page.locator("h1").inner_text() == "Controlla la tua posta"
        [request] = messages_to(app, address)
        confirm = next(link for link in links_in(request) if "/alerts/confirm/" in link)
        page.goto(local(confirm, live_server.url))
        page.get_by_role("button", name="Sì, mandami questi avvisi").click()
        assert page.locator("h1").inner_text() == "L'avviso è attivo"
        with app.app_context():
            alert = db.session.execute(select(Alert).where(Alert.email == address)).scalar_one()
            assert alert.permalink == "/search?q=doposcuola&place=Sondrio"
            stop = operations_link(alert)
        page.goto(local(stop, live_server.url))
        page.get_by_role("button", name="Ferma e cancella questo avviso").click()
        assert page.locator("h1").inner_text() == "L'avviso è fermato"
        with app.app_context():
            assert db.session.execute(select(Alert).where(Alert.email == address)).first() is None
    finally:
        context.close()


def operations_link(alert) -> str:
    """The stop link an alert's messages carry (what its next message would say)."""
    from welfarepoint.alerts.operations import STOP, link

    return link("alerts.stop", STOP, alert)
