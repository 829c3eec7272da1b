"""What a provider's answer does: "still correct" records the check, "needs changes" a correction for the
managers, and an answer to a public correction is kept on it and in the listing's history.

Each function changes the session and lets the caller commit (the view, after :func:`signed.use_once`).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Feedback, Service, now_utc
from welfarepoint.catalog.operations import CatalogError
from welfarepoint.catalog.validation import clean_text
from welfarepoint.extensions import db
from welfarepoint.freshness.links import ListingLink, cycle_of
from welfarepoint.freshness.models import Reminder

#: The longest answer a provider may write to a correction.
ANSWER_MAX = 2000


def already_checked(service: Service, link: ListingLink) -> bool:
    """Whether the listing was checked since the link was sent (by this link, another, or a manager)."""
    return cycle_of(service) != link.cycle


def _answer_reminders(service: Service, link: ListingLink, answer: str) -> None:
    moment = now_utc()
    rows = db.session.execute(
        db.select(Reminder).where(
            Reminder.service_id == service.id,
            Reminder.cycle == link.cycle,
            Reminder.recipient == link.recipient,
            Reminder.answer == "",
        )
    ).scalars()
    for reminder in rows:
        reminder.answer, reminder.answered_at = answer, moment


def answered_by_editing(service: Service, user) -> None:
    """A provider's account that saves or submits a change to the listing has answered its reminders of the
    listing's current check: "needs changes", the change being in the managers' inbox."""
    if getattr(user, "role", None) != "provider":
        return
    moment = now_utc()
    rows = db.session.execute(
        db.select(Reminder).where(
            Reminder.service_id == service.id,
            Reminder.cycle == cycle_of(service),
            Reminder.user_id == user.id,
            Reminder.answer == "",
        )
    ).scalars()
    for reminder in rows:
        reminder.answer, reminder.answered_at = "changes", moment


def confirm(service: Service, link: ListingLink, today: date | None = None) -> None:
    """Record that the recipient of ``link`` says the listing is still correct: checked today, by them."""
    if service.status != "published":
        raise CatalogError(_l("This listing is no longer published: there is nothing to confirm."))
    _answer_reminders(service, link, "verified")
    operations.mark_verified(service, author=link.recipient, on=today)


def ask_changes(service: Service, link: ListingLink, kind: str, message: str) -> Feedback:
    """Queue what the provider says needs changing as a correction in the managers' inbox, marked as the
    provider's (with their address, unlike the public's)."""
    feedback = operations.suggest_correction(service, kind, message)
    feedback.from_provider = link.recipient
    _answer_reminders(service, link, "changes")
    db.session.flush()
    return feedback


def answer_correction(feedback: Feedback, recipient: str, text: str) -> None:
    """Keep the provider's answer to a public correction, and write it into the listing's history."""
    if feedback.answer:
        raise CatalogError(_l("This correction has already been answered."))
    text = clean_text(text or "")
    if not text:
        raise CatalogError(_l("Write your answer."))
    if len(text) > ANSWER_MAX:
        raise CatalogError(_l("Write at most 2000 characters."))
    feedback.answer, feedback.answered_at, feedback.answered_by = text, now_utc(), recipient
    operations.record_note(feedback.service, "feedback_answered", author=recipient, note=text)
