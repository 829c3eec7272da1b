"""Freshness by e-mail in a real browser (issue 25 point 4): a provider opens "still correct" from the digest,
without signing in, confirms, and the listing leaves its curator's overdue queue; the curator sees who answered.
At 390 px and 1,366 px, in Italian and English, axe-clean; screenshots in ``WELFAREPOINT_SHOTS``/fresh when set."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from tests.support.browser import assert_accessible, goto, screenshot
from tests.support.catalog import create_listing, row
from tests.support.mail import html_of, links_in, outbox, text_of
from welfarepoint import mail
from welfarepoint.accounts.models import User
from welfarepoint.accounts.operations import create_user
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db
from welfarepoint.freshness.digests import send_digests

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"
WORDS = {
    "it": {"confirm": "È tutto ancora corretto", "thanks": "Grazie: la verifica è registrata", "sign_in": "Accedi",
           "email": "Indirizzo e-mail", "answered": "Ancora corretta, il"},
    "en": {"confirm": "It is all still correct", "thanks": "Thank you: the check is recorded", "sign_in": "Sign in",
           "email": "E-mail address", "answered": "Still correct, on"},
}  # fmt: skip


def shot(page, name: str) -> None:
    screenshot(page, "fresh", f"{name}-{page.viewport_size['width']}")


@pytest.fixture
def phone_390(page):
    """The phone size of this journey: 390 px (the page fixture's phone is narrower)."""
    if page.viewport_size["width"] < 500:
        page.set_viewport_size({"width": 390, "height": 844})
    return page


def a_provider_with_an_overdue_listing(app, language: str, tag: str) -> dict:
    """A provider organisation with its account (in ``language``), an alliance of its own with an editor, and one
    published listing checked 200 days ago: all new, so that the journeys do not meet on the shared server."""
    with app.app_context():
        alliance = operations.create_alliance(f"Alleanza Fresca {tag}", "Montagna")
        listing = create_listing(
            row(
                external_id=f"fresh-{tag}",
                title=f"Ludoteca Arcobaleno {tag}",
                municipalities="Valfurva",  # no other journey asks about it: the live server is shared
                provider=f"Cooperativa Arcobaleno {tag}",
                alliance=alliance.name,
                last_verified=(date.today() - timedelta(days=200)).isoformat(),
            )
        )
        organisation = db.session.execute(
            db.select(Organisation).filter_by(name=f"Cooperativa Arcobaleno {tag}")
        ).scalar_one()
        provider = f"segreteria-{tag}@arcobaleno.example.org"
        db.session.add(
            User(
                email=provider,
                password_hash="!",
                role="provider",
                organisation_id=organisation.id,
                locale=language,
            )
        )
        editor = f"curatrice-{tag}@alleanza.example.org"
        create_user(editor, PASSWORD, "alliance_editor", alliance=alliance.name)
        db.session.commit()
        return {
            "uuid": listing.uuid,
            "title": listing.title,
            "id": listing.id,
            "provider": provider,
            "editor": editor,
        }


def digest_link(app, base_url: str, provider: str, uuid: str) -> str:
    """Send the day's digests (what `flask mail digests` does) and take the "still correct" link of the listing
    from the provider's message, as the live server's address."""
    with app.app_context():
        send_digests(date.today())
        db.session.commit()
        mail.deliver_pending()
    message = next(message for message in reversed(outbox(app)) if message["To"] == provider)
    link = next(url for url in links_in(message) if f"/provider/services/{uuid}/still-correct/" in url)
    parts = urlsplit(link)
    assert "Ludoteca Arcobaleno" in text_of(message)
    return base_url + parts.path + (f"?{parts.query}" if parts.query else ""), html_of(message)


def sign_in(page, email: str, language: str) -> None:
    goto(page, f"/manage/login?lang={language}")
    page.get_by_label(WORDS[language]["email"]).fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=WORDS[language]["sign_in"]).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_provider_confirms_a_listing_from_the_digest_and_it_leaves_the_overdue_queue(
    phone_390, live_server, language
):
    page = phone_390
    width = page.viewport_size["width"]
    made = a_provider_with_an_overdue_listing(live_server.app, language, f"{language}-{width}")
    link, html = digest_link(live_server.app, live_server.url, made["provider"], made["uuid"])
    assert ("lang=en" in link) == (language == "en")  # the page opens in the provider's language
    page.set_content(html)  # the e-mail as a mail program shows it
    shot(page, f"digest-email-{language}")
    page.goto(link if language == "en" else link + "?lang=it")
    assert made["title"] in page.locator("main").inner_text()
    shot(page, f"check-{language}")
    assert_accessible(page)
    page.get_by_role("button", name=WORDS[language]["confirm"]).click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == WORDS[language]["thanks"]
    shot(page, f"checked-{language}")
    assert_accessible(page)
    with live_server.app.app_context():
        service = db.session.get(Service, made["id"])
        assert service.last_verified == date.today() and service.last_verified_by == made["provider"]
    # The curator: the listing is no longer overdue, and its form says who answered.
    sign_in(page, made["editor"], language)
    goto(page, f"/manage/verify?lang={language}")
    assert made["title"] not in page.locator("main").inner_text()
    goto(page, f"/manage/services/{made['uuid']}?lang={language}")
    reminders = page.locator("aside#reminders")
    assert (
        made["provider"] in reminders.inner_text() and WORDS[language]["answered"] in reminders.inner_text()
    )
    reminders.scroll_into_view_if_needed()
    screenshot(page, "fresh", f"listing-reminders-{language}-{page.viewport_size['width']}", full_page=False)
    assert_accessible(page)


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_link_for_another_listing_and_a_broken_link_get_a_clear_page(phone_390, live_server, language):
    page = phone_390
    width = page.viewport_size["width"]
    made = a_provider_with_an_overdue_listing(live_server.app, language, f"refused-{language}-{width}")
    link, _html = digest_link(live_server.app, live_server.url, made["provider"], made["uuid"])
    with live_server.app.app_context():
        other = (
            db.session.execute(db.select(Service.uuid).where(Service.status == "published")).scalars().first()
        )
    response = page.goto(link.split("?")[0].replace(made["uuid"], other) + f"?lang={language}")
    assert response.status == 404
    assert (
        page.locator("h1").inner_text()
        == {"it": "Questo collegamento non funziona", "en": "This link does not work"}[language]
    )
    shot(page, f"refused-{language}")
    assert_accessible(page)


def a_contact_allowed_listing(app, tag: str) -> dict:
    """A provider without an account whose contact address a manager allows, with one overdue listing."""
    with app.app_context():
        listing = create_listing(
            row(
                external_id=f"fresh-contact-{tag}",
                title=f"Centro estivo Aquilone {tag}",
                municipalities="Valfurva",
                provider=f"Associazione Aquilone {tag}",
                email=f"info-{tag}@aquilone.example.org",
                last_verified=(date.today() - timedelta(days=200)).isoformat(),
            )
        )
        listing.contact_reminders = True
        db.session.commit()
        return {"uuid": listing.uuid, "title": listing.title, "id": listing.id, "contact": listing.email}


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_provider_without_an_account_says_what_needs_changing_with_messy_input(
    phone_390, live_server, language, monkeypatch
):
    # Every journey on the shared server comes from 127.0.0.1: this one's two sendings are not counted with theirs.
    monkeypatch.setitem(live_server.app.config, "FRESH_FORM_RATE_LIMIT", "1000 per minute")
    page = phone_390
    width = page.viewport_size["width"]
    made = a_contact_allowed_listing(live_server.app, f"{language}-{width}")
    with live_server.app.app_context():
        send_digests(date.today())
        db.session.commit()
        mail.deliver_pending()
    message = next(
        message for message in reversed(outbox(live_server.app)) if message["To"] == made["contact"]
    )
    link = next(url for url in links_in(message) if f"/provider/services/{made['uuid']}/changes/" in url)
    page.goto(live_server.url + urlsplit(link).path + f"?lang={language}")
    form = page.locator("main form")
    form.locator("textarea").fill("ok")
    form.get_by_role("button").click()
    page.wait_for_load_state()
    field = page.locator("main form textarea")
    assert field.input_value() == "ok" and field.get_attribute("aria-invalid") == "true"
    shot(page, f"changes-error-{language}")
    assert_accessible(page)
    typed = "orari nuovi: lun-ven 8:00-12:30 e 14,00-18,00, sabato chiuso"
    field.fill(typed)
    page.locator("main form select").select_option("hours")
    page.locator("main form").get_by_role("button").click()
    page.wait_for_load_state()
    assert made["title"] in page.locator("main").inner_text()
    shot(page, f"changes-sent-{language}")
    assert_accessible(page)
    with live_server.app.app_context():
        from welfarepoint.catalog.models import Feedback

        kept = db.session.execute(db.select(Feedback).filter_by(service_id=made["id"])).scalar_one()
        assert kept.message == typed and kept.kind == "hours" and kept.from_provider == made["contact"]


@pytest.mark.parametrize("language", ["it", "en"])
def test_a_provider_answers_a_correction_from_the_e_mail(phone_390, live_server, language, monkeypatch):
    # Every journey on the shared server comes from 127.0.0.1: these sendings are not counted with theirs.
    monkeypatch.setitem(live_server.app.config, "FEEDBACK_RATE_LIMIT", "1000 per minute")
    monkeypatch.setitem(live_server.app.config, "FRESH_FORM_RATE_LIMIT", "1000 per minute")
    page = phone_390
    width = page.viewport_size["width"]
    made = a_provider_with_an_overdue_listing(live_server.app, language, f"answer-{language}-{width}")
    with live_server.app.app_context():
        service = db.session.get(Service, made["id"])
        slug = service.slug
    goto(page, f"/services/{slug}?lang={language}")
    page.locator("#feedback select").select_option("cost")
    page.locator("#feedback textarea").fill("Il prezzo non è 90 euro ma 110")
    page.locator("#feedback").get_by_role("button").click()
    page.wait_for_load_state()
    with live_server.app.app_context():
        mail.deliver_pending()
    message = next(
        message for message in reversed(outbox(live_server.app)) if message["To"] == made["provider"]
    )
    assert "Il prezzo non è 90 euro ma 110" in text_of(message)
    link = next(url for url in links_in(message) if "/provider/corrections/" in url)
    parts = urlsplit(link)
    page.goto(live_server.url + parts.path + (f"?{parts.query}" if parts.query else f"?lang={language}"))
    assert "Il prezzo non è 90 euro ma 110" in page.locator("main").inner_text()
    shot(page, f"answer-{language}")
    assert_accessible(page)
    reply = (
        "La quota è € 90,00 per i residenti e € 110,00 per i non residenti, aggiungete entrambe per favore"
    )
    page.locator("main form textarea").fill(reply)
    page.locator("main form").get_by_role("button").click()
    page.wait_for_load_state()
    assert reply in page.locator("main").inner_text()
    shot(page, f"answered-{language}")
    assert_accessible(page)


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_curator_s_inbox_says_a_listing_was_reminded_twice_without_an_answer(
    phone_390, live_server, language
):
    page = phone_390
    width = page.viewport_size["width"]
    made = a_provider_with_an_overdue_listing(live_server.app, language, f"twice-{language}-{width}")
    with live_server.app.app_context():
        send_digests(date.today())
        db.session.commit()
        send_digests(date.today() + timedelta(days=live_server.app.config["FRESH_SECOND_REMINDER_DAYS"]))
        db.session.commit()
        mail.deliver_pending()
    assert len([message for message in outbox(live_server.app) if message["To"] == made["provider"]]) == 2
    sign_in(page, made["editor"], language)
    overdue = page.locator("#overdue")
    assert {"it": "Sollecitato due volte", "en": "Reminded twice"}[language] in overdue.inner_text()
    overdue.scroll_into_view_if_needed()
    screenshot(page, "fresh", f"inbox-twice-{language}-{width}", full_page=False)
    assert_accessible(page)
