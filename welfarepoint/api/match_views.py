"""JSON twins of the questionnaires: ``/api/v1/match/family`` and ``/api/v1/match/company`` (docs/features.md).

They take the same parameters as the pages and return the ranked matches, each an HSDS service with its score
and reasons, plus what was not understood. Like the results pages, they return the best ``per_need`` matches of
each need (10 unless asked), with how many fit each need; ``need`` and ``page`` turn the pages of one need's
matches. At 100,000 listings a questionnaire can fit 800 of them, which no answer should carry at once. They do
not count demand: only a completed questionnaire does.
"""

from __future__ import annotations

from functools import cache

from flask import request
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from welfarepoint.api import hsds
from welfarepoint.api.blueprint import bp
from welfarepoint.api.responses import bad_request, common_errors, content_language, json_in, page_url
from welfarepoint.catalog import queries
from welfarepoint.matching import places as rules
from welfarepoint.matching.engine import gap_text
from welfarepoint.matching.runner import run_questionnaire
from welfarepoint.search_params import MAX_PAGE, whole_number

#: Matches of each need in an answer unless ``per_need`` asks (as many as the results pages show), and at most.
DEFAULT_PER_NEED = 10
MAX_PER_NEED = 50


def _paging(errors: dict) -> tuple[int, str | None, int]:
    """``per_need``, ``need`` and ``page`` as asked; a problem goes into ``errors``."""
    per_need, need, page = DEFAULT_PER_NEED, (request.args.get("need") or "").strip() or None, 1
    if (raw := request.args.get("per_need")) is not None:
        number = whole_number(raw)
        if number is None or not 1 <= number <= MAX_PER_NEED:
            errors["per_need"] = _l(
                "The number of matches per need must be a whole number between 1 and %(max)s.",
                max=MAX_PER_NEED,
            )
        else:
            per_need = number
    if (raw := request.args.get("page")) is not None:
        number = whole_number(raw)
        if number is None or not 1 <= number <= MAX_PAGE:
            errors["page"] = _l("The page must be a whole number between 1 and %(max)s.", max=MAX_PAGE)
        elif need is not None:  # without ``need`` there is one page of each need: ``page`` changes nothing
            page = number
    return per_need, need, page


@cache
def single_valued(path: str) -> frozenset[str]:
    """The query parameters of ``path`` that the OpenAPI document gives one value (not an array)."""
    from welfarepoint.api.views import openapi_document

    document = openapi_document()
    shared = document.get("components", {}).get("parameters", {})
    parameters = [
        shared[item["$ref"].rsplit("/", 1)[-1]] if "$ref" in item else item
        for item in document["paths"][path]["get"].get("parameters", [])
    ]
    return frozenset(
        item["name"]
        for item in parameters
        if item.get("in") == "query" and item.get("schema", {}).get("type") != "array"
    )


#: Each questionnaire's path in the OpenAPI document.
PATHS = {"persons": "/match/family", "companies": "/match/company"}

#: What ``free_only`` may say (as the OpenAPI document lists them); any of them asks for free services only.
FREE_ONLY_VALUES = ("1", "true", "yes", "on")


def _match(audience: str):
    errors = common_errors("match")
    language = content_language()
    per_need, need, page = _paging(errors)
    for name in sorted(set(request.args)):
        if name in single_valued(PATHS[audience]) and len(request.args.getlist(name)) > 1:
            errors[name] = _l("“%(name)s” may be given only once.", name=name)
    free_only = request.args.get("free_only")
    if free_only is not None and free_only not in FREE_ONLY_VALUES:
        errors["free_only"] = _l(
            "“%(value)s” is not one of %(values)s.", value=free_only[:40], values=", ".join(FREE_ONLY_VALUES)
        )
    with force_locale(language):
        profile, problems, result = run_questionnaire(
            request.args, audience, language, (per_need, need, page)
        )
    # One "child_age" (and "child_school") problem, its message naming the child; the pages tie it to its field.
    errors.update(
        {key: value for key, value in problems.items() if not key.startswith(("child_age_", "child_school_"))}
    )
    if not profile.places and "municipality" not in errors:
        errors["municipality"] = (
            _l(
                "Give the municipality (name or ISTAT code) where you live, work or the children go to school."
            )
            if audience == "persons"
            else _l("Give the municipality (name or ISTAT code).")
        )
    if not profile.needs and "needs" not in errors:
        errors["needs"] = _l("Give at least one need code.")
    if need is not None and profile.needs and need not in profile.needs and "needs" not in errors:
        errors["need"] = _l("“%(value)s” is not one of the needs asked.", value=need[:40])
    if errors:
        return bad_request(errors)
    paging: dict = {"total": result.services_total, "counts": result.counts, "per_need": per_need}
    matches = [m for m in result.matches if not m.money]
    money = [] if need is not None else result.money
    if need is not None:
        # One need's page; a page past the last is empty, as an API answers (the pages show the last one).
        matches = result.by_need.get(need, []) if result.page == page else []
        paging.update(need=need, page=page, pages=result.pages(need, per_need))
    services = {
        s.id: s
        for s in queries.published_services({m.offer.id for m in matches + money + result.alternatives})
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
                "distance_km": match.distance_km,
                "place_that_counts": (
                    {"role": match.place.role, "name": match.place.municipality.name} if match.place else None
                ),
                "widened": match.widened,
                "money": match.money,
            }

    def gap_item(gap):
        with force_locale(language):
            return {
                "need": gap.need,
                "who": gap.who,
                "age": gap.age,
                "why": gap.why,
                "text": str(gap_text(gap, language, profile.outside)),
                "places": [
                    {"role": p.role, "istat_code": p.municipality.istat_code, "name": p.municipality.name}
                    for p in gap.places
                ],
                "turn_to": list(rules.turn_to(gap.need)),
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
                # Each child's own school, in the order of ``child_ages`` (null: the common school, else home).
                "child_schools": [
                    {"istat_code": m.istat_code, "name": m.name} if m is not None else None
                    for m in profile.child_schools
                ],
                "cared_age": profile.cared_age,
                "size": profile.size,
                "has_plan": profile.has_plan,
                "free_only": profile.free_only,
                "language": profile.language,
                "radius_km": profile.radius_km,
                "outside_lombardy": dict(profile.outside),
            },
            "outcome": result.outcome,
            **paging,
            "matches": [item(m) for m in matches if m.offer.id in services],
            "money": [item(m) for m in money if m.offer.id in services],
            "money_total": result.money_total,
            "need_order": [need for need in result.order if need in result.counts],
            "unmet_needs": result.unmet_needs,
            "gaps": [gap_item(gap) for gap in result.gaps],
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
