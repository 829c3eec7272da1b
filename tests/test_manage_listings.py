"""Listings in the backend: create, validate, edit, the review workflow, conflicts, history, export."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support.manage import (
    account,
    form_data,
    listing,
    montagna_alliances,
    new_listing_data,
    signed_in,
    token,
)
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


@pytest.fixture
def editor(demo_app):
    alliance = montagna_alliances(demo_app)[0]
    email = account(demo_app, "luca@alleanza.example.org", "alliance_editor", alliance=alliance)
    return signed_in(demo_app, email), alliance


def public_finds(app, text: str, slug: str) -> bool:
    """Whether the public search for ``text`` links to the listing ``slug`` (what a visitor would see)."""
    page = app.test_client().get("/search", query_string={"q": text}).text
    return f'href="/services/{slug}"' in page


def test_a_manager_creates_a_draft_that_the_public_does_not_see(demo_app, manager):
    page = manager.get("/manage/services/new?lang=en")
    assert page.status_code == 200 and "New listing" in page.text
    response = manager.post("/manage/services/new", data=new_listing_data(page.text))
    assert response.status_code == 302
    created = listing(demo_app, title="Centro estivo in quota a Ponte di Legno")
    assert (
        created.status == "draft"
        and created.ats == "Montagna"
        and created.created_by == "anna@ats-montagna.example.org"
    )
    assert created.external_id.startswith("WP-")
    assert not public_finds(demo_app, "centro estivo Ponte di Legno", created.slug)
    edit = manager.get(response.headers["Location"] + "?lang=en")
    assert "Status: Draft" in edit.text


def test_bad_input_is_explained_field_by_field_and_nothing_typed_is_lost(demo_app, manager):
    page = manager.get("/manage/services/new?lang=it")
    data = new_listing_data(
        page.text,
        municipalities="Ponte di Legnoo",
        age_min="12",
        age_max="6",
        category="",
        summary="Testo che non deve andare perso",
    )
    response = manager.post("/manage/services/new?lang=it", data=data)
    assert response.status_code == 400
    text = response.text
    assert "correggi i campi" in text.lower() or "correggere" in text.lower()
    assert "Ponte di Legnoo" in text and "Ponte di Legno" in text  # what was typed, and the suggestion
    assert "Testo che non deve andare perso" in text
    assert 'aria-invalid="true"' in text
    assert "è obbligatorio" in text  # the missing category, in Italian
    with demo_app.app_context():
        assert db.session.execute(db.select(Service).filter_by(title=data["title"])).first() is None


def test_a_manager_cannot_put_a_listing_in_another_territory(demo_app, manager):
    page = manager.get("/manage/services/new?lang=en")
    response = manager.post(
        "/manage/services/new?lang=en", data=new_listing_data(page.text, ats="Pavia", municipalities="")
    )
    assert response.status_code == 400 and "outside your territory" in response.text


def test_editor_submits_manager_publishes_and_the_public_finds_it(demo_app, manager, editor):
    client, alliance = editor
    page = client.get("/manage/services/new?lang=en")
    assert (
        "Publish now" not in page.text and "Send for review" in page.text
    )  # editors publish only through review
    response = client.post(
        "/manage/services/new", data=new_listing_data(page.text, alliance=alliance, action="submit")
    )
    assert response.status_code == 302
    created = listing(demo_app, title="Centro estivo in quota a Ponte di Legno")
    assert created.status == "in_review" and created.alliance_id is not None
    edit = client.get(f"/manage/services/{created.uuid}")
    refused = client.post(
        f"/manage/services/{created.uuid}/status",
        data={"csrf_token": token(edit.text), "version": created.version, "action": "publish"},
    )
    assert refused.status_code == 403
    assert listing(demo_app, uuid=created.uuid).status == "in_review"
    # The manager sees it waiting, fixes the age range and publishes.
    waiting = manager.get("/manage/services?waiting=1&lang=en")
    assert "Centro estivo in quota a Ponte di Legno" in waiting.text
    page = manager.get(f"/manage/services/{created.uuid}?lang=en")
    published = manager.post(
        f"/manage/services/{created.uuid}",
        data=form_data(demo_app, created.uuid, page.text, age_max="12", action="publish"),
    )
    assert published.status_code == 302
    after = listing(demo_app, uuid=created.uuid)
    assert after.status == "published" and after.age_max == 12
    assert public_finds(demo_app, "centro estivo Ponte di Legno", after.slug)


def test_the_public_keeps_the_published_version_while_changes_wait(demo_app, manager, editor):
    client, alliance = editor
    target = listing(
        demo_app, status="published", ats="Montagna", alliance_id=_alliance_id(demo_app, alliance)
    )
    old_title = target.title
    page = client.get(f"/manage/services/{target.uuid}?lang=en")
    response = client.post(
        f"/manage/services/{target.uuid}",
        data=form_data(
            demo_app, target.uuid, page.text, title="Titolo nuovo in attesa di revisione", action="submit"
        ),
    )
    assert response.status_code == 302
    held = listing(demo_app, uuid=target.uuid)
    assert held.title == old_title and held.status == "published" and held.draft["submitted"] is True
    public = demo_app.test_client().get(f"/services/{target.slug}")
    assert old_title in public.text and "Titolo nuovo" not in public.text
    preview = manager.get(f"/manage/services/{target.uuid}/preview?lang=en")
    assert preview.status_code == 200 and "Titolo nuovo in attesa di revisione" in preview.text
    edit = manager.get(f"/manage/services/{target.uuid}?lang=en")
    assert "waiting for review" in edit.text
    manager.post(
        f"/manage/services/{target.uuid}/status",
        data={"csrf_token": token(edit.text), "version": held.version, "action": "publish"},
    )
    after = listing(demo_app, uuid=target.uuid)
    assert after.title == "Titolo nuovo in attesa di revisione" and after.draft is None
    assert (
        "Titolo nuovo in attesa di revisione" in demo_app.test_client().get(f"/services/{target.slug}").text
    )


def _alliance_id(app, name: str) -> int:
    from welfarepoint.catalog.models import Alliance

    with app.app_context():
        return db.session.execute(db.select(Alliance.id).filter_by(name=name)).scalar_one()


def test_two_people_editing_the_same_listing_the_second_sees_both_versions(demo_app, manager):
    other = signed_in(
        demo_app, account(demo_app, "bruno@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    target = listing(demo_app, status="draft", ats="Montagna") or _a_montagna_draft(demo_app, manager)
    first_page = manager.get(f"/manage/services/{target.uuid}?lang=en")
    second_page = other.get(f"/manage/services/{target.uuid}?lang=en")
    first = form_data(demo_app, target.uuid, first_page.text, title="Versione di Anna")
    second = form_data(
        demo_app, target.uuid, second_page.text, title="Versione di Bruno", schedule_notes="Dalle 8 alle 17"
    )
    assert manager.post(f"/manage/services/{target.uuid}", data=first).status_code == 302
    response = other.post(f"/manage/services/{target.uuid}?lang=en", data=second)
    assert response.status_code == 409
    assert "Someone else saved this listing" in response.text
    assert "Versione di Anna" in response.text and "Versione di Bruno" in response.text
    assert "Dalle 8 alle 17" in response.text  # nothing Bruno typed is lost
    assert listing(demo_app, uuid=target.uuid).title == "Versione di Anna"  # no lost update
    # Saving again from the conflict page, knowingly, replaces it.
    again = dict(
        second, version=str(listing(demo_app, uuid=target.uuid).version), csrf_token=token(response.text)
    )
    assert other.post(f"/manage/services/{target.uuid}", data=again).status_code == 302
    assert listing(demo_app, uuid=target.uuid).title == "Versione di Bruno"


def _a_montagna_draft(app, client) -> Service:
    page = client.get("/manage/services/new")
    client.post("/manage/services/new", data=new_listing_data(page.text))
    return listing(app, title="Centro estivo in quota a Ponte di Legno")


def test_history_shows_who_changed_what_and_restores_a_version(demo_app, manager):
    target = _a_montagna_draft(demo_app, manager)
    page = manager.get(f"/manage/services/{target.uuid}")
    manager.post(
        f"/manage/services/{target.uuid}",
        data=form_data(demo_app, target.uuid, page.text, title="Titolo sbagliato"),
    )
    history = manager.get(f"/manage/services/{target.uuid}/history?lang=en")
    assert history.status_code == 200
    assert (
        "Edited" in history.text
        and "Created" in history.text
        and "anna@ats-montagna.example.org" in history.text
    )
    assert "Titolo sbagliato" in history.text
    from welfarepoint.catalog.models import Revision

    with demo_app.app_context():
        first = (
            db.session.execute(db.select(Revision).filter_by(service_id=target.id).order_by(Revision.id))
            .scalars()
            .first()
        )
        version = db.session.get(Service, target.id).version
    response = manager.post(
        f"/manage/services/{target.uuid}/history/{first.id}/restore",
        data={"csrf_token": token(history.text), "version": version},
    )
    assert response.status_code == 302
    assert listing(demo_app, uuid=target.uuid).title == "Centro estivo in quota a Ponte di Legno"


def test_archive_and_restore(demo_app, manager):
    target = listing(demo_app, status="published", ats="Montagna")
    page = manager.get(f"/manage/services/{target.uuid}")
    manager.post(
        f"/manage/services/{target.uuid}/status",
        data={"csrf_token": token(page.text), "version": target.version, "action": "archive"},
    )
    archived = listing(demo_app, uuid=target.uuid)
    assert archived.status == "archived"
    assert not public_finds(demo_app, target.title, target.slug)
    page = manager.get(f"/manage/services/{target.uuid}")
    manager.post(
        f"/manage/services/{target.uuid}/status",
        data={"csrf_token": token(page.text), "version": archived.version, "action": "restore"},
    )
    assert listing(demo_app, uuid=target.uuid).status == "draft"


def test_a_stale_button_is_refused_without_a_change(demo_app, manager):
    target = listing(demo_app, status="published", ats="Montagna")
    page = manager.get(f"/manage/services/{target.uuid}?lang=en")
    response = manager.post(
        f"/manage/services/{target.uuid}/status?lang=en",
        data={
            "csrf_token": token(page.text),
            "version": target.version - 1 if target.version > 1 else 99,
            "action": "archive",
        },
        follow_redirects=True,
    )
    assert "changed by someone else" in response.text
    assert listing(demo_app, uuid=target.uuid).status == "published"


def test_list_filters_and_export_of_the_filtered_list(demo_app, manager):
    page = manager.get("/manage/services?lang=en&category=P1")
    assert page.status_code == 200
    exported = manager.get("/manage/services/export.csv?category=P1")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert (
        rows and {row["ats"] for row in rows} == {"Montagna"} and {row["category"] for row in rows} == {"P1"}
    )
    everything = list(csv.DictReader(io.StringIO(manager.get("/manage/services/export.csv").text)))
    with demo_app.app_context():
        assert (
            len(everything)
            == db.session.execute(db.select(db.func.count(Service.id)).filter_by(ats="Montagna")).scalar_one()
        )
    excel = manager.get("/manage/services/export.csv?excel=1")
    assert excel.data.startswith("\ufeff".encode())
    assert manager.get("/manage/services?status=nonsense&page=abc&lang=en").status_code == 200
    assert (
        manager.get("/manage/services?page=%C2%B2&lang=en").status_code == 200
    )  # "²": a digit int() refuses


def test_a_manager_sends_waiting_changes_back_then_discards_them(demo_app, manager, editor):
    client, alliance = editor
    target = listing(
        demo_app, status="published", ats="Montagna", alliance_id=_alliance_id(demo_app, alliance)
    )
    page = client.get(f"/manage/services/{target.uuid}")
    client.post(
        f"/manage/services/{target.uuid}",
        data=form_data(demo_app, target.uuid, page.text, title="Titolo da rivedere", action="submit"),
    )
    held = listing(demo_app, uuid=target.uuid)
    edit = manager.get(f"/manage/services/{target.uuid}?lang=en")
    assert "Send back to the editor" in edit.text and "Discard the changes" in edit.text
    manager.post(
        f"/manage/services/{target.uuid}/status",
        data={
            "csrf_token": token(edit.text),
            "version": held.version,
            "action": "send_back",
            "reason": "Manca il costo.",
        },
    )
    sent_back = listing(demo_app, uuid=target.uuid)
    assert sent_back.draft["submitted"] is False and sent_back.title == target.title
    edit = manager.get(f"/manage/services/{target.uuid}?lang=en")
    manager.post(
        f"/manage/services/{target.uuid}/status",
        data={"csrf_token": token(edit.text), "version": sent_back.version, "action": "discard"},
    )
    after = listing(demo_app, uuid=target.uuid)
    assert after.draft is None and after.title == target.title and after.status == "published"
    history = manager.get(f"/manage/services/{target.uuid}/history?lang=en").text
    assert "Sent back to the editor" in history and "Waiting changes discarded" in history


def test_preview_of_changes_that_no_longer_validate_says_so(demo_app, manager):
    target = listing(demo_app, status="published", ats="Montagna")
    with demo_app.app_context():
        service = db.session.get(Service, target.id)
        from welfarepoint.catalog import workflow

        cells = workflow.current_cells(service) | {"municipalities": "Comune Scomparso"}
        service.draft = {
            "cells": cells,
            "author": "x@example.org",
            "at": "2026-01-01T00:00:00",
            "submitted": True,
        }
        db.session.commit()
    response = manager.get(f"/manage/services/{target.uuid}/preview?lang=en", follow_redirects=True)
    assert response.status_code == 200 and "The saved changes are no longer valid" in response.text


def test_an_admin_turns_the_pages_of_the_whole_region_and_a_page_past_the_end_shows_the_last(demo_app):
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    with demo_app.app_context():
        total = db.session.execute(db.select(db.func.count(Service.id))).scalar_one()
        newest = db.session.execute(
            db.select(Service.uuid).order_by(Service.updated_at.desc(), Service.id.desc()).limit(1)
        ).scalar_one()
        oldest = db.session.execute(
            db.select(Service.uuid).order_by(Service.updated_at, Service.id).limit(1)
        ).scalar_one()
    pages = -(-total // 50)
    assert pages > 2  # the demo spans several pages of the region
    first = admin.get("/manage/services?lang=en").text
    assert f"{total} listings" in first and f"Page 1 of {pages}" in first
    assert re.findall(r'href="/manage/services/([0-9a-f-]{36})"', first)[0] == newest
    for asked in (pages, pages + 40):
        last = admin.get(f"/manage/services?lang=en&page={asked}").text
        shown = re.findall(r'href="/manage/services/([0-9a-f-]{36})"', last)
        assert f"Page {pages} of {pages}" in last and "Next" not in last
        assert len(shown) == total - 50 * (pages - 1) and shown[-1] == oldest
