"""The managers' desk: what is waiting for an account in its territory, item by item (the inbox).

Each section is one question to the database, of the account's territory (:func:`scope.territory_of`), counted
and cut to its first :data:`SHOWN` items in SQL, so the inbox answers as fast with 100,000 listings as with 100:

- *sent back to you*: submissions a manager returned to this account, with the reason, until it submits again;
- *to review*: listings in review and published listings whose changes were submitted (who, when);
- *held changes*: changes of published listings saved but not submitted (who, when);
- *overdue*: published listings whose review interval has passed (days overdue, the provider's contacts);
- *corrections*: the public's open suggestions (the kind the visitor chose, the text, the date);
- *deadlines*: published listings whose enrolment closes within :data:`DEADLINE_DAYS` or closed as long ago;
- *suspicious*: values that contradict each other (a summer period ticked with "all year");
- *duplicates* (a page of its own, it reads every title): the same title more than once in one ATS.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, exists, func, not_, text
from sqlalchemy.orm import aliased, lazyload

from welfarepoint.accounts import scope
from welfarepoint.accounts.models import User
from welfarepoint.catalog.models import CONTRADICTORY_PERIODS, Feedback, Revision, Service
from welfarepoint.catalog.queries import overdue
from welfarepoint.extensions import db
from welfarepoint.paging import page_count, page_within

#: How many items each section of the inbox shows (the rest are a link away).
SHOWN = 10
#: Enrolment deadlines this many days ahead, or passed this many days ago, are in the inbox.
DEADLINE_DAYS = 30
#: A submission is answered (no longer "sent back to you") by one of these actions.
ANSWERING_ACTIONS = ("submit", "publish", "archive", "discard")


@dataclass(frozen=True)
class Section:
    """One section of the inbox: its first items and how many there are in all (None: not counted)."""

    items: list[Any]
    total: int | None


@dataclass(frozen=True)
class Waiting:
    """A listing waiting for somebody: who last put it there and when."""

    service: Service
    who: str
    when: datetime | None


@dataclass(frozen=True)
class Overdue:
    """A published listing past its review date: by how many days (None: never checked)."""

    service: Service
    days: int | None


@dataclass(frozen=True)
class Deadline:
    """A published listing whose enrolment closes on ``deadline``, ``days`` from today (negative: passed)."""

    service: Service
    deadline: date
    days: int


@dataclass(frozen=True)
class Duplicate:
    """A title that more than one listing of an ATS has."""

    ats: str
    title: str
    count: int


def _services(ids: list[int]) -> list[Service]:
    """The listings with these ids, in this order, with their provider (the inbox shows it)."""
    if not ids:
        return []
    rows = db.session.execute(db.select(Service).where(Service.id.in_(ids))).unique().scalars()
    by_id = {service.id: service for service in rows}
    return [by_id[service_id] for service_id in ids if service_id in by_id]


def _count(conditions) -> int:
    return db.session.execute(db.select(func.count()).select_from(Service).where(*conditions)).scalar_one()


def _first(conditions, *order) -> list[Service]:
    ids = db.session.execute(db.select(Service.id).where(*conditions).order_by(*order).limit(SHOWN)).scalars()
    return _services(list(ids))


def _pending() -> Any:
    return Service.id.in_(db.select(Service.id).where(Service.draft.is_not(None)))


def _submitted() -> Any:
    return Service.draft["submitted"].as_boolean()


def to_review(user: User) -> Section:
    """Listings in review and published listings with submitted changes, oldest first.

    Two questions, each answered from its own index (the status's, the few waiting changes'), merged here:
    a listing with changes waiting is published, so none is in both.
    """
    in_review = [*scope.territory_of(user), Service.status == "in_review"]
    submitted = [*scope.territory_of(user), _pending(), _submitted()]
    first = _first(in_review, Service.updated_at, Service.id) + _first(
        submitted, Service.updated_at, Service.id
    )
    first = sorted(first, key=lambda service: (service.updated_at, service.id))[:SHOWN]
    return Section([_waiting(service) for service in first], _count(in_review) + _count(submitted))


def held(user: User) -> Section:
    """Published listings whose changes are saved but not submitted, oldest first."""
    conditions = [*scope.territory_of(user), _pending(), not_(_submitted())]
    services = _first(conditions, Service.updated_at, Service.id)
    return Section([_waiting(service) for service in services], _count(conditions))


def _waiting(service: Service) -> Waiting:
    if service.draft:
        saved = service.draft.get("at")
        return Waiting(
            service, service.draft.get("author", ""), datetime.fromisoformat(saved) if saved else None
        )
    submission = db.session.execute(
        db.select(Revision.author, Revision.at)
        .where(Revision.service_id == service.id, Revision.action == "submit")
        .order_by(Revision.id.desc())
        .limit(1)
    ).first()
    if submission is None:
        return Waiting(service, service.updated_by, service.updated_at)
    return Waiting(service, submission.author, submission.at)


def _overdue_conditions(user: User, today: date) -> list:
    return [*scope.territory_of(user), Service.status == "published", overdue(today)]


def _overdue_order() -> tuple:
    # Never checked first, then the oldest check: the order of the review indexes, so that the first page is
    # read without sorting every overdue listing.
    return (Service.last_verified.asc().nulls_first(), Service.id)


def _as_overdue(service: Service, today: date) -> Overdue:
    due = service.review_due()
    return Overdue(service, None if due is None else (today - due).days)


def overdue_listings(user: User, today: date, total: int | None = None) -> Section:
    """Published listings past their review date: never checked first, then the oldest check (``total``: their
    number when the caller has counted them already)."""
    conditions = _overdue_conditions(user, today)
    services = _first(conditions, *_overdue_order())
    counted = _count(conditions) if total is None else total
    return Section([_as_overdue(service, today) for service in services], counted)


def overdue_page(user: User, today: date, page: int, per_page: int) -> tuple[list[Overdue], int, int, int]:
    """One page of :func:`overdue_listings` (items, total, the page shown, pages)."""
    conditions = _overdue_conditions(user, today)
    total = _count(conditions)
    page = page_within(page, total, per_page)
    ids = db.session.execute(
        db.select(Service.id)
        .where(*conditions)
        .order_by(*_overdue_order())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).scalars()
    items = [_as_overdue(service, today) for service in _services(list(ids))]
    return items, total, page, page_count(total, per_page)


def _feedback_query(user: User):
    query = db.select(Feedback).where(Feedback.status == "open")
    scoped = scope.territory_of(user)
    if scoped:
        query = query.where(Feedback.service_id.in_(db.select(Service.id).where(*scoped)))
    return query


def corrections(user: User) -> Section:
    """The public's open suggestions for the account's listings, newest first."""
    query = _feedback_query(user)
    total = db.session.execute(query.with_only_columns(func.count(Feedback.id))).scalar_one()
    items = db.session.execute(query.order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(SHOWN))
    return Section(list(items.scalars()), total)


def corrections_page(user: User, page: int, per_page: int) -> tuple[list[Feedback], int, int, int]:
    """One page of the open suggestions, newest first (items, total, the page shown, pages)."""
    query = _feedback_query(user)
    total = db.session.execute(query.with_only_columns(func.count(Feedback.id))).scalar_one()
    page = page_within(page, total, per_page)
    items = db.session.execute(
        query.order_by(Feedback.created_at.desc(), Feedback.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return list(items.scalars()), total, page, page_count(total, per_page)


def corrections_of(service: Service) -> list[Feedback]:
    """The open suggestions for one listing, oldest first (pinned beside its form)."""
    query = db.select(Feedback).where(Feedback.service_id == service.id, Feedback.status == "open")
    return list(db.session.execute(query.order_by(Feedback.created_at, Feedback.id)).scalars())


def closed_corrections_of(service: Service) -> dict[datetime, Feedback]:
    """The handled suggestions of one listing by the moment they were closed (their history entry's time)."""
    query = db.select(Feedback).where(Feedback.service_id == service.id, Feedback.status != "open")
    return {item.resolved_at: item for item in db.session.execute(query).scalars() if item.resolved_at}


def deadlines(user: User, today: date) -> Section:
    """Published listings whose enrolment deadline is within :data:`DEADLINE_DAYS` days, either side of today,
    the nearest first."""
    window = timedelta(days=DEADLINE_DAYS)
    conditions = [
        *scope.territory_of(user),
        Service.status == "published",
        Service.enrolment_deadline.between(today - window, today + window),
    ]
    passed = case((Service.enrolment_deadline >= today, 0), else_=1)  # coming ones before passed ones
    services = _first(conditions, passed, Service.enrolment_deadline, Service.id)
    items = [
        Deadline(service, service.enrolment_deadline, (service.enrolment_deadline - today).days)
        for service in services
    ]
    return Section(items, _count(conditions))


def duplicates(user: User, limit: int = SHOWN) -> Section:
    """Titles that more than one listing of an ATS has (archived listings left out), most repeated first.

    It reads every title of the territory (from the index of ATS and title): its own page, not the inbox.
    """
    counted = func.count(Service.id)
    query = (
        db.select(Service.ats, Service.title, counted)
        .where(*scope.territory_of(user), Service.status != "archived")
        .group_by(Service.ats, Service.title)
        .having(counted > 1)
    )
    rows = db.session.execute(query.order_by(counted.desc(), Service.title).limit(limit)).all()
    return Section([Duplicate(row.ats, row.title, row[2]) for row in rows], None)


def suspicious(user: User) -> Section:
    """Listings (not archived) whose periods say both "all year" and a season.

    The few such listings are kept in their own partial index (:data:`CONTRADICTORY_PERIODS`), looked up with
    the very same condition.
    """
    flagged = db.select(Service.id).where(text(CONTRADICTORY_PERIODS))
    conditions = [*scope.territory_of(user), Service.status != "archived", Service.id.in_(flagged)]
    ids = db.session.execute(db.select(Service.id).where(*conditions).order_by(Service.id).limit(SHOWN))
    return Section(_services(list(ids.scalars())), None)


def sent_back_to(user: User) -> Section:
    """Submissions returned to ``user`` with a reason, not yet submitted again, the newest first."""
    later = aliased(Revision)
    answered = exists().where(
        later.service_id == Revision.service_id,
        later.id > Revision.id,
        later.action.in_(ANSWERING_ACTIONS),
    )
    query = (
        db.select(Revision)
        .join(Service, Service.id == Revision.service_id)
        .where(
            Revision.action == "send_back",
            Revision.addressee == user.email,
            Service.status != "archived",
            not_(answered),
            *scope.territory_of(user),
        )
        .options(lazyload(Revision.service))
    )
    total = db.session.execute(query.with_only_columns(func.count(Revision.id))).scalar_one()
    revisions = list(db.session.execute(query.order_by(Revision.id.desc()).limit(SHOWN)).scalars())
    by_id = {service.id: service for service in _services([revision.service_id for revision in revisions])}
    return Section([(revision, by_id[revision.service_id]) for revision in revisions], total)


@dataclass(frozen=True)
class Inbox:
    """Every section of an account's inbox (None: a section the role does not handle)."""

    sent_back: Section
    to_review: Section | None
    held: Section
    overdue: Section
    corrections: Section
    deadlines: Section
    suspicious: Section


def inbox(user: User, today: date, overdue_total: int | None = None) -> Inbox:
    """What waits for ``user`` in their territory, section by section (``overdue_total``: the number of overdue
    listings when the caller has counted them, as :func:`scope.dashboard` does)."""
    return Inbox(
        sent_back=sent_back_to(user),
        to_review=to_review(user) if scope.may(user, "publish") else None,
        held=held(user),
        overdue=overdue_listings(user, today, overdue_total),
        corrections=corrections(user),
        deadlines=deadlines(user, today),
        suspicious=suspicious(user),
    )
