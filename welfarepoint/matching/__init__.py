"""Matching: questionnaire answers -> a NeedsProfile -> ranked matches, each with the reasons it fits.

Pure: no database, no web. The caller gives the candidate listings as :class:`Offer` values.
"""

from welfarepoint.matching.engine import Gap, Match, MatchResult, Offer, match, offer_from
from welfarepoint.matching.profile import NeedsProfile, Place, profile_from

__all__ = [
    "Gap",
    "Match",
    "MatchResult",
    "NeedsProfile",
    "Offer",
    "Place",
    "match",
    "offer_from",
    "profile_from",
]
