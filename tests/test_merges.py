"""Issue 24 point 4: overlapping listings are compared side by side, merged only when confirmed (with a warning
when the providers differ), and a merge can be undone."""

from __future__ import annotations

import re

import pytest

from tests.support.manage import account, signed_in, token
from tests.test_insights import two_summer_camps_in_sondrio
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Revision, Service
from welfarepoint.extensions import db
from welfarepoint.insights.models import OverlapDecision


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def _merge(client, first, second, **extra):
    page = client.get(f"/manage/insights/overlaps/compare?ids={first.id}&ids={second.id}&lang=en")
    return client.post(
        "/manage/insights/overlaps?lang=en",
        data={"csrf_token": token(page.text), "ids": [first.id, second.id], "decision": "merge", **extra},
    )


def test_the_overlap_offers_a_comparison_not_a_one_click_merge(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    page = manager.get("/manage/insights/overlaps?lang=en").text
    group = next(part for part in page.split('class="card card-bg mb-4"') if first.title in part)
    assert "Compare side by side and merge" in group and "Merge, keeping" not in group
    assert "Different providers." in group  # the two camps are run by two organisations

    compare = manager.get(f"/manage/insights/overlaps/compare?ids={second.id}&ids={first.id}&lang=en")
    assert compare.status_code == 200
    text = compare.text
    headings = re.findall(r'<th scope="col"><a href="[^"]+">([^<]+)</a></th>', text)
    assert headings == [first.title, second.title]  # one column per listing, in id order
    provider_row = re.search(r'<tr class="wp-differs"><th scope="row">Provider.*?</tr>', text, re.S).group(0)
    assert "Cooperativa Sondrio Estate" in provider_row and "Associazione Sondrio Ragazzi" in provider_row
    assert re.search(r'<tr><th scope="row">Who it is for</th><td>Persons and families</td>', text) or (
        '<th scope="row">Who it is for</th>' in text
    )
    assert "The providers differ" in text and "I checked with the providers" in text


def test_different_providers_are_not_merged_without_the_confirmation(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    refused = _merge(manager, first, second, keep=first.id)
    assert refused.status_code == 400
    assert "The providers differ: confirm that you checked with them that it is one service." in refused.text
    assert re.search(rf'id="keep-{first.id}" name="keep" value="{first.id}" checked', refused.text)
    no_choice = _merge(manager, first, second, providers_checked="1")
    assert no_choice.status_code == 400 and "Choose the listing to keep." in no_choice.text
    with demo_app.app_context():
        assert db.session.get(Service, second.id).merged_into_id is None
        assert db.session.get(Service, first.id).merged_into_id is None


def test_a_confirmed_merge_can_be_undone_and_puts_everything_back(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    with demo_app.app_context():  # the second listing has changes waiting for review when it is merged
        service = db.session.get(Service, second.id)
        service.draft = {
            "cells": {"title": "Centro estivo rinnovato"},
            "author": "ed@example.org",
            "submitted": True,
        }
        db.session.commit()
    done = _merge(manager, first, second, keep=first.id, providers_checked="1")
    assert done.status_code == 302
    overlaps = manager.get("/manage/insights/overlaps?lang=it").text
    assert f"unita in «{first.title}»" in overlaps and "Annulla l’unione di" in overlaps
    with demo_app.app_context():
        merged = db.session.get(Service, second.id)
        uuid = merged.uuid
        assert merged.status == "archived" and merged.merged_into_id == first.id and merged.draft is None
    edit = manager.get(f"/manage/services/{uuid}?lang=it").text
    assert f"Unita in «{first.title}»" in edit and "ha terminato" not in edit
    assert "Ripristina come bozza" not in edit and "Annulla l’unione" in edit
    assert demo_app.test_client().get(f"/services/{second.slug}").status_code == 301

    undo = manager.post(
        "/manage/insights/overlaps/undo?lang=en",
        data={"csrf_token": token(edit), "id": second.id, "next": "listing"},
    )
    assert undo.status_code == 302 and undo.headers["Location"].endswith(f"/manage/services/{uuid}")
    with demo_app.app_context():
        restored = db.session.get(Service, second.id)
        assert restored.status == "published" and restored.merged_into_id is None
        assert restored.draft["cells"]["title"] == "Centro estivo rinnovato"
        actions = [
            r.action
            for r in db.session.execute(
                db.select(Revision).filter_by(service_id=second.id).order_by(Revision.id)
            ).scalars()
        ]
        assert actions[-2:] == ["merge", "unmerge"]
        assert db.session.execute(db.select(OverlapDecision)).first() is None  # proposed again
    public = demo_app.test_client().get(f"/services/{second.slug}")
    assert public.status_code == 200 and second.title in public.text
    history = manager.get(f"/manage/services/{uuid}/history?lang=en").text
    assert "Merge undone" in history
    again = manager.get("/manage/insights/overlaps?lang=en").text
    assert "Merges in place" not in again and first.title in again  # the pair is an overlap again


def test_undo_is_for_managers_of_the_territory_and_for_merged_listings(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    with demo_app.app_context():
        operations.merge_into(
            db.session.get(Service, second.id), db.session.get(Service, first.id), author="t"
        )
        db.session.commit()
        pavia = db.session.execute(db.select(Service.id).filter_by(ats="Pavia").limit(1)).scalar_one()
    pavia_manager = signed_in(demo_app, account(demo_app, "pv@example.org", "ats_manager", ats="Pavia"))
    page = pavia_manager.get("/manage/insights/overlaps")
    assert (
        pavia_manager.post(
            "/manage/insights/overlaps/undo", data={"csrf_token": token(page.text), "id": second.id}
        ).status_code
        == 404
    )
    page = manager.get("/manage/insights/overlaps?lang=en")
    not_merged = manager.post(
        "/manage/insights/overlaps/undo?lang=en", data={"csrf_token": token(page.text), "id": first.id}
    )
    assert not_merged.status_code == 302
    assert (
        "This listing is not merged into another one."
        in manager.get("/manage/insights/overlaps?lang=en").text
    )
    assert (
        manager.post(
            "/manage/insights/overlaps/undo", data={"csrf_token": token(page.text), "id": "abc"}
        ).status_code
        == 404
    )
    assert (
        manager.post(
            "/manage/insights/overlaps/undo", data={"csrf_token": token(page.text), "id": pavia}
        ).status_code
        == 404
    )
    with demo_app.app_context():
        assert db.session.get(Service, second.id).merged_into_id == first.id
