"""JSON twins of the questionnaires: ``/api/v1/match/family`` and ``/api/v1/match/company`` (DESIGN §9).

They take the same parameters as the pages and return the ranked matches, each an HSDS service with its score
and reasons, plus what was not understood. They do not count demand: only a completed questionnaire does.
"""

from __future__ import annotations

from flask import request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from welfarepoint.api import hsds
from welfarepoint.api.views import bad_request, bp, common_errors, content_language, json_in, page_url
from welfarepoint.catalog import queries
from welfarepoint.matching.runner import run_questionnaire


def _match(audience: str):
    errors = common_errors("match")
    language = content_language()
    with force_locale(language):
        profile, problems, result = run_questionnaire(request.args, audience, language)
    errors.update(problems)
    if not profile.places and "municipality" not in errors:
        errors["municipality"] = _l("Give the municipality (name or ISTAT code).")
    if not profile.needs and "needs" not in errors:
        errors["needs"] = _l("Give at least one need code.")
    if errors:
        return bad_request(errors)
    services = {
        s.id: s
        for s in queries.published_services({m.offer.id for m in result.matches + result.alternatives})
    }

    def item(match):
        service = services[match.offer.id]
        with force_locale(language):
            return {
                "service": hsds.service_full(service, language, page_url(service)),
                "score": round(match.score, 3),
                "needs": match.needs,
                "reasons": [str(reason) for reason in match.reasons],
                "does_not_fit": [str(misfit) for misfit in match.misfits],
            }

    return json_in(
        language,
        {
            "profile": {
                "audience": profile.audience,
                "places": [
                    {"role": p.role, "istat_code": p.municipality.istat_code, "name": p.municipality.name}
                    for p in profile.places
                ],
                "needs": profile.needs,
                "child_ages": profile.child_ages,
                "cared_age": profile.cared_age,
                "size": profile.size,
                "free_only": profile.free_only,
                "language": profile.language,
            },
            "outcome": result.outcome,
            "matches": [item(m) for m in result.matches if m.offer.id in services],
            "unmet_needs": result.unmet_needs,
            "alternatives": [item(m) for m in result.alternatives if m.offer.id in services],
        },
    )


@bp.get("/match/family")
def match_family():
    """The family questionnaire's matches, as JSON."""
    return _match("persons")


@bp.get("/match/company")
def match_company():
    """The company questionnaire's matches, as JSON."""
    return _match("companies")
