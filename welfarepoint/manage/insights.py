"""Insights in the backend: demand against supply, gaps, overlaps and the Region's monitoring tables.

An ATS manager sees their ATS; an administrator the region (or one ATS, chosen in the page). Every count
of people comes already suppressed from :mod:`welfarepoint.insights.demand`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date, get_locale, gettext
from flask_login import current_user

from welfarepoint import territory
from welfarepoint.accounts import scope
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import now_utc
from welfarepoint.insights import demand, monitoring_files, overlap_review
from welfarepoint.insights.charts import Bar, horizontal_bars
from welfarepoint.insights.monitoring import monitoring_report, programme_periods, report_csv
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import commit_or_flash, requires
from welfarepoint.security import row_id

PERIODS = (12, 52, 104)


def _territory() -> str | None:
    """The ATS the page is about: the manager's own, or the one an administrator chose (None: the region)."""
    if current_user.role != "admin":
        return current_user.ats
    chosen = territory.ats_by_name(request.args.get("ats", "")) if request.args.get("ats") else None
    return chosen


def _period() -> demand.Period:
    weeks = request.args.get("weeks", "52")
    return demand.Period.last_weeks(int(weeks) if weeks.isdecimal() and int(weeks) in PERIODS else 52)


def _need_label(code: str) -> str:
    return taxonomy.need_plain_words(code, str(get_locale()))[0]


def _need() -> str | None:
    """The need the meeting tables are about (None: every need); an unknown code is ignored."""
    wanted = request.args.get("need", "")
    return wanted if wanted in demand.needs_in_use() else None


def _month_label(month: date) -> str:
    return format_date(month, "LLLL y")


@bp.get("/insights")
@requires("insights")
def insights():
    """Demand against supply by need, the gaps, demand by municipality, alliance and month, supply by category,
    and the searches that found nothing, in one page for a network's meeting."""
    ats, period, need = _territory(), _period(), _need()
    language = str(get_locale())
    table = demand.demand_by_need(ats, period)
    supply = demand.supply_by_need(ats)
    rows = [
        (code, _need_label(code), cells[0], cells[1], table.row_totals[index], supply.get(code, 0))
        for index, (code, cells) in enumerate(zip(table.rows, table.cells, strict=True))
    ]
    need_chart = horizontal_bars(
        "chart-needs",
        gettext("Requests by need: found something, found nothing"),
        gettext("The same numbers are in the table that follows."),
        [
            Bar(label, (found.value, unmet.value), (found.label, unmet.label))
            for _c, label, found, unmet, _t, _s in rows
        ],
        (gettext("found something"), gettext("found nothing")),
    )
    months, monthly = demand.monthly_demand(ats, period, need)
    month_rows = [(_month_label(month), monthly[month.isoformat()]) for month in months]
    month_chart = horizontal_bars(
        "chart-months",
        gettext("Requests per month"),
        gettext("The same numbers are in the table that follows."),
        [Bar(label, (cell.value,), (cell.label,)) for label, cell in month_rows],
        (gettext("requests"),),
    )
    categories = [
        (code, taxonomy.label("categories", code, language), count)
        for code, count in demand.supply_by_category(ats)
    ]
    category_chart = horizontal_bars(
        "chart-supply",
        gettext("Published listings by category"),
        gettext("The same numbers are in the table that follows."),
        [Bar(f"{code} {label}", (count,), (str(count),)) for code, label, count in categories],
        (gettext("listings"),),
    )
    region = None
    if ats is None:  # the region: the eight ATS side by side
        region = {
            "matched": demand.demand_by_need_and_ats(period, "matched"),
            "unmet": demand.demand_by_need_and_ats(period, "unmet"),
            "supply": demand.supply_by_ats_and_category(),
        }
    return render_template(
        "manage/insights.html",
        ats=ats,
        period=period,
        periods=PERIODS,
        need=need,
        needs=[(code, _need_label(code)) for code in demand.needs_in_use()],
        rows=rows,
        total=table.total,
        need_chart=need_chart,
        month_rows=month_rows,
        month_total=monthly.total,
        month_chart=month_chart,
        categories=categories,
        category_chart=category_chart,
        gaps=demand.gap_table(ats, period),
        identity=str,
        by_municipality=_outcome_columns(demand.demand_by_municipality(ats, period, need)),
        by_alliance=_outcome_columns(demand.demand_by_alliance(ats, period, need)),
        place_name=_place_label,
        need_label=_need_label,
        searches=demand.zero_result_searches_by_ats(period, ats),
        ats_names=territory.ATS_NAMES,
        region=region,
        first_day=demand.week_start(period.first),
        last_day=demand.week_start(period.last) + timedelta(days=6),
    )


def _outcome_columns(table):
    """The table with its outcome columns named in the page's language."""
    names = {"matched": gettext("Found something"), "unmet": gettext("Found nothing")}
    return replace(table, columns=[names.get(column, column) for column in table.columns])


def _place_label(code: str) -> str:
    place = territory.by_istat(code) if code else None
    return place.name if place else gettext("No place given")


@bp.get("/insights/gaps.csv")
@requires("insights")
def gaps_csv():
    """The gap table for a network's meeting: every territory and need, small counts as "<5" / "<10"."""
    ats, period = _territory(), _period()
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(
        ["ats", "need", "need_label", "asked", "found_nothing", "listings_answering", "first_day", "last_day"]
    )
    first_day, last_day = demand.week_start(period.first), demand.week_start(period.last) + timedelta(days=6)
    for gap in demand.gap_table(ats, period):
        writer.writerow(
            [
                gap.ats,
                gap.need,
                _need_label(gap.need),
                gap.asked.label,
                gap.unmet.label,
                gap.supply,
                first_day.isoformat(),
                last_day.isoformat(),
            ]
        )
    return Response(
        output.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="welfarepoint-gaps.csv"'},
    )


@bp.get("/insights/monitoring")
@requires("insights")
def monitoring():
    """The Region's monitoring table (alliances, actions, partners by type), per ATS and per alliance."""
    ats = _territory()
    periods_found = programme_periods(ats)
    wanted_period = request.args.get("period", "")
    period = wanted_period if wanted_period in periods_found else ""
    if not period and periods_found and wanted_period != "all":
        period = periods_found[0]  # the most recent programme, unless every period is asked for
    report = monitoring_report(ats, period)
    wanted = request.args.get("format")
    if wanted in ("csv", "xlsx"):
        return _monitoring_file(report, ats, wanted, excel=request.args.get("excel") == "1")
    types = [
        (code, taxonomy.label("organisation_types", code, str(get_locale())))
        for code in report.organisation_types
    ]
    return render_template(
        "manage/monitoring.html",
        report=report,
        ats=ats,
        types=types,
        ats_names=territory.ATS_NAMES,
        programme_periods=periods_found,
        as_of=now_utc(),
    )


def _monitoring_file(report, ats: str | None, wanted: str, *, excel: bool) -> Response:
    """The Region's file (labelled, dated, with the programme period: XLSX, or CSV for Excel), or the machine
    CSV (column codes) when neither is asked for."""
    language = "en" if str(get_locale()) == "en" else "it"
    as_of = date.today()
    period = report.programme_period or monitoring_files.programme_period(ats)
    extension = "xlsx" if wanted == "xlsx" else "csv"
    name = monitoring_files.file_name(
        report, as_of=as_of, period=period, language=language, extension=extension
    )
    if wanted == "xlsx":
        body: str | bytes = monitoring_files.report_workbook(
            report, as_of=as_of, period=period, language=language
        )
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    elif excel:
        body = monitoring_files.report_labelled_csv(report, as_of=as_of, period=period, language=language)
        mimetype = "text/csv"
    else:
        body, mimetype = report_csv(report, language=language), "text/csv"
        name = name.replace(".csv", "-data.csv")
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/insights/overlaps")
@requires("insights")
def overlaps():
    """Groups of published listings that serve the same need, ages, places and periods with similar text, and
    the merges still in place (each can be undone)."""
    services = scope.published_listings(current_user)
    by_id = {service.id: service for service in services}
    groups = [(group, [by_id[i] for i in group.ids]) for group in overlap_review.overlaps_among(services)]
    merges = overlap_review.merged_listings(scope.services(current_user))
    return render_template("manage/overlaps.html", groups=groups, merges=merges, need_label=_need_label)


def _compared() -> list:
    """The listings named by ``ids`` (query string or form) that the account may see; 404 otherwise."""
    source = request.form if request.method == "POST" else request.args
    ids = [row_id(value) for value in source.getlist("ids")]
    services = [scope.service_by_id(current_user, service_id) for service_id in ids if service_id is not None]
    if len(services) < 2 or None in ids or any(service is None for service in services):
        abort(404)
    return sorted({service.id: service for service in services}.values(), key=lambda service: service.id)


def _compare_page(services: list, errors: dict[str, str] | None = None, status: int = 200):
    keep = request.values.get("keep", "")
    return (
        render_template(
            "manage/overlap_compare.html",
            services=services,
            fields=overlap_review.comparison(services, str(get_locale())),
            providers_differ=overlap_review.providers_differ(services),
            keep=int(keep) if keep.isdecimal() else None,
            checked=request.form.get("providers_checked") == "1",
            errors=errors or {},
        ),
        status,
    )


@bp.get("/insights/overlaps/compare")
@requires("insights")
def compare_overlap():
    """The listings side by side (fields, contacts, provider) before deciding to merge them."""
    return _compare_page(_compared())


@bp.post("/insights/overlaps")
@requires("insights")
def decide_overlap():
    """Mark a group as distinct services, or (from the comparison, confirmed) merge it into the listing kept."""
    services = _compared()
    decision = request.form.get("decision", "")
    if decision == "distinct":
        change = partial(overlap_review.mark_distinct, services, author=current_user.email)
        message = gettext("Marked as distinct services: they will not be proposed together again.")
    elif decision == "merge":
        keep_id = request.form.get("keep", "")
        keep = next((service for service in services if str(service.id) == keep_id), None)
        errors = {}
        if keep is None:
            errors["keep"] = gettext("Choose the listing to keep.")
        if overlap_review.providers_differ(services) and request.form.get("providers_checked") != "1":
            errors["providers_checked"] = gettext(
                "The providers differ: confirm that you checked with them that it is one service."
            )
        if errors:
            return _compare_page(services, errors, 400)
        others = [service for service in services if service.id != keep.id]
        change = partial(overlap_review.merge, keep, others, author=current_user.email)
        message = gettext(
            "Merged into “%(title)s”: the other addresses now lead to it. You can undo the merge below.",
            title=keep.title,
        )
    else:
        abort(400)
    if commit_or_flash(change):
        flash(message, "success")
    return redirect(url_for("manage.overlaps"))


@bp.post("/insights/overlaps/undo")
@requires("insights")
def undo_merge():
    """Undo a merge: the archived listing gets back its status, its waiting changes and its own address."""
    service_id = row_id(request.form.get("id", ""))
    service = scope.service_by_id(current_user, service_id) if service_id is not None else None
    if service is None:
        abort(404)
    result = {}

    def change() -> None:
        result["kept"] = overlap_review.undo_merge(service, author=current_user.email)

    if commit_or_flash(change):
        flash(
            gettext(
                "Merge undone: “%(title)s” is back with its own address, separate from “%(kept)s”.",
                title=service.title,
                kept=result["kept"].title,
            ),
            "success",
        )
    target = request.form.get("next", "")
    if target == "listing":
        return redirect(url_for("manage.edit_service", uuid=service.uuid))
    return redirect(url_for("manage.overlaps"))
