"""The people's vocabulary curated in the backend (issue 20, point 1): region administrators add, change and remove
synonym groups, see which searches that found nothing a group would answer, and every search uses a change at
once; no other role may touch it."""

from __future__ import annotations

import pytest

from tests.support.manage import montagna_alliances, token
from welfarepoint import search
from welfarepoint.extensions import db
from welfarepoint.vocabulary.models import SearchSynonym

LINE = "[summer_closure] zampillo | zampilli"


def found(app, text: str) -> int:
    with app.test_request_context():
        return search.query(text).total


def test_an_administrator_previews_adds_changes_and_removes_a_group(demo_app, auth):
    public = demo_app.test_client()
    for _ in range(5):  # a search that found nothing is shown only when made often enough (as on insights)
        assert "Nessun servizio trovato" in public.get("/search?q=zampillo&lang=it").text
    public.get("/search?q=zampillo+raro&lang=it")  # once: never shown
    client = auth("admin")
    page = client.get("/manage/vocabulary?lang=en").text
    preview = client.post(
        "/manage/vocabulary?lang=en", data={"line": LINE, "action": "preview", "csrf_token": token(page)}
    )
    assert preview.status_code == 200 and "“zampillo”" in preview.text and "zampillo raro" not in preview.text
    with demo_app.app_context():
        assert db.session.execute(db.select(SearchSynonym)).first() is None  # a preview saves nothing
    saved = client.post(
        "/manage/vocabulary", data={"line": LINE, "action": "save", "csrf_token": token(page)}
    )
    assert saved.status_code == 302
    assert found(demo_app, "zampillo") >= 5  # every search, at once
    assert "servizi trovati" in public.get("/search?q=zampillo&lang=it").text
    with demo_app.app_context():
        group_id = db.session.execute(db.select(SearchSynonym.id)).scalar_one()
    changed = client.post(
        f"/manage/vocabulary/{group_id}",
        data={"line": "[holiday_closure] zampillo | zampilli", "csrf_token": token(page)},
    )
    assert changed.status_code == 302
    with demo_app.test_request_context():
        result = search.query("zampillo")
        from welfarepoint.catalog import queries

        assert all(
            "holiday_closure" in s.needs
            for s in queries.published_services(h.service_id for h in result.hits)
        )
    removed = client.post(
        f"/manage/vocabulary/{group_id}", data={"action": "delete", "csrf_token": token(page)}
    )
    assert removed.status_code == 302 and found(demo_app, "zampillo") == 0


@pytest.mark.parametrize("line", ["solo una parola", "[no_such_need] prova | test"])
def test_a_group_that_says_nothing_or_names_an_unknown_need_is_refused(demo_app, auth, line):
    client = auth("admin")
    page = client.get("/manage/vocabulary").text
    response = client.post("/manage/vocabulary", data={"line": line, "csrf_token": token(page)})
    assert response.status_code == 400
    with demo_app.app_context():
        assert db.session.execute(db.select(SearchSynonym)).first() is None


def test_only_the_region_administrator_curates_the_vocabulary(demo_app, auth):
    assert auth("ats_manager", ats="Montagna").get("/manage/vocabulary").status_code == 403
    editor = auth("alliance_editor", alliance=montagna_alliances(demo_app)[0])
    assert editor.get("/manage/vocabulary").status_code == 403
