"""Merging an organisation recorded twice: listings and memberships move, the old address leads to the one kept,
the history of each moved listing says so; organisations created without a type wait to be classified."""

from __future__ import annotations

import html

from tests.support.manage import account, sign_in, signed_in, token
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Revision, Service
from welfarepoint.extensions import db


def test_merging_moves_listings_and_memberships_and_the_old_address_redirects(demo_app):
    with demo_app.app_context():
        alliance = db.session.execute(db.select(Alliance).filter_by(ats="Montagna")).scalars().first()
        merged = alliance.members[0].organisation
        role = alliance.members[0].role
        twin = operations.create_organisation(
            merged.name + " (doppione)", merged.type, municipality_code=merged.municipality_code
        )
        db.session.commit()
        listings = set(db.session.execute(db.select(Service.id).filter_by(provider_id=merged.id)).scalars())
        merged_uuid, twin_uuid, name, twin_name = merged.uuid, twin.uuid, merged.name, twin.name
        alliance_id = alliance.id
    client = signed_in(
        demo_app, account(demo_app, "lucia@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    page = client.get(f"/manage/organisations/{merged_uuid}?lang=en")
    assert "Merge with another organisation" in page.text and f'value="{twin_uuid}"' in page.text
    response = client.post(
        f"/manage/organisations/{merged_uuid}/merge?lang=en",
        data={"csrf_token": token(page.text), "into": twin_uuid},
    )
    assert response.status_code == 302 and response.location.endswith(f"/manage/organisations/{twin_uuid}")
    kept_page = client.get(response.location)
    assert f"is merged into this organisation: {len(listings)} listing" in html.unescape(kept_page.text)
    old = client.get(f"/manage/organisations/{merged_uuid}")
    assert old.status_code == 301 and old.location.endswith(f"/manage/organisations/{twin_uuid}")
    with demo_app.app_context():
        twin = db.session.execute(db.select(Organisation).filter_by(uuid=twin_uuid)).scalar_one()
        assert (
            set(db.session.execute(db.select(Service.id).filter_by(provider_id=twin.id)).scalars())
            == listings
        )
        assert db.session.get(AllianceMember, (alliance_id, twin.id)).role == role
        assert (
            db.session.execute(db.select(Organisation).filter_by(uuid=merged_uuid)).scalar_one_or_none()
            is None
        )
        some = next(iter(listings))
        revision = (
            db.session.execute(db.select(Revision).filter_by(service_id=some).order_by(Revision.id.desc()))
            .scalars()
            .first()
        )
        assert revision.action == "provider_merged" and revision.changes["provider"] == [name, twin_name]
    history = client.get(f"/manage/services/{db_uuid(demo_app, some)}/history?lang=en")
    assert "Provider merged into another organisation" in history.text


def db_uuid(app, service_id: int) -> str:
    with app.app_context():
        return db.session.get(Service, service_id).uuid


def test_an_editor_cannot_merge_and_another_territory_is_not_found(demo_app):
    with demo_app.app_context():
        pavia = (
            db.session.execute(db.select(Alliance).filter_by(ats="Pavia"))
            .scalars()
            .first()
            .members[0]
            .organisation.uuid
        )
        montagna = (
            db.session.execute(db.select(Alliance).filter_by(ats="Montagna"))
            .scalars()
            .first()
            .members[0]
            .organisation.uuid
        )
    client = signed_in(
        demo_app, account(demo_app, "lucia@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    page = client.get("/manage/organisations")
    response = client.post(
        f"/manage/organisations/{pavia}/merge", data={"csrf_token": token(page.text), "into": montagna}
    )
    assert response.status_code == 404


def test_organisations_created_without_a_type_are_listed_until_classified(demo_app):
    with demo_app.app_context():
        operations.create_organisation("Associazione Senza Tipo", "", municipality_code="014061")
        db.session.commit()
    client = signed_in(
        demo_app, account(demo_app, "lucia@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    page = client.get("/manage/organisations?lang=en")
    assert "1 organisation to be classified" in page.text and "Associazione Senza Tipo" in page.text
    with demo_app.app_context():
        organisation = operations.find_organisation("Associazione Senza Tipo")
        organisation.type = "non_profit"
        db.session.commit()
    assert "to be classified" not in client.get("/manage/organisations?lang=en").text


def test_a_providers_account_follows_its_organisation_into_the_one_kept(demo_app):
    from tests.support.accounts import provider_organisation
    from welfarepoint.accounts.operations import create_user

    organisation = provider_organisation(demo_app)
    with demo_app.app_context():
        provider = operations.find_organisation(organisation.name)
        twin = operations.create_organisation(
            provider.name + " (doppione)", provider.type, municipality_code=provider.municipality_code
        )
        user = create_user("segreteria@coop.example.org", "girasoli sul balcone 2026", "provider")
        user.ats, user.organisation_id = "Montagna", provider.id
        db.session.commit()
        twin_uuid = twin.uuid
    manager = signed_in(
        demo_app, account(demo_app, "lucia@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    page = manager.get(f"/manage/organisations/{organisation.uuid}?lang=en")
    merged = manager.post(
        f"/manage/organisations/{organisation.uuid}/merge?lang=en",
        data={"csrf_token": token(page.text), "into": twin_uuid},
    )
    assert merged.status_code == 302
    client = demo_app.test_client()
    assert sign_in(client, "segreteria@coop.example.org", "girasoli sul balcone 2026").status_code == 302
    for uuid in organisation.listings:  # the provider still sees every listing it provides
        assert client.get(f"/manage/services/{uuid}").status_code == 200
    assert client.get(f"/manage/services/{organisation.other}").status_code == 404


def test_the_open_data_address_of_a_merged_organisation_leads_to_the_one_it_was_merged_into(demo_app):
    with demo_app.app_context():
        listing = db.session.execute(db.select(Service).filter_by(status="published")).scalars().first()
        merged = listing.provider
        twin = operations.create_organisation(
            merged.name + " (doppione)", merged.type, municipality_code=merged.municipality_code
        )
        db.session.commit()
        merged_uuid, twin_uuid, ats = merged.uuid, twin.uuid, listing.ats
    public = demo_app.test_client()
    assert public.get(f"/api/v1/organizations/{merged_uuid}").status_code == 200
    client = signed_in(demo_app, account(demo_app, "merge@ats.example.org", "ats_manager", ats=ats))
    page = client.get(f"/manage/organisations/{merged_uuid}?lang=en")
    merged = client.post(
        f"/manage/organisations/{merged_uuid}/merge?lang=en",
        data={"csrf_token": token(page.text), "into": twin_uuid},
    )
    assert merged.status_code == 302

    old = public.get(f"/api/v1/organizations/{merged_uuid}?lang=en")
    assert old.status_code == 301
    assert old.location.endswith(f"/api/v1/organizations/{twin_uuid}?lang=en")
    kept = public.get(old.location)
    assert kept.status_code == 200 and kept.get_json()["id"] == twin_uuid and kept.get_json()["services"]
    # Whatever the query holds (a parameter named like the address's own, repeated ones) goes along as it came.
    odd = public.get(f"/api/v1/organizations/{merged_uuid}?organization_id=x&lang=en&lang=it")
    assert odd.status_code == 301
    assert odd.location.endswith(f"/api/v1/organizations/{twin_uuid}?organization_id=x&lang=en&lang=it")
    assert public.get("/api/v1/organizations/bcc6046b-df40-4b0d-bc73-9920cc8f954a").status_code == 404
