"""The permission matrix of the backend: every role, every route, own and other territory.

A refusal is a 403 (the role may never do it) or a 404 (outside the territory: its existence is not
revealed) and leaves the database as it was; an allowed request succeeds. Anonymous visitors are sent to sign in.
"""

from __future__ import annotations

import pytest

from tests.support.manage import account, montagna_alliances, signed_in, token
from welfarepoint.catalog.models import Alliance, Feedback, Organisation, Revision, Service
from welfarepoint.extensions import db

# (method, address, the action is for managers only)
ROUTES = [
    ("GET", "/manage/services/{service}", False),
    ("POST", "/manage/services/{service}", False),
    ("GET", "/manage/services/{service}/preview", False),
    ("GET", "/manage/services/{service}/history", False),
    ("POST", "/manage/services/{service}/history/{revision}/restore", False),
    ("POST", "/manage/services/{service}/status#submit", False),
    ("POST", "/manage/services/{service}/status#publish", True),
    ("POST", "/manage/services/{service}/status#archive", True),
    ("POST", "/manage/services/{service}/verified", True),
    ("POST", "/manage/feedback/{feedback}", True),
    ("GET", "/manage/organisations/{organisation}", True),
    ("POST", "/manage/organisations/{organisation}", True),
    ("GET", "/manage/alliances/{alliance}", True),
    ("POST", "/manage/alliances/{alliance}", True),
    ("POST", "/manage/alliances/{alliance}/members", True),
]
# Pages of the account's own territory only (no identifier to guess).
TERRITORY_PAGES = [
    ("GET", "/manage/", False),
    ("GET", "/manage/services", False),
    ("GET", "/manage/services/new", False),
    ("GET", "/manage/services/export.csv", False),
    ("GET", "/manage/verify", True),
    ("GET", "/manage/feedback", True),
    ("GET", "/manage/import", True),
    ("GET", "/manage/organisations", True),
    ("GET", "/manage/organisations/new", True),
    ("GET", "/manage/alliances", True),
    ("GET", "/manage/alliances/new", True),
    ("GET", "/manage/insights", True),
    ("GET", "/manage/insights/monitoring", True),
    ("GET", "/manage/insights/overlaps", True),
    ("GET", "/manage/insights/gaps.csv", True),
]


@pytest.fixture
def world(demo_app):
    """Two territories' objects: a Montagna listing of the editor's alliance, and a Pavia one."""
    alliance_name = montagna_alliances(demo_app)[0]
    with demo_app.app_context():
        alliance = db.session.execute(db.select(Alliance).filter_by(name=alliance_name)).scalar_one()
        pavia_alliance = db.session.execute(db.select(Alliance).filter_by(ats="Pavia")).scalars().first()
        objects = {}
        for key, ats, chosen in (("own", "Montagna", alliance), ("other", "Pavia", pavia_alliance)):
            service = (
                db.session.execute(db.select(Service).filter_by(alliance_id=chosen.id, status="published"))
                .unique()
                .scalars()
                .first()
            )
            feedback = Feedback(service=service, kind="hours", message="Orari da controllare, grazie.")
            db.session.add(feedback)
            db.session.flush()
            member = chosen.members[0].organisation
            revision = (
                db.session.execute(db.select(Revision).filter_by(service_id=service.id)).scalars().first()
            )
            objects[key] = {
                "service": service.uuid,
                "service_id": service.id,
                "revision": revision.id,
                "feedback": feedback.id,
                "organisation": member.uuid,
                "alliance": chosen.uuid,
                "alliance_name": chosen.name,
                "ats": ats,
            }
        db.session.commit()
    account(demo_app, "admin@regione.example.org", "admin")
    account(demo_app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna")
    account(demo_app, "luca@alleanza.example.org", "alliance_editor", alliance=alliance_name)
    return objects


ROLES = {
    "admin": "admin@regione.example.org",
    "ats_manager": "anna@ats-montagna.example.org",
    "alliance_editor": "luca@alleanza.example.org",
}


def fingerprint(app) -> tuple:
    """Everything a refused request must leave untouched."""
    with app.app_context():
        return (
            tuple(
                db.session.execute(
                    db.select(Service.id, Service.version, Service.status).order_by(Service.id)
                ).all()
            ),
            tuple(db.session.execute(db.select(Feedback.id, Feedback.status).order_by(Feedback.id)).all()),
            tuple(
                db.session.execute(
                    db.select(Organisation.id, Organisation.name, Organisation.updated_at).order_by(
                        Organisation.id
                    )
                ).all()
            ),
            tuple(
                db.session.execute(
                    db.select(Alliance.id, Alliance.name, Alliance.period_start).order_by(Alliance.id)
                ).all()
            ),
            db.session.execute(db.select(db.func.count(Revision.id))).scalar_one(),
        )


def post_data(path: str, objects: dict, page: str, app) -> dict:
    """A plausible, valid body for each POST route."""
    data = {"csrf_token": token(page)}
    with app.app_context():
        version = db.session.execute(
            db.select(Service.version).filter_by(uuid=objects["service"])
        ).scalar_one()
    if "/status#" in path:
        data |= {"action": path.rsplit("#", 1)[1], "version": version}
    elif path.endswith("/restore"):
        data |= {"version": version}
    elif path.startswith("/manage/services/"):
        from tests.support.manage import form_data

        data = form_data(app, objects["service"], page, title="Titolo cambiato da chi non dovrebbe")
    elif path.startswith("/manage/feedback/"):
        data |= {"outcome": "dismissed"}
    elif path.startswith("/manage/organisations/"):
        data |= {"name": "Nome cambiato", "type": "non_profit", "municipality": ""}
    elif path.endswith("/members"):
        data |= {"member-organisation": "Nessuna", "member-role": "partner"}
    elif path.startswith("/manage/alliances/"):
        data |= {"name": "Alleanza rinominata", "ats": objects["ats"], "period_start": "2024-01-01"}
    return data


def request(client, method: str, path: str, objects: dict, app):
    address = path.split("#")[0].format(**objects)
    if method == "GET":
        return client.get(address)
    page = client.get("/manage/services/new").text
    return client.post(address, data=post_data(path, objects, page, app))


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method,path,managers_only", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_object_routes(demo_app, world, role, method, path, managers_only):
    client = signed_in(demo_app, ROLES[role])
    may_act = not (managers_only and role == "alliance_editor")
    # Another territory: refused (404 or 403), nothing changes — except for the region's administrator.
    before = fingerprint(demo_app)
    response = request(client, method, path, world["other"], demo_app)
    if role == "admin":
        assert response.status_code < 400, (response.status_code, response.text[:300])
    else:
        assert response.status_code in (403, 404), response.status_code
        assert fingerprint(demo_app) == before
    # The account's own territory: allowed, unless the role may never take this action.
    before = fingerprint(demo_app)
    response = request(client, method, path, world["own"], demo_app)
    if may_act:
        assert response.status_code < 400 or (method == "POST" and response.status_code in (400, 409)), (
            response.status_code,
            response.text[:300],
        )
    else:
        assert response.status_code == 403
        assert fingerprint(demo_app) == before


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method,path,managers_only", TERRITORY_PAGES, ids=[p for _, p, _ in TERRITORY_PAGES])
def test_territory_pages(demo_app, world, role, method, path, managers_only):
    client = signed_in(demo_app, ROLES[role])
    response = client.get(path)
    if managers_only and role == "alliance_editor":
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        if role != "admin" and path == "/manage/services":
            assert world["own"]["service"] in response.text and world["other"]["service"] not in response.text


ALL_ROUTES = (
    ROUTES
    + TERRITORY_PAGES
    + [
        ("POST", "/manage/import", True),
        ("POST", "/manage/import/confirm", True),
        ("POST", "/manage/services/new", False),
        ("POST", "/manage/organisations/new", True),
        ("POST", "/manage/alliances/new", True),
        ("POST", "/manage/insights/overlaps", True),
    ]
)


@pytest.mark.parametrize("method,path,managers_only", ALL_ROUTES, ids=[f"{m} {p}" for m, p, _ in ALL_ROUTES])
def test_anonymous_visitors_are_sent_to_sign_in(demo_app, world, method, path, managers_only):
    client = demo_app.test_client()
    address = path.split("#")[0].format(**world["own"])
    if method == "GET":
        response = client.get(address)
    else:
        page = client.get("/manage/login").text
        response = client.post(address, data={"csrf_token": token(page)})
    assert response.status_code == 302 and "/manage/login" in response.headers["Location"]


POSTS = [route for route in ALL_ROUTES if route[0] == "POST"]


@pytest.mark.parametrize("method,path,managers_only", POSTS, ids=[p for _, p, _ in POSTS])
def test_every_post_needs_the_form_token(demo_app, world, method, path, managers_only):
    client = signed_in(demo_app, ROLES["admin"])
    before = fingerprint(demo_app)
    address = path.split("#")[0].format(**world["own"])
    data = post_data(path, world["own"], client.get("/manage/services/new").text, demo_app)
    data.pop("csrf_token")
    response = client.post(address + "?lang=en", data=data)
    assert response.status_code == 400 and "form" in response.text.lower()
    assert fingerprint(demo_app) == before
