"""Addresses, names and passwords as people type them (the blind writer's, tests/data/mail/): an address is one
plain address or is refused next to the field in Italian and English, typed value kept; no line break ever
reaches a message's headers; a name keeps its apostrophes and accents; a password is kept exactly as typed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.accounts import delivered, link_to, provider_organisation
from tests.support.manage import sign_in, token
from welfarepoint.accounts.addresses import AddressProblem, clean_address, clean_name
from welfarepoint.accounts.operations import find_user
from welfarepoint.accounts.passwords import problem_with

DATA = Path(__file__).parent / "data" / "mail"
ADDRESSES = json.loads((DATA / "addresses.json").read_text("utf-8"))
NAMES = json.loads((DATA / "names.json").read_text("utf-8"))
PASSWORDS = json.loads((DATA / "passwords.json").read_text("utf-8"))


@pytest.mark.parametrize("case", ADDRESSES["valid"], ids=lambda case: case["typed"].strip()[:40])
def test_a_valid_address_is_kept_as_typed_but_trimmed_and_its_domain_lower_cased(case):
    assert clean_address(case["typed"]) == case["expected"]


@pytest.mark.parametrize("case", ADDRESSES["invalid"], ids=lambda case: case["why"][:40])
def test_anything_but_one_address_is_refused_with_a_reason(case):
    with pytest.raises(AddressProblem) as refused:
        clean_address(case["typed"])
    assert str(refused.value)


@pytest.mark.parametrize(
    "case", [case for case in NAMES if case["kind"] == "ok"], ids=lambda case: case["typed"][:30]
)
def test_names_keep_their_apostrophes_accents_and_titles(case):
    assert clean_name(case["typed"]) == " ".join(case["typed"].split())


def test_a_name_with_a_line_break_is_refused():
    hostile = [case["typed"] for case in NAMES if "\n" in case["typed"] or "\r" in case["typed"]]
    assert hostile
    for typed in hostile:
        with pytest.raises(AddressProblem):
            clean_name(typed)


@pytest.fixture
def invite_page(demo_app, auth):
    client = auth("ats_manager")
    organisation = provider_organisation(demo_app)

    def send(email: str, name: str = "", lang: str = "en"):
        page = client.get(f"/manage/organisations/{organisation.uuid}/people?lang={lang}")
        return client.post(
            f"/manage/organisations/{organisation.uuid}/people?lang={lang}",
            data={
                "invite-csrf_token": token(page.text),
                "invite-email": email,
                "invite-name": name,
                "invite-locale": "it",
            },
        )

    return send


@pytest.mark.parametrize("lang", ["it", "en"])
def test_every_invalid_address_is_refused_next_to_the_field_and_no_mail_goes(demo_app, invite_page, lang):
    for case in ADDRESSES["invalid"]:
        response = invite_page(case["typed"], "Mario Rossi", lang)
        assert response.status_code == 400, case
        assert 'id="invite-email-errors"' in response.text, case
        assert 'aria-invalid="true"' in response.text
        if case["typed"].strip() and "\n" not in case["typed"] and "\r" not in case["typed"]:
            from markupsafe import escape

            assert f'value="{escape(case["typed"])}"' in response.text, case  # what was typed comes back
    said = invite_page("mario.rossi@gmail.com, giulia.bianchi@libero.it", "", lang).text
    assert ("Scrivi un solo indirizzo" if lang == "it" else "Write one address only") in said
    assert delivered(demo_app) == []


def test_header_injection_through_the_name_is_refused(demo_app, invite_page):
    for case in NAMES:
        if "\n" in case["typed"] or "\r" in case["typed"]:
            response = invite_page("mario.rossi@gmail.com", case["typed"])
            assert response.status_code == 400 and "Write the name on one line." in response.text
    assert delivered(demo_app) == []


def test_a_hostile_name_is_shown_as_text(demo_app, invite_page):
    response = invite_page("mario.rossi@gmail.com", "<script>alert('ciao')</script>")
    assert response.status_code == 302
    message = delivered(demo_app)[0]
    assert "<script>" not in message.get_body(preferencelist=("html",)).get_content()
    assert "Bcc" not in str(message.keys())


def test_passwords_are_kept_exactly_as_typed(demo_app, invite_page):
    """Each blind password through an invitation's link: refused by the rules, or set and usable as typed."""
    accepted = 0
    for number, case in enumerate(PASSWORDS):
        email = f"persona{number}@comune.example.it"
        assert invite_page(email).status_code == 302
        link = link_to(demo_app, email, "/manage/welcome/")
        client = demo_app.test_client()
        page = client.get(f"{link}?lang=en")
        typed = case["typed"]
        response = client.post(
            link, data={"csrf_token": token(page.text), "password": typed, "confirm": typed}
        )
        if problem_with(typed, email) is not None or len(typed) > 200:
            assert response.status_code == 400, case
            with demo_app.app_context():
                assert find_user(email).invited
            continue
        assert response.status_code == 302, (case, response.text[:500])
        accepted += 1
        assert sign_in(demo_app.test_client(), email, typed).status_code == 302, case
        if typed != typed.strip():
            assert sign_in(demo_app.test_client(), email, typed.strip()).status_code == 401, case
    assert accepted >= 8
