"""Overlapping listings for a manager to review: find them, compare them side by side, record "distinct",
merge, and undo a merge.

The decisions are kept in this package's own table (:class:`~welfarepoint.insights.models.OverlapDecision`);
a merge changes the listings through the catalog's write API (:func:`welfarepoint.catalog.operations.merge_into`,
undone by :func:`welfarepoint.catalog.operations.unmerge`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from welfarepoint import territory
from welfarepoint.catalog import operations, taxonomy
from welfarepoint.catalog.columns import COLUMN_SPECS
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.extensions import db
from welfarepoint.insights.models import OverlapDecision
from welfarepoint.insights.overlaps import Listing, Overlap, find_overlaps


def as_listing(service: Service) -> Listing:
    """What the overlap finder needs of a listing."""
    return Listing(
        id=service.id,
        title=service.title,
        text=" ".join((service.title, service.summary, service.description)),
        ats=service.ats,
        coverage=frozenset(service.coverage_codes),
        needs=frozenset(service.needs or ()),
        age_min=service.age_min,
        age_max=service.age_max,
        periods=frozenset(service.periods or ()),
        audience=service.audience,
    )


def overlaps_among(services: list[Service]) -> list[Overlap]:
    """Groups of published ``services`` that repeat each other, leaving out pairs already judged distinct."""
    ids = [service.id for service in services]
    decided = {
        frozenset((first, second))
        for first, second in db.session.execute(
            db.select(OverlapDecision.first_id, OverlapDecision.second_id).where(
                OverlapDecision.first_id.in_(ids) | OverlapDecision.second_id.in_(ids)
            )
        ).all()
    }
    published = [service for service in services if service.status == "published"]
    return find_overlaps([as_listing(service) for service in published], ignore=decided)


def _decide(first: int, second: int, decision: str, author: str) -> None:
    low, high = sorted((first, second))
    existing = db.session.execute(
        db.select(OverlapDecision).filter_by(first_id=low, second_id=high)
    ).scalar_one_or_none()
    if existing is None:
        db.session.add(
            OverlapDecision(
                first_id=low, second_id=high, decision=decision, decided_by=author, decided_at=now_utc()
            )
        )
    else:
        existing.decision, existing.decided_by, existing.decided_at = decision, author, now_utc()


def mark_distinct(services: list[Service], *, author: str) -> None:
    """Record that these listings are different services (they will not be proposed together again)."""
    for index, first in enumerate(services):
        for second in services[index + 1 :]:
            _decide(first.id, second.id, "distinct", author)
    db.session.flush()


def merge(keep: Service, others: list[Service], *, author: str) -> None:
    """Keep one listing; archive the others, whose addresses now lead to it."""
    for other in others:
        operations.merge_into(other, keep, author=author)
        _decide(keep.id, other.id, "merged", author)
    db.session.flush()


def undo_merge(service: Service, *, author: str) -> Service:
    """Give ``service`` back its status, waiting changes and address; forget the "merged" decision, so the
    pair is proposed again. Returns the listing it had been merged into."""
    kept = operations.unmerge(service, author=author)
    low, high = sorted((service.id, kept.id))
    db.session.execute(
        db.delete(OverlapDecision).where(
            OverlapDecision.first_id == low,
            OverlapDecision.second_id == high,
            OverlapDecision.decision == "merged",
        )
    )
    db.session.flush()
    return kept


def merged_listings(services_query) -> list[tuple[Service, Service]]:
    """(archived listing, listing it leads to) for the merges still in place among ``services_query``'s
    listings, the most recent first (at most 20)."""
    merged = (
        db.session.execute(
            services_query.where(Service.merged_into_id.is_not(None))
            .order_by(Service.updated_at.desc())
            .limit(20)
        )
        .unique()
        .scalars()
        .all()
    )
    ids = {service.merged_into_id for service in merged}
    kept = {
        service.id: service
        for service in db.session.execute(db.select(Service).where(Service.id.in_(ids))).unique().scalars()
    }
    return [(service, kept[service.merged_into_id]) for service in merged if service.merged_into_id in kept]


@dataclass(frozen=True)
class ComparedField:
    """One line of the side-by-side comparison: the field's label, each listing's value, whether they differ."""

    group: str
    label: Any
    values: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.values)) > 1


def _codes(vocabulary: str, codes: list[str] | None, language: str) -> str:
    return ", ".join(taxonomy.label(vocabulary, code, language) for code in codes or ())


def _places(codes: list[str]) -> str:
    return ", ".join(place.name for code in codes if (place := territory.by_istat(code))) or "—"


def _ages(service: Service) -> str:
    if service.age_min is None and service.age_max is None:
        return "—"
    return f"{service.age_min if service.age_min is not None else 0}–{service.age_max if service.age_max is not None else '…'}"


def comparison(services: list[Service], language: str) -> list[ComparedField]:
    """The listings side by side: what they are, for whom, where and when, the provider and the contacts."""

    def label(name: str) -> Any:
        return COLUMN_SPECS[name]["label"]

    def row(group: str, name: str, value) -> ComparedField:
        return ComparedField(group, label(name), tuple(str(value(service) or "—") for service in services))

    need = lambda code: taxonomy.need_plain_words(code, language)[0]  # noqa: E731
    return [
        row("what", "title", lambda s: s.title),
        row("what", "summary", lambda s: s.summary),
        row("what", "description", lambda s: s.description),
        row(
            "what",
            "category",
            lambda s: f"{s.category} · {taxonomy.label('categories', s.category, language)}",
        ),
        row("what", "needs", lambda s: ", ".join(need(code) for code in s.needs or ())),
        row("what", "audience", lambda s: taxonomy.label("audiences", s.audience, language)),
        row("where", "ats", lambda s: s.ats),
        row("where", "municipalities", lambda s: _places(s.coverage_codes)),
        row("where", "age_min", _ages),
        row("where", "periods", lambda s: _codes("periods", s.periods, language)),
        row("where", "schedule_notes", lambda s: s.schedule_notes),
        row("where", "cost", lambda s: taxonomy.label("costs", s.cost, language)),
        row("provider", "provider", lambda s: s.provider.name),
        row(
            "provider",
            "provider_type",
            lambda s: (
                taxonomy.label("organisation_types", s.provider.type, language) if s.provider.type else ""
            ),
        ),
        row("provider", "alliance", lambda s: s.alliance.name if s.alliance else ""),
        row("contacts", "address", lambda s: s.address),
        row("contacts", "municipality", lambda s: s.municipality.name if s.municipality else ""),
        row("contacts", "phone", lambda s: s.phone),
        row("contacts", "email", lambda s: s.email),
        row("contacts", "website", lambda s: s.website),
        row("status", "status", lambda s: taxonomy.label("statuses", s.status, language)),
        row("status", "last_verified", lambda s: s.last_verified.isoformat() if s.last_verified else ""),
        row("status", "programme_period", lambda s: s.programme_period if s.funded_action else ""),
    ]


def providers_differ(services: list[Service]) -> bool:
    """Whether the listings are run by different organisations (a merge then needs an explicit confirmation)."""
    return len({service.provider_id for service in services}) > 1
