"""The family and company questionnaires: short GET steps, answers carried in the address, explained results.

Nothing is stored but the anonymous demand counters, incremented once per completed questionnaire: the last
step submits ``done=1``; the page counts, then redirects to the same address without it, so a reload or a
shared link does not count again.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from welfarepoint import assets, search
from welfarepoint.catalog import queries, taxonomy
from welfarepoint.i18n import current_language
from welfarepoint.insights.counters import count_questionnaire
from welfarepoint.matching import places as rules
from welfarepoint.matching import profile_from
from welfarepoint.matching.engine import gap_text
from welfarepoint.matching.profile import RADIUS_CHOICES, resolve_municipality
from welfarepoint.matching.runner import run_questionnaire
from welfarepoint.public import drawn, lists
from welfarepoint.public.blueprint import bp
from welfarepoint.territory.models import public_routes
from welfarepoint.vocabulary.text import age_from_text

FAMILY_STEPS = ("place", "people", "needs", "options")
COMPANY_STEPS = ("company", "needs")
#: The answers each step asks for (the others travel as hidden fields).
STEP_FIELDS = {
    "place": ("municipality", "work_municipality", "school_municipality"),
    "people": ("child_age", "child_school", "cared_age", "cared_municipality"),
    "needs": ("needs",),
    "options": ("free_only", "language"),
    "company": ("municipality", "size", "has_plan"),
}
ANSWER_FIELDS = {
    "persons": ("municipality", "work_municipality", "school_municipality", "child_age", "cared_age", "cared_municipality", "needs", "free_only", "language", "radius_km", "channel"),
    "companies": ("municipality", "size", "needs", "has_plan", "radius_km", "channel"),
}  # fmt: skip


PLACE_FIELDS = ("municipality", "work_municipality", "school_municipality", "cared_municipality")


def _answers(audience: str) -> list[tuple[str, str]]:
    """The questionnaire's answers from the address, in a stable order, empty ones dropped.

    A place is carried on as its ISTAT code once it is known (the typed text only while it is not).
    """
    answers = []
    for key in ANSWER_FIELDS[audience]:
        if key == "child_age" and any(value.strip() for value in request.args.getlist("child_school")):
            answers.extend(_children_with_schools())
            continue
        values = [value.strip()[:80] for value in request.args.getlist(key) if value.strip()]
        if key in ("child_age", "cared_age"):  # "8 anni", "otto": carried on as the number once understood
            values = [_as_age(value) for value in values]
        if key in PLACE_FIELDS and values:
            found = next((place for value in values if (place := resolve_municipality(value)[0])), None)
            values = [found.istat_code if found else values[0]]
        answers.extend((key, value) for value in values)
    return answers


def _as_age(value: str) -> str:
    """An age as typed, written as its number when it is one ("8 anni" -> "8"), else as typed."""
    age = age_from_text(value)
    return value if age is None else str(age)


def _children_with_schools() -> list[tuple[str, str]]:
    """Each child's age and own school, side by side (a school left empty stays, to keep each with its child)."""
    schools = request.args.getlist("child_school")
    pairs = []
    for n, age in enumerate(request.args.getlist("child_age")):
        if age.strip():
            school = schools[n].strip()[:80] if n < len(schools) else ""
            found = resolve_municipality(school)[0] if school else None
            pairs += [
                ("child_age", _as_age(age.strip()[:20])),
                ("child_school", found.istat_code if found else school),
            ]
    return pairs


def _address(endpoint: str, answers: list[tuple[str, str]], **extra: str) -> str:
    pairs = answers + [(key, value) for key, value in extra.items() if value]
    return url_for(endpoint) + ("?" + urlencode(pairs) if pairs else "")


def _missing(profile, errors: dict) -> dict:
    """What the answers lack to give results: a place (any of them), a need."""
    missing = {}
    if not profile.places and not any(field in errors for field in PLACE_FIELDS):
        missing["municipality"] = (
            _("Give where you live, where you work or where the children go to school.")
            if profile.audience == "persons"
            else _("Give the municipality where the company is.")
        )
    if not profile.needs and "needs" not in errors:
        missing["needs"] = (
            _("Tick at least one need.")
            if profile.audience == "persons"
            else _("Tick at least one interest.")
        )
    return missing


def _error_summary(errors: dict, step: str, audience: str) -> list[tuple[str, str]]:
    """The errors of ``step``, each with the id of the field it is about (the summary links to it)."""
    first_need = taxonomy.need_codes(audience)[0]
    anchors = {"needs": f"need-{first_need}", "size": "size-micro", "has_plan": "has_plan-no"}
    summary = []
    for key, message in errors.items():
        field = key.rsplit("_", 1)[0] if key.startswith("child_") and key[-1].isdigit() else key
        if field not in STEP_FIELDS[step] or (
            key in ("child_age", "child_school") and any(k.startswith(key + "_") for k in errors)
        ):
            continue
        summary.append((anchors.get(key, key), str(message)))
    return summary


def _results(audience: str, endpoint: str, steps: tuple[str, ...]):
    """Run the questionnaire page for ``audience``: a step, or the results."""
    answers = _answers(audience)
    profile, errors = profile_from(request.args, audience)
    step = requested = request.args.get("step", "")
    asked = request.args.get("from_step", "")
    missing = _missing(profile, errors)
    # A step with problems in its own answers is shown again, with the messages; so is a step left without
    # what it must have (a place, a need) once it was sent, or when the results are asked without it.
    if asked in steps and any(field in errors or field in missing for field in STEP_FIELDS[asked]):
        step = asked
    if step not in steps:
        wrong = [
            name for name in steps if any(field in errors or field in missing for field in STEP_FIELDS[name])
        ]
        if wrong:
            step = wrong[0]
    # What a step lacks is said once it was sent, or the results were asked without it: never on arriving at it.
    if step in steps and asked in steps and (asked == step or requested not in steps):
        errors.update({field: missing[field] for field in STEP_FIELDS[step] if field in missing})
    if step in steps:
        suggestions = {}
        for field in PLACE_FIELDS:
            if field in errors:
                suggestions[field] = resolve_municipality(request.args.get(field, ""))[2]
        hidden = [(key, value) for key, value in answers if key not in STEP_FIELDS[step]]
        error_summary = _error_summary(errors, step, audience)
        position = steps.index(step)
        return render_template(
            f"public/{endpoint.split('.')[-1]}_step.html",
            step=step,
            steps=steps,
            position=position,
            next_step=steps[position + 1] if position + 1 < len(steps) else "",
            back=_address(endpoint, answers, step=steps[position - 1]) if position else None,
            hidden=hidden,
            profile=profile,
            errors=errors,
            error_summary=error_summary,
            suggestions=suggestions,
            args=request.args,
            answers=answers,
        )

    # A results page drawn once is kept for every worker (public/drawn.py); not a completed questionnaire's
    # (counted, then sent to its permalink) nor one drawn with a message waiting.
    kept_here = request.args.get("done") != "1" and "_flashes" not in session
    if kept_here:
        edition, address = drawn.edition(), drawn.address()
        kept = drawn.kept(edition, address)
        if kept is not None:
            return assets.page_response(kept[0])
    focus = request.args.get("need", "")[:40]
    page = request.args.get("page", default=1, type=int)  # not a number: the first page
    profile, _errors, result = run_questionnaire(
        request.args, audience, current_language(), shown=(MATCHES_PER_NEED, focus, page)
    )
    if request.args.get("done") == "1":
        count_questionnaire(
            audience,
            result.home_ats,
            result.need_outcomes,
            request.args.get("channel", "web"),
            municipality=profile.places[0].municipality.istat_code if profile.places else "",
        )
        return redirect(_address(endpoint, answers), code=303)
    services = {
        s.id: s
        for s in queries.published_services({m.offer.id for m in result.matches + result.alternatives})
    }
    home = profile.places[0].municipality.istat_code if profile.places else None
    # The nearest few of each territory of the answers, with the way to all of them: a list, not a directory.
    desks = [desk for ats in profile.ats for desk in queries.nearest_desks(ats, home, DESKS_PER_TERRITORY)]
    focus = focus if focus in result.by_need else ""
    # For a care need nothing fits, the public offices of the ATS where the person cared for lives (or, with no
    # place given for them, of the family's places), curated by its managers.
    care_gaps = [gap for gap in result.gaps if gap.who == "cared"]
    care_places = [place for gap in care_gaps for place in gap.places] or (
        profile.places if care_gaps else []
    )
    care_ats = sorted({place.municipality.ats for place in care_places if place.municipality.ats})
    routes = [route for ats in care_ats for route in public_routes(ats)]
    html = render_template(
        "public/match_results.html",
        routes=routes,
        today=date.today(),
        result=result,
        focus=focus,
        page=result.page,
        pages=result.pages(focus, MATCHES_PER_NEED) if focus else 1,
        per_need=MATCHES_PER_NEED,
        more=lambda need: _address(endpoint, answers, need=need),
        page_link=lambda number: _address(
            endpoint, answers, need=focus, page=str(number) if number > 1 else ""
        ),
        services=services,
        desks=desks,
        profile=profile,
        answers=answers,
        permalink=_address(endpoint, answers),
        radius_choices=RADIUS_CHOICES,
        gap_text=lambda gap: gap_text(gap, current_language(), profile.outside),
        turn_to=rules.turn_to,
        change=lambda step: _address(endpoint, answers, step=step),
    )
    if not kept_here:
        return html
    gzipped = assets.compressed_page(html)
    if search.generation() == edition[0]:  # the catalog did not change while this page was drawn
        drawn.keep(edition, address, gzipped, bool(result.matches))
    return assets.page_response(gzipped)


#: Matches shown for each need on a results page, the best first; the others a page of one need at a time away
#: (``?need=...&page=...``). At 100,000 listings a questionnaire found up to 800 that fit.
MATCHES_PER_NEED = 10
#: Welfare Points named on a results page for each territory of the answers (the nearest first).
DESKS_PER_TERRITORY = 3


@bp.get("/match/family")
def match_family():
    """The family questionnaire and its results."""
    return _results("persons", "public.match_family", FAMILY_STEPS)


@bp.get("/match/company")
def match_company():
    """The company questionnaire and its results."""
    return _results("companies", "public.match_company", COMPANY_STEPS)


@bp.get("/match/shortlist")
def shortlist():
    """The listings a visitor chose to keep: printable, and shareable as a link (nothing stored on the server)."""
    slugs = [slug.strip()[:160] for slug in request.args.getlist("keep") if slug.strip()][:30]
    chosen = [service for slug in dict.fromkeys(slugs) if (service := queries.service_by_slug(slug))]
    plan = request.args.get("plan") == "1"
    if not plan:  # a family's list is "La mia lista", kept in the address like this one
        return redirect(lists.list_url(slugs, lists.safe_back(request.args.get("back"))), code=303)
    by_area: dict[str, list] = {}
    for service in chosen:
        by_area.setdefault(service.category, []).append(service)
    return render_template(
        "public/shortlist.html",
        services=chosen,
        plan=plan,
        by_area=by_area,
        area_words=lambda code: taxonomy.need_plain_words(code, current_language()),
        back=request.args.get("back", "")[:2000]
        if (request.args.get("back", "")).startswith("/match/")
        else "",
    )
