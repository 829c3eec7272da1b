"""Roles within the territory (issue 25, point 2): an ATS manager changes the accounts of its ATS, never gives the
admin role nor sees another ATS's accounts (404) or an admin's; an alliance editor only invites providers (403
elsewhere); disabling ends the sessions at once; every act is in the record, shown to the territory's managers."""

from __future__ import annotations

import pytest

from tests.support.manage import PASSWORD, montagna_alliances, sign_in, signed_in, token
from welfarepoint.accounts.models import AccountAct, User
from welfarepoint.accounts.operations import find_user
from welfarepoint.extensions import db

EDITOR = "luca@alleanza.example.org"


def account_id(app, email: str) -> int:
    with app.app_context():
        return find_user(email).id


def state(app, email: str) -> tuple:
    with app.app_context():
        user = find_user(email)
        return user.role, user.ats, user.alliance_id, user.organisation_id, user.active


def change_role(client, target: int, **fields):
    page = client.get(f"/manage/accounts/{target}?lang=en")
    return client.post(f"/manage/accounts/{target}?lang=en", data={"csrf_token": token(page.text), **fields})


@pytest.fixture
def editor(demo_app, make_user):
    return make_user("alliance_editor", email=EDITOR, alliance=montagna_alliances(demo_app)[0])


def test_a_manager_turns_an_editor_of_its_ats_into_a_manager_and_the_editor_signs_in_again(
    demo_app, auth, editor
):
    manager = auth("ats_manager")
    editor_client = signed_in(demo_app, editor)
    response = change_role(manager, account_id(demo_app, editor), role="ats_manager", ats="Montagna")
    assert response.status_code == 302
    assert state(demo_app, editor)[:2] == ("ats_manager", "Montagna")
    assert editor_client.get("/manage/").status_code == 302  # its session ended: the new role applies at once
    record = manager.get("/manage/accounts/record?lang=en").text
    assert "Role changed" in record and EDITOR in record and "ATS manager" in record


def test_a_manager_can_never_give_the_admin_role(demo_app, auth, editor):
    manager = auth("ats_manager")
    before = state(demo_app, editor)
    response = change_role(manager, account_id(demo_app, editor), role="admin")
    assert response.status_code == 400 and "is not a role you can give" in response.text
    assert state(demo_app, editor) == before
    page = manager.get("/manage/accounts?lang=en").text
    assert 'value="admin"' not in page
    invited = manager.post(
        "/manage/accounts/invite",
        data={
            "csrf_token": token(page),
            "email": "nuovo@regione.example.it",
            "role": "admin",
            "locale": "it",
        },
    )
    assert invited.status_code == 400 and find_user_in(demo_app, "nuovo@regione.example.it") is None


def find_user_in(app, email):
    with app.app_context():
        return find_user(email)


def test_a_manager_cannot_reach_accounts_of_another_ats_or_an_admin(demo_app, auth, make_user):
    manager = auth("ats_manager")
    other = make_user("ats_manager", email="bruno@ats-insubria.example.org", ats="Insubria")
    admin = make_user("admin")
    for email in (other, admin):
        target = account_id(demo_app, email)
        assert manager.get(f"/manage/accounts/{target}").status_code == 404
        page = manager.get("/manage/accounts").text
        assert email not in page
        assert (
            manager.post(
                f"/manage/accounts/{target}/enabled", data={"csrf_token": token(page), "enabled": "0"}
            ).status_code
            == 404
        )
        assert (
            manager.post(
                f"/manage/accounts/{target}", data={"csrf_token": token(page), "role": "provider"}
            ).status_code
            == 404
        )
        assert state(demo_app, email)[4] is True


def test_a_manager_cannot_move_an_account_out_of_its_ats(demo_app, auth, editor):
    manager = auth("ats_manager")
    response = change_role(manager, account_id(demo_app, editor), role="ats_manager", ats="Insubria")
    assert response.status_code == 400 and "choose an ATS of your territory" in response.text
    assert state(demo_app, editor)[0] == "alliance_editor"


def test_an_alliance_editor_only_invites_providers(demo_app, auth, editor, make_user):
    client = signed_in(demo_app, editor)
    manager = make_user("ats_manager")
    assert client.get(f"/manage/accounts/{account_id(demo_app, manager)}").status_code == 403
    assert client.get("/manage/accounts/record").status_code == 403
    page = client.get("/manage/accounts?lang=en")
    assert page.status_code == 200 and "Organisations of your alliance" in page.text
    refused = client.post(
        "/manage/accounts/invite",
        data={
            "csrf_token": token(page.text),
            "email": "x@comune.example.it",
            "role": "ats_manager",
            "ats": "Montagna",
            "locale": "it",
        },
    )
    assert refused.status_code == 400 and find_user_in(demo_app, "x@comune.example.it") is None


def test_a_provider_manages_no_accounts(demo_app, auth):
    from tests.support.accounts import provider_organisation

    organisation = provider_organisation(demo_app)
    with demo_app.app_context():
        from welfarepoint.accounts.operations import create_user
        from welfarepoint.catalog.operations import find_organisation

        user = create_user("prov@coop.example.it", PASSWORD, "provider")
        user.organisation_id = find_organisation(organisation.name).id
        db.session.commit()
    client = signed_in(demo_app, "prov@coop.example.it")
    for path in (
        "/manage/accounts",
        "/manage/accounts/record",
        f"/manage/organisations/{organisation.uuid}/people",
    ):
        assert client.get(path).status_code == 403


def test_disabling_ends_the_sessions_and_enabling_lets_the_account_in_again(demo_app, auth, editor):
    manager = auth("ats_manager")
    editor_client = signed_in(demo_app, editor)
    target = account_id(demo_app, editor)
    page = manager.get(f"/manage/accounts/{target}?lang=en").text
    assert "Disable this account" in page
    manager.post(f"/manage/accounts/{target}/enabled", data={"csrf_token": token(page), "enabled": "0"})
    assert editor_client.get("/manage/").status_code == 302
    assert sign_in(demo_app.test_client(), editor).status_code == 401
    page = manager.get(f"/manage/accounts/{target}?lang=en").text
    assert "Disabled" in page and "Enable this account again" in page
    manager.post(f"/manage/accounts/{target}/enabled", data={"csrf_token": token(page), "enabled": "1"})
    assert sign_in(demo_app.test_client(), editor).status_code == 302
    with demo_app.app_context():
        actions = list(
            db.session.execute(
                db.select(AccountAct.actor, AccountAct.action)
                .where(AccountAct.user_id == target)
                .order_by(AccountAct.id)
            ).all()
        )
    assert [tuple(row) for row in actions] == [
        ("anna@ats-montagna.example.org", "disable"),
        ("anna@ats-montagna.example.org", "enable"),
    ]


def test_a_manager_cannot_disable_itself(demo_app, auth):
    manager = auth("ats_manager")
    me = account_id(demo_app, "anna@ats-montagna.example.org")
    page = manager.get(f"/manage/accounts/{me}?lang=en").text
    assert "Disable this account" not in page
    assert (
        manager.post(
            f"/manage/accounts/{me}/enabled", data={"csrf_token": token(page), "enabled": "0"}
        ).status_code
        == 403
    )
    assert manager.get("/manage/").status_code == 200


def test_the_record_is_shown_to_the_managers_of_the_territory_only(demo_app, auth, editor, make_user):
    manager = auth("ats_manager")
    target = account_id(demo_app, editor)
    page = manager.get(f"/manage/accounts/{target}").text
    manager.post(f"/manage/accounts/{target}/enabled", data={"csrf_token": token(page), "enabled": "0"})
    other = signed_in(
        demo_app, make_user("ats_manager", email="bruno@ats-insubria.example.org", ats="Insubria")
    )
    assert EDITOR not in other.get("/manage/accounts/record").text
    admin = auth("admin")
    record = admin.get("/manage/accounts/record?lang=it").text
    assert EDITOR in record and "Disattivato" in record and "anna@ats-montagna.example.org" in record


def test_an_admin_invites_a_manager_of_any_ats(demo_app, auth):
    admin = auth("admin")
    page = admin.get("/manage/accounts?lang=en").text
    response = admin.post(
        "/manage/accounts/invite",
        data={
            "csrf_token": token(page),
            "email": "Chiara@ATS-Insubria.example.org",
            "name": "  Chiara   Fumagalli ",
            "role": "ats_manager",
            "ats": "Insubria",
            "locale": "en",
        },
    )
    assert response.status_code == 302
    with demo_app.app_context():
        user = db.session.execute(
            db.select(User).where(User.email == "chiara@ats-insubria.example.org")
        ).scalar_one()
        assert (user.role, user.ats, user.name, user.state, user.invited_by) == (
            "ats_manager",
            "Insubria",
            "Chiara Fumagalli",
            "invited",
            "admin@regione.example.org",
        )
