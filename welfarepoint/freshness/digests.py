"""The freshness digests: one e-mail a day at most to each provider, naming its listings due for a check.

A published listing is *due* when its review date (:meth:`Service.review_due`) falls within
``FRESH_DIGEST_AHEAD_DAYS`` of today, or has passed, or it was never checked. Each recipient
(:func:`recipients.providers_of`) hears about a listing once per review cycle, then once more
``FRESH_SECOND_REMINDER_DAYS`` after that without an answer; after the second reminder nothing more is sent and the
managers' inbox says it was reminded twice without an answer. A check (by the link, or by a manager) starts a new
cycle. Running the digests twice a day sends nothing more: the message's key is the recipient and the day.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app

from welfarepoint import mail
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.catalog.queries import overdue
from welfarepoint.extensions import db
from welfarepoint.freshness import links
from welfarepoint.freshness.models import Reminder
from welfarepoint.freshness.recipients import Recipient, providers_of

#: Listings read from the database at a time.
BATCH = 500


@dataclass
class Plan:
    """What one recipient's digest names: listings due (first word) and listings reminded again."""

    recipient: Recipient
    first: list[Service] = field(default_factory=list)
    second: list[tuple[Service, datetime]] = field(default_factory=list)


@dataclass
class Summary:
    """What a run of the digests did."""

    digests: int = 0
    listings: int = 0
    second: int = 0
    already: int = 0


def due_ids(today: date) -> list[int]:
    """The published listings whose review date is within ``FRESH_DIGEST_AHEAD_DAYS`` (or past, or never)."""
    ahead = int(current_app.config["FRESH_DIGEST_AHEAD_DAYS"])
    query = db.select(Service.id).where(
        Service.status == "published", overdue(today + timedelta(days=ahead + 1))
    )
    return list(db.session.execute(query.order_by(Service.id)).scalars())


def _reminders_of(ids: list[int]) -> dict[tuple[int, str], list[Reminder]]:
    rows = db.session.execute(db.select(Reminder).where(Reminder.service_id.in_(ids)).order_by(Reminder.id))
    found: dict[tuple[int, str], list[Reminder]] = {}
    for reminder in rows.scalars():
        found.setdefault((reminder.service_id, reminder.recipient), []).append(reminder)
    return found


def plan(today: date) -> dict[str, Plan]:
    """Who gets a digest today, and what it names."""
    again = timedelta(days=int(current_app.config["FRESH_SECOND_REMINDER_DAYS"]))
    plans: dict[str, Plan] = {}
    accounts: dict[int, list[Recipient]] = {}
    ids = due_ids(today)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        services = db.session.execute(db.select(Service).where(Service.id.in_(chunk)).order_by(Service.id))
        sent = _reminders_of(chunk)
        for service in services.unique().scalars():
            cycle = links.cycle_of(service)
            for recipient in providers_of(service, accounts):
                earlier = [r for r in sent.get((service.id, recipient.address), []) if r.cycle == cycle]
                if any(reminder.answer for reminder in earlier):
                    continue
                if not earlier:
                    plans.setdefault(recipient.address, Plan(recipient)).first.append(service)
                elif max(r.round for r in earlier) == 1 and _day(earlier[-1].sent_at) + again <= today:
                    plans.setdefault(recipient.address, Plan(recipient)).second.append(
                        (service, earlier[-1].sent_at)
                    )
    return plans


def _day(moment: datetime) -> date:
    return moment.date()


def _item(service: Service, recipient: Recipient, today: date, reminded: datetime | None = None) -> dict:
    due = service.review_due()
    if recipient.has_account:
        changes = mail.absolute_url(
            "manage.edit_service", uuid=service.uuid, **links.language(recipient.locale)
        )
    else:
        changes = links.changes_url(service, recipient.address, recipient.locale)
    return {
        "title": service.title,
        "provider": service.provider.name if service.provider else "",
        "due": due,
        "overdue_days": None if due is None else (today - due).days,
        "page_url": mail.absolute_url("public.service", slug=service.slug),
        "check_url": links.check_url(service, recipient.address, recipient.locale),
        "changes_url": changes,
        "reminded": reminded,
    }


def digest_key(address: str, today: date) -> str:
    """The message's idempotency key: one digest per recipient per day."""
    return f"fresh-digest:{today.isoformat()}:{hashlib.sha256(address.encode()).hexdigest()[:40]}"


def send_digests(today: date | None = None) -> Summary:
    """Queue today's digests and record a reminder for each listing named (the caller commits)."""
    today = today or date.today()
    summary = Summary()
    for address, entry in sorted(plan(today).items()):
        recipient = entry.recipient
        items = [_item(service, recipient, today) for service in entry.first]
        again = [_item(service, recipient, today, reminded) for service, reminded in entry.second]
        try:
            message = mail.send(
                to=address,
                template="fresh_digest",
                locale=recipient.locale,
                context={
                    "items": items,
                    "again": again,
                    "has_account": recipient.has_account,
                    "ahead_days": int(current_app.config["FRESH_DIGEST_AHEAD_DAYS"]),
                },
                key=digest_key(address, today),
            )
        except ValueError:  # a contact address that is not one plain address: nobody to write to
            continue
        if message is None:
            summary.already += 1
            continue
        sent_at = now_utc()
        for service in entry.first:
            db.session.add(_reminder(service, recipient, 1, sent_at))
        for service, _reminded in entry.second:
            db.session.add(_reminder(service, recipient, 2, sent_at))
        summary.digests += 1
        summary.listings += len(entry.first)
        summary.second += len(entry.second)
    db.session.flush()
    return summary


def _reminder(service: Service, recipient: Recipient, round: int, sent_at: datetime) -> Reminder:
    return Reminder(
        service_id=service.id,
        recipient=recipient.address,
        user_id=recipient.user_id,
        cycle=links.cycle_of(service),
        round=round,
        sent_at=sent_at,
        answer="",
    )
