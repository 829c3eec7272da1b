"""Views of the public site. Thin: parse the request, call one domain function, render."""

from __future__ import annotations

import csv
import io
import os
from datetime import date
from urllib.parse import urlencode

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from welfarepoint import assets, search, territory
from welfarepoint.bounded import Bounded
from welfarepoint.catalog import operations, queries, taxonomy
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db, limiter
from welfarepoint.freshness.forwarding import forward_correction
from welfarepoint.i18n import current_language
from welfarepoint.insights import demand
from welfarepoint.insights.counters import count_search
from welfarepoint.matching.profile import resolve_municipality
from welfarepoint.paging import page_count
from welfarepoint.public import cards, drawn, sheets
from welfarepoint.public.blueprint import bp
from welfarepoint.public.forms import FeedbackForm, RatingForm
from welfarepoint.public.open_data import listings_csv, pieces
from welfarepoint.public.structured_data import service_json_ld
from welfarepoint.search_params import parse_search_args
from welfarepoint.territory.models import public_routes

#: The main menu, in order.
MENU = (
    ("public.home", _l("Home")),
    ("public.search_page", _l("Search services")),
    ("public.match_family", _l("For families")),
    ("public.match_company", _l("For companies")),
    ("public.welfare_points", _l("Welfare Points")),
)
RESULTS_PER_PAGE = 10


def label(vocabulary: str, code: str) -> str:
    """The label of a taxonomy code in the page's language."""
    return taxonomy.label(vocabulary, code, current_language())


def search_url(**changes) -> str:
    """The current search address with some parameters changed (None removes one; lists repeat it)."""
    base = g.get("wp_search_base")
    if base is None:  # a results page asks for a dozen (filters, pages, suggestions)
        dropped = ("page", *g.get("wp_set_aside", ()))  # a filter set aside (an ATS the place is not in)
        args = {key: request.args.getlist(key) for key in request.args if key not in dropped}
        base = g.wp_search_base = (url_for("public.search_page"), args)
    params = dict(base[1])
    for key, value in changes.items():
        if value is None or value == []:
            params.pop(key, None)
        else:
            params[key] = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    return base[0] + ("?" + urlencode(params, doseq=True) if params else "")


@bp.app_template_filter("municipality_name")
def municipality_name(code: str | None) -> str:
    """The name of a municipality given its ISTAT code."""
    place = territory.by_istat(code or "")
    return place.name if place else (code or "")


def footer() -> Markup:
    """The footer of every page: it changes only with the language (and the address the app is served at),
    so it is drawn once for each."""
    key = (current_language(), request.script_root)
    drawn_footers = current_app.extensions.setdefault("welfarepoint.footers", {})
    if key not in drawn_footers:
        drawn_footers[key] = Markup(render_template("_footer.html"))
    return drawn_footers[key]


@bp.app_context_processor
def navigation() -> dict:
    """Expose the menu and small presentation helpers to every template."""

    def main_menu() -> list[tuple[str, str]]:
        return [(endpoint, str(label)) for endpoint, label in MENU]

    return {
        "main_menu": main_menu,
        "owner": {
            key.removeprefix("OWNER_").lower(): current_app.config[key]
            for key in (
                "OWNER_NAME",
                "OWNER_OFFICE",
                "OWNER_ADDRESS",
                "OWNER_TAX_CODE",
                "OWNER_PEC",
                "OWNER_WEBSITE",
            )
        },
        "label": label,
        "footer": footer,
        "codes": taxonomy.codes,
        "language_codes": taxonomy.language_codes,
        "language_name": lambda code: taxonomy.language_name(code, current_language()),
        "ngettext": ngettext,
        "service_json_ld": service_json_ld,
        "needs_codes": taxonomy.need_codes,
        "untranslated_fields": lambda service, language: [
            name
            for name in ("title", "summary", "description")
            if service.text(name, language)[1] != language
        ],
        "need_groups": lambda audience: taxonomy.need_groups(audience, current_language()),
        "need_plain_words": lambda code: taxonomy.need_plain_words(code, current_language()),
        "need_label": lambda code: taxonomy.need_plain_words(code, current_language())[0],
    }


@bp.get("/")
def home():
    """Say what Welfare Point is and offer search and the two questionnaires."""
    return render_template("public/home.html", published=queries.count_published())


def care_needs() -> frozenset[str]:
    """The needs of care for a relative: when one finds nothing, the public routes of the ATS are shown."""
    return frozenset(
        {"P1", *(c for c in taxonomy.need_codes("persons") if taxonomy.need_category(c) == "P1")}
    )


#: Welfare Points named beside the results ("who can help you", the nearest first), with the link to all.
DESKS_SHOWN = 3


@bp.get("/search")
def search_page():
    """Search the published listings (a GET form: every search has a shareable address).

    The text and the place are two fields; a place named in the text is read as one and shown in the place
    field, with a link that removes it. Welfare Points are shown apart ("who can help you"), never counted.
    A page drawn once is kept for every worker of the instance (:mod:`welfarepoint.public.drawn`) and sent
    without searching again while the catalog, the vocabulary, the public routes and the day stay the same.
    """
    parsed = parse_search_args(request.args)
    g.wp_set_aside = tuple(parsed.set_aside)  # left out of every link of the page (search_url)
    counted = bool(parsed.text) and parsed.page == 1
    # A message waits (after a form elsewhere): drawn afresh, and not kept.
    fresh = "_flashes" in session
    edition, address = drawn.edition(), drawn.address()
    if not fresh:
        kept = drawn.kept(edition, address)
        if kept is not None:
            page, found, searched_ats = kept
            if counted:
                count_search(search.normalise_for_statistics(parsed.text), found, ats=searched_ats)
            return assets.page_response(page)
    result = search.query(
        parsed.text,
        parsed.filters,
        page=parsed.page,
        per_page=RESULTS_PER_PAGE,
        language=current_language(),
        desks_apart=True,
        read_place=parsed.read_place,
    )
    html, searched_ats = draw_results(parsed, result)
    if counted:
        count_search(search.normalise_for_statistics(parsed.text), result.total > 0, ats=searched_ats)
    if fresh:
        return html
    page = assets.compressed_page(html)
    if result.generation == (edition[0], edition[1]):  # the index did not change while this page was drawn
        drawn.keep(edition, address, page, result.total > 0, searched_ats)
    return assets.page_response(page)


#: The Welfare Points named beside the results, by (index generation, ATS, municipality): a few hundred
#: combinations, each drawn on many pages.
DESKS_KEPT = 512


def _kept(name: str, limit: int) -> Bounded:
    """What this app keeps between requests under ``name`` (each app its own: index generations of two apps
    in one process, as in the tests, may look alike)."""
    return current_app.extensions.setdefault(f"welfarepoint.public.{name}", Bounded(limit))


def draw_results(parsed, result) -> tuple[str, str]:
    """The results page of a search and the ATS of the place searched, which the search is counted in ("" for
    none)."""
    place = parsed.place or result.place
    if place is None and parsed.filters.municipality:
        place = territory.resolve_place(parsed.filters.municipality).place
    municipality = place.municipality if place is not None else None
    atses = place.atses if place is not None else frozenset()
    searched_ats = parsed.filters.ats or (next(iter(atses)) if len(atses) == 1 else "")

    # Needs outside the networks, or a care need that finds nothing: the public offices that handle them.
    care = bool(set(result.needs) & care_needs())
    shows_routes = bool(result.outside) or (care and not result.total)

    wanted = [hit.service_id for hit in [*result.hits, *result.desks]]
    services = {s.id: s for s in queries.listings_for_cards(wanted)}
    ats = parsed.filters.ats or (next(iter(atses)) if len(atses) == 1 else None)
    near = municipality.istat_code if municipality else None
    if ats or near or not result.desks:
        # Chosen from where every Welfare Point is, read once per index generation.
        places = _kept("desk_places", 1).get_or_make(result.generation, queries.desk_places)
        desks = _kept("desks", DESKS_KEPT).get_or_make(
            (result.generation, ats, near), lambda: queries.nearest_desks(ats, near, DESKS_SHOWN, places)
        )
    else:
        desks = [services[hit.service_id] for hit in result.desks if hit.service_id in services]
    html = render_template(
        "public/search.html",
        parsed=parsed,
        result=result,
        cards=[
            cards.card(services[hit.service_id], hit, result.generation)
            for hit in result.hits
            if hit.service_id in services
        ],
        place=place,
        typed_text=result.place_text if result.place is not None else parsed.text,
        ats=ats,
        desks=desks,
        search_url=search_url,
        ats_names=territory.ATS_NAMES,
        active=active_filters(parsed, place, result),
        routes=public_routes(ats) if shows_routes else [],
        shows_routes=shows_routes,
    )
    return html, searched_ats


def active_filters(parsed, place, result) -> list[tuple[str, str]]:
    """Each filter in force, as (what it says, the address of the same search without it)."""
    found: list[tuple[str, str]] = []
    f = parsed.filters
    if place is not None:
        # A place read from the text goes with its words: the text left is searched everywhere.
        if result.place is not None:
            found.append((place.name, search_url(q=result.place_text, place=None, municipality=None)))
        else:
            found.append((place.name, search_url(place=None, municipality=None)))
    if f.audience:
        found.append((label("audiences", f.audience), search_url(audience=None)))
    for code in f.categories:
        found.append((label("categories", code), search_url(category=[c for c in f.categories if c != code])))
    if f.ats and not (place is not None and place.kind == territory.PlaceKind.ATS):
        found.append((gettext("ATS %(ats)s", ats=f.ats), search_url(ats=None)))
    if f.age is not None:
        found.append((gettext("Age %(age)s", age=f.age), search_url(age=None)))
    if f.period:
        found.append((label("periods", f.period), search_url(period=None)))
    if f.free_only:
        found.append((gettext("Free only"), search_url(cost=None)))
    return found


@bp.get("/services/<slug>")
def service(slug: str):
    """One listing, ordered like an Italian public-sector service page."""
    item = queries.service_by_slug(slug)
    if item is None:
        abort(404)
    if item.merged_into_id is not None:  # two listings were merged: the old address leads to the one kept
        kept = db.session.get(Service, item.merged_into_id)
        if kept is not None:
            return redirect(url_for("public.service", slug=kept.slug), 301)
    return render_template(
        "public/service.html",
        service=item,
        form=FeedbackForm(),
        rating_form=RatingForm(),
        back=sheets.results_link(request.referrer, request.host_url),
    )


@bp.post("/services/<slug>/feedback")
@limiter.limit(lambda: current_app.config["FEEDBACK_RATE_LIMIT"])
def service_feedback(slug: str):
    """Queue a correction suggested by a visitor."""
    item = queries.service_by_slug(slug)
    if item is None:
        abort(404)
    form = FeedbackForm()
    if form.validate():
        feedback = operations.suggest_correction(item, form.kind.data, form.message.data)
        db.session.flush()
        forward_correction(feedback)  # to the provider and the curators, in this transaction
        db.session.commit()
        flash(
            gettext("Thank you: the Welfare Community Manager of the territory will check your suggestion."),
            "success",
        )
        return redirect(url_for("public.service", slug=slug) + "#feedback")
    return render_template("public/service.html", service=item, form=form, rating_form=RatingForm()), 400


#: Welfare Points on one page of the list (a region's, or a country's, can hold thousands).
DESKS_PER_PAGE = 24


@bp.get("/welfare-points")
def welfare_points():
    """The Welfare Points (desks) by territory, optionally of one ATS or of the ATS of a municipality."""
    raw_ats = (request.args.get("ats") or "").strip()
    raw_place = (request.args.get("municipality") or "").strip()[:80]
    # A place read as the questionnaires read it: a postcode, "alzano", "Monza (MB)", a town outside Lombardy.
    place, outside, suggestions = resolve_municipality(raw_place)
    # Else an area, a province or an ATS ("Valtellina", "ATS Montagna"): the ATS it lies in, if only one.
    wider = territory.resolve_place(raw_place).place if raw_place and place is None and not outside else None
    area_ats = next(iter(wider.atses)) if wider is not None and len(wider.atses) == 1 else None
    ats = territory.ats_by_name(raw_ats) if raw_ats else (place.ats if place else area_ats)
    problem = None
    if raw_ats and ats is None:
        problem = gettext("Unknown ATS “%(value)s”.", value=raw_ats[:40])
    elif outside:
        problem = gettext(
            "%(place)s is outside Lombardy: Welfare Point lists the services of Lombardy.", place=outside
        )
    elif raw_place and place is None and area_ats is None:
        problem = gettext("No Lombardy municipality is called “%(value)s”.", value=raw_place)
    # A page out of range shows the nearest one there is.
    desks, total, page = queries.welfare_points(
        ats,
        near=place.istat_code if place else None,
        page=request.args.get("page", default=1, type=int),
        per_page=DESKS_PER_PAGE,
    )
    pages = page_count(total, DESKS_PER_PAGE)
    by_ats: dict[str, list] = {}
    for desk in desks:
        by_ats.setdefault(desk.ats, []).append(desk)
    return render_template(
        "public/welfare_points.html",
        by_ats=by_ats,
        page=page,
        pages=pages,
        per_page=DESKS_PER_PAGE,
        total=total,
        ats=ats,
        place=place,
        problem=problem,
        suggestions=(suggestions or territory.suggest(raw_place, limit=5))
        if place is None and not outside and area_ats is None
        else [],
        ats_names=territory.ATS_NAMES,
        raw_place=raw_place,
    )


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement, in the form of AgID's model."""
    return render_template(
        "public/accessibility.html",
        contact_email=current_app.config["CONTACT_EMAIL"],
        reviewed=date.fromisoformat(current_app.config["ACCESSIBILITY_REVIEWED"]),
        published=date.fromisoformat(current_app.config["SITE_PUBLISHED"]),
    )


@bp.get("/legal-notes")
def legal_notes():
    """The legal notes: who owns the site, the licence of its contents, who answers for the listings."""
    return render_template("public/legal_notes.html")


@bp.get("/privacy")
def privacy():
    """The privacy notice."""
    return render_template("public/privacy.html")


@bp.get("/report-a-problem")
def report_problem():
    """How to report a problem with the site or with a listing."""
    return render_template("public/report_problem.html", contact_email=current_app.config["CONTACT_EMAIL"])


@bp.get("/open-data")
def open_data():
    """The anonymous needs statistics (suppressed) and the catalog's open data, with their licence."""
    period = demand.Period.last_weeks(52)
    tables = [
        (
            gettext("Requests that found a service, by need and ATS"),
            demand.demand_by_need_and_ats(period, "matched"),
        ),
        (
            gettext("Requests that found nothing, by need and ATS"),
            demand.demand_by_need_and_ats(period, "unmet"),
        ),
    ]
    return render_template(
        "public/open_data.html", period=period, tables=tables, ats_names=territory.ATS_NAMES
    )


@bp.get("/open-data/needs.csv")
def open_data_needs():
    """The needs statistics as CSV, with the same hidden cells as the page."""
    period = demand.Period.last_weeks(52)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(["first_week", "last_week", "outcome", "need", *territory.ATS_NAMES, "total"])
    for outcome in ("matched", "unmet"):
        table = demand.demand_by_need_and_ats(period, outcome)
        for need, cells, total in zip(table.rows, table.cells, table.row_totals, strict=True):
            writer.writerow(
                [period.first, period.last, outcome, need, *(cell.label for cell in cells), total.label]
            )
        writer.writerow(
            [
                period.first,
                period.last,
                outcome,
                "total",
                *(cell.label for cell in table.column_totals),
                table.total.label,
            ]
        )
    return Response(
        output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="welfarepoint-needs.csv"'},
    )


@bp.get("/open-data/listings.csv")
def open_data_listings():
    """Every published listing in the listings CSV format (built once per catalog change, then sent as a file)."""
    file = listings_csv().open("rb")  # opened now: a newer catalog may remove the name while this is sent
    response = Response(
        pieces(file),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="welfarepoint-listings.csv"',
            "Content-Length": str(os.fstat(file.fileno()).st_size),
        },
    )
    response.call_on_close(file.close)  # also when nothing was read (HEAD, a client gone at once)
    return response
