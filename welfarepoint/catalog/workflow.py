"""The editorial workflow of a listing: edit, hold changes for review, submit, publish, archive, restore.

A listing's columns hold what the public sees once it is published. While a *published* listing has changes
that wait for review, they live in ``Service.draft`` as the text cells of a listing (the same cells as a CSV
row), with who saved them, when, and whether they were submitted; the public keeps seeing the columns until
somebody publishes the changes. Listings that are not published are edited in place (nobody outside sees
them).

Every function takes the version the editor started from: if somebody saved in between, ConflictError.
This module decides what an editor's action means for a listing; the writing (the rows, the revision, the
index update) is done by the public functions of :mod:`welfarepoint.catalog.operations`, which flush and
never commit (the caller does, once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from flask_babel import lazy_gettext as _l

from welfarepoint.catalog.interchange import cell_text
from welfarepoint.catalog.models import Organisation, Revision, Service, ServiceCoverage, now_utc
from welfarepoint.catalog.operations import (
    CONTENT_FIELDS,
    CatalogError,
    ConflictError,
    change_status,
    check_version,
    drop_changes,
    find_alliance,
    find_organisation,
    hold_changes,
    listing_of,
    listing_snapshot,
    return_changes,
    update_service,
)
from welfarepoint.catalog.validation import (
    CSV_COLUMNS,
    FieldError,
    ListingInput,
    clean_text,
    validate_listing,
)
from welfarepoint.extensions import db

#: Columns of a listing that the edit form does not show; they are carried over from the current content.
NOT_IN_FORM = ("status", "last_verified")


def cells_of(listing: ListingInput) -> dict[str, str]:
    """A validated listing as text cells (municipalities by ISTAT code), ready to be validated again."""
    return {name: cell_text(getattr(listing, name, None)) for name in CSV_COLUMNS}


def cells_of_snapshot(data: dict[str, Any]) -> dict[str, str]:
    """The content a revision kept, as text cells (the provider's type is looked up, it is not in snapshots)."""
    cells = {name: cell_text(data.get(name)) for name in CONTENT_FIELDS if name in CSV_COLUMNS}
    cells["municipalities"] = cell_text(data.get("coverage", []))
    cells["municipality"] = cell_text(data.get("municipality_code"))
    cells["provider"] = data.get("provider", "")
    provider = find_organisation(cells["provider"]) if cells["provider"] else None
    cells["provider_type"] = provider.type if provider else ""
    cells["alliance"] = data.get("alliance", "")
    cells["status"] = data.get("status", "draft")
    return cells


def current_cells(service: Service) -> dict[str, str]:
    """What an editor starts from: the changes waiting for review if any, else the listing's content."""
    if service.draft:
        return dict(service.draft["cells"])
    return cells_of(listing_of(service))


def published_cells(service: Service) -> dict[str, str]:
    """The content the public sees (the columns), as text cells."""
    return cells_of(listing_of(service))


def has_pending(service: Service) -> bool:
    """Whether a published listing has changes waiting for review."""
    return bool(service.draft)


def pending_submitted(service: Service) -> bool:
    """Whether the waiting changes were submitted for review (rather than just saved)."""
    return bool(service.draft and service.draft.get("submitted"))


def _hold(service: Service, listing: ListingInput, *, author: str, submitted: bool, action: str) -> None:
    """Keep ``listing`` as the changes of a published listing waiting for review, and record it."""
    cells = cells_of(replace(listing, status="published"))
    hold_changes(service, listing, cells, author=author, submitted=submitted, action=action)


def save(
    service: Service,
    listing: ListingInput,
    *,
    author: str,
    expected_version: int | None = None,
    action: str = "update",
) -> None:
    """Save an editor's changes: in place, or held for review when the listing is published."""
    check_version(service, expected_version)
    if service.status == "published":
        if service.draft is None and _same_content(service, listing):
            return
        _hold(service, listing, author=author, submitted=False, action=action)
    else:
        update_service(service, replace(listing, status=service.status), author=author, action=action)


def _same_content(service: Service, listing: ListingInput) -> bool:
    return published_cells(service) == cells_of(replace(listing, status=service.status))


def submit(
    service: Service, listing: ListingInput | None, *, author: str, expected_version: int | None = None
) -> None:
    """Save (when ``listing`` is given) and submit for review: a draft goes in review; a published listing's
    changes are marked as submitted."""
    check_version(service, expected_version)
    if service.status == "published":
        if listing is None:
            if not service.draft:
                raise CatalogError(_l("There are no changes to submit."))
            listing = listing_from_cells(service.draft["cells"])
        _hold(service, listing, author=author, submitted=True, action="submit")
        return
    if listing is not None:
        update_service(service, replace(listing, status=service.status), author=author)
    if service.status != "in_review":
        change_status(service, "in_review", author=author)


def publish(
    service: Service, listing: ListingInput | None, *, author: str, expected_version: int | None = None
) -> None:
    """Make the listing (with ``listing``'s content, or the changes waiting for review) what the public sees."""
    check_version(service, expected_version)
    if listing is None and service.draft:
        listing = listing_from_cells(service.draft["cells"])
    problems = publishing_problems(listing if listing is not None else listing_of(service))
    if problems:
        raise CatalogError(problems[0].message)
    if listing is not None:
        update_service(
            service, replace(listing, status="published"), author=author, action="publish", clear_pending=True
        )
    elif service.status != "published":
        change_status(service, "published", author=author)
    else:
        raise CatalogError(_l("This listing is already published."))


#: The longest reason a send-back may give.
REASON_MAX = 2000


def send_back(service: Service, *, author: str, reason: str, expected_version: int | None = None) -> None:
    """Return a submission to its editor with ``reason`` (required): a listing in review becomes a draft;
    submitted changes are unsubmitted and stay the editor's.

    The reason is kept in the history, addressed to the editor who submitted (their inbox shows it).
    """
    check_version(service, expected_version)
    reason = clean_text(reason)
    if not reason:
        raise CatalogError(_l("Write why you send it back: the editor will read it."))
    if len(reason) > REASON_MAX:
        raise CatalogError(_l("Write at most 2000 characters."))
    if service.status == "published" and service.draft and service.draft.get("submitted"):
        kept = listing_snapshot(listing_from_cells(service.draft["cells"]), "published")
        return_changes(service, kept, author=author, note=reason, addressee=service.draft.get("author", ""))
    elif service.status == "in_review":
        change_status(
            service, "draft", author=author, action="send_back", note=reason, addressee=submitter(service)
        )
    else:
        raise CatalogError(_l("Only a listing in review can be sent back."))


def submitter(service: Service) -> str:
    """Who last submitted ``service`` for review (its last editor when no submission is recorded)."""
    for revision in reversed(service.revisions):
        if revision.action == "submit":
            return revision.author
    return service.updated_by


def discard(service: Service, *, author: str, expected_version: int | None = None) -> None:
    """Drop the changes waiting for review of a published listing; the public version stays."""
    check_version(service, expected_version)
    if not service.draft:
        raise CatalogError(_l("There are no changes waiting for review."))
    drop_changes(service, author=author)


def archive(service: Service, *, author: str, expected_version: int | None = None) -> None:
    """Take the listing off the public site (its address keeps answering, as a service no longer active)."""
    check_version(service, expected_version)
    change_status(service, "archived", author=author, clear_pending=True)


def restore(service: Service, *, author: str, expected_version: int | None = None) -> None:
    """Bring an archived listing back as a draft, to be checked and published again."""
    check_version(service, expected_version)
    if service.status != "archived":
        raise CatalogError(_l("Only an archived listing can be restored."))
    change_status(service, "draft", author=author)


def restore_revision(
    service: Service,
    revision: Revision,
    *,
    author: str,
    expected_version: int | None = None,
    allowed: Callable[[ListingInput], list[FieldError]] | None = None,
) -> None:
    """Put back the content a revision kept (held for review when the listing is published).

    ``allowed`` gives why the restorer may not save the restored content (its provider or alliance outside
    their territory, say): the version is then not restored.
    """
    if revision.service_id != service.id or not revision.snapshot:
        raise CatalogError(_l("This version cannot be restored."))
    listing, problems = validate_listing(cells_of_snapshot(revision.snapshot))
    if listing is not None and allowed is not None:
        problems = allowed(listing)
        listing = None if problems else listing
    if listing is None:
        raise CatalogError(
            _l(
                "This version cannot be restored as it is: %(problems)s",
                problems="; ".join(f"{p.column}: {p.message}" for p in problems),
            )
        )
    save(service, listing, author=author, expected_version=expected_version, action="restore")


def listing_from_cells(cells: dict[str, str]) -> ListingInput:
    """Validate stored cells again (the territory or taxonomy may have changed since they were saved)."""
    listing, problems = validate_listing(cells)
    if listing is None:
        raise CatalogError(
            _l(
                "The saved changes are no longer valid: %(problems)s",
                problems="; ".join(f"{p.column}: {p.message}" for p in problems),
            )
        )
    return listing


def preview(service: Service) -> Service:
    """A copy of ``service`` carrying its changes waiting for review, never added to the database session.

    Raises CatalogError when the saved changes no longer validate. The caller expunges the copy if a lazy load
    pulled it into the session.
    """
    listing = listing_from_cells(service.draft["cells"]) if service.draft else listing_of(service)
    with db.session.no_autoflush:
        copy = Service(
            uuid=service.uuid,
            slug=service.slug,
            status=service.status,
            updated_at=now_utc(),
            last_verified=service.last_verified,
        )
        for name in CONTENT_FIELDS:
            if name == "municipality_code":
                copy.municipality_code = listing.municipality
            elif hasattr(listing, name):
                setattr(copy, name, getattr(listing, name))
        copy.provider = find_organisation(listing.provider) or Organisation(
            name=listing.provider, type=listing.provider_type
        )
        copy.alliance = find_alliance(listing.alliance) if listing.alliance else None
        copy.coverage = [ServiceCoverage(municipality_code=code) for code in listing.municipalities]
    return copy


# --- issue 24 (helper "save"): what publishing needs, and the content an editor started from ---

#: Why a listing cannot be published with no summary (the search results show it).
NO_SUMMARY = _l("A summary is needed to publish: one or two sentences shown in the search results.")


def publishing_problems(listing: ListingInput) -> list[FieldError]:
    """What a listing lacks to be published (it may still be saved): a summary."""
    return [] if (listing.summary or "").strip() else [FieldError("summary", NO_SUMMARY)]


def cells_at_version(service: Service, version: int) -> dict[str, str] | None:
    """The content of ``service`` as it was at ``version`` (the latest revision up to it), as text cells;
    None when no revision says (the base of a three-way merge, :mod:`welfarepoint.catalog.edit_merge`)."""
    revision = db.session.execute(
        db.select(Revision)
        .where(Revision.service_id == service.id, Revision.version <= version)
        .order_by(Revision.version.desc(), Revision.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if revision is None or not revision.snapshot:
        return None
    cells = cells_of_snapshot(revision.snapshot)
    listing, _problems = validate_listing(cells)
    return cells_of(listing) if listing is not None else cells


__all__ = [
    "CatalogError",
    "ConflictError",
    "FieldError",
    "archive",
    "cells_at_version",
    "cells_of",
    "current_cells",
    "discard",
    "has_pending",
    "listing_from_cells",
    "pending_submitted",
    "preview",
    "publish",
    "publishing_problems",
    "published_cells",
    "restore",
    "restore_revision",
    "save",
    "send_back",
    "submit",
    "submitter",
]
