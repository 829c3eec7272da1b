"""The provider's role (issue 25, point 3): one organisation's listings, seen and edited; drafts for it; changes to
a published listing held for review by the alliance or the ATS; never published by the provider; 404 on the
listings of other providers."""

from __future__ import annotations

import pytest

from tests.support.accounts import provider_organisation
from tests.support.manage import form_data, listing, new_listing_data, sign_in, token
from welfarepoint.accounts.operations import create_user
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.operations import find_organisation
from welfarepoint.extensions import db

PROVIDER = "segreteria@cooperativa-il-girasole.org"


@pytest.fixture
def organisation(demo_app):
    return provider_organisation(demo_app)


@pytest.fixture
def provider(demo_app, organisation):
    """A provider's account of the organisation, signed in (made as an invitation would, then given a password)."""
    with demo_app.app_context():
        user = create_user(PROVIDER, "girasoli sul balcone 2026", "provider")
        user.ats, user.organisation_id = "Montagna", find_organisation(organisation.name).id
        db.session.commit()
    client = demo_app.test_client()
    assert sign_in(client, PROVIDER, "girasoli sul balcone 2026").status_code == 302
    return client


def test_a_provider_sees_only_its_organisations_listings(demo_app, organisation, provider):
    page = provider.get("/manage/services?lang=en").text
    for uuid in organisation.listings:
        assert f"/manage/services/{uuid}" in page
    assert f"/manage/services/{organisation.other}" not in page
    assert provider.get(f"/manage/services/{organisation.other}").status_code == 404
    assert provider.get(f"/manage/services/{organisation.other}/history").status_code == 404
    export = provider.get("/manage/services/export.csv").get_data(as_text=True)
    assert len(export.strip().splitlines()) == 1 + len(organisation.listings)


def test_a_providers_change_to_a_published_listing_is_held_for_review(demo_app, organisation, provider, auth):
    uuid = organisation.published
    before = listing(demo_app, uuid=uuid)
    page = provider.get(f"/manage/services/{uuid}").text
    data = form_data(demo_app, uuid, page, schedule_notes="Dal lunedì al venerdì, 8-13 (orario 2027)")
    response = provider.post(f"/manage/services/{uuid}", data=data)
    assert response.status_code == 302
    after = listing(demo_app, uuid=uuid)
    assert (
        after.status == "published" and after.schedule_notes == before.schedule_notes
    )  # the public's version
    assert after.draft["cells"]["schedule_notes"] == "Dal lunedì al venerdì, 8-13 (orario 2027)"
    assert after.draft["author"] == PROVIDER
    manager = auth("ats_manager")
    inbox = manager.get("/manage/?lang=en").text
    held = inbox.split('id="held"')[1].split("</section>")[0]
    assert after.title in held and PROVIDER in held


def test_a_provider_never_publishes(demo_app, organisation, provider):
    uuid = organisation.published
    page = provider.get(f"/manage/services/{uuid}").text
    data = form_data(demo_app, uuid, page, schedule_notes="Orario nuovo", action="publish")
    assert provider.post(f"/manage/services/{uuid}", data=data).status_code == 403
    status = provider.post(
        f"/manage/services/{uuid}/status",
        data={"csrf_token": token(page), "action": "publish", "version": "1"},
    )
    assert status.status_code == 403
    assert listing(demo_app, uuid=uuid).draft is None


def test_a_provider_creates_a_draft_of_its_organisation_only(demo_app, organisation, provider):
    page = provider.get("/manage/services/new?lang=en").text
    assert f'value="{organisation.name}"' in page  # the provider is filled in
    elsewhere = provider.post(
        "/manage/services/new?lang=en",
        data=new_listing_data(
            page, title="Centro estivo di un altro ente", provider="Cooperativa Sociale Alta Valle Test"
        ),
    )
    assert (
        elsewhere.status_code == 400 and f"must be your organisation, {organisation.name}" in elsewhere.text
    )
    assert listing(demo_app, title="Centro estivo di un altro ente") is None
    own = provider.post(
        "/manage/services/new?lang=en",
        data=new_listing_data(
            page, title="Centro estivo del Girasole", provider=organisation.name, alliance=""
        ),
    )
    assert own.status_code == 302, own.text
    created = listing(demo_app, title="Centro estivo del Girasole")
    assert created.status == "draft"
    published = provider.post(
        "/manage/services/new?lang=en",
        data=new_listing_data(
            page, title="Pubblicato subito?", provider=organisation.name, alliance="", action="publish"
        ),
    )
    assert published.status_code == 403


def test_a_provider_has_no_network_import_or_insights(demo_app, organisation, provider):
    for path in (
        "/manage/organisations",
        f"/manage/organisations/{organisation.uuid}",
        "/manage/import",
        "/manage/insights",
        "/manage/alliances",
    ):
        assert provider.get(path).status_code == 403, path
    nav = provider.get("/manage/?lang=en").text
    assert "/manage/import" not in nav and "/manage/organisations" not in nav
    assert "/manage/account" in nav


def test_the_provider_role_in_sql_keeps_to_its_organisation(demo_app, organisation):
    from welfarepoint.accounts import scope
    from welfarepoint.accounts.models import User

    with demo_app.app_context():
        org = find_organisation(organisation.name)
        user = User(
            email="x@example.org", password_hash="", role="provider", organisation_id=org.id, ats="Montagna"
        )
        seen = db.session.execute(scope.services(user)).unique().scalars().all()
        assert {service.provider_id for service in seen} == {org.id}
        assert (
            len(seen)
            == db.session.execute(
                db.select(db.func.count()).select_from(Service).where(Service.provider_id == org.id)
            ).scalar_one()
        )
        assert not scope.may(user, "publish") and not scope.may(user, "invite") and scope.may(user, "verify")
