"""Providers in the loop, in a real browser (issue 25, points 2 and 3): an ATS manager invites a person of an
organisation from its page; the person opens the link of the e-mail (read from the outbox), chooses a password,
updates a listing of the organisation; the manager finds the held change in the inbox and publishes it. At 390 and
1,366 px, in Italian and English, axe-clean; screenshots in ``WELFAREPOINT_SHOTS``/accounts when it is set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.browser import _open_page, assert_accessible, goto, screenshot
from tests.support.catalog import create_listing, row
from tests.support.mail import links_in, outbox
from welfarepoint import mail
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
MANAGER_PASSWORD = "mirtilli-e-lamponi-2026"
DATA = Path(__file__).parent / "data" / "mail"
PASSWORDS = [case["typed"] for case in json.loads((DATA / "passwords.json").read_text("utf-8"))]
WAYS = [
    pytest.param(({"width": 390, "height": 844}, "it"), id="390-it"),
    pytest.param(({"width": 390, "height": 844}, "en"), id="390-en"),
    pytest.param(({"width": 1366, "height": 900}, "it"), id="1366-it"),
    pytest.param(({"width": 1366, "height": 900}, "en"), id="1366-en"),
]
SAID = {
    "it": {
        "sign in": "Accedi",
        "invite": "Invia l’invito",
        "invited": "Invito inviato a",
        "set": "Imposta la password ed entra",
        "welcome": "Ti diamo il benvenuto",
        "too short": "La password deve avere almeno 12 caratteri.",
        "not an address": "Un indirizzo e-mail contiene una «@»",
        "save": "Salva senza pubblicare",
        "publish": "Pubblica le modifiche",
        "published": "è pubblicata",
    },
    "en": {
        "sign in": "Sign in",
        "invite": "Send the invitation",
        "invited": "is invited",
        "set": "Set the password and sign in",
        "welcome": "Welcome",
        "too short": "The password must be at least 12 characters long.",
        "not an address": "An e-mail address has an “@”",
        "save": "Save without publishing",
        "publish": "Publish the changes",
        "published": "is published",
    },
}
_made: list[str] = []


def journey_organisation(app) -> tuple[str, str, str]:
    """An organisation of its own for each journey, with one published Montagna listing: (name, uuid, listing)."""
    number = len(_made) + 1
    name = f"Cooperativa del Girasole {number}"
    with app.app_context():
        service = create_listing(
            row(
                external_id=f"accounts-journey-{number}",
                title=f"Centro estivo del Girasole {number}",
                municipalities="Valfurva",
                provider=name,
                email="",
                website="",
            )
        )
        db.session.commit()
        organisation = db.session.execute(
            db.select(Organisation).where(Organisation.name == name)
        ).scalar_one()
        _made.append(service.uuid)
        return name, organisation.uuid, service.uuid


def manager(app) -> str:
    email = "anna@ats-montagna.example.org"
    with app.app_context():
        if find_user(email) is None:
            create_user(email, MANAGER_PASSWORD, "ats_manager", ats="Montagna")
            db.session.commit()
    return email


def shot(page, name: str) -> None:
    screenshot(page, "accounts", f"{name}-{page.viewport_size['width']}", full_page=True)


def invitation_link(app, address: str) -> str:
    with app.app_context():
        mail.deliver_pending()
    messages = [message for message in outbox(app) if address in str(message["To"])]
    assert len(messages) == 1, [str(message["To"]) for message in outbox(app)]
    return next(link for link in links_in(messages[0]) if "/manage/welcome/" in link)


@pytest.fixture(params=WAYS)
def two_pages(request, chromium, live_server):
    viewport, lang = request.param
    opened = [_open_page(chromium, viewport, f"{lang}-IT" if lang == "it" else "en-GB") for _ in range(2)]
    for _context, page, _watch in opened:
        page.base_url = live_server.url
    yield opened[0][1], opened[1][1], lang
    for context, _page, watch in opened:
        context.close()
        assert not watch.errors and not watch.foreign_requests, (watch.errors, watch.foreign_requests)


def test_a_manager_invites_a_provider_who_updates_a_listing_that_the_manager_publishes(
    two_pages, live_server
):
    anna, sara, lang = two_pages
    said = SAID[lang]
    app = live_server.app
    name, organisation_uuid, listing_uuid = journey_organisation(app)
    width = anna.viewport_size["width"]
    address = f"sara.girasole.{lang}.{width}@coop-girasole.example.it"
    # The manager signs in and opens the organisation's page.
    goto(anna, f"/manage/login?lang={lang}")
    anna.locator("#email").fill(manager(app))
    anna.locator("#password").fill(MANAGER_PASSWORD)
    anna.get_by_role("button", name=said["sign in"]).click()
    anna.wait_for_load_state()
    goto(anna, f"/manage/organisations/{organisation_uuid}?lang={lang}")
    form = anna.locator("#invite-provider")
    # Typed as people type: "at" for @ first, refused next to the field with the typed value kept.
    form.locator("#invite-email").fill("sara.girasole at coop-girasole.example.it")
    form.locator("#invite-name").fill("  Sara Dell'Acqua ")
    form.get_by_role("button", name=said["invite"]).click()
    anna.wait_for_load_state()
    assert said["not an address"] in anna.locator("#invite-email-errors").inner_text()
    assert anna.locator("#invite-email").input_value() == "sara.girasole at coop-girasole.example.it"
    assert_accessible(anna)
    shot(anna, f"invite-refused-{lang}")
    anna.locator("#invite-email").fill(f"  {address.upper()} ")
    anna.locator("#invite-locale").select_option(lang)
    anna.get_by_role("button", name=said["invite"]).click()
    anna.wait_for_load_state()
    assert said["invited"] in anna.get_by_role("status").first.inner_text()
    assert_accessible(anna)
    shot(anna, f"invited-{lang}")
    # The provider opens the link of the e-mail and chooses a password (a short one first).
    link = invitation_link(app, address)
    sara.goto(link)
    sara.wait_for_load_state()
    assert name in sara.locator("main").inner_text()
    assert_accessible(sara)
    shot(sara, f"welcome-{lang}")
    sara.locator("#password").fill("Estate2026!")
    sara.locator("#confirm").fill("Estate2026!")
    sara.get_by_role("button", name=said["set"]).click()
    sara.wait_for_load_state()
    assert said["too short"] in sara.locator("#password-errors").inner_text()
    passphrase = PASSWORDS[16]  # "perché la nonna mangia sempre più tortellini"
    sara.locator("#password").fill(passphrase)
    sara.locator("#confirm").fill(passphrase)
    sara.get_by_role("button", name=said["set"]).click()
    sara.wait_for_load_state()
    assert said["welcome"] in sara.get_by_role("status").first.inner_text()
    assert_accessible(sara)
    shot(sara, f"provider-inbox-{lang}")
    # Its listings: the organisation's one, and no other.
    goto(sara, f"/manage/services?lang={lang}")
    listings = sara.locator("main a[href^='/manage/services/']").evaluate_all(
        "links => links.map(a => a.pathname)"
    )
    assert set(listings) - {
        "/manage/services/new",
        "/manage/services/export.csv",
        "/manage/services/export.xlsx",
    } == {f"/manage/services/{listing_uuid}"}
    assert_accessible(sara)
    shot(sara, f"provider-listings-{lang}")
    # The provider updates the listing: held for review, the public keeps the published version.
    goto(sara, f"/manage/services/{listing_uuid}?lang={lang}")
    assert sara.locator("button[value=publish]").count() == 0
    sara.locator("#schedule_notes").fill("lun–ven 8.00–16.30, anche ad agosto")
    sara.locator("button[name=action][value=save]").last.click()
    sara.wait_for_load_state()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=listing_uuid)).unique().scalar_one()
        assert (
            service.draft["author"] == address
            and service.schedule_notes != "lun–ven 8.00–16.30, anche ad agosto"
        )
    # The manager finds it in the inbox, held, and publishes it.
    goto(anna, f"/manage/?lang={lang}")
    held = anna.locator("#held")
    assert address in held.inner_text()
    held.get_by_role("link", name="Centro estivo del Girasole").first.click()
    anna.wait_for_load_state()
    assert_accessible(anna)
    shot(anna, f"held-change-{lang}")
    anna.get_by_role("button", name=said["publish"]).click()
    anna.wait_for_load_state()
    assert said["published"] in anna.get_by_role("status").first.inner_text()
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=listing_uuid)).unique().scalar_one()
        assert service.schedule_notes == "lun–ven 8.00–16.30, anche ad agosto" and service.draft is None


def test_the_forgotten_password_page_the_people_page_and_the_account_page(two_pages, live_server):
    page, _other, lang = two_pages
    app = live_server.app
    email = manager(app)
    said = {
        "it": ("contiene una «@»", "Se a questo indirizzo corrisponde un account"),
        "en": ("has an “@”", "If an account has this address"),
    }[lang]
    goto(page, f"/manage/login?lang={lang}")
    page.locator("a[href='/manage/password/forgot']").click()
    page.wait_for_load_state()
    page.locator("#email").fill("anna at ats-montagna.example.org")
    page.locator("form.wp-login button[type=submit]").click()
    page.wait_for_load_state()
    assert said[0] in page.locator("#email-errors").inner_text()
    assert page.locator("#email").input_value() == "anna at ats-montagna.example.org"
    assert_accessible(page)
    shot(page, f"forgot-refused-{lang}")
    page.locator("#email").fill(" nessuno@comune.example.it ")
    page.locator("form.wp-login button[type=submit]").click()
    page.wait_for_load_state()
    assert said[1] in page.get_by_role("status").inner_text()
    assert_accessible(page)
    shot(page, f"forgot-sent-{lang}")
    goto(page, f"/manage/login?lang={lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(MANAGER_PASSWORD)
    page.get_by_role("button", name=SAID[lang]["sign in"]).click()
    page.wait_for_load_state()
    for path, name in (
        ("/manage/accounts", "people"),
        ("/manage/accounts/record", "record"),
        ("/manage/account", "account"),
    ):
        goto(page, f"{path}?lang={lang}")
        assert_accessible(page)
        shot(page, f"{name}-{lang}")
    # The account page: a password change with two different new passwords is refused next to the field.
    page.locator("#pw-current").fill(MANAGER_PASSWORD)
    page.locator("#pw-password").fill(PASSWORDS[15])
    page.locator("#pw-confirm").fill(PASSWORDS[15] + " ")
    page.locator("#pw-confirm").press("Enter")
    page.wait_for_load_state()
    assert page.locator("#pw-confirm-errors").is_visible()
    assert_accessible(page)
    shot(page, f"account-refused-{lang}")
