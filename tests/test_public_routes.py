"""Public routes (issue 20, point 5): ATS managers curate the public offices for needs outside the networks, and
search shows those of the visitor's ATS when a care need finds nothing or a search names something outside."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support.manage import montagna_alliances, token
from welfarepoint.extensions import db
from welfarepoint.public import drawn
from welfarepoint.territory.models import PublicRoute

ROUTE = {
    "ats": "Montagna",
    "name": "Ufficio di Piano di Sondrio",
    "handles": "RSA, assistenza domiciliare integrata, misure B1 e B2",
    "phone": "+39 0342 000 999",
    "website": "https://www.example.org/ufficio-di-piano",
}


def add(client, **changes):
    page = client.get("/manage/routes").text
    return client.post("/manage/routes", data={**ROUTE, **changes, "csrf_token": token(page)})


def routes(app) -> list[tuple[str, str]]:
    """The routes beside the demo's own (each ATS's ASSTs, the Comune's social services and INPS)."""
    with app.app_context():
        every = [(r.ats, r.name) for r in db.session.execute(db.select(PublicRoute)).scalars()]
    return [route for route in every if route not in demo_routes()]


def demo_routes() -> set[tuple[str, str]]:
    import tomllib
    from importlib import resources

    data = (
        resources.files("welfarepoint.demo")
        .joinpath("data", "public_routes.toml")
        .read_text(encoding="utf-8")
    )
    return {(route["ats"], route["name"]) for route in tomllib.loads(data)["route"]}


def test_an_ats_manager_adds_a_route_that_search_shows_in_the_ats(demo_app, auth):
    client = auth("ats_manager", ats="Montagna")
    response = add(client)
    assert response.status_code == 302
    assert routes(demo_app) == [("Montagna", "Ufficio di Piano di Sondrio")]
    public = demo_app.test_client()
    page = public.get("/search", query_string={"q": "rsa sondrio", "lang": "it"}).text
    assert "Ufficio di Piano di Sondrio" in page and "misure B1 e B2" in page
    # A care need that finds nothing in the place shows them too; elsewhere they are not shown.
    page = public.get("/search", query_string={"q": "ippoterapia sollievo", "place": "Livigno"}).text
    assert "Ufficio di Piano di Sondrio" in page
    assert "Ufficio di Piano di Sondrio" not in public.get("/search?q=rsa+pavia").text
    assert "Ufficio di Piano di Sondrio" not in public.get("/search?q=centro+estivo&place=Sondrio").text


def kept_pages(app) -> set[Path]:
    return {path for path in (Path(app.instance_path) / drawn.FOLDER).glob("*/*") if path.is_file()}


def test_a_page_naming_routes_is_kept_and_a_changed_route_shows_at_once(demo_app, auth):
    """Pages that name public routes are kept like every results page (drawing them at every request made them
    the slowest of a busy hour), yet a manager's change shows on the next request; one committed by another
    process (a worker, another instance) within a second."""
    public = demo_app.test_client()
    search_address = "/search?q=rsa+sondrio&lang=it"
    care_address = "/match/family?municipality=Sondrio&cared_age=50&needs=care_accompaniment&lang=it"
    for address in (search_address, care_address):
        first = public.get(address).text
        assert "INPS" in first and "Ufficio di Piano di Sondrio" not in first, address  # the demo's routes
        kept = kept_pages(demo_app)
        assert public.get(address).text == first and kept_pages(demo_app) == kept  # sent as kept, not drawn

    assert add(auth("ats_manager", ats="Montagna")).status_code == 302
    for address in (search_address, care_address):
        assert "Ufficio di Piano di Sondrio" in public.get(address).text, address

    # Another process renames it: written here straight into the database, past this process's sessions.
    engine = create_engine(demo_app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE public_route SET name = :new, updated_at = CURRENT_TIMESTAMP WHERE name = :old"),
                {"new": "Ufficio di Piano di Morbegno", "old": ROUTE["name"]},
            )
    finally:
        engine.dispose()
    time.sleep(drawn.ROUTES_CHECK_SECONDS + 0.2)
    for address in (search_address, care_address):
        page = public.get(address).text
        assert "Ufficio di Piano di Morbegno" in page and "Ufficio di Piano di Sondrio" not in page, address


def test_an_ats_manager_may_not_add_or_see_another_ats_route(demo_app, auth):
    client = auth("ats_manager", ats="Montagna")
    assert add(client, ats="Pavia").status_code == 400
    with demo_app.app_context():
        db.session.add(PublicRoute(ats="Pavia", name="INPS Pavia", handles="", phone="", website=""))
        db.session.commit()
        other = db.session.execute(db.select(db.func.max(PublicRoute.id))).scalar_one()  # the one just added
    assert client.get(f"/manage/routes/{other}").status_code == 404
    page = client.get("/manage/routes").text
    assert "INPS Pavia" not in page
    response = client.post(f"/manage/routes/{other}", data={"action": "delete", "csrf_token": token(page)})
    assert response.status_code == 404 and routes(demo_app) == [("Pavia", "INPS Pavia")]


def test_the_region_administrator_curates_every_ats_and_edits_and_removes(demo_app, auth):
    client = auth("admin")
    assert add(client, ats="Pavia", name="ASST di Pavia").status_code == 302
    with demo_app.app_context():
        route_id = db.session.execute(db.select(db.func.max(PublicRoute.id))).scalar_one()  # the one added
    page = client.get(f"/manage/routes/{route_id}").text
    response = client.post(
        f"/manage/routes/{route_id}",
        data={**ROUTE, "ats": "Pavia", "name": "ASST Pavia", "csrf_token": token(page)},
    )
    assert response.status_code == 302 and routes(demo_app) == [("Pavia", "ASST Pavia")]
    response = client.post(f"/manage/routes/{route_id}", data={"action": "delete", "csrf_token": token(page)})
    assert response.status_code == 302 and routes(demo_app) == []


def test_an_alliance_editor_may_not_curate_routes(demo_app, auth):
    client = auth("alliance_editor", alliance=montagna_alliances(demo_app)[0])
    assert client.get("/manage/routes").status_code == 403


@pytest.mark.parametrize("website", ["javascript:alert(1)", "www.example.org"])
def test_a_route_links_only_to_a_web_address(demo_app, auth, website):
    client = auth("ats_manager", ats="Montagna")
    response = add(client, website=website)
    assert response.status_code == 400 and routes(demo_app) == []
