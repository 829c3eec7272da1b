"""Who may see and do what in the backend: the territory of each role, enforced in every query.

- ``admin``: the whole region, every action.
- ``ats_manager``: the listings, alliances and organisations of one ATS, every action there.
- ``alliance_editor``: the listings of one alliance; edits and submits them, verifies them with their
  providers and handles the public's corrections of them, never publishes, sends back, archives or imports
  (publishing goes through a manager's review), and does not manage organisations or alliances.
- ``provider``: the listings of one organisation (``User.organisation_id``, the listings it provides); edits,
  submits and verifies them and creates drafts for its organisation, never publishes: its changes to a
  published listing are held for review by the alliance or ATS, as an alliance editor's are.

Accounts: admins and ATS managers invite people and change their roles within their territory (an ATS manager
never gives the admin role nor acts outside its ATS: :func:`accounts`, :func:`grantable_roles`); alliance editors
and managers invite a provider for an organisation they see.

The backend's questions are asked here, of the account's territory, and answered in SQL: the listings page
(filtered, counted and paged by the database), the dashboard's counts and the verification and feedback
queues ("overdue" is :func:`welfarepoint.catalog.queries.overdue`).

No HTTP here: the views turn "not in scope" into a 404, so that a guessed identifier reveals nothing.

**References.** What an account may *name* (a listing's provider and alliance, an alliance's lead and members,
a listing to merge into, an import row's provider and alliance) is what it may *see* in its territory before
the change: naming an organisation never brings it into the territory. An organisation is seen by an ATS
manager when it is based in the ATS, is a member of one of its alliances or provides one of its listings; by an
alliance editor when it is a member of the alliance or provides one of the alliance's listings. A name that
matches no organisation creates a new one, and an organisation of no territory at all (no municipality, no
listing or alliance referring to it) may be named too: either then belongs to the account's ATS. Anything else
is refused next to the field (:func:`listing_problems`, :func:`referable_organisation`), and nothing is
written. A listing is merged only into one the account sees (the overlaps view looks each one up here).

**Owner of an organisation.** An organisation has no owner column: it is owned by the ATS of its municipality
(``Organisation.municipality_code``). One without a municipality is owned by the single ATS whose listings and
alliances refer to it; if they are of several ATS (or none), it has no owner. Only an admin or a manager of the
owning ATS edits an organisation (:func:`may_edit_organisation`): an organisation serving several ATS, or linked
to an ATS's listings by an admin, is seen there but changed by its owner, and the others are told whom to ask
(:func:`organisation_edit_refusal`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_
from sqlalchemy.orm import lazyload
from sqlalchemy.sql.elements import ColumnElement

from welfarepoint import territory
from welfarepoint.accounts.models import User
from welfarepoint.catalog.models import Alliance, AllianceMember, Feedback, Organisation, Service
from welfarepoint.catalog.operations import find_alliance, find_organisation
from welfarepoint.catalog.queries import overdue, review_due
from welfarepoint.catalog.validation import FieldError, ListingInput
from welfarepoint.extensions import db
from welfarepoint.paging import page_count, page_within
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
        "insights",
        "accounts",
    }
)
#: Actions of managers and alliance editors, not of providers: inviting a provider of an organisation they see.
EDITOR_ACTIONS = frozenset({"invite"})
#: Actions of the whole region's administrators only: its vocabulary, and the outbox of every territory's e-mail.
ADMIN_ACTIONS = frozenset({"vocabulary", "outbox"})


def may(user: User, action: str) -> bool:
    """Whether the role of ``user`` allows ``action`` at all (the territory is checked by the queries)."""
    if action in ADMIN_ACTIONS:
        return user.role == "admin"
    if action in EDITOR_ACTIONS:
        return user.role in (*MANAGER_ROLES, "alliance_editor")
    return action not in MANAGER_ACTIONS or user.role in MANAGER_ROLES


def territory_of(user: User) -> list[ColumnElement[bool]]:
    """The conditions on ``Service`` that keep to an account's listings: none for an admin, its ATS, or its
    alliance's."""
    if user.role == "ats_manager":
        return [Service.ats == user.ats]
    if user.role == "alliance_editor":
        return [Service.alliance_id == user.alliance_id]
    if user.role == "provider":
        return [Service.provider_id == user.organisation_id]
    return []


def services(user: User):
    """The listings an account may see: all for an admin, its ATS, or its alliance's."""
    return db.select(Service).where(*territory_of(user))


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
    elif user.role == "provider":
        # The alliances its organisation is a member of, and those of the listings it provides.
        member_of = db.select(AllianceMember.alliance_id).where(
            AllianceMember.organisation_id == user.organisation_id
        )
        of_listings = db.select(Service.alliance_id).where(Service.provider_id == user.organisation_id)
        query = query.where(or_(Alliance.id.in_(member_of), Alliance.id.in_(of_listings)))
    return query


def alliance(user: User, uuid: str) -> Alliance | None:
    """The alliance with this identifier if ``user`` may see it."""
    return db.session.execute(alliances(user).where(Alliance.uuid == uuid)).unique().scalar_one_or_none()


def organisations(user: User):
    """The organisations of an account's territory: based there, members of its alliances, or its providers."""
    query = db.select(Organisation).order_by(Organisation.name)
    if user.role == "admin":
        return query
    if user.role == "provider":
        return query.where(Organisation.id == user.organisation_id)
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
    provider_of = db.select(Service.provider_id).where(Service.alliance_id == user.alliance_id)
    return query.where(or_(Organisation.id.in_(member_of), Organisation.id.in_(provider_of)))


def organisation(user: User, uuid: str) -> Organisation | None:
    """The organisation with this identifier if ``user`` may see it."""
    return (
        db.session.execute(organisations(user).where(Organisation.uuid == uuid)).unique().scalar_one_or_none()
    )


def may_reference(user: User, organisation: Organisation) -> bool:
    """Whether ``user`` may name ``organisation`` as a provider, a lead or a member: it is in their territory."""
    if user.role == "admin":
        return True
    if user.role == "provider":
        return organisation.id == user.organisation_id
    seen = organisations(user).where(Organisation.id == organisation.id).with_only_columns(Organisation.id)
    if db.session.execute(seen).first() is not None:
        return True
    return organisation.municipality_code is None and not referring_ats(organisation)


def reference_refusal(organisation: Organisation):
    """Why an organisation outside the account's territory may not be named (a lazy message)."""
    return _l(
        "“%(name)s” is not an organisation of your territory: choose one of yours, or ask a regional "
        "administrator to link it to your territory.",
        name=organisation.name,
    )


def referable_organisation(user: User, name: str):
    """The organisation called ``name`` if ``user`` may name it, else None and why (a lazy message)."""
    organisation = find_organisation(name) if name.strip() else None
    if organisation is None:
        return None, _l("No organisation has this name: add it first.")
    if not may_reference(user, organisation):
        return None, reference_refusal(organisation)
    return organisation, None


def referring_ats(organisation: Organisation) -> set[str]:
    """The ATS whose listings or alliances (as member or lead) refer to ``organisation``."""
    providing = db.select(Service.ats).where(Service.provider_id == organisation.id)
    member = (
        db.select(Alliance.ats).join(AllianceMember).where(AllianceMember.organisation_id == organisation.id)
    )
    leading = db.select(Alliance.ats).where(Alliance.lead_id == organisation.id)
    return set(db.session.execute(providing.union(member, leading)).scalars())


def organisation_owner(organisation: Organisation) -> str | None:
    """The ATS that owns ``organisation`` (see the module's docstring), or None when no single ATS does."""
    if organisation.municipality_code:
        return db.session.execute(
            db.select(Municipality.ats).where(Municipality.istat_code == organisation.municipality_code)
        ).scalar_one_or_none()
    referring = referring_ats(organisation)
    return next(iter(referring)) if len(referring) == 1 else None


def may_edit_organisation(user: User, organisation: Organisation) -> bool:
    """Whether ``user`` may change ``organisation``: an admin, or a manager of the ATS that owns it."""
    if user.role == "admin":
        return True
    return user.role == "ats_manager" and organisation_owner(organisation) == user.ats


def organisation_edit_refusal(user: User, organisation: Organisation):
    """Why ``user`` may not change ``organisation`` and whom to ask (a lazy message), or None if they may."""
    if may_edit_organisation(user, organisation):
        return None
    owner = organisation_owner(organisation)
    if owner:
        return _l(
            "“%(name)s” belongs to ATS %(owner)s: only its managers or a regional administrator may change it. "
            "Ask them for the change.",
            name=organisation.name,
            owner=owner,
        )
    return _l(
        "“%(name)s” serves several ATS and has no municipality: only a regional administrator may change it. "
        "Ask them for the change.",
        name=organisation.name,
    )


def ats_choices(user: User) -> tuple[str, ...]:
    """The ATS an account may give a listing or an alliance (a provider: those its organisation serves)."""
    if user.role == "admin":
        return territory.ATS_NAMES
    if user.role == "provider" and user.organisation is not None:
        served = referring_ats(user.organisation) | {organisation_owner(user.organisation), user.ats}
        return tuple(sorted(name for name in served if name)) or (user.ats,)
    return (user.ats,)


def alliance_names(user: User) -> list[str]:
    """The alliances an account may give a listing."""
    return [row.name for row in db.session.execute(alliances(user)).scalars()]


def listing_problems(user: User, listing: ListingInput) -> list[FieldError]:
    """Why ``user`` may not save ``listing`` (its ATS, alliance or provider is outside their territory), if at
    all; each problem is given for the field that caused it."""
    problems = []
    if listing.ats not in ats_choices(user):
        problems.append(FieldError("ats", _l("is outside your territory (ATS %(ats)s)", ats=user.ats)))
    if user.role == "provider":
        problems.extend(_provider_problems(user, listing))
    if user.role == "alliance_editor" and listing.alliance.lower() != (user.alliance.name.lower()):
        problems.append(
            FieldError("alliance", _l("must be your alliance, %(name)s", name=user.alliance.name))
        )
    elif (
        listing.alliance
        and (named := find_alliance(listing.alliance)) is not None
        and named.ats != listing.ats
    ):
        problems.append(
            FieldError(
                "alliance",
                _l(
                    "alliance “%(name)s” belongs to ATS %(alliance_ats)s, not to ATS %(ats)s",
                    name=named.name,
                    alliance_ats=named.ats,
                    ats=listing.ats,
                ),
            )
        )
    provider = find_organisation(listing.provider) if listing.provider else None
    if provider is not None and not may_reference(user, provider):
        problems.append(FieldError("provider", reference_refusal(provider)))
    if user.role not in MANAGER_ROLES and _funding_changed(listing):  # helper "region", issue 24 point 5
        problems.append(
            FieldError("funded_action", _l("only a manager can say whether it is a funded action"))
        )
    return problems


def _provider_problems(user: User, listing: ListingInput) -> list[FieldError]:
    """A provider's listing is its organisation's, in one of the alliances it sees (or none)."""
    problems = []
    own = user.organisation.name if user.organisation is not None else ""
    if listing.provider.strip().lower() != own.lower():
        problems.append(FieldError("provider", _l("must be your organisation, %(name)s", name=own)))
    if listing.alliance and listing.alliance.lower() not in [name.lower() for name in alliance_names(user)]:
        problems.append(FieldError("alliance", _l("is not an alliance of your organisation")))
    return problems


def _funding_changed(listing: ListingInput) -> bool:
    """Whether ``listing`` would change the funded-action flag or programme period of the listing it saves."""
    before = db.session.execute(
        db.select(Service.funded_action, Service.programme_period).where(
            Service.external_id == listing.external_id
        )
    ).one_or_none()
    now = (listing.funded_action, listing.programme_period if listing.funded_action else "")
    return now != ((bool(before[0]), before[1] if before[0] else "") if before else (False, ""))


def import_refusals(user: User):
    """For an import by ``user``: why a row may not be written (its territory, or the listing it updates)."""

    def refusals(listing: ListingInput, existing: Service | None) -> list[tuple[str, object]]:
        problems = [(problem.column, problem.message) for problem in listing_problems(user, listing)]
        if existing is not None and user.role != "admin" and existing.ats != user.ats:
            problems.append(("external_id", _l("belongs to a listing of another territory")))
        return problems

    return refusals


# --- accounts (helper "accounts", issue 25 points 2-3) ---------------------------------------------------


def accounts(user: User):
    """The accounts ``user`` sees: every account (admin), those of its ATS but the admins (ATS manager), the
    providers of the organisations it sees (alliance editor), none (provider)."""
    query = db.select(User).order_by(User.email)
    if user.role == "admin":
        return query
    if user.role == "ats_manager":
        return query.where(User.ats == user.ats, User.role != "admin")
    if user.role == "alliance_editor":
        seen = organisations(user).with_only_columns(Organisation.id).order_by(None)
        return query.where(User.role == "provider", User.organisation_id.in_(seen))
    return query.where(User.id == -1)


def account(user: User, account_id: int) -> User | None:
    """The account with this id if ``user`` sees it."""
    return db.session.execute(accounts(user).where(User.id == account_id)).scalar_one_or_none()


def grantable_roles(user: User) -> tuple[str, ...]:
    """The roles ``user`` may give: an ATS manager never gives ``admin``; an alliance editor invites providers."""
    if user.role == "admin":
        return ("admin", "ats_manager", "alliance_editor", "provider")
    if user.role == "ats_manager":
        return ("ats_manager", "alliance_editor", "provider")
    if user.role == "alliance_editor":
        return ("provider",)
    return ()


@dataclass(frozen=True)
class Grant:
    """A role with its territory, as an account would hold it."""

    role: str
    ats: str | None = None
    alliance_id: int | None = None
    organisation_id: int | None = None


def grant(user: User, role: str, *, ats: str = "", alliance: str = "", organisation: str = ""):
    """The role ``role`` with the territory named (an ATS, an alliance's name, an organisation's name) if ``user``
    may give it, and the problems by field otherwise: ``(Grant | None, [FieldError])``."""
    if role not in grantable_roles(user):
        return None, [FieldError("role", _l("is not a role you can give"))]
    if role == "admin":
        return Grant("admin"), []
    if role == "ats_manager":
        name = territory.ats_by_name(ats) if ats else (user.ats if user.role != "admin" else None)
        if name is None or name not in ats_choices(user):
            return None, [FieldError("ats", _l("choose an ATS of your territory"))]
        return Grant("ats_manager", ats=name), []
    if role == "alliance_editor":
        found = find_alliance(alliance) if alliance.strip() else None
        if found is None or found.name not in alliance_names(user):
            return None, [FieldError("alliance", _l("choose an alliance of your territory"))]
        return Grant("alliance_editor", ats=found.ats, alliance_id=found.id), []
    found = find_organisation(organisation) if organisation.strip() else None
    if found is None or not _sees_organisation(user, found):
        return None, [FieldError("organisation", _l("choose an organisation of your territory"))]
    # The account belongs to the inviter's ATS (a manager keeps seeing it), an admin's to the organisation's owner.
    ats_of_account = user.ats if user.role != "admin" else organisation_owner(found)
    return Grant("provider", ats=ats_of_account, organisation_id=found.id), []


def _sees_organisation(user: User, found: Organisation) -> bool:
    seen = organisations(user).where(Organisation.id == found.id).with_only_columns(Organisation.id)
    return db.session.execute(seen).first() is not None


def may_manage_account(user: User, target: User) -> bool:
    """Whether ``user`` may change ``target``'s role or disable it: a manager, an account it sees, not itself."""
    return may(user, "accounts") and target.id != user.id and account(user, target.id) is not None


# --- the backend's lists and counts ---------------------------------------------------------------------


@dataclass(frozen=True)
class ListingFilter:
    """What the listings page is narrowed to (empty values: no filter)."""

    status: str = ""
    category: str = ""
    stale: bool = False  # overdue for verification (each listing has its own review interval)
    waiting: bool = False  # in review, or published with changes waiting for review
    text: str = ""  # in the title or the external identifier, whatever the case


def _waiting() -> ColumnElement[bool]:
    # The listings with changes waiting are looked up in their own (partial) index, not among all rows.
    pending = db.select(Service.id).where(Service.draft.is_not(None))
    return or_(Service.status == "in_review", Service.id.in_(pending))


def _conditions(user: User, wanted: ListingFilter, today: date) -> list[ColumnElement[bool]]:
    conditions = territory_of(user)
    if wanted.status:
        conditions.append(Service.status == wanted.status)
    if wanted.category:
        conditions.append(Service.category == wanted.category)
    if wanted.waiting:
        conditions.append(_waiting())
    if wanted.stale:
        conditions.append(overdue(today))
    if wanted.text:
        pattern = f"%{wanted.text.lower()}%"
        conditions.append(
            or_(func.lower(Service.title).like(pattern), func.lower(Service.external_id).like(pattern))
        )
    return conditions


@dataclass(frozen=True)
class ListingsPage:
    """One page of an account's listings: the page's listings, how many match, the page shown, the pages."""

    listings: list[Service]
    total: int
    page: int
    pages: int


def listings_page(
    user: User, wanted: ListingFilter, page: int, per_page: int, *, today: date | None = None
) -> ListingsPage:
    """The ``page``-th page of the account's listings matching ``wanted``, most recently changed first.

    A page past the last shows the last one. The page's ids are chosen first, in the index of the order,
    then only those listings are read (without their provider, alliance or coverage, which the list does not
    show; they load if asked for): far pages do not carry every skipped listing through the sort.
    """
    conditions = _conditions(user, wanted, today or date.today())
    total = db.session.execute(db.select(func.count()).select_from(Service).where(*conditions)).scalar_one()
    page = page_within(page, total, per_page)
    chosen = list(
        db.session.execute(
            db.select(Service.id)
            .where(*conditions)
            .order_by(Service.updated_at.desc(), Service.id.desc())
            .offset((page - 1) * per_page)
            .limit(per_page)
        ).scalars()
    )
    rows = db.session.execute(db.select(Service).where(Service.id.in_(chosen)).options(lazyload("*")))
    by_id = {service.id: service for service in rows.scalars()}
    listings = [by_id[service_id] for service_id in chosen if service_id in by_id]
    return ListingsPage(listings, total, page, page_count(total, per_page))


def listings_for_export(user: User, wanted: ListingFilter, *, today: date | None = None) -> list[Service]:
    """Every listing of the account matching ``wanted``, by ``external_id`` (what the CSV export writes)."""
    query = db.select(Service).where(*_conditions(user, wanted, today or date.today()))
    return list(db.session.execute(query.order_by(Service.external_id)).unique().scalars())


@dataclass(frozen=True)
class Dashboard:
    """What needs an account's attention: listings by status, waiting for review, overdue, open suggestions."""

    by_status: dict[str, int]
    waiting: int
    overdue: int
    feedback: int


def dashboard(user: User, *, today: date | None = None) -> Dashboard:
    """The counts of the account's dashboard, each one counted by the database."""
    scoped = territory_of(user)

    def count(*conditions: ColumnElement[bool]) -> int:
        query = db.select(func.count()).select_from(Service).where(*scoped, *conditions)
        return db.session.execute(query).scalar_one()

    by_status = dict(
        db.session.execute(
            db.select(Service.status, func.count()).where(*scoped).group_by(Service.status)
        ).all()
    )
    published_overdue = count(Service.status == "published", overdue(today or date.today()))
    return Dashboard(
        by_status=by_status,
        waiting=count(_waiting()),
        overdue=published_overdue,
        feedback=db.session.execute(
            _open_feedback(user).with_only_columns(func.count(Feedback.id))
        ).scalar_one(),
    )


def overdue_listings(user: User, *, today: date | None = None) -> list[Service]:
    """The account's published listings whose review interval has passed, never checked first, then the
    oldest check."""
    query = (
        services(user)
        .where(Service.status == "published", overdue(today or date.today()))
        .order_by(case((Service.last_verified.is_(None), 0), else_=1), review_due(), Service.id)
    )
    return list(db.session.execute(query).unique().scalars())


def published_listings(user: User) -> list[Service]:
    """The account's published listings."""
    return list(db.session.execute(services(user).where(Service.status == "published")).unique().scalars())


def _open_feedback(user: User):
    query = db.select(Feedback).where(Feedback.status == "open")
    scoped = territory_of(user)
    if scoped:
        query = query.where(Feedback.service_id.in_(db.select(Service.id).where(*scoped)))
    return query


def open_feedback(user: User) -> list[Feedback]:
    """The open corrections suggested by the public for the account's listings, newest first."""
    return list(db.session.execute(_open_feedback(user).order_by(Feedback.created_at.desc())).scalars())


def feedback(user: User, feedback_id: int) -> Feedback | None:
    """The suggestion with this id if it is about a listing of the account's territory."""
    item = db.session.get(Feedback, feedback_id)
    return item if item is not None and service_by_id(user, item.service_id) is not None else None


def organisation_list(user: User, text: str = "", limit: int = 500) -> list[Organisation]:
    """The organisations of the account's territory by name, those whose name holds ``text`` if given."""
    query = organisations(user)
    if text:
        query = query.where(Organisation.name.ilike(f"%{text}%"))
    return list(db.session.execute(query.limit(limit)).unique().scalars())


def organisation_names(user: User) -> list[str]:
    """The names of the organisations of the account's territory, by name."""
    return list(db.session.execute(organisations(user).with_only_columns(Organisation.name)).scalars())


def alliance_list(user: User) -> list[Alliance]:
    """The alliances of the account's territory, by ATS and name."""
    return list(db.session.execute(alliances(user)).unique().scalars())
