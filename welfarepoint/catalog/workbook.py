"""The listings as an Excel workbook (``.xlsx``, openpyxl): the export "for Excel" and the empty model.

Cells are typed (dates as dates, numbers as numbers, text as text: a text that starts with ``=`` stays text and
is never run as a formula), the header is frozen and holds the columns' labels, vocabularies are written as
their labels, and a second sheet is the legend of every column and vocabulary. The import reads it all back
(:mod:`welfarepoint.catalog.columns`), so an exported workbook, edited and imported, changes only what was edited.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from welfarepoint import territory
from welfarepoint.catalog import columns, operations, taxonomy
from welfarepoint.catalog.interchange import page_language
from welfarepoint.catalog.models import Service

DATE_FORMAT = "DD/MM/YYYY"
TEMPLATE_ROWS = 1000
_KIND_HELP = {
    "text": _l("Text"),
    "words": _l("Words separated by ;"),
    "code": _l("One value of the list"),
    "codes": _l("One or more values of the list, separated by ;"),
    "date": _l("A date (dd/mm/yyyy)"),
    "integer": _l("A whole number"),
    "boolean": _l("Sì or No"),
    "checked": _l("Text"),
}


def vocabulary_of(column: columns.Column) -> list[str]:
    """The values a drop-down list offers for a column (the labels in the current language), or none."""
    language = page_language()
    if column.name == "ats":
        return list(territory.ATS_NAMES)
    if column.vocabulary:
        return columns.allowed_labels(column.vocabulary, language)
    return []


def typed_values(service: Service, language: str) -> list[Any]:
    """A listing's cells for a workbook: labels for codes, dates as dates, numbers as numbers."""
    listing = operations.listing_of(service)
    values: list[Any] = []
    for column in columns.columns():
        value = getattr(listing, column.name, None)
        if column.name == "municipalities":
            value = "; ".join(place.name for code in value if (place := territory.by_istat(code)))
        elif column.name == "municipality":
            place = territory.by_istat(value) if value else None
            value = place.name if place else ""
        elif column.kind == "code" and value:
            value = _label(column.vocabulary, value, language)
        elif column.kind == "codes":
            value = "; ".join(_label(column.vocabulary, code, language) for code in value or ())
        elif isinstance(value, list | tuple):
            value = "; ".join(str(item) for item in value)
        values.append("" if value is None else value)
    return values


def _label(vocabulary: str, code: str, language: str) -> str:
    if vocabulary == "languages":
        return taxonomy.language_name(code, language)
    return taxonomy.label(vocabulary, code, language)


def _cell(sheet: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, str):
        cell.data_type = "s"  # text stays text, even "=..." or "+39 ..."
        cell.number_format = "@"
    return cell


def _header(sheet: Any) -> list[WriteOnlyCell]:
    cells = []
    for column in columns.columns():
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        cell.data_type = "s"
        cells.append(cell)
    return cells


def listings_workbook(services: Iterable[Service]) -> bytes:
    """The listings as an ``.xlsx`` in the current language: typed cells, a frozen header, a legend sheet."""
    language = page_language()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(gettext("Listings"))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns.columns(), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = 40 if column.kind == "text" else 18
    sheet.append(_header(sheet))
    for service in services:
        sheet.append([_cell(sheet, value) for value in typed_values(service, language)])
    _legend(workbook.create_sheet(gettext("Legend")), write_only=True)
    return _save(workbook)


def template_workbook() -> bytes:
    """The empty model: the header, a drop-down list for every vocabulary, dates and numbers checked, a legend."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = gettext("Listings")
    sheet.freeze_panes = "A2"
    lists = workbook.create_sheet(gettext("Lists"))
    for index, column in enumerate(columns.columns(), start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index, value=str(column.label))
        cell.font = Font(bold=True)
        sheet.column_dimensions[letter].width = 40 if column.kind == "text" else 18
        cells = f"{letter}2:{letter}{TEMPLATE_ROWS + 1}"
        values = vocabulary_of(column)
        if values:
            lists.cell(row=1, column=index, value=str(column.label)).font = Font(bold=True)
            for row, value in enumerate(values, start=2):
                lists.cell(row=row, column=index, value=value)
            source = f"='{lists.title}'!${letter}$2:${letter}${len(values) + 1}"
            # Several values may be typed, separated by ;: the list helps, it does not refuse.
            validation = DataValidation(type="list", formula1=source, allow_blank=True)
            validation.showErrorMessage = column.kind == "code"
            validation.error = gettext("Choose a value of the list.")
            validation.add(cells)
            sheet.add_data_validation(validation)
        elif column.kind == "date":
            validation = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
            validation.error = gettext("Write a date (dd/mm/yyyy).")
            validation.add(cells)
            sheet.add_data_validation(validation)
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = DATE_FORMAT
        elif column.kind == "integer":
            validation = DataValidation(type="whole", operator="between", formula1="0", formula2="100000")
            validation.allow_blank = True
            validation.error = gettext("Write a whole number.")
            validation.add(cells)
            sheet.add_data_validation(validation)
        else:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
    _legend(workbook.create_sheet(gettext("Legend")), write_only=False)
    workbook.move_sheet(lists, offset=1)
    return _save(workbook)


def _legend(sheet: Any, *, write_only: bool) -> None:
    """Every column: its label, its name in machine files, whether it is required, what it holds, its values."""
    language = page_language()
    rows = [[gettext("Column"), gettext("Name in CSV files"), gettext("Required"), gettext("What it holds"),
             gettext("Values")]]  # fmt: skip
    for column in columns.columns():
        values = vocabulary_of(column)
        if column.vocabulary and column.vocabulary != "languages":
            codes = taxonomy.codes(column.vocabulary)
            values = [f"{_label(column.vocabulary, code, language)} ({code})" for code in codes]
        rows.append(
            [
                str(column.label),
                column.name,
                gettext("yes") if column.required else gettext("no"),
                str(_KIND_HELP.get(column.kind, _KIND_HELP["text"])),
                "; ".join(values),
            ]
        )
    for row in rows:
        sheet.append(row)
    if not write_only:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.column_dimensions["A"].width = 34
        sheet.column_dimensions["D"].width = 40
        sheet.column_dimensions["E"].width = 100


def _save(workbook: Workbook) -> bytes:
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
