"""Forgotten passwords (issue 25, point 2): the answer never tells whether an address has an account; the link
works once, for two hours, dies when the password changes, and ends the account's other sessions."""

from __future__ import annotations

import pytest

from tests.support.accounts import link_to, messages_to
from tests.support.mail import text_of
from tests.support.manage import PASSWORD, sign_in, token
from welfarepoint.accounts.models import AccountAct
from welfarepoint.extensions import db

NEW_PASSWORD = "il torrente scende dal passo del Tonale"


def ask_reset(client, typed: str, lang: str = "en"):
    page = client.get(f"/manage/password/forgot?lang={lang}")
    return client.post(
        f"/manage/password/forgot?lang={lang}", data={"csrf_token": token(page.text), "email": typed}
    )


def choose(client, link: str, password: str = NEW_PASSWORD, lang: str = "en"):
    page = client.get(f"{link}?lang={lang}")
    assert page.status_code == 200, page.text
    return client.post(
        f"{link}?lang={lang}",
        data={"csrf_token": token(page.text), "password": password, "confirm": password},
    )


@pytest.fixture
def manager_email(make_user):
    return make_user("ats_manager")


def test_the_sign_in_page_leads_to_the_reset(demo_app):
    page = demo_app.test_client().get("/manage/login?lang=it").text
    assert 'href="/manage/password/forgot"' in page and "Password dimenticata?" in page


def test_an_unknown_address_gets_the_same_answer_and_no_mail(demo_app, manager_email):
    known = ask_reset(demo_app.test_client(), f"  {manager_email.upper()} ")
    unknown = ask_reset(demo_app.test_client(), "nessuno@comune.example.it")
    assert known.status_code == unknown.status_code == 200
    assert known.text == unknown.text
    assert "If an account has this address" in known.text
    assert len(messages_to(demo_app, manager_email)) == 1
    assert messages_to(demo_app, "nessuno@comune.example.it") == []


def test_the_reset_link_works_once_and_ends_the_other_sessions(demo_app, manager_email):
    other_device = demo_app.test_client()
    assert sign_in(other_device, manager_email).status_code == 302
    assert other_device.get("/manage/").status_code == 200
    ask_reset(demo_app.test_client(), manager_email)
    message = messages_to(demo_app, manager_email)[-1]
    assert "funziona una sola volta, per 2 ore" in text_of(message)  # the account's language
    link = link_to(demo_app, manager_email, "/manage/password/reset/")
    here = demo_app.test_client()
    response = choose(here, link)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    assert here.get("/manage/").status_code == 200  # signed in here, with the new password
    assert other_device.get("/manage/").status_code == 302  # the session started before has ended
    assert sign_in(demo_app.test_client(), manager_email, PASSWORD).status_code == 401
    assert sign_in(demo_app.test_client(), manager_email, NEW_PASSWORD).status_code == 302
    replay = demo_app.test_client().get(f"{link}?lang=en")
    assert replay.status_code == 410 and "already been used" in replay.text
    with demo_app.app_context():
        actions = list(
            db.session.execute(
                db.select(AccountAct.action).where(AccountAct.target == manager_email)
            ).scalars()
        )
    assert actions == ["reset_requested", "reset"]


def test_the_link_dies_when_the_password_changes(demo_app, manager_email):
    ask_reset(demo_app.test_client(), manager_email)
    link = link_to(demo_app, manager_email, "/manage/password/reset/")
    client = demo_app.test_client()
    sign_in(client, manager_email)
    page = client.get("/manage/account?lang=en").text
    changed = client.post(
        "/manage/account",
        data={
            "form": "password",
            "pw-csrf_token": token(page),  # one token per session, whichever form of the page
            "pw-current": PASSWORD,
            "pw-password": NEW_PASSWORD,
            "pw-confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert client.get("/manage/account").status_code == 200  # this session goes on
    assert demo_app.test_client().get(link).status_code == 410


def test_a_disabled_account_gets_no_link(demo_app, manager_email):
    demo_app.test_cli_runner().invoke(args=["users", "disable", manager_email])
    answer = ask_reset(demo_app.test_client(), manager_email)
    assert answer.status_code == 200 and "If an account has this address" in answer.text
    assert messages_to(demo_app, manager_email) == []


@pytest.mark.parametrize(
    ("lang", "said"),
    [("it", "Un indirizzo e-mail contiene una «@»"), ("en", "An e-mail address has an “@”")],
)
def test_a_mistyped_address_is_said_next_to_the_field_and_kept(demo_app, lang, said):
    response = ask_reset(demo_app.test_client(), "mario.rossi at gmail.com", lang)
    assert response.status_code == 400
    assert said in response.text
    assert 'value="mario.rossi at gmail.com"' in response.text
    assert 'aria-invalid="true"' in response.text


def test_the_reset_form_is_rate_limited(tmp_path, template_instance):
    from tests.support.apps import build_app, make_config
    from tests.support.databases import copy_instance
    from welfarepoint.extensions import limiter

    instance = tmp_path / "limited"
    copy_instance(template_instance, instance)
    app = build_app(make_config(instance, ACCOUNT_MAIL_RATE_LIMIT="3 per minute"))
    limiter.reset()
    try:
        client = app.test_client()
        answers = [ask_reset(client, f"persona{n}@comune.example.it").status_code for n in range(4)]
        assert answers == [200, 200, 200, 429]
        assert client.get("/manage/password/forgot").status_code == 200  # reading the page is not counted
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
