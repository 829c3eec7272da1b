"""Where matching meets the catalog: load the published listings of an audience and match a profile on them.

Everything else in this package is pure; this module is what the questionnaire pages and the API both call.
"""

from __future__ import annotations

from typing import Any

from welfarepoint.catalog import queries
from welfarepoint.matching.engine import MatchResult, match, offer_from
from welfarepoint.matching.profile import NeedsProfile, profile_from


def run_questionnaire(
    args: Any, audience: str, language: str
) -> tuple[NeedsProfile, dict[str, Any], MatchResult]:
    """Read the answers, then match them on every published listing of ``audience``."""
    profile, errors = profile_from(args, audience)
    offers = [offer_from(service) for service in queries.published_for_audience(audience)]
    return profile, errors, match(profile, offers, language=language)
