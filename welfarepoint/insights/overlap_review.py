"""Overlapping listings for a manager to review: find them in the catalog, record "distinct", merge.

The decisions are kept in this package's own table (:class:`~welfarepoint.insights.models.OverlapDecision`);
a merge changes the listings through the catalog's write API (:func:`welfarepoint.catalog.operations.merge_into`).
"""

from __future__ import annotations

from welfarepoint.catalog import operations
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
