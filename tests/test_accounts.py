"""Managers' accounts: the users commands, password rules, sign-in, throttling, sessions, scope."""

from __future__ import annotations

import re

import pytest

from tests.support.manage import sign_in, token
from welfarepoint.accounts.models import AuthEvent, User
from welfarepoint.accounts.passwords import problem_with
from welfarepoint.extensions import db

GOOD = "lamponi-e-mirtilli-2026"


@pytest.fixture
def manager(demo_app):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "anna@ats-montagna.example.org",
            "--role",
            "ats_manager",
            "--ats",
            "Montagna",
            "--password",
            GOOD,
        ]
    )
    assert result.exit_code == 0, result.output
    return "anna@ats-montagna.example.org"


@pytest.mark.parametrize(
    "password",
    [
        "short",
        "password1234",
        "Password2026!",
        "123456789012",
        "qwertyuiopas",
        "aaaaaaaaaaaa",
        "anna-ats-2026-xyz",
    ],
)
def test_weak_passwords_are_refused(password):
    assert problem_with(password, "anna@example.org") is not None


def test_a_long_uncommon_phrase_is_accepted():
    assert problem_with(GOOD, "anna@example.org") is None


def test_users_commands(demo_app, manager):
    runner = demo_app.test_cli_runner()
    assert (
        "anna@ats-montagna.example.org\tats_manager\tMontagna\tactive"
        in runner.invoke(args=["users", "list"]).output
    )
    weak = runner.invoke(
        args=["users", "set-password", manager, "--password", "password1234"], env={"LANG": "en_GB.UTF-8"}
    )
    assert weak.exit_code != 0 and "too easy to guess" in weak.output
    italian = runner.invoke(
        args=["users", "set-password", manager, "--password", "corta"], env={"LANG": "it_IT.UTF-8"}
    )
    assert "La password deve avere almeno 12 caratteri." in italian.output
    assert (
        runner.invoke(
            args=[
                "users",
                "create",
                "x@example.org",
                "--role",
                "ats_manager",
                "--ats",
                "Atlantide",
                "--password",
                GOOD,
            ]
        ).exit_code
        != 0
    )
    assert (
        runner.invoke(args=["users", "create", manager, "--role", "admin", "--password", GOOD]).exit_code != 0
    )
    assert runner.invoke(args=["users", "disable", manager]).exit_code == 0
    with demo_app.app_context():
        user = db.session.execute(db.select(User)).scalar_one()
        assert not user.active and user.password_hash.startswith(
            demo_app.config["PASSWORD_HASH_METHOD"] + "$"
        )


def test_sign_in_shows_the_territory_and_sign_out_ends_the_session(demo_app, manager):
    client = demo_app.test_client()
    assert client.get("/manage/").status_code == 302
    response = sign_in(client, manager, GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/manage/"
    page = client.get("/manage/?lang=en").text
    assert "manager of ATS Montagna" in page
    assert "To verify with the provider (6)" in page  # the inbox's section of overdue listings
    client.post("/manage/logout", data={"csrf_token": token(page)})
    assert client.get("/manage/").status_code == 302
    with demo_app.app_context():
        events = [e.event for e in db.session.execute(db.select(AuthEvent).order_by(AuthEvent.id)).scalars()]
    assert events == ["login", "logout"]


def test_wrong_password_and_throttling(demo_app, manager):
    client = demo_app.test_client()
    for _ in range(
        3
    ):  # then this address must wait before trying this account again (tests/test_sessions.py)
        response = sign_in(client, manager, "wrong-password-123")
        assert (
            response.status_code == 401
            and "The e-mail address or the password is not right." in response.text
        )
    throttled = sign_in(client, manager, GOOD)
    assert throttled.status_code == 429 and "Too many failed attempts" in throttled.text
    assert sign_in(client, manager, GOOD, lang="it").status_code == 429
    with demo_app.app_context():
        texts = " ".join(
            e.email + e.event + e.address for e in db.session.execute(db.select(AuthEvent)).scalars()
        )
    assert GOOD not in texts and "wrong-password" not in texts


def test_unknown_and_disabled_accounts_get_the_same_answer(demo_app, manager):
    client = demo_app.test_client()
    assert sign_in(client, "nobody@example.org", GOOD).status_code == 401
    demo_app.test_cli_runner().invoke(args=["users", "disable", manager])
    assert sign_in(client, manager, GOOD).status_code == 401


def test_sign_in_needs_the_token(demo_app, manager):
    response = demo_app.test_client().post("/manage/login", data={"email": manager, "password": GOOD})
    assert response.status_code == 400


def test_next_address_stays_on_the_site(demo_app, manager):
    client = demo_app.test_client()
    page = client.get("/manage/login?next=https://evil.example.com/")
    response = client.post(
        "/manage/login?next=https://evil.example.com/",
        data={"csrf_token": token(page.text), "email": manager, "password": GOOD},
    )
    assert response.headers["Location"] == "/manage/"


@pytest.fixture
def signed_in(demo_app, manager):
    client = demo_app.test_client()
    assert sign_in(client, manager, GOOD).status_code == 302
    return client


def test_verify_queue_lists_the_overdue_listings_of_the_territory_and_marks_them(demo_app, signed_in):
    from welfarepoint.catalog.models import Revision, Service

    page = signed_in.get("/manage/verify?lang=en").text
    uuids = re.findall(r'name="uuid" value="([0-9a-f-]{36})"', page)
    assert len(uuids) == 6
    with demo_app.app_context():
        listed = [
            db.session.execute(db.select(Service).filter_by(uuid=u)).unique().scalar_one() for u in uuids
        ]
        assert {service.ats for service in listed} == {"Montagna"}
        first_id = listed[0].id
    response = signed_in.post(f"/manage/services/{uuids[0]}/verified", data={"csrf_token": token(page)})
    assert response.status_code == 302
    assert len(re.findall(r'name="uuid" value="([0-9a-f-]{36})"', signed_in.get("/manage/verify").text)) == 5
    with demo_app.app_context():
        service = db.session.get(Service, first_id)
        assert service.last_verified_by == "anna@ats-montagna.example.org"
        assert (
            db.session.execute(db.select(Revision).where(Revision.service_id == first_id))
            .scalars()
            .all()[-1]
            .action
            == "verify"
        )


def test_a_manager_cannot_act_outside_the_territory(demo_app, signed_in):
    from welfarepoint.catalog.models import Feedback, Service

    page = signed_in.get("/manage/verify").text
    with demo_app.app_context():
        pavia = (
            db.session.execute(db.select(Service).where(Service.ats == "Pavia")).unique().scalars().first()
        )
        pavia_id, pavia_uuid, before = pavia.id, pavia.uuid, (pavia.last_verified, pavia.version)
        db.session.add(Feedback(service_id=pavia_id, kind="hours", message="Orari sbagliati di giovedì."))
        db.session.commit()
        feedback_id = db.session.execute(db.select(Feedback.id)).scalar_one()
    assert (
        signed_in.post(
            f"/manage/services/{pavia_uuid}/verified", data={"csrf_token": token(page)}
        ).status_code
        == 404
    )
    assert (
        signed_in.post(
            f"/manage/feedback/{feedback_id}", data={"csrf_token": token(page), "outcome": "dismissed"}
        ).status_code
        == 404
    )
    assert "Orari sbagliati" not in signed_in.get("/manage/feedback").text
    with demo_app.app_context():
        pavia = db.session.get(Service, pavia_id)
        assert (pavia.last_verified, pavia.version) == before
        assert db.session.get(Feedback, feedback_id).status == "open"


def test_feedback_queue_resolves_suggestions_of_the_territory(demo_app, signed_in):
    from welfarepoint.catalog.models import Feedback, Service

    with demo_app.app_context():
        sondrio = (
            db.session.execute(db.select(Service).where(Service.ats == "Montagna")).unique().scalars().first()
        )
        db.session.add(Feedback(service_id=sondrio.id, kind="hours", message="Il giovedì apre alle nove."))
        db.session.commit()
    page = signed_in.get("/manage/feedback?lang=en").text
    assert "Il giovedì apre alle nove." in page
    feedback_id = int(re.search(r"/manage/feedback/(\d+)", page).group(1))
    assert (
        signed_in.post(f"/manage/feedback/{feedback_id}", data={"outcome": "resolved"}).status_code == 400
    )  # no CSRF token
    signed_in.post(
        f"/manage/feedback/{feedback_id}",
        data={"csrf_token": token(page), "outcome": "resolved", "note": "Orario del giovedì corretto."},
    )
    assert "No suggestion is waiting." in signed_in.get("/manage/feedback?lang=en").text
    with demo_app.app_context():
        item = db.session.get(Feedback, feedback_id)
        assert item.status == "resolved" and item.resolved_by == "anna@ats-montagna.example.org"


def test_backend_pages_need_a_signed_in_account(demo_app):
    client = demo_app.test_client()
    for path in ("/manage/", "/manage/verify", "/manage/feedback"):
        response = client.get(path)
        assert response.status_code == 302 and "/manage/login" in response.headers["Location"]


def test_an_unknown_address_is_checked_against_a_hash_as_costly_as_a_real_one():
    """The stand-in hash is written out (no scrypt at import in every worker) but made as a real one is."""
    from welfarepoint.accounts.operations import _DUMMY_HASH
    from welfarepoint.accounts.passwords import hash_password, verify

    assert _DUMMY_HASH.split("$")[0] == hash_password("lamponi-e-mirtilli").split("$")[0]  # scrypt, same cost
    assert verify(_DUMMY_HASH, "not-a-real-password-just-for-timing")


def test_a_site_hashes_passwords_with_scrypt(tmp_path):
    """Only the tests' configuration makes cheap hashes: an app with a site's settings makes scrypt ones."""
    from welfarepoint import create_app
    from welfarepoint.accounts.passwords import hash_password, verify

    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        stored = hash_password(GOOD)
    assert stored.startswith("scrypt:32768:8:1$") and verify(stored, GOOD)
