"""Sessions that end and a sign-in lock-out that cannot be turned against a person (issue 19, points 2 and 3).

A session cookie copied to a second client dies when its owner signs out, when the password changes, when the
account is disabled and when an admin signs the account out everywhere. Wrong passwords slow down and then lock
one (account, address) pair: the same account still signs in from another address, and an admin unlocks it.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import pytest

from tests.support.apps import make_config
from tests.support.databases import copy_instance
from tests.support.manage import sign_in, token
from welfarepoint import create_app
from welfarepoint.accounts import operations
from welfarepoint.accounts.models import AuthEvent
from welfarepoint.extensions import db

GOOD = "lamponi-e-mirtilli-2026"
EMAIL = "anna@ats-montagna.example.org"
HOME, AWAY = "198.51.100.10", "203.0.113.20"  # the manager's office, an attacker elsewhere


def client_from(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


@pytest.fixture
def manager(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", EMAIL, "--role", "ats_manager", "--ats", "Montagna", "--password", GOOD]
    )
    assert result.exit_code == 0, result.output
    return EMAIL


@pytest.fixture
def owner_and_copy(app, manager):
    """A signed-in client and a second client holding a copy of its session cookie (both see the dashboard)."""
    owner = client_from(app, HOME)
    assert sign_in(owner, manager, GOOD).status_code == 302
    cookie = owner.get_cookie("wp_session")
    thief = client_from(app, HOME)
    thief.set_cookie("wp_session", cookie.value, domain=cookie.domain)
    assert thief.get("/manage/").status_code == 200
    return owner, thief


def signed_out(client) -> bool:
    response = client.get("/manage/")
    return response.status_code == 302 and response.headers["Location"].startswith("/manage/login")


def test_a_copied_session_cookie_dies_when_its_owner_signs_out(owner_and_copy):
    owner, thief = owner_and_copy
    page = owner.get("/manage/?lang=en").text
    assert owner.post("/manage/logout", data={"csrf_token": token(page)}).status_code == 302
    assert signed_out(thief) and signed_out(owner)


def test_a_copied_session_cookie_dies_when_the_password_changes(app, manager, owner_and_copy):
    owner, thief = owner_and_copy
    result = app.test_cli_runner().invoke(
        args=["users", "set-password", manager, "--password", "nuvole-e-sole-2027"]
    )
    assert result.exit_code == 0, result.output
    assert signed_out(thief) and signed_out(owner)
    assert sign_in(owner, manager, "nuvole-e-sole-2027").status_code == 302


def test_a_copied_session_cookie_dies_when_the_account_is_disabled(app, manager, owner_and_copy):
    owner, thief = owner_and_copy
    assert app.test_cli_runner().invoke(args=["users", "disable", manager]).exit_code == 0
    assert signed_out(thief) and signed_out(owner)


def test_an_admin_signs_an_account_out_everywhere_and_the_account_signs_in_again(
    app, manager, owner_and_copy
):
    owner, thief = owner_and_copy
    result = app.test_cli_runner().invoke(args=["users", "sign-out-everywhere", manager])
    assert result.exit_code == 0 and "Every session of" in result.output
    assert signed_out(thief) and signed_out(owner)
    assert sign_in(owner, manager, GOOD).status_code == 302 and owner.get("/manage/").status_code == 200
    assert app.test_cli_runner().invoke(args=["users", "sign-out-everywhere", "nobody@x.org"]).exit_code != 0


def test_a_forged_or_stale_session_identity_is_refused(app, manager):
    with app.app_context():
        user = operations.find_user(manager)
        current = user.get_id()
        stale = f"{user.id}:{user.session_version - 1}"
        assert operations.active_user(current) is user
        for forged in (stale, str(user.id), f"{user.id}:", "x:0", f"{user.id}:9999", ""):
            assert operations.active_user(forged) is None


def age_failures(app, by: timedelta) -> None:
    """Move every recorded failure back in time, as if ``by`` had passed since."""
    with app.app_context():
        for event in db.session.execute(db.select(AuthEvent).where(AuthEvent.event == "failure")).scalars():
            event.at = event.at - by
        db.session.commit()


def refused(response, most_seconds: int) -> bool:
    retry = int(response.headers.get("Retry-After", "0"))
    explained = (
        "Too many failed attempts" in response.text or "Troppi tentativi non riusciti" in response.text
    )
    return response.status_code == 429 and explained and 0 < retry <= most_seconds


def test_failures_slow_down_then_lock_one_address_and_never_the_account_from_another(app, manager):
    away, home = client_from(app, AWAY), client_from(app, HOME)
    for _ in range(operations.SLOW_DOWN_AFTER):
        assert sign_in(away, manager, "wrong-password-123").status_code == 401
    # Slowed down: the next try from that address must wait, even with the right password ...
    assert refused(sign_in(away, manager, GOOD), 30)
    italian = sign_in(away, manager, GOOD, lang="it")
    assert refused(italian, 30) and re.search(r"Attendi \d+ secondi e riprova", italian.text)
    # ... while the manager signs in from the office at once.
    assert sign_in(home, manager, GOOD).status_code == 302
    age_failures(app, timedelta(seconds=31))
    assert sign_in(away, manager, "wrong-password-123").status_code == 401
    assert refused(sign_in(away, manager, GOOD), 60)  # twice as long
    age_failures(app, timedelta(seconds=61))
    assert sign_in(away, manager, "wrong-password-123").status_code == 401
    # Locked: five failures of this pair; the wait is the rest of the 15-minute window.
    locked = sign_in(away, manager, GOOD)
    assert refused(locked, 15 * 60) and int(locked.headers["Retry-After"]) > 10 * 60
    assert "Wait 15 minutes" in locked.text or "Wait 14 minutes" in locked.text
    age_failures(app, timedelta(minutes=5))
    assert refused(sign_in(away, manager, GOOD), 15 * 60)  # still locked, however long apart the tries
    assert sign_in(client_from(app, HOME), manager, GOOD).status_code == 302
    with app.app_context():
        events = db.session.execute(db.select(AuthEvent).where(AuthEvent.event == "locked")).scalars().all()
        # One "locked" event, what a mail job reads to tell the account's owner.
        assert [(e.email, e.address) for e in events] == [(manager, AWAY)]
        texts = " ".join(
            e.email + e.event + e.address for e in db.session.execute(db.select(AuthEvent)).scalars()
        )
    assert GOOD not in texts and "wrong-password" not in texts


def test_an_admin_unlocks_an_account(app, manager):
    away = client_from(app, AWAY)
    for _ in range(operations.LOCK_AFTER):
        assert sign_in(away, manager, "wrong-password-123").status_code == 401
        age_failures(app, timedelta(minutes=2))  # the slow-down waits have passed
    assert refused(sign_in(away, manager, GOOD), 15 * 60)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "unlock", manager])
    assert result.exit_code == 0 and f"Unlocked {manager}" in result.output
    assert sign_in(away, manager, GOOD).status_code == 302
    assert runner.invoke(args=["users", "unlock", "nobody@example.org"]).exit_code != 0


def test_many_accounts_tried_from_one_address_lock_that_address_only(app, manager):
    away = client_from(app, AWAY)
    for number in range(operations.MAX_FAILURES_PER_ADDRESS):
        assert sign_in(away, f"guess{number}@example.org", "wrong-password-123").status_code == 401
    assert refused(sign_in(away, manager, GOOD), 15 * 60)
    assert sign_in(client_from(app, HOME), manager, GOOD).status_code == 302


def test_a_forwarded_address_without_proxy_fix_is_warned_about_once(app, caplog):
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="welfarepoint.security"):
        client.get("/?lang=en")
        assert not caplog.records
        client.get("/?lang=en", headers={"X-Forwarded-For": "192.0.2.33"})
        client.get("/?lang=en", headers={"X-Forwarded-For": "192.0.2.34"})
    warnings = [r.getMessage() for r in caplog.records if "PROXY_FIX_X_FOR is 0" in r.getMessage()]
    assert len(warnings) == 1


def test_behind_a_trusted_proxy_the_lock_out_sees_the_visitors_address(tmp_path, template_instance, caplog):
    copy_instance(template_instance, tmp_path / "instance")
    app = create_app(make_config(tmp_path / "instance", PROXY_FIX_X_FOR=1))
    try:
        result = app.test_cli_runner().invoke(
            args=["users", "create", EMAIL, "--role", "admin", "--password", GOOD]
        )
        assert result.exit_code == 0, result.output
        proxy = client_from(app, "127.0.0.1")
        with caplog.at_level(logging.WARNING, logger="welfarepoint.security"):
            page = proxy.get("/manage/login?lang=en", headers={"X-Forwarded-For": AWAY})
            proxy.post(
                "/manage/login?lang=en",
                data={"csrf_token": token(page.text), "email": EMAIL, "password": "wrong-password-123"},
                headers={"X-Forwarded-For": AWAY},
            )
        assert not [r for r in caplog.records if "PROXY_FIX_X_FOR" in r.getMessage()]
        with app.app_context():
            assert db.session.execute(db.select(AuthEvent.address)).scalars().all() == [AWAY]
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
