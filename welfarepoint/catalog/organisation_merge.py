"""Merge two organisations (one ente recorded twice, "Comune di Albosagia" beside "Comune di Albosaggia").

The listings and the alliance memberships of the organisation merged move to the one kept, each moved listing
records the change in its history, and the old address of the organisation leads to the one kept.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from welfarepoint.catalog import events, operations
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, OrganisationRedirect, Service
from welfarepoint.extensions import db

#: The revision action of a listing whose provider was merged into another organisation.
ACTION = "provider_merged"


def merge_organisations(merged: Organisation, kept: Organisation, *, author: str) -> int:
    """Merge ``merged`` into ``kept``; return how many listings moved. Flushes; the caller commits."""
    if merged.id == kept.id:
        raise operations.CatalogError(_l("An organisation cannot be merged into itself."))
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
        operations._record_change(
            service,
            ACTION,
            author,
            changes={"provider": [before, kept.name]},
            kept=operations.snapshot(service),
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
