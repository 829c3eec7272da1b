"""What the managers see of the freshness e-mails: per listing, who was reminded when and who answered; in the
overdue queue, a listing reminded twice without an answer; and the switch that lets a contact address be used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext

from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db
from welfarepoint.freshness.links import cycle_of
from welfarepoint.freshness.models import Reminder
from welfarepoint.freshness.recipients import contact_address, providers_of

#: How many reminders the listing's form lists (the newest).
SHOWN = 12


def allow_contact(item: Service | Organisation, allowed: bool) -> None:
    """Let (or stop) reminders and forwarded corrections going to a listing's or organisation's contact address.

    Not the listing's content: no revision is recorded, the version is not moved (a form open elsewhere stays
    valid); the caller commits.
    """
    table = type(item).__table__
    db.session.execute(table.update().where(table.c.id == item.id).values(contact_reminders=allowed))
    db.session.expire(item, ["contact_reminders"])


def contact_message(allowed: bool) -> str:
    if allowed:
        return gettext("Reminders and corrections may now go to the contact address.")
    return gettext("Reminders and corrections no longer go to the contact address.")


@dataclass(frozen=True)
class ListingReminders:
    """What the listing's form says of its reminders."""

    reminders: list[Reminder]
    recipients: list[str]
    has_accounts: bool
    contact: str
    allowed: bool
    allowed_by_organisation: bool
    cycle: str


def of_listing(service: Service) -> ListingReminders:
    """The newest reminders of a listing and to whom the next ones would go."""
    reminders = db.session.execute(
        db.select(Reminder)
        .where(Reminder.service_id == service.id)
        .order_by(Reminder.sent_at.desc(), Reminder.id.desc())
        .limit(SHOWN)
    ).scalars()
    recipients = providers_of(service)
    return ListingReminders(
        reminders=list(reminders),
        recipients=[recipient.address for recipient in recipients],
        has_accounts=any(recipient.has_account for recipient in recipients),
        contact=contact_address(service),
        allowed=bool(service.contact_reminders),
        allowed_by_organisation=bool(service.provider and service.provider.contact_reminders),
        cycle=cycle_of(service),
    )


@dataclass(frozen=True)
class Note:
    """What the overdue queue says of a listing's reminders in its current review cycle."""

    rounds: int
    first: datetime | None
    last: datetime | None
    answer: str
    answered_at: datetime | None

    @property
    def twice_unanswered(self) -> bool:
        return self.rounds >= 2 and not self.answer


def notes(items: list[Any]) -> dict[int, Note]:
    """For the overdue queue's rows (anything with a ``service``), the reminders of each listing's current cycle."""
    services = {item.service.id: item.service for item in items}
    if not services:
        return {}
    rows = db.session.execute(
        db.select(Reminder).where(Reminder.service_id.in_(list(services))).order_by(Reminder.id)
    ).scalars()
    found: dict[int, list[Reminder]] = {}
    for reminder in rows:
        if reminder.cycle == cycle_of(services[reminder.service_id]):
            found.setdefault(reminder.service_id, []).append(reminder)
    result = {}
    for service_id, reminders in found.items():
        answered = [reminder for reminder in reminders if reminder.answer]
        result[service_id] = Note(
            rounds=max(reminder.round for reminder in reminders),
            first=reminders[0].sent_at,
            last=reminders[-1].sent_at,
            answer=answered[-1].answer if answered else "",
            answered_at=answered[-1].answered_at if answered else None,
        )
    return result
