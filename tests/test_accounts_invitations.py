"""Invitations (issue 25, point 2): a manager invites a person by e-mail; the signed link sets a password once,
within INVITE_DAYS, for that account only, and not for a disabled account; every act is recorded."""

from __future__ import annotations

import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from tests.support.accounts import link_to, messages_to, provider_organisation
from tests.support.mail import html_of, text_of
from tests.support.manage import sign_in, token
from welfarepoint.accounts import people
from welfarepoint.accounts.models import AccountAct
from welfarepoint.accounts.operations import find_user
from welfarepoint.extensions import db

NEW_PASSWORD = "girasoli sul balcone di via Roma"


def invite_provider(app, client, organisation_uuid: str, email: str, locale: str = "it", name: str = ""):
    """Send the "invite a person of this organisation" form of the organisation's page."""
    page = client.get(f"/manage/organisations/{organisation_uuid}?lang=en")
    assert page.status_code == 200 and "Invite a person of this organisation" in page.text
    return client.post(
        f"/manage/organisations/{organisation_uuid}/people?lang=en",
        data={
            "invite-csrf_token": token(page.text.split('id="invite-provider"')[1]),
            "invite-email": email,
            "invite-name": name,
            "invite-locale": locale,
            "next": "organisation",
        },
    )


def set_password(
    client, link: str, password: str = NEW_PASSWORD, confirm: str | None = None, lang: str = "en"
):
    page = client.get(f"{link}?lang={lang}")
    assert page.status_code == 200, page.text
    return client.post(
        f"{link}?lang={lang}",
        data={
            "csrf_token": token(page.text),
            "password": password,
            "confirm": password if confirm is None else confirm,
        },
    )


def acts(app, email: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.execute(
            db.select(AccountAct.actor, AccountAct.action)
            .where(AccountAct.target == email)
            .order_by(AccountAct.id)
        ).all()
        return [tuple(row) for row in rows]


@pytest.fixture
def manager(demo_app, auth):
    return auth("ats_manager")


def test_a_provider_invited_from_the_organisation_page_sets_a_password_and_signs_in(demo_app, manager):
    organisation = provider_organisation(demo_app)
    response = invite_provider(
        demo_app, manager, organisation.uuid, "  Sara.O'Neill@Gmail.COM ", "en", "Sara O'Neill"
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/manage/organisations/{organisation.uuid}")
    with demo_app.app_context():
        user = find_user("sara.o'neill@gmail.com")
        assert (user.role, user.organisation.name, user.state, user.locale) == (
            "provider",
            organisation.name,
            "invited",
            "en",
        )
    messages = messages_to(demo_app, "sara.o'neill@gmail.com")
    assert len(messages) == 1
    message = messages[0]
    assert "you are invited" in message["Subject"]
    assert "Dear Sara O'Neill," in text_of(message) and organisation.name in text_of(message)
    assert "works once, for 3 days" in text_of(message)
    assert "Choose your password" in html_of(message)
    assert "/manage/welcome/" in text_of(message) and "?lang=en" in text_of(message)  # opens in English
    link = link_to(demo_app, "sara.o'neill@gmail.com", "/manage/welcome/")
    # An invited account cannot sign in before it has a password.
    assert sign_in(demo_app.test_client(), "sara.o'neill@gmail.com", "any-password-at-all").status_code == 401
    provider = demo_app.test_client()
    assert set_password(provider, link).headers["Location"] == "/manage/"
    inbox = provider.get("/manage/?lang=en").text
    assert f"provider for {organisation.name}" in inbox
    assert sign_in(demo_app.test_client(), "sara.o'neill@gmail.com", NEW_PASSWORD).status_code == 302
    assert acts(demo_app, "sara.o'neill@gmail.com") == [
        ("anna@ats-montagna.example.org", "invite"),
        ("sara.o'neill@gmail.com", "accept"),
    ]


def test_the_invitation_is_in_the_language_chosen_for_the_invitee(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "giulia.bianchi@libero.it", "it", "Giulia Bianchi")
    message = messages_to(demo_app, "giulia.bianchi@libero.it")[0]
    assert "Gentile Giulia Bianchi," in text_of(message)
    assert message["Content-Language"] == "it"


def test_a_used_link_cannot_be_replayed(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    link = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    assert set_password(demo_app.test_client(), link).status_code == 302
    again = demo_app.test_client().get(f"{link}?lang=en")
    assert again.status_code == 410 and "already been used" in again.text
    replay = demo_app.test_client().post(
        link, data={"password": "altra frase lunga e nuova", "confirm": "altra frase lunga e nuova"}
    )
    assert replay.status_code in (400, 410)
    assert sign_in(demo_app.test_client(), "mario.rossi@libero.it", NEW_PASSWORD).status_code == 302


def test_a_new_invitation_makes_the_older_link_useless(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    first = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    with demo_app.app_context():
        account_id = find_user("mario.rossi@libero.it").id
    page = manager.get(f"/manage/accounts/{account_id}")
    response = manager.post(
        f"/manage/accounts/{account_id}/invite-again",
        data={"csrf_token": token(page.text.split("invite-again")[1])},
    )
    assert response.status_code == 302
    second = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    assert second != first
    assert demo_app.test_client().get(first).status_code == 410
    assert set_password(demo_app.test_client(), second).status_code == 302


def old_token(app, purpose: str, data: dict, days: float) -> str:
    """A link signed with the site's key ``days`` ago (what a link in an old e-mail carries)."""

    class Then(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - days * 24 * 3600)

    serializer = URLSafeTimedSerializer(
        app.config["SECRET_KEY"], salt=f"welfarepoint-link:{purpose}", signer=Then
    )
    return serializer.dumps(data)


def test_an_expired_invitation_says_so_and_sets_nothing(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    with demo_app.app_context():
        user = find_user("mario.rossi@libero.it")
        data = {"u": user.id, "f": people.fingerprint(user)}
    fresh = old_token(demo_app, "invite", data, days=2.9)
    stale = old_token(demo_app, "invite", data, days=3.1)
    expired = demo_app.test_client().get(f"/manage/welcome/{stale}?lang=it")
    assert expired.status_code == 410 and "Questo link è scaduto." in expired.text
    assert demo_app.test_client().get(f"/manage/welcome/{fresh}").status_code == 200


def test_a_link_for_one_account_cannot_act_on_another(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    invite_provider(demo_app, manager, organisation.uuid, "giulia.bianchi@libero.it")
    mario_link = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    with demo_app.app_context():
        mario, giulia = find_user("mario.rossi@libero.it"), find_user("giulia.bianchi@libero.it")
        # Giulia's id with Mario's fingerprint (as if the token were edited): refused.
        crossed = old_token(demo_app, "invite", {"u": giulia.id, "f": people.fingerprint(mario)}, days=0)
    # Mario's invitation presented as a password reset: another purpose, refused.
    reset_path = mario_link.replace("/manage/welcome/", "/manage/password/reset/")
    assert demo_app.test_client().get(f"/manage/welcome/{crossed}").status_code == 410
    assert demo_app.test_client().get(reset_path).status_code == 404
    assert set_password(demo_app.test_client(), mario_link).status_code == 302
    with demo_app.app_context():
        assert find_user("giulia.bianchi@libero.it").invited
        assert not find_user("mario.rossi@libero.it").invited


def test_a_disabled_account_cannot_use_its_invitation(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    link = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    with demo_app.app_context():
        account_id = find_user("mario.rossi@libero.it").id
    page = manager.get(f"/manage/accounts/{account_id}").text
    disable = manager.post(
        f"/manage/accounts/{account_id}/enabled", data={"csrf_token": token(page), "enabled": "0"}
    )
    assert disable.status_code == 302
    refused = demo_app.test_client().get(f"{link}?lang=en")
    assert refused.status_code == 404 and "does not work" in refused.text
    with demo_app.app_context():
        assert find_user("mario.rossi@libero.it").state == "disabled"


def test_an_address_that_has_an_account_is_not_invited_again(demo_app, manager, make_user):
    organisation = provider_organisation(demo_app)
    existing = make_user("alliance_editor", alliance=_montagna_alliance(demo_app))
    response = invite_provider(demo_app, manager, organisation.uuid, existing.upper())
    assert response.status_code == 400 and "already has an account" in response.text
    assert existing.upper() in response.text  # what was typed is kept
    assert messages_to(demo_app, existing) == []


def test_a_weak_password_or_two_different_ones_are_refused_next_to_the_field(demo_app, manager):
    organisation = provider_organisation(demo_app)
    invite_provider(demo_app, manager, organisation.uuid, "mario.rossi@libero.it")
    link = link_to(demo_app, "mario.rossi@libero.it", "/manage/welcome/")
    client = demo_app.test_client()
    weak = set_password(client, link, "Estate2026!", lang="it")
    assert weak.status_code == 400 and "La password deve avere almeno 12 caratteri." in weak.text
    different = set_password(client, link, NEW_PASSWORD, confirm=NEW_PASSWORD + "!", lang="en")
    assert different.status_code == 400 and "The two passwords are not the same" in different.text
    # Refusals used nothing: the link still works.
    assert set_password(client, link).status_code == 302


def _montagna_alliance(app) -> str:
    from tests.support.manage import montagna_alliances

    return montagna_alliances(app)[0]


def test_the_invitation_forms_are_rate_limited(tmp_path, demo_instance):
    from tests.support.apps import build_app, make_config
    from tests.support.databases import copy_instance
    from tests.support.manage import account, signed_in
    from welfarepoint.extensions import limiter

    instance = tmp_path / "limited"
    copy_instance(demo_instance, instance)
    app = build_app(make_config(instance, ACCOUNT_MAIL_RATE_LIMIT="2 per minute"))
    limiter.reset()
    try:
        client = signed_in(app, account(app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna"))
        organisation = provider_organisation(app)
        page = client.get(f"/manage/organisations/{organisation.uuid}/people").text
        answers = [
            client.post(
                f"/manage/organisations/{organisation.uuid}/people",
                data={
                    "invite-csrf_token": token(page),
                    "invite-email": f"p{n}@coop.example.it",
                    "invite-locale": "it",
                },
            ).status_code
            for n in range(3)
        ]
        assert answers == [302, 302, 429]
        assert client.get(f"/manage/organisations/{organisation.uuid}/people").status_code == 200
        accounts_page = client.get("/manage/accounts").text
        assert "p2@coop.example.it" not in accounts_page
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
