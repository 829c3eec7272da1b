"""Where matching meets the catalog: load the published listings of an audience and match a profile on them.

Everything else in this package is pure; this module is what the questionnaire pages and the API both call.
"""

from __future__ import annotations

from typing import Any

from welfarepoint import search
from welfarepoint.catalog import queries
from welfarepoint.matching.engine import MatchResult, match, offer_from
from welfarepoint.matching.profile import NeedsProfile, profile_from

_offers_cache: dict[tuple, list] = {}


def published_offers(audience: str) -> list:
    """The :class:`Offer` of every published listing of ``audience``, cached until the next catalog change.

    The search index's generation moves whenever a published listing changes (in any process), so it keys the
    cache; a catalog change is seen by the next questionnaire of every worker.
    """
    from flask import current_app

    key = (current_app.config["SEARCH_INDEX_DIR"], audience, search.generation())
    offers = _offers_cache.get(key)
    if offers is None:
        offers = [offer_from(service) for service in queries.published_for_audience(audience)]
        for old in [k for k in _offers_cache if k[:2] == key[:2]]:
            del _offers_cache[old]
        _offers_cache[key] = offers
    return offers


def run_questionnaire(
    args: Any, audience: str, language: str
) -> tuple[NeedsProfile, dict[str, Any], MatchResult]:
    """Read the answers, then match them on every published listing of ``audience``."""
    profile, errors = profile_from(args, audience)
    return profile, errors, match(profile, published_offers(audience), language=language)
