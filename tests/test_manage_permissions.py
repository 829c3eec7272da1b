"""The permission matrix of the backend: every role, every route, own and other territory.

A refusal is a 403 (the role may never do it) or a 404 (outside the territory: its existence is not
revealed) and leaves the database as it was; an allowed request succeeds and takes effect (the page shows its
object; the listing is saved, submitted, published, archived or verified, the organisation or alliance saved, the
suggestion closed, the member added), checked in the database. Anonymous visitors are sent to sign in.
"""

from __future__ import annotations

import html
from datetime import date

import pytest

from tests.support.manage import form_data, montagna_alliances, token
from welfarepoint.catalog import workflow
from welfarepoint.catalog.models import Alliance, AllianceMember, Feedback, Organisation, Revision, Service
from welfarepoint.extensions import db
from welfarepoint.territory.models import Municipality

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
    ("POST", "/manage/services/{service}/status#send_back", True),
    ("GET", "/manage/services/{service}/send-back", True),
    ("POST", "/manage/services/{service}/send-back", True),
    ("GET", "/manage/services/{service}/history.csv", False),
    ("GET", "/manage/services/{service}/history.xlsx", False),
    # Alliance editors verify their alliance's listings and handle its corrections (issue 24).
    ("POST", "/manage/services/{service}/verified", False),
    ("POST", "/manage/feedback/{feedback}", False),
    ("GET", "/manage/organisations/{organisation}", True),
    ("POST", "/manage/organisations/{organisation}", True),
    ("GET", "/manage/alliances/{alliance}", True),
    ("POST", "/manage/alliances/{alliance}", True),
    ("POST", "/manage/alliances/{alliance}/members", True),
    ("POST", "/manage/organisations/{organisation}/merge", True),
]
# Pages of the account's own territory only (no identifier to guess).
TERRITORY_PAGES = [
    ("GET", "/manage/", False),
    ("GET", "/manage/services", False),
    ("GET", "/manage/services/new", False),
    ("GET", "/manage/services/export.csv", False),
    ("GET", "/manage/services/export.xlsx", False),
    ("GET", "/manage/duplicates", False),
    ("GET", "/manage/import/model.xlsx", True),
    ("GET", "/manage/verify", False),
    ("GET", "/manage/feedback", False),
    ("GET", "/manage/import", True),
    ("GET", "/manage/organisations", True),
    ("GET", "/manage/organisations/new", True),
    ("GET", "/manage/alliances", True),
    ("GET", "/manage/alliances/new", True),
    ("GET", "/manage/insights", True),
    ("GET", "/manage/insights/monitoring", True),
    ("GET", "/manage/insights/overlaps", True),
    ("GET", "/manage/insights/gaps.csv", True),
    ("GET", "/manage/routes", True),
]


NEW_TITLE = "Titolo cambiato nel backend"
OLD_DAY = date(2020, 1, 1)
#: Where an organisation changed by a manager is based (an ATS manager must name a town of the ATS).
TOWNS = {"Montagna": "Sondrio", "Pavia": "Pavia"}


@pytest.fixture
def world(demo_app, make_user):
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
            members = {membership.organisation_id for membership in chosen.members}
            newcomer = (  # an organisation of the alliance's own territory: no other may be named (issue 19)
                db.session.execute(
                    db.select(Organisation)
                    .join(Municipality, Organisation.municipality_code == Municipality.istat_code)
                    .where(Organisation.id.not_in(members), Municipality.ats == ats)
                    .order_by(Organisation.id)
                )
                .scalars()
                .first()
            )
            revision = (
                db.session.execute(db.select(Revision).filter_by(service_id=service.id).order_by(Revision.id))
                .scalars()
                .first()
            )
            objects[key] = {
                "service": service.uuid,
                "service_id": service.id,
                "title": service.title,
                "revision": revision.id,
                "feedback": feedback.id,
                "organisation": member.uuid,
                "organisation_name": member.name,
                "newcomer": newcomer.name,
                "newcomer_uuid": newcomer.uuid,
                "alliance": chosen.uuid,
                "alliance_name": chosen.name,
                "ats": ats,
                "town": TOWNS[ats],
            }
        db.session.commit()
    make_user("admin")
    make_user("ats_manager", ats="Montagna")
    make_user("alliance_editor", alliance=alliance_name)
    return objects


ROLES = ("admin", "ats_manager", "alliance_editor")  # their accounts: made by make_user, signed in by auth


def fingerprint(app) -> tuple:
    """Everything a refused request must leave untouched."""
    with app.app_context():
        return (
            tuple(
                db.session.execute(
                    db.select(
                        Service.id,
                        Service.version,
                        Service.status,
                        Service.title,
                        Service.draft,
                        Service.last_verified,
                    ).order_by(Service.id)
                ).all()
            ),  # fmt: skip
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
            tuple(
                db.session.execute(
                    db.select(
                        AllianceMember.alliance_id, AllianceMember.organisation_id, AllianceMember.role
                    ).order_by(AllianceMember.alliance_id, AllianceMember.organisation_id)
                ).all()
            ),
            db.session.execute(db.select(db.func.count(Revision.id))).scalar_one(),
        )


def state(app, objects: dict) -> dict:
    """What the actions on one territory's objects change."""
    with app.app_context():
        service = (
            db.session.execute(db.select(Service).filter_by(uuid=objects["service"])).unique().scalar_one()
        )
        alliance = db.session.execute(db.select(Alliance).filter_by(uuid=objects["alliance"])).scalar_one()
        return {
            "status": service.status,
            "title": service.title,
            "draft_title": service.draft["cells"]["title"] if service.draft else None,
            "submitted": workflow.pending_submitted(service),
            "draft_author": service.draft["author"] if service.draft else None,
            "last_verified": service.last_verified,
            "feedback": db.session.get(Feedback, objects["feedback"]).status,
            "organisation": db.session.execute(
                db.select(Organisation.name).filter_by(uuid=objects["organisation"])
            ).scalar_one_or_none(),  # None once merged into another
            "alliance": alliance.name,
            "members": {membership.organisation.name: membership.role for membership in alliance.members},
        }


def prepare(app, path: str, objects: dict) -> None:
    """Put the listing in a state where the action of ``path`` applies."""
    with app.app_context():
        service = (
            db.session.execute(db.select(Service).filter_by(uuid=objects["service"])).unique().scalar_one()
        )
        changed = workflow.listing_from_cells({**workflow.current_cells(service), "title": NEW_TITLE})
        if path.endswith("#submit"):  # changes saved, not yet submitted
            workflow.save(service, changed, author="prova@example.org")
        elif path.endswith("#publish") or "send" in path:  # changes submitted for review
            workflow.submit(service, changed, author="prova@example.org")
        elif path.endswith("/restore"):  # the public version is no longer the first one
            workflow.publish(service, changed, author="prova@example.org")
        elif path.endswith("/verified"):
            service.last_verified = OLD_DAY
        db.session.commit()


def expected_change(path: str, objects: dict) -> dict:
    """What an allowed request on ``path`` changes in :func:`state`."""
    if path.endswith("#submit"):
        return {"submitted": True}
    if path.endswith("#publish"):
        return {"title": NEW_TITLE, "draft_title": None, "submitted": False}
    if path.endswith("#archive"):
        return {"status": "archived"}
    if "send" in path:  # back to its editor, unsubmitted, still theirs
        return {"submitted": False, "draft_title": NEW_TITLE, "draft_author": "prova@example.org"}
    if path.endswith("/verified"):
        return {"last_verified": date.today()}
    if path.endswith("/restore"):  # held for review, the published version stays
        return {"draft_title": objects["title"], "title": NEW_TITLE}
    if path.startswith("/manage/services/"):  # a published listing's changes are held for review
        return {"draft_title": NEW_TITLE, "title": objects["title"]}
    if path.startswith("/manage/feedback/"):
        return {"feedback": "dismissed"}
    if path.endswith("/merge"):  # merged into the newcomer, which is now a member of the alliance
        return {"organisation": None, "members": {**_without(objects), objects["newcomer"]: _role(objects)}}
    if path.startswith("/manage/organisations/"):
        return {"organisation": f"Nome cambiato {objects['ats']}"}
    if path.endswith("/members"):
        return {"members": {**objects["members_before"], objects["newcomer"]: "partner"}}
    return {"alliance": f"Alleanza rinominata {objects['ats']}"}


def _without(objects: dict) -> dict:
    return {
        name: role for name, role in objects["members_before"].items() if name != objects["organisation_name"]
    }


def _role(objects: dict) -> str:
    return objects["members_before"][objects["organisation_name"]]


def shown(path: str, objects: dict) -> str:
    """What a page of ``path`` shows of its object."""
    if path.startswith("/manage/organisations/"):
        return objects["organisation_name"]
    if path.startswith("/manage/alliances/"):
        return objects["alliance_name"]
    return objects["title"]


def post_data(path: str, objects: dict, page: str, app) -> dict:
    """A plausible, valid body for each POST route."""
    data = {"csrf_token": token(page)}
    with app.app_context():
        version = db.session.execute(
            db.select(Service.version).filter_by(uuid=objects["service"])
        ).scalar_one()
    if "/status#" in path or path.endswith("/send-back"):
        data |= {
            "action": path.rsplit("#", 1)[-1],
            "version": version,
            "reason": "Manca l'orario del sabato.",
        }
    elif path.endswith("/restore"):
        data |= {"version": version}
    elif path.startswith("/manage/services/"):
        data = form_data(app, objects["service"], page, title=NEW_TITLE)
    elif path.startswith("/manage/feedback/"):
        data |= {"outcome": "dismissed", "note": "Telefonato all'ente: gli orari sono giusti."}
    elif path.endswith("/merge"):
        data |= {"into": objects["newcomer_uuid"]}
    elif path.startswith("/manage/organisations/"):
        data |= {
            "name": f"Nome cambiato {objects['ats']}",
            "type": "non_profit",
            "municipality": objects["town"],
        }
    elif path.endswith("/members"):
        data |= {"member-organisation": objects["newcomer"], "member-role": "partner"}
    elif path.startswith("/manage/alliances/"):
        data |= {
            "name": f"Alleanza rinominata {objects['ats']}", "ats": objects["ats"], "period_start": "2024-01-01",
        }  # fmt: skip
    return data


def request(client, method: str, path: str, objects: dict, app):
    address = path.split("#")[0].format(**objects)
    if method == "GET":
        return client.get(address + "?lang=it")  # the listing's own title, not a translation
    page = client.get("/manage/services/new").text
    return client.post(address, data=post_data(path, objects, page, app))


def assert_done(response, app, method: str, path: str, objects: dict) -> None:
    """An allowed request succeeded: the page shows its object, or the action took effect."""
    assert 200 <= response.status_code < 400, (response.status_code, response.text[:300])
    if method == "GET" and path.endswith((".csv", ".xlsx")):
        assert response.status_code == 200 and response.headers["Content-Disposition"].startswith(
            "attachment"
        )
        return
    if method == "GET":
        assert response.status_code == 200 and shown(path, objects) in html.unescape(response.text)
        return
    after = state(app, objects)
    expected = expected_change(path, objects)
    assert {key: after[key] for key in expected} == expected, (response.status_code, after)


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method,path,managers_only", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_object_routes(demo_app, world, auth, role, method, path, managers_only):
    client = auth(role)
    may_act = not (managers_only and role == "alliance_editor")
    for objects in world.values():
        prepare(demo_app, path, objects)
        objects["members_before"] = state(demo_app, objects)["members"]
    # Another territory: refused (404 or 403), nothing changes — except for the region's administrator.
    before = fingerprint(demo_app)
    response = request(client, method, path, world["other"], demo_app)
    if role == "admin":
        assert_done(response, demo_app, method, path, world["other"])
    else:
        assert response.status_code in (403, 404), response.status_code
        assert fingerprint(demo_app) == before
    # The account's own territory: allowed, unless the role may never take this action.
    before = fingerprint(demo_app)
    response = request(client, method, path, world["own"], demo_app)
    if may_act:
        assert_done(response, demo_app, method, path, world["own"])
    else:
        assert response.status_code == 403
        assert fingerprint(demo_app) == before


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("method,path,managers_only", TERRITORY_PAGES, ids=[p for _, p, _ in TERRITORY_PAGES])
def test_territory_pages(demo_app, world, auth, role, method, path, managers_only):
    client = auth(role)
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
        ("POST", "/manage/import/check", True),
        ("POST", "/manage/import/problems", True),
        ("POST", "/manage/services/new", False),
        ("POST", "/manage/inbox/bulk", False),
        ("POST", "/manage/organisations/new", True),
        ("POST", "/manage/alliances/new", True),
        ("POST", "/manage/insights/overlaps", True),
        ("POST", "/manage/routes", True),
        ("GET", "/manage/vocabulary", True),
        ("POST", "/manage/vocabulary", True),
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
def test_every_post_needs_the_form_token(demo_app, world, auth, method, path, managers_only):
    client = auth("admin")
    before = fingerprint(demo_app)
    address = path.split("#")[0].format(**world["own"])
    data = post_data(path, world["own"], client.get("/manage/services/new").text, demo_app)
    data.pop("csrf_token")
    response = client.post(address + "?lang=en", data=data)
    assert response.status_code == 400 and "form" in response.text.lower()
    assert fingerprint(demo_app) == before


@pytest.mark.parametrize("role", list(ROLES))
def test_bulk_actions_take_only_the_account_s_listings_and_archive_only_for_managers(
    demo_app, world, auth, role
):
    """Verify and archive many at once: a listing of another territory is left alone (admin excepted);
    an alliance editor verifies but may not archive (403, nothing changes)."""
    client = auth(role)
    for objects in world.values():
        prepare(demo_app, "/verified", objects)
    page = client.get("/manage/").text
    chosen = [world["own"]["service"], world["other"]["service"]]
    before = fingerprint(demo_app)
    archive = client.post(
        "/manage/inbox/bulk", data={"csrf_token": token(page), "action": "archive", "uuid": chosen}
    )
    if role == "alliance_editor":
        assert archive.status_code == 403 and fingerprint(demo_app) == before
    verify = client.post(
        "/manage/inbox/bulk", data={"csrf_token": token(page), "action": "verify", "uuid": chosen}
    )
    assert verify.status_code == 302
    own, other = state(demo_app, world["own"]), state(demo_app, world["other"])
    if role == "alliance_editor":
        assert own["last_verified"] == date.today() and own["status"] == "published"
    elif role == "ats_manager":
        assert own["status"] == "archived"
    assert other["last_verified"] == (date.today() if role == "admin" else OLD_DAY)
    assert other["status"] == ("archived" if role == "admin" else "published")
