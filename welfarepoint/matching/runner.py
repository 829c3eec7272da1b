"""Where matching meets the catalog: load the published listings of an audience and match a profile on them.

The offers are kept where the search index is: in the instance's search process when there is one
(``search/service.py``), which then does the matching for its workers.

Everything else in this package is pure; this module is what the questionnaire pages and the API both call.
"""

from __future__ import annotations

from typing import Any

from welfarepoint import search
from welfarepoint.catalog import queries
from welfarepoint.matching.engine import MatchResult, match, offer_from
from welfarepoint.matching.profile import NeedsProfile, profile_from

_offers_cache: dict[tuple, dict[str, list]] = {}


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


def match_here(
    profile: NeedsProfile, audience: str, language: str, shown: tuple | None = None
) -> MatchResult:
    """Match ``profile`` in this process, on the offers it keeps (in the instance's search process, if any);
    with ``shown``, only what :meth:`MatchResult.shown` keeps of the result."""
    result = match(profile, offers_for(audience, profile.needs), language=language)
    return result.shown(*shown) if shown else result


def run_questionnaire(
    args: Any, audience: str, language: str, shown: tuple | None = None
) -> tuple[NeedsProfile, dict[str, Any], MatchResult]:
    """Read the answers, then match them on the published listings of ``audience`` that answer a need asked.

    The matching is done where the offers are kept: the instance's search process, or this one (``search.ask``).
    ``shown`` (per need, need, page) keeps only what a results page shows (:meth:`MatchResult.shown`).
    """
    profile, errors = profile_from(args, audience)
    return profile, errors, search.ask("match", profile, audience, language, shown)
