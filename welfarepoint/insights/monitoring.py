"""The Region's monitoring tables from the catalog: alliances, actions and partners per ATS and per alliance.

This reproduces the 2020-2023 monitoring of the Reti Territoriali di Conciliazione (Tabella 6.1: alliances
and actions per ATS, for persons and for companies; Figura 6.2: the partners of the alliances by type of
organisation) from the live catalog, with the same definitions:

* **alliances**: the Alliance rows of the ATS (an alliance row counts itself, 1).
* **actions**: the listings a manager marked as a *funded action* of an alliance (``funded_action``), of the
  programme period asked for (``programme_period``, e.g. "2020-2023"; every period when none is asked), in every
  status except ``archived`` (drafts and listings in review are actions the alliance runs even if the public
  cannot see them yet). Any other listing (a municipal service imported from a file, a Welfare Point) is not
  an action, whatever its category: importing listings does not move the table. Per ATS a listing counts in its own
  ATS; per alliance, in the alliance it belongs to (``alliance_id``). Listings without an alliance count in
  their ATS only, so the alliance rows of an ATS may sum to fewer actions than the ATS row.
* **actions_for_persons / actions_for_companies**: the actions with audience ``persons`` / ``companies``.
* **partners**: the distinct organisations that are members of at least one alliance of the ATS (per
  alliance: its members), in total and by organisation type, in the taxonomy's order.
* the **total** row sums the ATS rows; its partners are the sum of the per-ATS distinct counts, as the
  Region counts them (an organisation in alliances of two ATS counts twice).

Four queries in all, each grouped in SQL; nothing is written.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import Alliance, AllianceMember, Organisation, Service
from welfarepoint.extensions import db

__all__ = [
    "ACTION_CATEGORIES",
    "CSV_COLUMNS",
    "LEVELS",
    "REGION_NAMES",
    "MonitoringReport",
    "MonitoringRow",
    "monitoring_report",
    "programme_periods",
    "report_csv",
    "report_text_table",
]

#: The categories of the Region's actions: for persons (P1, P2) and for companies (C1-C7); not S1, not W1.
#: (What counts is the manager's ``funded_action`` flag; the migration that added it used these categories.)
ACTION_CATEGORIES: tuple[str, ...] = ("P1", "P2", "C1", "C2", "C3", "C4", "C5", "C6", "C7")
#: The values of the CSV ``level`` column.
LEVELS: tuple[str, ...] = ("ats", "total", "alliance")
#: The name of the regional total row, by language.
REGION_NAMES: dict[str, str] = {"it": "Lombardia", "en": "Lombardy"}
#: The CSV columns before the ``partners_<organisation type>`` ones.
CSV_COLUMNS: tuple[str, ...] = (
    "level",
    "ats",
    "name",
    "alliances",
    "actions",
    "actions_for_persons",
    "actions_for_companies",
    "partners",
)
_EXCLUDED_STATUS = "archived"
_COUNT_HEADERS = ("alliances", "actions", "persons", "companies", "partners")


@dataclass(frozen=True)
class MonitoringRow:
    """One line of the monitoring: an ATS, an alliance or the total."""

    name: str
    ats: str
    alliances: int
    actions: int
    actions_for_persons: int
    actions_for_companies: int
    partners: int
    partners_by_type: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class MonitoringReport:
    """The monitoring of the region (all 8 ATS) or of one ATS.

    ``by_ats`` has one row per ATS in ``territory.ATS_NAMES`` order (every ATS, even with zeros, for the
    region); ``total`` sums them (for one ATS it is that ATS's row, and its ``ats`` is that ATS; for the
    region its ``ats`` is empty); ``by_alliance`` is ordered by ATS then name. ``organisation_types`` is the
    order of the keys of every ``partners_by_type``: the taxonomy's 10 types, then any other type found.
    """

    by_ats: list[MonitoringRow]
    total: MonitoringRow
    by_alliance: list[MonitoringRow]
    organisation_types: tuple[str, ...]
    #: The programme period whose funded actions are counted ("" for every period).
    programme_period: str = ""

    @property
    def is_region(self) -> bool:
        """Whether the report covers the whole region (its total has no ATS)."""
        return not self.total.ats


def _canonical_ats(ats: str) -> str:
    """The canonical ATS name for ``ats`` (aliases accepted); ValueError if there is no such ATS."""
    name = territory.ats_by_name(ats)
    if name is None:
        raise ValueError(f"unknown ATS {ats!r}; one of: {', '.join(territory.ATS_NAMES)}")
    return name


def _ats_order(ats: str) -> int:
    """Position of ``ats`` in ATS_NAMES (unknown ATS names last)."""
    try:
        return territory.ATS_NAMES.index(ats)
    except ValueError:
        return len(territory.ATS_NAMES)


def programme_periods(ats: str | None = None) -> list[str]:
    """The programme periods of the funded actions (of one ATS), the most recent first."""
    query = select(Service.programme_period).where(Service.funded_action.is_(True)).distinct()
    if ats is not None:
        query = query.where(Service.ats == _canonical_ats(ats))
    return sorted((period for period in db.session.execute(query).scalars() if period), reverse=True)


def monitoring_report(ats: str | None = None, period: str = "") -> MonitoringReport:
    """The monitoring tables of the region (``ats`` None) or of one ATS (its name or an alias), counting the
    funded actions of programme period ``period`` (every period when empty).

    Needs an application context. Raises ValueError for an unknown ATS.
    """
    scope = _canonical_ats(ats) if ats is not None else None

    alliance_query = select(Alliance.id, Alliance.name, Alliance.ats)
    action_query = (
        select(Service.ats, Service.alliance_id, Service.audience, func.count(Service.id))
        .where(Service.funded_action.is_(True), Service.status != _EXCLUDED_STATUS)
        .group_by(Service.ats, Service.alliance_id, Service.audience)
    )
    if period:
        action_query = action_query.where(Service.programme_period == period)
    ats_partner_query = (
        select(Alliance.ats, Organisation.type, func.count(func.distinct(Organisation.id)))
        .join(AllianceMember, AllianceMember.alliance_id == Alliance.id)
        .join(Organisation, Organisation.id == AllianceMember.organisation_id)
        .group_by(Alliance.ats, Organisation.type)
    )
    alliance_partner_query = (
        select(AllianceMember.alliance_id, Organisation.type, func.count(Organisation.id))
        .join(Organisation, Organisation.id == AllianceMember.organisation_id)
        .join(Alliance, Alliance.id == AllianceMember.alliance_id)
        .group_by(AllianceMember.alliance_id, Organisation.type)
    )
    if scope is not None:
        alliance_query = alliance_query.where(Alliance.ats == scope)
        action_query = action_query.where(Service.ats == scope)
        ats_partner_query = ats_partner_query.where(Alliance.ats == scope)
        alliance_partner_query = alliance_partner_query.where(Alliance.ats == scope)

    alliances = sorted(db.session.execute(alliance_query).all(), key=lambda a: (_ats_order(a.ats), a.name))
    actions = db.session.execute(action_query).all()
    ats_partners = db.session.execute(ats_partner_query).all()
    alliance_partners = db.session.execute(alliance_partner_query).all()

    known_types = taxonomy.codes("organisation_types")
    found_types = {kind for _key, kind, _n in (*ats_partners, *alliance_partners)}
    types = known_types + tuple(sorted(found_types - set(known_types)))

    # key -> [actions, for persons, for companies]; keys are ATS names and alliance ids.
    ats_actions: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    alliance_actions: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for service_ats, alliance_id, audience, count in actions:
        targets = [ats_actions[service_ats]]
        if alliance_id is not None:
            targets.append(alliance_actions[alliance_id])
        for counts in targets:
            counts[0] += count
            if audience == "persons":
                counts[1] += count
            elif audience == "companies":
                counts[2] += count

    ats_types: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(types, 0))
    for key, kind, count in ats_partners:
        ats_types[key][kind] += count
    alliance_types: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(types, 0))
    for key, kind, count in alliance_partners:
        alliance_types[key][kind] += count

    alliance_count: dict[str, int] = defaultdict(int)
    for alliance in alliances:
        alliance_count[alliance.ats] += 1

    def row(
        name: str, ats_name: str, n_alliances: int, counts: list[int], by_type: dict[str, int]
    ) -> MonitoringRow:
        return MonitoringRow(
            name=name,
            ats=ats_name,
            alliances=n_alliances,
            actions=counts[0],
            actions_for_persons=counts[1],
            actions_for_companies=counts[2],
            partners=sum(by_type.values()),
            partners_by_type=dict(by_type),
        )

    ats_names = (scope,) if scope is not None else territory.ATS_NAMES
    by_ats = [row(name, name, alliance_count[name], ats_actions[name], ats_types[name]) for name in ats_names]
    by_alliance = [row(a.name, a.ats, 1, alliance_actions[a.id], alliance_types[a.id]) for a in alliances]
    if scope is not None:
        total = by_ats[0]
    else:
        total = MonitoringRow(
            name=REGION_NAMES["it"],
            ats="",
            alliances=sum(r.alliances for r in by_ats),
            actions=sum(r.actions for r in by_ats),
            actions_for_persons=sum(r.actions_for_persons for r in by_ats),
            actions_for_companies=sum(r.actions_for_companies for r in by_ats),
            partners=sum(r.partners for r in by_ats),
            partners_by_type={kind: sum(r.partners_by_type[kind] for r in by_ats) for kind in types},
        )
    return MonitoringReport(
        by_ats=by_ats, total=total, by_alliance=by_alliance, organisation_types=types, programme_period=period
    )


def _total_name(report: MonitoringReport, language: str) -> str:
    """The name shown for the total row: the region in ``language``, or the ATS of a one-ATS report."""
    if report.is_region:
        return REGION_NAMES.get(language, REGION_NAMES["it"])
    return report.total.name


def _levels(report: MonitoringReport, language: str) -> list[tuple[str, str, MonitoringRow]]:
    """(level, name, row) for every line, in file order: the ATS rows, the total, the alliance rows."""
    lines = [("ats", r.name, r) for r in report.by_ats]
    lines.append(("total", _total_name(report, language), report.total))
    lines.extend(("alliance", r.name, r) for r in report.by_alliance)
    return lines


def report_csv(report: MonitoringReport, *, language: str = "it", excel: bool = False) -> str:
    """The report as one CSV table, with a ``level`` column (``ats``, ``total``, ``alliance``).

    The header holds column codes, not labels, so the file stays the same for programs whatever the language:
    ``level, ats, name, alliances, actions, actions_for_persons, actions_for_companies, partners`` then one
    ``partners_<type>`` column per organisation type (``report.organisation_types``). The rows come in this
    order: the ATS rows (Tabella 6.1), the total row, then the alliance rows (filter ``level`` in Excel).
    ``language`` only names the regional total row ("Lombardia" / "Lombardy"); the ``ats`` cell of that row
    is empty. ``excel`` writes the byte order mark and ``;`` separators that Italian Excel expects, like
    ``flask catalog export --excel``; the default is plain UTF-8 with commas.
    """
    type_columns = [f"partners_{kind}" for kind in report.organisation_types]
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([*CSV_COLUMNS, *type_columns])
    for level, name, row in _levels(report, language):
        writer.writerow(
            [
                level,
                row.ats,
                name,
                row.alliances,
                row.actions,
                row.actions_for_persons,
                row.actions_for_companies,
                row.partners,
                *(row.partners_by_type.get(kind, 0) for kind in report.organisation_types),
            ]
        )
    return ("\ufeff" if excel else "") + output.getvalue()


def _format_table(header: list[str], lines: list[list[str]], separators: set[int]) -> list[str]:
    """Aligned lines: the first column left-aligned, the others right-aligned; a rule before ``separators``."""
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(len(header))]

    def render(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join((first, *rest)).rstrip()

    rule = "  ".join("-" * width for width in widths)
    out = [render(header), rule]
    for index, cells in enumerate(lines):
        if index in separators:
            out.append(rule)
        out.append(render(cells))
    return out


def report_text_table(report: MonitoringReport, *, language: str = "it") -> str:
    """The report as aligned plain text for a terminal (``flask insights monitoring --format table``).

    Two tables: the ATS rows and the regional total, then the alliances (each under its ATS). The partner type
    columns are headed T1..Tn; a legend under the tables gives each type's code and label in ``language``.
    """
    type_headers = [f"T{i}" for i in range(1, len(report.organisation_types) + 1)]

    def cells(name: str, row: MonitoringRow, *, with_alliances: bool = True) -> list[str]:
        counts = [
            *([row.alliances] if with_alliances else []),
            row.actions,
            row.actions_for_persons,
            row.actions_for_companies,
            row.partners,
            *(row.partners_by_type.get(kind, 0) for kind in report.organisation_types),
        ]
        return [name, *(str(value) for value in counts)]

    ats_lines = [cells(r.name, r) for r in report.by_ats]
    if report.is_region:  # a one-ATS report's total is its only row: no need to repeat it
        ats_lines.append(cells(_total_name(report, language), report.total))
    parts = _format_table(["ATS", *_COUNT_HEADERS, *type_headers], ats_lines, {len(report.by_ats)})

    if report.by_alliance:
        alliance_lines: list[list[str]] = []
        separators: set[int] = set()
        previous = None
        for r in report.by_alliance:
            if r.ats != previous:
                if previous is not None:
                    separators.add(len(alliance_lines))
                alliance_lines.append([r.ats])
                previous = r.ats
            alliance_lines.append(cells(f"  {r.name}", r, with_alliances=False))
        # Section lines carry only the ATS name: pad them to the table's width.
        width = len(_COUNT_HEADERS) + len(type_headers)
        alliance_lines = [line + [""] * (width - len(line)) for line in alliance_lines]
        header = ["Alliance", *_COUNT_HEADERS[1:], *type_headers]
        parts += ["", *_format_table(header, alliance_lines, separators)]

    parts.append("")
    parts.extend(
        f"{code} = {kind}: {taxonomy.label('organisation_types', kind, language)}"
        for code, kind in zip(type_headers, report.organisation_types, strict=True)
    )
    return "\n".join(parts) + "\n"
