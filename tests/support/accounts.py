"""Helpers for the tests of accounts (issue 25, points 2 and 3): a provider's organisation in the demo, the
e-mails an app wrote to its outbox, and the links they carry."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func

from tests.support.mail import links_in, outbox
from welfarepoint import mail
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db


@dataclass(frozen=True)
class ProviderOrganisation:
    """A demo organisation that provides published listings in ATS Montagna, and a listing it does not provide."""

    name: str
    uuid: str
    listings: list[str]  # the uuids of its listings
    published: str  # one of its published listings
    other: str  # a Montagna listing of another provider


def provider_organisation(app) -> ProviderOrganisation:
    """The Montagna organisation with the most published listings (at least two)."""
    with app.app_context():
        counted = func.count(Service.id)
        organisation_id = db.session.execute(
            db.select(Service.provider_id)
            .where(Service.ats == "Montagna", Service.status == "published")
            .group_by(Service.provider_id)
            .order_by(counted.desc(), Service.provider_id)
            .limit(1)
        ).scalar_one()
        organisation = db.session.get(Organisation, organisation_id)
        listings = db.session.execute(
            db.select(Service.uuid, Service.status).where(Service.provider_id == organisation_id)
        ).all()
        other = db.session.execute(
            db.select(Service.uuid)
            .where(Service.ats == "Montagna", Service.provider_id != organisation_id)
            .order_by(Service.id)
            .limit(1)
        ).scalar_one()
        return ProviderOrganisation(
            name=organisation.name,
            uuid=organisation.uuid,
            listings=[row.uuid for row in listings],
            published=next(row.uuid for row in listings if row.status == "published"),
            other=other,
        )


def delivered(app) -> list:
    """Send what is queued (as the job runner does) and return every message of the outbox, oldest first."""
    with app.app_context():
        mail.deliver_pending()
    return outbox(app)


def messages_to(app, address: str) -> list:
    """The messages of the outbox sent to ``address``."""
    return [message for message in delivered(app) if address.lower() in str(message["To"]).lower()]


def link_to(app, address: str, path: str) -> str:
    """The path (without its query, ``?lang=``) of the last link under ``path`` e-mailed to ``address``."""
    messages = messages_to(app, address)
    assert messages, f"no e-mail to {address}"
    links = [link for link in links_in(messages[-1]) if path in link]
    assert links, f"no {path} link in the e-mail to {address}"
    return links[0][links[0].index(path) :].split("?")[0]
