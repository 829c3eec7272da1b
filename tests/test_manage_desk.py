"""The managers' desk (issue 24, points 1 and 7): typed work kept across an expired session or form token,
two editors' versions merged field by field, no default period, and the polish of the listing form."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.manage import PASSWORD, account, form_data, listing, new_listing_data, signed_in, token
from welfarepoint.extensions import db
from welfarepoint.kept_forms import KeptForm

HERE = {"Origin": "http://localhost"}


@pytest.fixture
def anna(demo_app):
    return signed_in(
        demo_app, account(demo_app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


@pytest.fixture
def bruno(demo_app):
    return signed_in(
        demo_app, account(demo_app, "bruno@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def a_published_listing(app):
    return listing(app, status="published", ats="Montagna")


def kept_rows(app) -> int:
    with app.app_context():
        return len(db.session.execute(db.select(KeptForm)).scalars().all())


def field_value(page: str, name: str) -> str:
    """The value a text input or textarea of ``page`` shows."""
    found = re.search(rf'<textarea[^>]* name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S) or re.search(
        rf'<input[^>]* name="{name}"[^>]* value="([^"]*)"', page
    )
    assert found, name
    return html.unescape(found.group(1))


def test_a_save_after_the_session_expired_keeps_every_typed_word(demo_app, anna):
    target = a_published_listing(demo_app)
    page = anna.get(f"/manage/services/{target.uuid}?lang=en")
    typed = (
        "Durante la telefonata con la cooperativa: il servizio riapre a settembre, "
        "con due educatrici in più e il trasporto dalle frazioni (Pezzo, Precasaglio)."
    )
    data = form_data(demo_app, target.uuid, page.text, description=typed, schedule_notes="Lun–ven 7:30–18")
    anna.delete_cookie("wp_session")  # 30 idle minutes: the browser's session is gone
    sent = anna.post(f"/manage/services/{target.uuid}", data=data, headers=HERE)
    assert sent.status_code == 303
    login = urlsplit(sent.headers["Location"])
    assert login.path == "/manage/login"
    back = parse_qs(login.query)["next"][0]
    assert back.startswith(f"/manage/services/{target.uuid}?kept=")
    sign_in_page = anna.get(sent.headers["Location"] + "&lang=en")
    assert "what you typed is kept" in sign_in_page.text
    signed = anna.post(
        sent.headers["Location"],
        data={
            "csrf_token": token(sign_in_page.text),
            "email": "anna@ats-montagna.example.org",
            "password": PASSWORD,
        },
    )
    assert signed.status_code == 302 and signed.headers["Location"] == back
    filled = anna.get(back + "&lang=en")
    assert "here is everything you typed" in filled.text
    assert field_value(filled.text, "description") == typed
    assert field_value(filled.text, "schedule_notes") == "Lun–ven 7:30–18"
    assert listing(demo_app, uuid=target.uuid).description != typed  # nothing saved behind the editor's back
    kept = parse_qs(urlsplit(back).query)["kept"][0]
    saved = anna.post(
        f"/manage/services/{target.uuid}",
        data=form_data(demo_app, target.uuid, filled.text, description=typed, kept=kept),
    )
    assert saved.status_code == 302
    with demo_app.app_context():
        from welfarepoint.catalog import workflow
        from welfarepoint.catalog.models import Service

        service = db.session.execute(db.select(Service).filter_by(uuid=target.uuid)).unique().scalar_one()
        assert workflow.current_cells(service)["description"] == typed
    assert kept_rows(demo_app) == 0  # deleted once saved


def test_a_new_listing_whose_form_token_expired_comes_back_filled(demo_app, anna):
    page = anna.get("/manage/services/new?lang=en")
    data = new_listing_data(page.text, csrf_token="an-expired-token", title="Doposcuola a Edolo")
    sent = anna.post("/manage/services/new", data=data, headers=HERE)
    assert sent.status_code == 303 and sent.headers["Location"].startswith("/manage/services/new?kept=")
    filled = anna.get(sent.headers["Location"] + "&lang=en")
    assert field_value(filled.text, "title") == "Doposcuola a Edolo"
    assert 'value="summer" checked' in filled.text
    assert listing(demo_app, title="Doposcuola a Edolo") is None


def test_a_form_sent_from_another_site_is_not_kept(demo_app, anna):
    target = a_published_listing(demo_app)
    page = anna.get(f"/manage/services/{target.uuid}")
    data = form_data(demo_app, target.uuid, page.text, description="Testo messo da un altro sito")
    anna.delete_cookie("wp_session")
    sent = anna.post(
        f"/manage/services/{target.uuid}", data=data, headers={"Origin": "https://elsewhere.example"}
    )
    assert sent.status_code == 400 and kept_rows(demo_app) == 0


def test_a_kept_form_answers_only_at_its_own_address(demo_app, anna):
    target = a_published_listing(demo_app)
    page = anna.get("/manage/services/new")
    sent = anna.post(
        "/manage/services/new",
        data=new_listing_data(page.text, csrf_token="x", title="Solo qui"),
        headers=HERE,
    )
    kept = parse_qs(urlsplit(sent.headers["Location"]).query)["kept"][0]
    elsewhere = anna.get(f"/manage/services/{target.uuid}?kept={kept}")
    assert elsewhere.status_code == 200 and "Solo qui" not in elsewhere.text


def test_two_managers_changing_different_fields_merge_without_a_question(demo_app, anna, bruno):
    target = a_published_listing(demo_app)
    anna_page = anna.get(f"/manage/services/{target.uuid}?lang=en")
    bruno_page = bruno.get(f"/manage/services/{target.uuid}?lang=en")
    first = form_data(demo_app, target.uuid, anna_page.text, phone="0364 111222")
    second = form_data(demo_app, target.uuid, bruno_page.text, schedule_notes="Dal lunedì al venerdì, 8–16")
    assert anna.post(f"/manage/services/{target.uuid}", data=first).status_code == 302
    merged = bruno.post(f"/manage/services/{target.uuid}?lang=en", data=second, follow_redirects=True)
    assert merged.status_code == 200
    assert "their changes are kept with yours" in merged.text and "Phone" in merged.text
    assert field_value(merged.text, "phone") == "0364 111222"
    assert field_value(merged.text, "schedule_notes") == "Dal lunedì al venerdì, 8–16"


def test_two_managers_changing_the_same_field_are_asked_once_per_field(demo_app, anna, bruno):
    target = a_published_listing(demo_app)
    anna_page = anna.get(f"/manage/services/{target.uuid}?lang=en")
    bruno_page = bruno.get(f"/manage/services/{target.uuid}?lang=en")
    first = form_data(
        demo_app, target.uuid, anna_page.text, summary="Riassunto di Anna.", phone="0364 111222"
    )
    second = form_data(
        demo_app, target.uuid, bruno_page.text, summary="Riassunto di Bruno.", description="Testo di Bruno."
    )
    assert anna.post(f"/manage/services/{target.uuid}", data=first).status_code == 302
    asked = bruno.post(f"/manage/services/{target.uuid}?lang=en", data=second)
    assert asked.status_code == 409
    assert re.findall(r'name="conflict" value="([a-z_]+)"', asked.text) == ["summary"]
    assert "Riassunto di Anna." in asked.text and "Riassunto di Bruno." in asked.text
    assert field_value(asked.text, "summary") == "Riassunto di Bruno."  # my text stays in the form
    assert field_value(asked.text, "phone") == "0364 111222"  # theirs, merged without a question
    assert field_value(asked.text, "description") == "Testo di Bruno."
    # No status action while the conflict is open.
    assert "/status" not in asked.text and "Publish" not in asked.text
    resend = {
        "csrf_token": token(asked.text),
        "version": re.search(r'name="version" type="hidden" value="(\d+)"', asked.text).group(1),
        "merge_base": re.search(r'name="merge_base" value="(-?\d+)"', asked.text).group(1),
        "conflict": "summary",
        "action": "save",
    }
    fields = form_data(
        demo_app, target.uuid, asked.text, summary="Riassunto di Bruno.", description="Testo di Bruno."
    )
    unchosen = bruno.post(f"/manage/services/{target.uuid}?lang=en", data=fields | resend)
    assert unchosen.status_code == 409 and "Choose whose version of this field to keep." in unchosen.text
    chosen = bruno.post(
        f"/manage/services/{target.uuid}?lang=en", data=fields | resend | {"keep-summary": "theirs"}
    )
    assert chosen.status_code == 302
    with demo_app.app_context():
        from welfarepoint.catalog import workflow
        from welfarepoint.catalog.models import Service

        service = db.session.execute(db.select(Service).filter_by(uuid=target.uuid)).unique().scalar_one()
        cells = workflow.current_cells(service)
    assert cells["summary"] == "Riassunto di Anna."
    assert cells["description"] == "Testo di Bruno." and cells["phone"] == "0364 111222"


def test_a_new_listing_ticks_no_period_and_all_year_with_a_season_is_refused(demo_app, anna):
    page = anna.get("/manage/services/new?lang=en")
    assert not re.search(r'value="all_year" checked', page.text)
    both = anna.post(
        "/manage/services/new?lang=en", data=new_listing_data(page.text, periods=["summer", "all_year"])
    )
    assert both.status_code == 400
    assert "“all year” cannot go with a season" in both.text
    none = anna.post("/manage/services/new?lang=en", data=new_listing_data(page.text, periods=[]))
    assert none.status_code == 400 and "Tick when it runs" in none.text
    assert field_value(none.text, "external_id") == ""  # no code made up by a failed submit
    again = anna.post("/manage/services/new?lang=en", data=new_listing_data(page.text, periods=[]))
    assert field_value(again.text, "external_id") == ""


def test_publishing_needs_a_summary_said_next_to_the_field(demo_app, anna):
    page = anna.get("/manage/services/new?lang=en")
    response = anna.post(
        "/manage/services/new?lang=en", data=new_listing_data(page.text, summary="  ", action="publish")
    )
    assert response.status_code == 400
    assert 'id="summary-errors"' in response.text and "A summary is needed to publish" in response.text
    saved = anna.post("/manage/services/new", data=new_listing_data(page.text, summary="", action="save"))
    assert saved.status_code == 302  # a draft may wait for its summary


def test_the_form_names_municipalities_and_says_places_as_a_number(demo_app, anna):
    page = anna.get("/manage/services/new")
    created = anna.post("/manage/services/new", data=new_listing_data(page.text, capacity="20"))
    edit = anna.get(created.headers["Location"] + "?lang=it")
    assert field_value(edit.text, "municipalities") == "Ponte di Legno; Temù"
    assert "Numero di posti" in edit.text and "Luoghi" not in edit.text


def test_the_sign_in_page_says_how_many_attempts_are_left(demo_app):
    email = account(demo_app, "carla@ats-montagna.example.org", "ats_manager", ats="Montagna")
    client = demo_app.test_client()
    said = []
    for _attempt in range(3):
        page = client.get("/manage/login?lang=en")
        response = client.post(
            "/manage/login?lang=en",
            data={"csrf_token": token(page.text), "email": email, "password": "sbagliata-1"},
        )
        said.append(re.search(r"(\d) attempts? left", response.text))
    assert said[0] is None and said[1].group(1) == "3" and said[2].group(1) == "2"


def test_the_session_endpoint_keeps_a_signed_in_session_alive(demo_app, anna):
    alive = anna.get("/manage/session")
    assert alive.status_code == 200 and alive.json["signed_in"] and alive.json["csrf_token"]
    assert alive.headers["Cache-Control"] == "no-store"
    assert demo_app.test_client().get("/manage/session").status_code == 401


# --- Text as managers paste it (tests/data/desk/descriptions.json, written blind) ---

DESCRIPTIONS = json.loads((Path(__file__).parent / "data" / "desk" / "descriptions.json").read_text("utf-8"))
INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.translate(INVISIBLE))


def test_every_pasted_description_is_saved_word_for_word_or_refused_next_to_its_field(demo_app, anna):
    target = a_published_listing(demo_app)
    outcomes = []
    for number, pasted in enumerate(DESCRIPTIONS, 1):
        page = anna.get(f"/manage/services/{target.uuid}?lang=en")
        typed = {
            "title": pasted["title"],
            "summary": pasted["summary"],
            "description": pasted["description"],
            "schedule_notes": pasted["hours"],
            "how_to_access": pasted["how_to_enrol"],
        }
        response = anna.post(
            f"/manage/services/{target.uuid}?lang=en",
            data=form_data(demo_app, target.uuid, page.text, **typed),
        )
        outcomes.append(response.status_code)
        if (
            response.status_code == 400
        ):  # refused: said next to the field, and every field keeps what was typed
            assert 'class="wp-field-errors"' in response.text, number
            for name, value in typed.items():
                assert words(field_value(response.text, name)) == words(value), (number, name)
            continue
        assert response.status_code == 302, (number, response.status_code)
        with demo_app.app_context():
            from welfarepoint.catalog import workflow
            from welfarepoint.catalog.models import Service

            service = db.session.execute(db.select(Service).filter_by(uuid=target.uuid)).unique().scalar_one()
            saved = workflow.current_cells(service)
        for name, value in typed.items():
            assert words(saved[name]) == words(value), (number, name, saved[name][:200])
    assert outcomes.count(302) >= len(DESCRIPTIONS) * 2 // 3, outcomes  # most pasted text is simply saved
