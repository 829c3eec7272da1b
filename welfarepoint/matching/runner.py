"""Where matching meets the catalog: load the published listings of an audience and match a profile on them.

Everything else in this package is pure; this module is what the questionnaire pages and the API both call.
The offers are kept per process until the catalog changes (search's :func:`~welfarepoint.search.generation`
says when, in any process or instance), shared by the process's threads.
"""

from __future__ import annotations

import threading
from typing import Any

from welfarepoint import search
from welfarepoint.catalog import queries
from welfarepoint.matching.engine import MatchResult, match, offer_from
from welfarepoint.matching.profile import NeedsProfile, profile_from

_offers_cache: dict[tuple, dict[str, list]] = {}
_offers_lock = threading.Lock()


def _offers_by_need(audience: str) -> dict[str, list]:
    """Every published :class:`Offer` of ``audience``, filed under each need it answers.

    Cached until the next catalog change: the search index's generation moves whenever a published listing
    changes (in any process), so it keys the cache; a change is seen by the next questionnaire of every worker.
    """
    from flask import current_app

    key = (current_app.config["SEARCH_INDEX_DIR"], audience, search.generation())
    cached = _offers_cache.get(key)
    if cached is None:
        cached = {}
        shared: dict = {}
        for service in queries.published_for_audience(audience):
            offer = offer_from(service, shared)
            for need in offer.needs:
                cached.setdefault(need, []).append(offer)
        with _offers_lock:  # two threads may both load them; either's are right
            for old in [k for k in _offers_cache if k[:2] == key[:2]]:
                del _offers_cache[old]
            _offers_cache[key] = cached
    return cached


def offers_for(audience: str, needs: list[str]) -> list:
    """The published offers of ``audience`` that answer at least one of ``needs`` (the only ones that can match)."""
    by_need = _offers_by_need(audience)
    seen: set[int] = set()
    found = []
    for need in needs:
        for offer in by_need.get(need, ()):
            if offer.id not in seen:
                seen.add(offer.id)
                found.append(offer)
    return found


def run_questionnaire(
    args: Any, audience: str, language: str, shown: tuple | None = None
) -> tuple[NeedsProfile, dict[str, Any], MatchResult]:
    """Read the answers, then match them on the published listings of ``audience`` that answer a need asked.

    ``shown`` (per need, need, page) keeps only what a results page shows (:meth:`MatchResult.shown`).
    """
    profile, errors = profile_from(args, audience)
    result = match(profile, offers_for(audience, profile.needs), language=language)
    return profile, errors, result.shown(*shown) if shown else result
