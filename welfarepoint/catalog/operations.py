"""The catalog's write API: every change to its tables goes through these functions.

Each one checks what it is given, writes the rows, records the listing's revision (who, when, what changed,
the content after it) and announces the changed listing to the search index (:mod:`welfarepoint.catalog.events`).
They flush but never commit: the caller (a request, a command) commits once, so a batch such as an import is
all or nothing.

The modules above this one decide *what* to change and call these functions; none of them writes a catalog
table itself or reaches for a private name of this module:

- :mod:`welfarepoint.catalog.workflow`: the editorial rules (save in place or hold the changes of a published
  listing for review, submit, publish, send back, discard, archive, restore a revision);
- :mod:`welfarepoint.catalog.interchange`: the listings CSV, imported row by row with :func:`create_service` and
  :func:`update_service`;
- :mod:`welfarepoint.insights.overlap_review`: overlapping listings merged with :func:`merge_into` (the decisions
  themselves are kept in the insights' own table);
- the ``manage`` and ``public`` views and the ``flask`` commands, for organisations, alliances, verification and
  the public's suggestions.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func

from welfarepoint import territory
from welfarepoint.catalog import events, taxonomy
from welfarepoint.catalog.models import (
    Alliance,
    AllianceMember,
    Feedback,
    Organisation,
    OrganisationRedirect,
    Revision,
    Service,
    ServiceCoverage,
    now_utc,
)
from welfarepoint.catalog.validation import EMAIL_RE, PHONE_RE, URL_RE, FieldError, ListingInput, clean_text
from welfarepoint.extensions import db

#: Service columns that a listing's content is made of (what revisions compare and restore).
CONTENT_FIELDS = (
    "external_id", "title", "summary", "description", "title_en", "summary_en", "description_en",
    "audience", "category", "needs", "tags", "ats", "age_min", "age_max", "company_sizes", "periods",
    "time_slots", "schedule_notes", "cost", "cost_notes", "cost_notes_en", "how_to_access", "how_to_access_en",
    "address", "municipality_code", "phone", "email", "website", "languages", "capacity", "availability",
    "enrolment_deadline", "review_interval_days", "last_verified", "age_of", "residence", "conditions",
    "conditions_en", "isee_max", "documents", "documents_en", "steps", "steps_en", "cost_amount", "cost_period",
    "hours", "enrolment_opens", "channel", "funded_action", "programme_period",
)  # fmt: skip


class CatalogError(Exception):
    """A change the catalog refuses, with a message for the user."""

    def __init__(self, message: Any):
        super().__init__(message)
        self.message = message


class ConflictError(CatalogError):
    """Somebody else saved the listing since it was opened (optimistic locking)."""


def check_version(service: Service, expected_version: int | None) -> None:
    """ConflictError if ``service`` is no longer at ``expected_version`` (None: no check)."""
    if expected_version is not None and expected_version != service.version:
        raise ConflictError(_l("This listing was changed by someone else while you were editing it."))


# --- organisations and alliances -------------------------------------------------------------------------


def find_organisation(name: str) -> Organisation | None:
    """The organisation called ``name`` (case-insensitive), if any."""
    return db.session.execute(
        db.select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    ).scalar_one_or_none()


def create_organisation(
    name: str,
    type: str,
    *,
    municipality_code: str | None = None,
    website: str = "",
    email: str = "",
    phone: str = "",
) -> Organisation:
    """Add an organisation; its name must be new."""
    if find_organisation(name) is not None:
        raise CatalogError(_l("An organisation called “%(name)s” already exists.", name=name))
    organisation = Organisation(
        name=name.strip(),
        type=type,
        municipality_code=municipality_code,
        website=website,
        email=email,
        phone=phone,
    )
    db.session.add(organisation)
    db.session.flush()
    return organisation


def find_alliance(name: str) -> Alliance | None:
    """The alliance called ``name`` (case-insensitive), if any."""
    return db.session.execute(
        db.select(Alliance).where(func.lower(Alliance.name) == name.strip().lower())
    ).scalar_one_or_none()


def create_alliance(
    name: str,
    ats: str,
    *,
    lead: Organisation | None = None,
    members: list[tuple[Organisation, str]] = (),
    period_start: date | None = None,
    period_end: date | None = None,
) -> Alliance:
    """Add an alliance of one ATS with its members (the lead is added as a member with role ``lead``)."""
    if find_alliance(name) is not None:
        raise CatalogError(_l("An alliance called “%(name)s” already exists.", name=name))
    alliance = Alliance(
        name=name.strip(), ats=ats, lead=lead, period_start=period_start, period_end=period_end
    )
    roles = {organisation.id: role for organisation, role in members}
    if lead is not None:
        roles[lead.id] = "lead"
    alliance.members = [AllianceMember(organisation_id=org_id, role=role) for org_id, role in roles.items()]
    db.session.add(alliance)
    db.session.flush()
    return alliance


# --- services ----------------------------------------------------------------------------------------------


def slugify(text: str) -> str:
    """A lower-case ASCII address part made from ``text``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")[:120] or "servizio"


def _unique_slug(title: str) -> str:
    base = slugify(title)
    taken = set(db.session.execute(db.select(Service.slug).where(Service.slug.like(f"{base}%"))).scalars())
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return list(value)
    return value


def snapshot(service: Service) -> dict[str, Any]:
    """The content of ``service`` as JSON-ready values: what a revision keeps and a restore puts back."""
    data = {name: _jsonable(getattr(service, name)) for name in CONTENT_FIELDS}
    data["coverage"] = list(service.coverage_codes)
    data["provider"] = service.provider.name if service.provider else ""
    data["alliance"] = service.alliance.name if service.alliance else ""
    data["status"] = service.status
    return data


def listing_snapshot(listing: ListingInput, status: str) -> dict[str, Any]:
    """What :func:`snapshot` would give once ``listing`` is the content of a listing with ``status``."""
    data = {
        name: _jsonable(getattr(listing, name, None))
        for name in CONTENT_FIELDS
        if name != "municipality_code"
    }
    data["municipality_code"] = listing.municipality
    data["coverage"] = list(listing.municipalities)
    data["provider"] = listing.provider
    data["alliance"] = listing.alliance
    data["status"] = status
    return data


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {key: [before.get(key), value] for key, value in after.items() if before.get(key) != value}


def _record(service: Service, action: str, author: str, before: dict[str, Any]) -> Revision | None:
    after = snapshot(service)
    changes = _diff(before, after)
    if not changes and action in ("update", "import"):
        return None
    return _add_revision(service, action, author, changes=changes, snapshot=after)


def _add_revision(
    service: Service,
    action: str,
    author: str,
    *,
    changes: dict,
    snapshot: dict,
    note: str = "",
    addressee: str = "",
) -> Revision:
    """Add the revision of ``service`` at its current version (``note``: why; ``addressee``: whom it tells)."""
    revision = Revision(
        service=service,
        version=service.version,
        action=action,
        author=author,
        at=now_utc(),
        changes=changes,
        snapshot=snapshot,
        note=note,
        addressee=addressee,
    )
    db.session.add(revision)
    return revision


def _record_change(service: Service, action: str, author: str, *, changes: dict, kept: dict) -> None:
    """Flush a change made outside the content columns (which bumps the version), record it as a revision
    with ``changes`` and the content ``kept``, and announce it to the index."""
    service.updated_by = author
    db.session.flush()
    _add_revision(service, action, author, changes=changes, snapshot=kept)
    events.listing_changed(db.session, service.id)


def _resolve_provider(listing: ListingInput) -> Organisation:
    provider = find_organisation(listing.provider)
    if (
        provider is None
    ):  # without a type it is created "to be classified" (the interchange makes it optional)
        provider = create_organisation(listing.provider, listing.provider_type or "")
    return provider


def _resolve_alliance(listing: ListingInput) -> Alliance | None:
    if not listing.alliance:
        return None
    alliance = find_alliance(listing.alliance)
    if alliance is None:
        return create_alliance(listing.alliance, listing.ats)
    if alliance.ats != listing.ats:
        raise CatalogError(
            _l(
                "alliance “%(name)s” belongs to ATS %(alliance_ats)s, not to ATS %(ats)s",
                name=alliance.name,
                alliance_ats=alliance.ats,
                ats=listing.ats,
            )
        )
    return alliance


def _apply(service: Service, listing: ListingInput) -> None:
    # Resolve (and possibly create) provider and alliance before touching the service, so that a refused
    # row leaves nothing half-written behind.
    with db.session.no_autoflush:
        provider = _resolve_provider(listing)
        alliance = _resolve_alliance(listing)
    values = asdict(listing)
    for name in CONTENT_FIELDS:
        if name == "municipality_code":
            service.municipality_code = listing.municipality
        elif name in values:
            setattr(service, name, values[name])
    service.provider = provider
    service.alliance = alliance
    wanted = list(listing.municipalities)
    if service.coverage_codes != wanted:
        service.coverage = [ServiceCoverage(municipality_code=code) for code in wanted]


def listing_of(service: Service) -> ListingInput:
    """The content of ``service`` as a :class:`ListingInput`, as an import would give it."""
    return ListingInput(
        external_id=service.external_id,
        title=service.title,
        audience=service.audience,
        category=service.category,
        ats=service.ats,
        cost=service.cost,
        provider=service.provider.name,
        provider_type=service.provider.type,
        alliance=service.alliance.name if service.alliance else "",
        municipality=service.municipality_code,
        municipalities=list(service.coverage_codes),
        status=service.status,
        **{
            name: list(value) if isinstance(value, list) else value
            for name in CONTENT_FIELDS
            if name
            not in ("external_id", "title", "audience", "category", "ats", "cost", "municipality_code")
            for value in [getattr(service, name)]
        },
    )


def create_service(listing: ListingInput, *, author: str, action: str = "create") -> Service:
    """Add a listing with the status given in ``listing`` and record its first revision."""
    service = Service(
        slug=_unique_slug(listing.title), status=listing.status, created_by=author, updated_by=author
    )
    _apply(service, listing)
    db.session.add(service)
    db.session.flush()
    _record(service, action, author, {})
    events.listing_changed(db.session, service.id)
    return service


def update_service(
    service: Service,
    listing: ListingInput,
    *,
    author: str,
    expected_version: int | None = None,
    action: str = "update",
    clear_pending: bool = False,
) -> bool:
    """Change a listing's content (and status, as given); return whether anything changed.

    ``expected_version`` is the version the editor started from: if somebody saved since, ConflictError.
    ``clear_pending`` drops the changes that were waiting for review (``listing`` is what replaces them).
    """
    check_version(service, expected_version)
    if clear_pending:
        service.draft = None
    before = snapshot(service)
    with db.session.no_autoflush:
        _apply(service, listing)
        service.status = listing.status
    if snapshot(service) == before:
        return False
    service.updated_at = now_utc()
    service.updated_by = author
    db.session.flush()
    _record(service, action, author, before)
    events.listing_changed(db.session, service.id)
    return True


def service_by_external_id(external_id: str) -> Service | None:
    """The listing with this ``external_id``, if any."""
    return db.session.execute(
        db.select(Service).where(Service.external_id == external_id)
    ).scalar_one_or_none()


#: Which status a listing may move to from each status.
TRANSITIONS = {
    "draft": ("in_review", "published", "archived"),
    "in_review": ("draft", "published", "archived"),
    "published": ("draft", "archived"),
    "archived": ("draft", "published"),
}
STATUS_ACTIONS = {"in_review": "submit", "published": "publish", "archived": "archive", "draft": "restore"}


def change_status(
    service: Service,
    status: str,
    *,
    author: str,
    expected_version: int | None = None,
    clear_pending: bool = False,
    action: str | None = None,
    note: str = "",
    addressee: str = "",
) -> Service:
    """Move a listing through the workflow (submit, publish, archive, restore) and record it.

    ``clear_pending`` drops the changes that were waiting for review (an archived listing keeps none).
    ``action`` names the revision when the status alone does not say it (a send-back is a move to draft);
    ``note`` and ``addressee`` go into it.
    """
    check_version(service, expected_version)
    if clear_pending:
        service.draft = None
    if status not in TRANSITIONS.get(service.status, ()):
        raise CatalogError(
            _l("A listing cannot go from “%(old)s” to “%(new)s”.", old=service.status, new=status)
        )
    before = snapshot(service)
    service.status = status
    service.updated_at = now_utc()
    service.updated_by = author
    db.session.flush()
    after = snapshot(service)
    _add_revision(
        service,
        action or STATUS_ACTIONS[status],
        author,
        changes=_diff(before, after),
        snapshot=after,
        note=note,
        addressee=addressee,
    )
    events.listing_changed(db.session, service.id)
    return service


def mark_verified(service: Service, *, author: str, on: date | None = None) -> Service:
    """Record that ``author`` checked the listing with its provider on ``on`` (today by default)."""
    before = snapshot(service)
    service.last_verified = on or date.today()
    service.last_verified_by = author
    db.session.flush()
    _record(service, "verify", author, before)
    events.listing_changed(db.session, service.id)
    return service


FEEDBACK_KINDS = ("hours", "contacts", "cost", "closed", "other")


def hold_changes(
    service: Service,
    listing: ListingInput,
    cells: dict[str, str],
    *,
    author: str,
    submitted: bool,
    action: str,
) -> None:
    """Keep ``listing`` (as its text ``cells``) as the changes of a published listing waiting for review, with
    who saved them, when, and whether they are ``submitted``; the public keeps seeing the columns."""
    if (
        service.draft
        and service.draft["cells"] == cells
        and bool(service.draft.get("submitted")) == submitted
    ):
        return
    before = snapshot(service)
    after = listing_snapshot(listing, "published")
    service.draft = {"cells": cells, "author": author, "at": now_utc().isoformat(), "submitted": submitted}
    _record_change(service, action, author, changes=_diff(before, after), kept=after)


def return_changes(service: Service, kept: dict[str, Any], *, author: str, note: str, addressee: str) -> None:
    """Send submitted changes of a published listing back to ``addressee``, their editor, with ``note`` (why).

    The changes stay theirs (who saved them and when are kept); ``kept`` is their content, for the history.
    """
    service.draft = {**service.draft, "submitted": False}
    db.session.flush()
    _add_revision(service, "send_back", author, changes={}, snapshot=kept, note=note, addressee=addressee)
    events.listing_changed(db.session, service.id)


def drop_changes(service: Service, *, author: str) -> None:
    """Drop the changes of a published listing waiting for review; the public version stays."""
    kept = snapshot(service)
    service.draft = None
    _record_change(service, "discard", author, changes={}, kept=kept)


def merge_into(service: Service, keep: Service, *, author: str) -> None:
    """Merge ``service`` into ``keep``: it is archived and its public address leads to ``keep`` from now on."""
    if service.id == keep.id or keep.merged_into_id is not None:
        raise CatalogError(_l("A listing cannot be merged into itself or into a merged listing."))
    kept = snapshot(service)
    kept["pending"] = service.draft  # the changes waiting for review, put back if the merge is undone
    kept["merged_into"] = keep.uuid
    before = service.status
    service.draft = None
    service.status = "archived"
    service.merged_into_id = keep.id
    service.updated_at = now_utc()
    _record_change(service, "merge", author, changes={"status": [before, "archived"]}, kept=kept)


def unmerge(service: Service, *, author: str) -> Service:
    """Undo :func:`merge_into`: ``service`` gets back its status and waiting changes, and its own address.

    Returns the listing it had been merged into. Raises CatalogError if ``service`` is not merged.
    """
    if service.merged_into_id is None:
        raise CatalogError(_l("This listing is not merged into another one."))
    kept_id = service.merged_into_id
    merge = db.session.execute(
        db.select(Revision)
        .where(Revision.service_id == service.id, Revision.action == "merge")
        .order_by(Revision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    before = (merge.snapshot if merge is not None else None) or {}
    status = before.get("status", "draft")
    service.status = status if status in ("draft", "in_review", "published") else "draft"
    service.draft = before.get("pending")
    service.merged_into_id = None
    service.updated_at = now_utc()
    _record_change(
        service, "unmerge", author, changes={"status": ["archived", service.status]}, kept=snapshot(service)
    )
    return db.session.get(Service, kept_id)


def suggest_correction(service: Service, kind: str, message: str) -> Feedback:
    """Queue a correction suggested by the public for the managers of the listing's territory (and return it)."""
    if kind not in FEEDBACK_KINDS:
        raise CatalogError(_l("Choose what is wrong."))
    message = message.strip()
    if not 10 <= len(message) <= 2000:
        raise CatalogError(_l("Write between 10 and 2000 characters."))
    feedback = Feedback(service=service, kind=kind, message=message)
    db.session.add(feedback)
    return feedback


def record_note(service: Service, action: str, *, author: str, note: str) -> None:
    """Write a note into a listing's history (who, when, what was said) without changing the listing: a
    provider's answer to a correction (helper "fresh", issue 25)."""
    _add_revision(service, action, author, changes={}, snapshot=snapshot(service), note=note)


FEEDBACK_OUTCOMES = ("resolved", "dismissed")


def close_feedback(feedback: Feedback, outcome: str, *, author: str, note: str) -> None:
    """Mark a public suggestion as resolved (the listing was corrected) or dismissed, with a ``note`` saying
    what was done, which also goes into the listing's history; the caller commits."""
    if outcome not in FEEDBACK_OUTCOMES:
        raise CatalogError(_l("Choose resolved or dismissed."))
    if feedback.status != "open":
        raise CatalogError(_l("This suggestion has already been handled."))
    note = clean_text(note or "")
    if not note:
        raise CatalogError(_l("Write a note: what you did about this suggestion."))
    if len(note) > 2000:
        raise CatalogError(_l("Write at most 2000 characters."))
    service = feedback.service
    revision = _add_revision(
        service, f"feedback_{outcome}", author, changes={}, snapshot=snapshot(service), note=note
    )
    feedback.status = outcome
    feedback.resolved_at = revision.at  # the same moment: the history finds the suggestion by it
    feedback.resolved_by = author
    feedback.note = note


# --- organisations and alliances, edited by managers -----------------------------------------------------


def validate_organisation(cells: dict[str, str], *, ats: str | None = None) -> tuple[dict[str, Any], list]:
    """Check an organisation's fields (``ats``: the municipality must be in it); return values and problems."""
    cells = {key: clean_text(value) for key, value in cells.items()}
    problems: list[FieldError] = []
    if not cells.get("name"):
        problems.append(FieldError("name", _l("is required")))
    if cells.get("type") not in taxonomy.codes("organisation_types"):
        problems.append(FieldError("type", _l("Choose the type of organisation.")))
    code = None
    if cells.get("municipality"):
        place = territory.find(cells["municipality"])
        if place is None:
            problems.append(
                FieldError("municipality", _l("unknown municipality “%(name)s”", name=cells["municipality"]))
            )
        elif ats and place.ats != ats:
            problems.append(
                FieldError(
                    "municipality",
                    _l(
                        "%(name)s is in ATS %(place_ats)s, not in ATS %(ats)s",
                        name=place.name,
                        place_ats=place.ats,
                        ats=ats,
                    ),
                )
            )
        else:
            code = place.istat_code
    elif ats:
        problems.append(
            FieldError("municipality", _l("is required: the municipality where the organisation is based"))
        )
    for name, pattern, message in (
        ("website", URL_RE, _l("is not a web address starting with http:// or https://")),
        ("email", EMAIL_RE, _l("does not look like an e-mail address")),
        ("phone", PHONE_RE, _l("does not look like a phone number")),
    ):
        if cells.get(name) and not pattern.match(cells[name]):
            problems.append(FieldError(name, message))
    values = {
        "name": cells.get("name", ""),
        "type": cells.get("type", ""),
        "municipality_code": code,
        "website": cells.get("website", ""),
        "email": cells.get("email", ""),
        "phone": cells.get("phone", ""),
    }
    return values, problems


def update_organisation(organisation: Organisation, values: dict[str, Any]) -> None:
    """Change an organisation; its new name must not belong to another one."""
    other = find_organisation(values["name"])
    if other is not None and other.id != organisation.id:
        raise CatalogError(_l("An organisation called “%(name)s” already exists.", name=values["name"]))
    for name, value in values.items():
        setattr(organisation, name, value)
    db.session.flush()
    _announce_services(db.select(Service.id).where(Service.provider_id == organisation.id))


def update_alliance(
    alliance: Alliance,
    *,
    name: str,
    ats: str,
    period_start: date | None,
    period_end: date | None,
    lead: Organisation | None,
) -> None:
    """Change an alliance's name, ATS, period and lead (the lead becomes a member with role ``lead``)."""
    other = find_alliance(name)
    if other is not None and other.id != alliance.id:
        raise CatalogError(_l("An alliance called “%(name)s” already exists.", name=name))
    if period_start and period_end and period_start > period_end:
        raise CatalogError(_l("The programme ends before it starts."))
    if (
        ats != alliance.ats
        and db.session.execute(
            db.select(func.count(Service.id)).where(Service.alliance_id == alliance.id, Service.ats != ats)
        ).scalar_one()
    ):
        raise CatalogError(_l("The alliance has listings in ATS %(ats)s: move them first.", ats=alliance.ats))
    alliance.name, alliance.ats = name.strip(), ats
    alliance.period_start, alliance.period_end = period_start, period_end
    if lead is not None:
        for member in alliance.members:
            if member.role == "lead" and member.organisation_id != lead.id:
                member.role = "partner"
        set_member(alliance, lead, "lead")
    alliance.lead = lead
    db.session.flush()
    _announce_services(db.select(Service.id).where(Service.alliance_id == alliance.id))


def set_member(alliance: Alliance, organisation: Organisation, role: str) -> None:
    """Add ``organisation`` to the alliance with ``role``, or change its role."""
    if role not in taxonomy.codes("member_roles"):
        raise CatalogError(_l("Choose the role of the member."))
    for member in alliance.members:
        if member.organisation_id == organisation.id:
            member.role = role
            break
    else:
        alliance.members.append(AllianceMember(organisation=organisation, role=role))
    db.session.flush()


def remove_member(alliance: Alliance, organisation_id: int) -> None:
    """Take an organisation out of the alliance (the lead must be changed first)."""
    if alliance.lead_id == organisation_id:
        raise CatalogError(_l("Choose another lead organisation before removing this one."))
    alliance.members = [m for m in alliance.members if m.organisation_id != organisation_id]
    db.session.flush()


def _announce_services(ids_query) -> None:
    for service_id in db.session.execute(ids_query).scalars():
        events.listing_changed(db.session, service_id)


# --- merging two organisations (one ente recorded twice): listings and memberships move, the old address
# --- leads to the one kept, each moved listing records it in its history.

#: The revision action of a listing whose provider was merged into another organisation.
PROVIDER_MERGED = "provider_merged"


def merge_organisations(merged: Organisation, kept: Organisation, *, author: str) -> int:
    """Merge ``merged`` into ``kept``; return how many listings moved. Flushes; the caller commits."""
    if merged.id == kept.id:
        raise CatalogError(_l("An organisation cannot be merged into itself."))
    moved = 0
    services = (
        db.session.execute(db.select(Service).where(Service.provider_id == merged.id)).unique().scalars()
    )
    for service in list(services):
        before = merged.name
        service.provider = kept
        draft = service.draft
        if draft and (draft.get("cells") or {}).get("provider", "").strip().casefold() == before.casefold():
            service.draft = {**draft, "cells": {**draft["cells"], "provider": kept.name}}
        _record_change(
            service,
            PROVIDER_MERGED,
            author,
            changes={"provider": [before, kept.name]},
            kept=snapshot(service),
        )
        moved += 1
    kept_alliances = {membership.alliance_id for membership in kept.memberships}
    for membership in list(merged.memberships):
        if membership.alliance_id not in kept_alliances:
            db.session.add(
                AllianceMember(
                    alliance_id=membership.alliance_id, organisation_id=kept.id, role=membership.role
                )
            )
        elif membership.role == "lead":
            for own in kept.memberships:
                if own.alliance_id == membership.alliance_id:
                    own.role = "lead"
        db.session.delete(membership)
    for alliance in db.session.execute(db.select(Alliance).where(Alliance.lead_id == merged.id)).scalars():
        alliance.lead_id = kept.id
    from welfarepoint.accounts.models import (
        User,
    )  # the provider accounts of the merged one now work for the kept one

    db.session.execute(
        db.update(User).where(User.organisation_id == merged.id).values(organisation_id=kept.id)
    )
    db.session.execute(
        db.update(OrganisationRedirect)
        .where(OrganisationRedirect.organisation_id == merged.id)
        .values(organisation_id=kept.id)
    )
    db.session.add(
        OrganisationRedirect(
            old_uuid=merged.uuid, old_name=merged.name, organisation_id=kept.id, merged_by=author
        )
    )
    db.session.flush()
    db.session.expire(merged, ["memberships"])  # the memberships deleted above are no longer its own
    db.session.delete(merged)
    db.session.flush()
    for service_id in db.session.execute(
        db.select(Service.id).where(Service.provider_id == kept.id)
    ).scalars():
        events.listing_changed(db.session, service_id)
    return moved


def redirect_of(uuid: str) -> Organisation | None:
    """The organisation an old address (of a merged organisation) now leads to, or None."""
    redirect = db.session.get(OrganisationRedirect, str(uuid)[:36])
    return redirect.organisation if redirect else None
