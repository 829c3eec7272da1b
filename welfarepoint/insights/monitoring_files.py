"""The monitoring table as files for the Region: labelled headers (Italian or English), the date the figures
refer to and the programme period, in the file and in its name; CSV for Excel and XLSX.

The machine CSV (:func:`welfarepoint.insights.monitoring.report_csv`, column codes) stays as it is for programs.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from flask_babel import force_locale, gettext
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, select

from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.columns import neutralise
from welfarepoint.catalog.models import Alliance
from welfarepoint.extensions import db
from welfarepoint.insights.monitoring import REGION_NAMES, MonitoringReport, MonitoringRow


def programme_period(ats: str | None = None) -> str:
    """The programme period of the alliances counted ("2024-2027"): first start year to last end year, or ""."""
    query = select(func.min(Alliance.period_start), func.max(Alliance.period_end))
    if ats:
        query = query.where(Alliance.ats == ats)
    start, end = db.session.execute(query).one()
    if start is None and end is None:
        return ""
    return "-".join(str(day.year) for day in (start, end) if day is not None)


def file_name(report: MonitoringReport, *, as_of: date, period: str, language: str, extension: str) -> str:
    """``monitoraggio-montagna-2024-2027-al-2026-12-02.xlsx`` (English: ``monitoring-...-at-...``)."""
    place = report.total.ats or ("lombardia" if language == "it" else "lombardy")
    words = ["monitoraggio" if language == "it" else "monitoring", place]
    if period:
        words.append(period)
    words += ["al" if language == "it" else "at", as_of.isoformat()]
    stem = "-".join(words).lower().replace(" ", "-")
    return "".join(ch for ch in stem if ch.isascii() and (ch.isalnum() or ch in "-_")) + "." + extension


def labelled_header(report: MonitoringReport, language: str) -> list[str]:
    """The table's header in ``language``: the counts, then one column per type of partner."""
    with force_locale(language):
        return [
            gettext("Level"),
            gettext("ATS"),
            gettext("Name"),
            gettext("Alliances"),
            gettext("Actions"),
            gettext("Actions for people and families"),
            gettext("Actions for companies"),
            gettext("Partners"),
            *(
                gettext("Partners: %(type)s", type=taxonomy.label("organisation_types", kind, language))
                for kind in report.organisation_types
            ),
        ]


def labelled_rows(report: MonitoringReport, language: str) -> list[list[object]]:
    """The ATS rows, the total, then the alliances, with the level in words."""
    with force_locale(language):
        levels = {"ats": gettext("ATS"), "total": gettext("Total"), "alliance": gettext("Alliance")}
    return [
        [
            levels[level],
            row.ats,
            name,
            row.alliances,
            row.actions,
            row.actions_for_persons,
            row.actions_for_companies,
            row.partners,
            *(row.partners_by_type.get(kind, 0) for kind in report.organisation_types),
        ]
        for level, name, row in _lines(report, language)
    ]


def _lines(report: MonitoringReport, language: str) -> list[tuple[str, str, MonitoringRow]]:
    """(level, name, row): the ATS rows, the total (named after the region or the one ATS), the alliances."""
    total = REGION_NAMES.get(language, REGION_NAMES["it"]) if report.is_region else report.total.name
    return [
        *(("ats", row.name, row) for row in report.by_ats),
        ("total", total, report.total),
        *(("alliance", row.name, row) for row in report.by_alliance),
    ]


def _context(as_of: date, period: str, language: str) -> tuple[str, str]:
    with force_locale(language):
        return gettext("Figures at"), gettext("Programme period")


def report_labelled_csv(
    report: MonitoringReport, *, as_of: date, period: str, language: str = "it", excel: bool = True
) -> str:
    """The table as CSV with labelled headers and two first columns, the date of the figures and the programme
    period (the same on every row, so the file stays one table); ``excel``: a BOM and ``;``, cells neutralised."""
    figures_at, programme = _context(as_of, period, language)
    output = io.StringIO()
    writer = csv.writer(output, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([figures_at, programme, *labelled_header(report, language)])
    day = as_of.strftime("%d/%m/%Y") if language == "it" else as_of.isoformat()
    for cells in labelled_rows(report, language):
        row = [day, period, *cells]
        writer.writerow([neutralise(str(cell)) for cell in row] if excel else row)
    return ("\ufeff" if excel else "") + output.getvalue()


def report_workbook(report: MonitoringReport, *, as_of: date, period: str, language: str = "it") -> bytes:
    """The table as an ``.xlsx``: a title, the date of the figures and the programme period above the table,
    typed counts, a frozen header, text cells as text."""
    figures_at, programme = _context(as_of, period, language)
    with force_locale(language):
        title = gettext("Monitoring of the work-life balance networks")
        sheet_name = gettext("Monitoring")
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_name
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([figures_at, as_of])
    sheet["B2"].number_format = "DD/MM/YYYY"
    sheet.append([programme, period])
    sheet.append([])
    sheet.append(labelled_header(report, language))
    for cell in sheet[5]:
        cell.font = Font(bold=True)
    for cells in labelled_rows(report, language):
        sheet.append(cells)
    for row in sheet.iter_rows(min_row=1):
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a name that starts with "=" stays text
    sheet.freeze_panes = "D6"
    sheet.column_dimensions["C"].width = 50
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
