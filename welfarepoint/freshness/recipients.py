"""Who hears about a listing: its provider (the organisation's provider accounts or, when a manager allows it,
the listing's contact address) and its curators (the ATS managers and the alliance's editors)."""

from __future__ import annotations

from dataclasses import dataclass

from welfarepoint import mail
from welfarepoint.accounts.models import User
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db

#: The language of a message to a bare contact address (nobody chose one): the public's, Italian.
CONTACT_LOCALE = "it"


@dataclass(frozen=True)
class Recipient:
    """One address to write to, in its language; ``user_id`` when it is an account (it may sign in)."""

    address: str
    locale: str
    user_id: int | None = None

    @property
    def has_account(self) -> bool:
        return self.user_id is not None


def _address(typed: str) -> str:
    """``typed`` as one address to write to (as the mail core writes it), "" when it is not one: a line break
    (a header injected), a name with it, two addresses."""
    try:
        return mail.clean_address((typed or "").strip())
    except ValueError:
        return ""


def _as_recipient(user: User) -> Recipient:
    return Recipient(_address(user.email), user.locale if user.locale in ("it", "en") else "it", user.id)


def _usable(recipients: list[Recipient]) -> list[Recipient]:
    return [recipient for recipient in recipients if recipient.address]


def provider_accounts(organisation_id: int) -> list[Recipient]:
    """The active provider accounts of an organisation, by address."""
    users = db.session.execute(
        db.select(User)
        .where(User.role == "provider", User.organisation_id == organisation_id, User.active.is_(True))
        .order_by(User.email)
    ).scalars()
    return _usable([_as_recipient(user) for user in users])


def contact_allowed(service: Service) -> bool:
    """Whether a manager lets reminders and corrections go to this listing's contact address."""
    return bool(service.contact_reminders or (service.provider and service.provider.contact_reminders))


def contact_address(service: Service) -> str:
    """The listing's contact address, else its organisation's ("" when neither has one)."""
    return _address(service.email or (service.provider.email if service.provider else ""))


def providers_of(service: Service, accounts: dict[int, list[Recipient]] | None = None) -> list[Recipient]:
    """Whom to write to about ``service``: its organisation's provider accounts; without any, its contact address
    if a manager allows it; else nobody. ``accounts`` caches the accounts by organisation for a batch."""
    if accounts is None:
        accounts = {}
    if service.provider_id not in accounts:
        accounts[service.provider_id] = provider_accounts(service.provider_id)
    found = accounts[service.provider_id]
    if found:
        return found
    address = contact_address(service)
    if address and contact_allowed(service):
        return [Recipient(address, CONTACT_LOCALE)]
    return []


def curators_of(service: Service) -> list[Recipient]:
    """The active ATS managers of the listing's ATS and editors of its alliance."""
    condition = (User.role == "ats_manager") & (User.ats == service.ats)
    if service.alliance_id is not None:
        condition = condition | ((User.role == "alliance_editor") & (User.alliance_id == service.alliance_id))
    users = db.session.execute(
        db.select(User).where(condition, User.active.is_(True)).order_by(User.email)
    ).scalars()
    return _usable([_as_recipient(user) for user in users])
