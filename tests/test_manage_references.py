"""Scope on every reference: what one object names (a provider, an alliance, a member, a lead, a listing to
merge into, an import row's provider and alliance) must be of the account's territory.

The reported attack: a Bergamo manager cannot open "Comune di Sondrio" (Montagna's), but named it as the
provider of a Bergamo listing; it then counted as Bergamo's, opened, and could be changed. Here every way of
naming it is refused next to the field, in English and Italian, with nothing written; naming what the account
sees takes effect; and an organisation seen in several ATS is changed only by an admin or the ATS that owns it.
"""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import replace

import pytest

from tests.support.manage import account, form_data, signed_in, token
from welfarepoint.catalog import operations, workflow
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Revision, Service
from welfarepoint.catalog.validation import CSV_COLUMNS
from welfarepoint.extensions import db
from welfarepoint.territory.models import Municipality

SONDRIO = "Comune di Sondrio"
REFUSED_EN = "is not an organisation of your territory"
REFUSED_IT = "non è un ente del tuo territorio"


# --- the world of the tests -------------------------------------------------------------------------------


def state(app) -> tuple:
    """Everything a reference could change: listings, organisations, alliances, members, revisions."""
    with app.app_context():
        rows = (
            db.select(
                Service.id,
                Service.provider_id,
                Service.alliance_id,
                Service.status,
                Service.version,
                Service.merged_into_id,
            ),
            db.select(
                Organisation.id,
                Organisation.name,
                Organisation.type,
                Organisation.municipality_code,
                Organisation.website,
            ),
            db.select(Alliance.id, Alliance.name, Alliance.ats, Alliance.lead_id),
            db.select(AllianceMember.alliance_id, AllianceMember.organisation_id, AllianceMember.role),
            db.select(db.func.count(Revision.id)),
        )
        return tuple(sorted(tuple(row) for row in db.session.execute(query).all()) for query in rows)


def based_in(ats: str):
    """The organisations whose municipality is in ``ats``."""
    return (
        db.select(Organisation)
        .join(Municipality, Municipality.istat_code == Organisation.municipality_code)
        .where(Municipality.ats == ats)
        .order_by(Organisation.id)
    )


@pytest.fixture
def world(demo_app) -> dict:
    """Names and identifiers of Bergamo's and Montagna's objects in the demo network."""
    with demo_app.app_context():
        sondrio = db.session.execute(db.select(Organisation).filter_by(name=SONDRIO)).scalar_one()
        assert sondrio.municipality.ats == "Montagna"
        alliance_a, alliance_b = db.session.execute(
            db.select(Alliance).filter_by(ats="Bergamo").order_by(Alliance.id).limit(2)
        ).scalars()
        a_member_ids = {member.organisation_id for member in alliance_a.members}
        a_providers = set(
            db.session.execute(db.select(Service.provider_id).filter_by(alliance_id=alliance_a.id)).scalars()
        )
        only_b = next(
            member.organisation
            for member in alliance_b.members
            if member.organisation_id not in a_member_ids | a_providers
        )
        listing_a = (
            db.session.execute(
                db.select(Service)
                .filter_by(alliance_id=alliance_a.id)
                .where(Service.status != "archived")
                .order_by(Service.id)
            )
            .unique()
            .scalars()
            .first()
        )
        other_member_of_a = next(
            member.organisation
            for member in alliance_a.members
            if member.organisation_id != listing_a.provider_id
        )
        bergamo = list(
            db.session.execute(
                db.select(Service)
                .filter_by(ats="Bergamo")
                .where(Service.status != "archived")
                .order_by(Service.id)
                .limit(3)
            )
            .unique()
            .scalars()
        )
        montagna_listing = (
            db.session.execute(db.select(Service).filter_by(ats="Montagna").order_by(Service.id))
            .unique()
            .scalars()
            .first()
        )
        bergamo_orgs = list(db.session.execute(based_in("Bergamo").limit(5)).scalars())
        montagna_alliance = (
            db.session.execute(db.select(Alliance).filter_by(ats="Montagna").order_by(Alliance.id))
            .scalars()
            .first()
        )
        assert SONDRIO not in {service.provider.name for service in bergamo}
        return {
            "sondrio": sondrio.uuid,
            "sondrio_id": sondrio.id,
            "alliance_a": alliance_a.name,
            "alliance_a_uuid": alliance_a.uuid,
            "alliance_b": alliance_b.name,
            "only_b": only_b.name,
            "listing_a": listing_a.uuid,
            "member_of_a": other_member_of_a.name,
            "bergamo": [service.uuid for service in bergamo],
            "bergamo_ids": [service.id for service in bergamo],
            "bergamo_providers": [service.provider.name for service in bergamo],
            "montagna_listing_id": montagna_listing.id,
            "bergamo_org": next(org.name for org in bergamo_orgs if org.name != bergamo[0].provider.name),
            "bergamo_orgs": [org.name for org in bergamo_orgs],
            "montagna_alliance": montagna_alliance.name,
        }


@pytest.fixture
def bergamo(demo_app):
    return signed_in(
        demo_app, account(demo_app, "bruno@ats-bergamo.example.org", "ats_manager", ats="Bergamo")
    )


@pytest.fixture
def montagna(demo_app):
    return signed_in(
        demo_app, account(demo_app, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


@pytest.fixture
def admin(demo_app):
    return signed_in(demo_app, account(demo_app, "regione@regione.example.org", "admin"))


@pytest.fixture
def editor(demo_app, world):
    email = account(
        demo_app,
        "elena@alleanza-a.example.org",
        "alliance_editor",
        ats="Bergamo",
        alliance=world["alliance_a"],
    )
    return signed_in(demo_app, email)


def errors_of(field: str, html: str) -> str:
    """The error messages shown under the form field ``field`` ("" when there are none)."""
    match = re.search(rf'id="{re.escape(field)}-errors">(.*?)</ul>', html, re.DOTALL)
    return match.group(1) if match else ""


def current(app, uuid: str) -> dict[str, str]:
    """What an editor of the listing starts from (the changes waiting for review, if any)."""
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=uuid)).unique().scalar_one()
        return workflow.current_cells(service)


def save_listing(client, app, uuid: str, lang: str = "en", **changes):
    page = client.get(f"/manage/services/{uuid}?lang={lang}")
    assert page.status_code == 200
    return client.post(
        f"/manage/services/{uuid}?lang={lang}", data=form_data(app, uuid, page.text, **changes)
    )


def link_provider(app, uuid: str, provider: str) -> None:
    """Make ``provider`` the provider of listing ``uuid`` (what an admin may do), through the catalog's API."""
    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=uuid)).unique().scalar_one()
        listing = replace(operations.listing_of(service), provider=provider)
        operations.update_service(service, listing, author="regione@regione.example.org")
        db.session.commit()


# --- service -> provider ----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang,message", [("en", REFUSED_EN), ("it", REFUSED_IT)])
def test_a_manager_cannot_name_another_territorys_organisation_as_provider(
    demo_app, world, bergamo, lang, message
):
    assert bergamo.get(f"/manage/organisations/{world['sondrio']}").status_code == 404
    before = state(demo_app)
    response = save_listing(bergamo, demo_app, world["bergamo"][0], lang, provider=SONDRIO)
    assert response.status_code == 400
    assert message in errors_of("provider", response.text) and SONDRIO in errors_of("provider", response.text)
    assert f'value="{SONDRIO}"' in response.text  # what was typed stays in the field
    assert state(demo_app) == before
    # The organisation did not come into Bergamo's territory: still unseen, still unchangeable.
    assert bergamo.get(f"/manage/organisations/{world['sondrio']}").status_code == 404
    page = bergamo.get("/manage/services/new")
    changed = bergamo.post(
        f"/manage/organisations/{world['sondrio']}",
        data={
            "csrf_token": token(page.text),
            "name": SONDRIO,
            "type": "public",
            "website": "https://x.example",
        },
    )
    assert changed.status_code == 404 and state(demo_app) == before


def test_a_new_listing_cannot_name_it_either(demo_app, world, bergamo):
    from tests.support.manage import new_listing_data

    page = bergamo.get("/manage/services/new?lang=en")
    before = state(demo_app)
    response = bergamo.post(
        "/manage/services/new?lang=en",
        data=new_listing_data(page.text, ats="Bergamo", municipalities="Bergamo", provider=SONDRIO),
    )
    assert response.status_code == 400 and REFUSED_EN in errors_of("provider", response.text)
    assert state(demo_app) == before


def test_a_manager_names_an_organisation_of_their_territory_or_a_new_one(demo_app, world, bergamo):
    uuid = world["bergamo"][0]
    response = save_listing(bergamo, demo_app, uuid, provider=world["bergamo_org"])
    assert response.status_code == 302, errors_of("provider", response.text)
    assert current(demo_app, uuid)["provider"] == world["bergamo_org"]
    response = save_listing(
        bergamo, demo_app, uuid, provider="Cooperativa Nuova Orobica", provider_type="non_profit"
    )
    assert response.status_code == 302
    assert current(demo_app, uuid)["provider"] == "Cooperativa Nuova Orobica"


def test_an_organisation_linked_by_an_admin_may_be_named_by_the_territory(demo_app, world, admin, bergamo):
    # The admin may name any organisation (a Sondrio provider for a Bergamo listing, say)...
    response = save_listing(admin, demo_app, world["bergamo"][1], provider=SONDRIO)
    assert response.status_code == 302
    link_provider(demo_app, world["bergamo"][1], SONDRIO)
    # ... and what Bergamo sees in its territory, Bergamo may name.
    response = save_listing(bergamo, demo_app, world["bergamo"][0], provider=SONDRIO)
    assert response.status_code == 302
    assert current(demo_app, world["bergamo"][0])["provider"] == SONDRIO


# --- service -> alliance ----------------------------------------------------------------------------------


def test_a_manager_cannot_name_another_atss_alliance(demo_app, world, bergamo):
    before = state(demo_app)
    for lang, words in (("en", "belongs to ATS Montagna, not to ATS Bergamo"), ("it", "appartiene all")):
        response = save_listing(
            bergamo, demo_app, world["bergamo"][0], lang, alliance=world["montagna_alliance"]
        )
        assert response.status_code == 400
        assert words in errors_of("alliance", response.text)
    assert state(demo_app) == before
    response = save_listing(bergamo, demo_app, world["bergamo"][0], alliance=world["alliance_b"])
    assert response.status_code == 302
    assert current(demo_app, world["bergamo"][0])["alliance"] == world["alliance_b"]


def test_an_alliance_editor_cannot_name_another_alliance(demo_app, world, editor):
    before = state(demo_app)
    for lang, words in (("en", "must be your alliance"), ("it", world["alliance_a"])):
        response = save_listing(editor, demo_app, world["listing_a"], lang, alliance=world["alliance_b"])
        assert response.status_code == 400 and words in errors_of("alliance", response.text)
    assert state(demo_app) == before


def test_an_alliance_editor_names_only_the_organisations_of_their_alliance(demo_app, world, editor):
    before = state(demo_app)
    for lang, message in (("en", REFUSED_EN), ("it", REFUSED_IT)):
        # A member of alliance B only, in the same ATS, and Montagna's organisation: both outside alliance A.
        for name in (world["only_b"], SONDRIO):
            response = save_listing(editor, demo_app, world["listing_a"], lang, provider=name)
            assert response.status_code == 400 and message in errors_of("provider", response.text)
            assert f'value="{name}"' in response.text
    assert state(demo_app) == before
    response = save_listing(editor, demo_app, world["listing_a"], provider=world["member_of_a"])
    assert response.status_code == 302
    assert current(demo_app, world["listing_a"])["provider"] == world["member_of_a"]


# --- alliance -> member, alliance -> lead -----------------------------------------------------------------


def add_member(client, uuid: str, name: str, lang: str = "en"):
    page = client.get(f"/manage/alliances/{uuid}?lang={lang}")
    return client.post(
        f"/manage/alliances/{uuid}/members?lang={lang}",
        data={
            "member-csrf_token": token(page.text),
            "member-organisation": name,
            "member-role": "partner",
        },
    )


def members(app, uuid: str) -> set[str]:
    with app.app_context():
        alliance = db.session.execute(db.select(Alliance).filter_by(uuid=uuid)).scalar_one()
        return {member.organisation.name for member in alliance.members}


@pytest.mark.parametrize("lang,message", [("en", REFUSED_EN), ("it", REFUSED_IT)])
def test_a_manager_cannot_add_another_territorys_organisation_as_member(
    demo_app, world, bergamo, lang, message
):
    before = state(demo_app)
    response = add_member(bergamo, world["alliance_a_uuid"], SONDRIO, lang)
    assert response.status_code == 400
    assert message in errors_of("member-organisation", response.text)
    assert f'value="{SONDRIO}"' in response.text
    assert f'value="{world["alliance_a"]}"' in response.text  # the alliance's own form shows its values
    assert state(demo_app) == before
    assert bergamo.get(f"/manage/organisations/{world['sondrio']}").status_code == 404


def test_a_manager_adds_a_member_of_their_territory(demo_app, world, bergamo):
    name = next(
        org for org in world["bergamo_orgs"] if org not in members(demo_app, world["alliance_a_uuid"])
    )
    response = add_member(bergamo, world["alliance_a_uuid"], name)
    assert response.status_code == 302
    assert name in members(demo_app, world["alliance_a_uuid"])


def test_an_unknown_member_is_not_created_by_naming_it(demo_app, world, bergamo):
    before = state(demo_app)
    response = add_member(bergamo, world["alliance_a_uuid"], "Associazione che non esiste")
    assert response.status_code == 302
    assert "No organisation has this name" in bergamo.get(response.headers["Location"]).text
    assert state(demo_app) == before


def alliance_form(client, uuid: str | None, lang: str = "en", **changes):
    address = f"/manage/alliances/{uuid}" if uuid else "/manage/alliances/new"
    page = client.get(f"{address}?lang={lang}")
    data = {
        "csrf_token": token(page.text),
        "name": re.search(r'id="name" [^>]*value="([^"]*)"', page.text).group(1) if uuid else "",
        "ats": "Bergamo",
        "period_start": "",
        "period_end": "",
        "lead": re.search(r'id="lead" [^>]*value="([^"]*)"', page.text).group(1) if uuid else "",
    } | changes
    return client.post(f"{address}?lang={lang}", data=data)


@pytest.mark.parametrize("lang,message", [("en", REFUSED_EN), ("it", REFUSED_IT)])
def test_a_manager_cannot_make_another_territorys_organisation_the_lead(
    demo_app, world, bergamo, lang, message
):
    before = state(demo_app)
    response = alliance_form(bergamo, world["alliance_a_uuid"], lang, lead=SONDRIO)
    assert response.status_code == 400 and message in errors_of("lead", response.text)
    assert f'value="{SONDRIO}"' in response.text
    response = alliance_form(bergamo, None, lang, name="Alleanza Orobica Nuova", lead=SONDRIO)
    assert response.status_code == 400 and message in errors_of("lead", response.text)
    assert state(demo_app) == before


def test_a_manager_makes_an_organisation_of_their_territory_the_lead(demo_app, world, bergamo):
    lead = world["bergamo_org"]
    response = alliance_form(bergamo, world["alliance_a_uuid"], lead=lead)
    assert response.status_code == 302, errors_of("lead", response.text)
    with demo_app.app_context():
        alliance = db.session.execute(db.select(Alliance).filter_by(name=world["alliance_a"])).scalar_one()
        assert alliance.lead.name == lead
    response = alliance_form(bergamo, None, name="Alleanza Orobica Nuova", lead=lead)
    assert response.status_code == 302
    with demo_app.app_context():
        alliance = operations.find_alliance("Alleanza Orobica Nuova")
        assert alliance.ats == "Bergamo" and alliance.lead.name == lead


# --- who changes an organisation seen in several territories ----------------------------------------------


def edit_organisation(client, uuid: str, lang: str = "en", **changes):
    page = client.get(f"/manage/organisations/{uuid}?lang={lang}")
    data = {
        "csrf_token": token(page.text),
        "name": SONDRIO,
        "type": re.search(r'<option selected value="([^"]+)"', page.text).group(1),
        "municipality": "Sondrio",
        "website": "https://www.comune.sondrio.it",
        "email": "",
        "phone": "",
    } | changes
    return page, client.post(f"/manage/organisations/{uuid}?lang={lang}", data=data)


def website(app, organisation_id: int) -> str:
    with app.app_context():
        return db.session.get(Organisation, organisation_id).website


def test_an_organisation_serving_two_atss_is_changed_by_its_owner_only(
    demo_app, world, bergamo, montagna, admin
):
    link_provider(demo_app, world["bergamo"][1], SONDRIO)  # an admin's choice: Sondrio serves Bergamo too
    before = state(demo_app)
    for lang, words in (("en", "belongs to ATS Montagna"), ("it", "appartiene all'ATS Montagna")):
        page, response = edit_organisation(
            bergamo, world["sondrio"], lang, website="https://sondrio.example.org"
        )
        assert page.status_code == 200 and words in html.unescape(page.text)  # seen, with whom to ask
        assert response.status_code == 403 and words in html.unescape(response.text)
        assert state(demo_app) == before
    _, response = edit_organisation(montagna, world["sondrio"], website="https://montagna.example.org")
    assert response.status_code == 302
    assert website(demo_app, world["sondrio_id"]) == "https://montagna.example.org"
    _, response = edit_organisation(admin, world["sondrio"], website="https://regione.example.org")
    assert response.status_code == 302
    assert website(demo_app, world["sondrio_id"]) == "https://regione.example.org"


def test_an_organisation_without_municipality_is_owned_by_the_one_ats_that_refers_to_it(
    demo_app, world, bergamo, montagna, admin
):
    with demo_app.app_context():
        shared = operations.create_organisation("Cooperativa Due Valli", "non_profit")
        uuid, shared_id = shared.uuid, shared.id
        db.session.commit()
    link_provider(demo_app, world["bergamo"][2], "Cooperativa Due Valli")
    # Only Bergamo's listings refer to it: Bergamo owns it.
    _, response = edit_organisation(
        bergamo, uuid, name="Cooperativa Due Valli", municipality="Bergamo", website="https://a.example.org"
    )
    assert response.status_code == 302 and website(demo_app, shared_id) == "https://a.example.org"
    # Referred to by Montagna too, and without municipality: only an admin changes it.
    with demo_app.app_context():
        organisation = db.session.get(Organisation, shared_id)
        operations.update_organisation(organisation, {"name": organisation.name, "municipality_code": None})
        db.session.commit()
    with demo_app.app_context():
        montagna_uuid = db.session.get(Service, world["montagna_listing_id"]).uuid
    link_provider(demo_app, montagna_uuid, "Cooperativa Due Valli")
    before = state(demo_app)
    for client, municipality in ((bergamo, "Bergamo"), (montagna, "Sondrio")):
        page, response = edit_organisation(
            client,
            uuid,
            name="Cooperativa Due Valli",
            municipality=municipality,
            website="https://b.example.org",
        )
        assert page.status_code == 200 and "only a regional administrator" in page.text
        assert response.status_code == 403 and "only a regional administrator" in response.text
    assert state(demo_app) == before
    _, response = edit_organisation(
        admin, uuid, name="Cooperativa Due Valli", municipality="", website="https://c.example.org"
    )
    assert response.status_code == 302 and website(demo_app, shared_id) == "https://c.example.org"


# --- overlap merge target ---------------------------------------------------------------------------------


def decide(client, ids: list[int], decision: str):
    page = client.get("/manage/insights/overlaps?lang=en")
    return client.post(
        "/manage/insights/overlaps?lang=en",
        data={"csrf_token": token(page.text), "ids": [str(i) for i in ids], **_decision(decision)},
    )


def _decision(decision: str) -> dict[str, str]:
    """The form of a decision: "distinct", or "keep-<id>" (merge into that listing, the providers checked)."""
    if decision.startswith("keep-"):
        return {"decision": "merge", "keep": decision.removeprefix("keep-"), "providers_checked": "1"}
    return {"decision": decision}


def test_a_listing_cannot_be_merged_into_another_territorys(demo_app, world, bergamo):
    own, other = world["bergamo_ids"][0], world["montagna_listing_id"]
    before = state(demo_app)
    assert decide(bergamo, [own, other], f"keep-{other}").status_code == 404
    assert decide(bergamo, [own, other], f"keep-{own}").status_code == 404
    # A target that is not one of the group named: refused as a bad request.
    assert decide(bergamo, [own, world["bergamo_ids"][1]], f"keep-{other}").status_code == 400
    assert state(demo_app) == before
    response = decide(bergamo, [own, world["bergamo_ids"][1]], f"keep-{own}")
    assert response.status_code == 302
    with demo_app.app_context():
        merged = db.session.get(Service, world["bergamo_ids"][1])
        assert merged.merged_into_id == own and merged.status == "archived"


# --- import rows ------------------------------------------------------------------------------------------


def bergamo_file(**cells) -> bytes:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    row = dict.fromkeys(CSV_COLUMNS, "") | {
        "external_id": "BG-REF-01",
        "title": "Spazio compiti in biblioteca",
        "audience": "persons",
        "category": "P2",
        "ats": "Bergamo",
        "municipalities": "Bergamo",
        "cost": "free",
        "status": "draft",
    }
    writer.writerow(row | cells)
    return output.getvalue().encode("utf-8")


def upload(client, data: bytes, lang: str = "en"):
    page = client.get(f"/manage/import?lang={lang}")
    return client.post(
        f"/manage/import?lang={lang}",
        data={"csrf_token": token(page.text), "file": (io.BytesIO(data), "righe.csv", "text/csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "cells,column,words",
    [
        ({"provider": SONDRIO}, "provider", REFUSED_EN),
        (
            {"provider": "Cooperativa Orobica Test", "provider_type": "non_profit"},
            "alliance",
            "belongs to ATS",
        ),
    ],
)
def test_import_rows_cannot_name_another_territorys_provider_or_alliance(
    demo_app, world, bergamo, cells, column, words
):
    if column == "alliance":
        cells = cells | {"alliance": world["montagna_alliance"]}
    before = state(demo_app)
    response = upload(bergamo, bergamo_file(**cells))
    assert response.status_code == 400
    label = {"provider": "Provider", "alliance": "Alliance"}[column]  # the report groups by the field's label
    assert re.search(
        rf'card-title">{label}</h3>.*?<span class="wp-lines">line 2</span>: [^<]*{re.escape(words)}',
        response.text,
        re.DOTALL,
    )
    assert state(demo_app) == before
    with demo_app.app_context():
        assert operations.service_by_external_id("BG-REF-01") is None


def test_import_rows_naming_the_territorys_provider_are_imported(demo_app, world, bergamo):
    data = bergamo_file(provider=world["bergamo_org"], alliance=world["alliance_a"])
    preview = upload(bergamo, data)
    assert preview.status_code == 200, preview.text[-2000:]
    payload = re.search(r'name="payload" value="([^"]+)"', preview.text).group(1)
    response = bergamo.post(
        "/manage/import/confirm?lang=en", data={"csrf_token": token(preview.text), "payload": payload}
    )
    assert response.status_code == 302
    with demo_app.app_context():
        service = operations.service_by_external_id("BG-REF-01")
        assert service.provider.name == world["bergamo_org"] and service.alliance.name == world["alliance_a"]


# --- a restored version names what it named then -----------------------------------------------------------


def test_restoring_a_version_cannot_bring_back_another_territorys_provider(demo_app, world, bergamo):
    uuid = world["bergamo"][0]
    link_provider(demo_app, uuid, SONDRIO)  # an admin's choice, since taken back
    link_provider(demo_app, uuid, world["bergamo_providers"][0])
    with demo_app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=uuid)).unique().scalar_one()
        revision = next(r for r in reversed(service.revisions) if r.snapshot.get("provider") == SONDRIO)
        revision_id = revision.id
    page = bergamo.get(f"/manage/services/{uuid}/history?lang=en")
    before = state(demo_app)
    with demo_app.app_context():
        version = db.session.execute(db.select(Service.version).filter_by(uuid=uuid)).scalar_one()
    response = bergamo.post(
        f"/manage/services/{uuid}/history/{revision_id}/restore?lang=en",
        data={"csrf_token": token(page.text), "version": str(version)},
        follow_redirects=True,
    )
    assert REFUSED_EN in response.text
    assert state(demo_app) == before
    assert current(demo_app, uuid)["provider"] == world["bergamo_providers"][0]


# --- the names in the messages are text, never markup ------------------------------------------------------


def test_a_name_in_a_refusal_is_shown_as_text(demo_app, world, bergamo):
    with demo_app.app_context():
        sondrio = db.session.get(Organisation, world["sondrio_id"])
        operations.create_organisation(
            "Cooperativa <b>Sondalo</b>", "non_profit", municipality_code=sondrio.municipality_code
        )
        db.session.commit()
    response = save_listing(bergamo, demo_app, world["bergamo"][0], provider="Cooperativa <b>Sondalo</b>")
    assert response.status_code == 400
    assert "&lt;b&gt;Sondalo&lt;/b&gt;" in errors_of("provider", response.text)
    assert "<b>Sondalo</b>" not in response.text  # neither under the field nor in the summary at the top


def test_a_search_parameter_in_a_message_is_shown_as_text(client):
    response = client.get("/search?audience=<b>famiglie</b>&lang=en")
    assert response.status_code == 200
    assert "&lt;b&gt;famiglie&lt;/b&gt;" in response.text and "<b>famiglie</b>" not in response.text
