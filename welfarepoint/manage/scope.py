"""Who may see and do what in the backend: the territory of each role, enforced in every query.

- ``admin``: the whole region, every action.
- ``ats_manager``: the listings, alliances and organisations of one ATS, every action there.
- ``alliance_editor``: the listings of one alliance; edits and submits them, never publishes, archives or
  imports (publishing goes through a manager's review), and does not manage organisations or alliances.

No HTTP here: the views turn "not in scope" into a 404, so that a guessed identifier reveals nothing.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_

from welfarepoint import territory
from welfarepoint.accounts.models import User
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Service
from welfarepoint.catalog.validation import FieldError, ListingInput
from welfarepoint.extensions import db
from welfarepoint.territory.models import Municipality

MANAGER_ROLES = ("admin", "ats_manager")

#: Actions only managers may take; everybody signed in may view, edit, save and submit within their scope.
MANAGER_ACTIONS = frozenset(
    {
        "publish",
        "archive",
        "restore",
        "send_back",
        "discard",
        "import",
        "network",
        "verify",
        "feedback",
        "insights",
    }
)


def may(user: User, action: str) -> bool:
    """Whether the role of ``user`` allows ``action`` at all (the territory is checked by the queries)."""
    return action not in MANAGER_ACTIONS or user.role in MANAGER_ROLES


def services(user: User):
    """The listings an account may see: all for an admin, its ATS, or its alliance's."""
    query = db.select(Service)
    if user.role == "ats_manager":
        query = query.where(Service.ats == user.ats)
    elif user.role == "alliance_editor":
        query = query.where(Service.alliance_id == user.alliance_id)
    return query


def service(user: User, uuid: str) -> Service | None:
    """The listing with this public identifier if ``user`` may see it."""
    return db.session.execute(services(user).where(Service.uuid == uuid)).unique().scalar_one_or_none()


def service_by_id(user: User, service_id: int) -> Service | None:
    """The listing with this internal id if ``user`` may see it."""
    return db.session.execute(services(user).where(Service.id == service_id)).unique().scalar_one_or_none()


def alliances(user: User):
    """The alliances an account may see: all, its ATS's, or its own."""
    query = db.select(Alliance).order_by(Alliance.ats, Alliance.name)
    if user.role == "ats_manager":
        query = query.where(Alliance.ats == user.ats)
    elif user.role == "alliance_editor":
        query = query.where(Alliance.id == user.alliance_id)
    return query


def alliance(user: User, uuid: str) -> Alliance | None:
    """The alliance with this identifier if ``user`` may see it."""
    return db.session.execute(alliances(user).where(Alliance.uuid == uuid)).unique().scalar_one_or_none()


def organisations(user: User):
    """The organisations of an account's territory: based there, members of its alliances, or its providers."""
    query = db.select(Organisation).order_by(Organisation.name)
    if user.role == "admin":
        return query
    if user.role == "ats_manager":
        member_of = db.select(AllianceMember.organisation_id).join(Alliance).where(Alliance.ats == user.ats)
        provider_of = db.select(Service.provider_id).where(Service.ats == user.ats)
        based = db.select(Municipality.istat_code).where(Municipality.ats == user.ats)
        return query.where(
            or_(
                Organisation.id.in_(member_of),
                Organisation.id.in_(provider_of),
                Organisation.municipality_code.in_(based),
            )
        )
    member_of = db.select(AllianceMember.organisation_id).where(
        AllianceMember.alliance_id == user.alliance_id
    )
    return query.where(Organisation.id.in_(member_of))


def organisation(user: User, uuid: str) -> Organisation | None:
    """The organisation with this identifier if ``user`` may see it."""
    return (
        db.session.execute(organisations(user).where(Organisation.uuid == uuid)).unique().scalar_one_or_none()
    )


def ats_choices(user: User) -> tuple[str, ...]:
    """The ATS an account may give a listing or an alliance."""
    return territory.ATS_NAMES if user.role == "admin" else (user.ats,)


def alliance_names(user: User) -> list[str]:
    """The alliances an account may give a listing."""
    return [row.name for row in db.session.execute(alliances(user)).scalars()]


def listing_problems(user: User, listing: ListingInput) -> list[FieldError]:
    """Why ``user`` may not save ``listing`` (its ATS or alliance is outside their territory), if at all."""
    problems = []
    if listing.ats not in ats_choices(user):
        problems.append(FieldError("ats", _l("is outside your territory (ATS %(ats)s)", ats=user.ats)))
    if user.role == "alliance_editor" and listing.alliance.lower() != (user.alliance.name.lower()):
        problems.append(
            FieldError("alliance", _l("must be your alliance, %(name)s", name=user.alliance.name))
        )
    return problems


def import_refusals(user: User):
    """For an import by ``user``: why a row may not be written (its territory, or the listing it updates)."""

    def refusals(listing: ListingInput, existing: Service | None) -> list[tuple[str, object]]:
        problems = [(problem.column, problem.message) for problem in listing_problems(user, listing)]
        if existing is not None and user.role != "admin" and existing.ats != user.ats:
            problems.append(("external_id", _l("belongs to a listing of another territory")))
        return problems

    return refusals
