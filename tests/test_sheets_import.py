"""Spreadsheets as managers make them (tests/data/sheets, written blind): Italian headers and labels, Excel dates,
Italian Excel CSV, a byte order mark before Windows-1252 text, formulas; every problem in one grouped pass."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from welfarepoint.catalog.interchange import errors_file, import_listings
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db

SHEETS = Path(__file__).parent / "data" / "sheets"
LEAVE_OUT = {"Dal": "", "Al": "", "Quota (€)": "", "Note interne": ""}


def sheet(name: str) -> bytes:
    return (SHEETS / name).read_bytes()


def problems(report) -> set[tuple[int, str, str]]:
    return {(error.line, error.column, error.kind) for error in report.errors}


def fixed_montagna() -> bytes:
    """The 25-row workbook with the manager's five kinds of mistakes corrected, as they would in Excel."""
    workbook = openpyxl.load_workbook(io.BytesIO(sheet("manager_montagna.xlsx")))
    rows = workbook.worksheets[0]
    header = {cell.value: cell.column for cell in rows[1]}

    def put(line: int, column: str, value) -> None:
        rows.cell(row=line, column=header[column]).value = value

    put(6, "Comuni serviti", "Albosaggia; Sondrio; Montagna in Valtellina")
    put(15, "Comuni serviti", "Chiavenna; Mese; Gordona")
    put(26, "Comuni serviti", "Tirano; Villa di Tirano; Grosio")
    for line in (8, 17):
        put(line, "Età da", 6)
        put(line, "Età a", 11)
    put(12, "Email", "info@comune.albosaggia.so.it")
    put(22, "Email", "segreteria@cmsondrio.it")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def count(model) -> int:
    return db.session.execute(db.select(db.func.count(model.id))).scalar_one()


EXPECTED_MONTAGNA = {
    (1, "", "unknown_column"),
    (6, "municipalities", "municipality"),
    (15, "municipalities", "municipality"),
    (26, "municipalities", "municipality"),
    (8, "age_min", "“%(value)s” is not a whole number"),
    (17, "age_min", "“%(value)s” is not a whole number"),
    (12, "email", "“%(value)s” does not look like an e-mail address"),
    (22, "email", "“%(value)s” does not look like an e-mail address"),
}


@pytest.mark.parametrize("name", ["manager_montagna.xlsx", "manager_montagna_excel.csv"])
def test_the_managers_sheet_reports_its_five_kinds_of_mistakes_in_one_pass(app, name):
    with app.app_context():
        report = import_listings(sheet(name), author="t", dry_run=True)
        assert problems(report) == EXPECTED_MONTAGNA
        assert report.unknown_columns == ["Dal", "Al", "Quota (€)", "Note interne"]
        assert count(Service) == 0 and count(Organisation) == 0
        groups = {(group.column, group.kind): group for group in report.groups()}
        assert str(groups[("municipalities", "municipality")].summary) == (
            "3 comuni non riconosciuti: Albosagia, Chiavena, Tiranno"
        )
        items = dict(groups[("municipalities", "municipality")].items())
        assert items[
            "comune “Albosagia” non riconosciuto; forse intendevi Albosaggia, Alagna, Albairate?"
        ] == [6]
        assert str(groups[("age_min", "“%(value)s” is not a whole number")].label) == "Da età"
        assert groups[("email", "“%(value)s” does not look like an e-mail address")].lines == [12, 22]


def test_the_fixed_sheet_imports_25_listings_with_its_italian_labels_then_nothing_changes(app):
    data = fixed_montagna()
    with app.app_context():
        report = import_listings(data, author="t", mapping=LEAVE_OUT)
        assert report.ok, [str(error) for error in report.errors]
        assert report.count("created") == 25
        db.session.commit()
        by_id = {service.external_id: service for service in db.session.execute(db.select(Service)).scalars()}
        status = {
            int(code[-3:]) + 1: service.status for code, service in by_id.items()
        }  # SO-CONC-001 is row 2
        assert all(status[line] == "draft" for line in (8, 20, 22, 24))
        assert status[9] == status[26] == "in_review"
        assert (
            list(status.values()).count("published") == 18
        )  # row 17 is a draft too (its Stato cell says Bozza)
        babysitting = next(service for service in by_id.values() if service.phone.startswith("+39"))
        assert babysitting.phone == "+39 0342 218765"
        assert {service.audience for service in by_id.values()} == {"persons", "companies"}
        assert any(service.age_max == 120 for service in by_id.values())
        cooperatives = db.session.execute(
            db.select(Organisation.name).where(Organisation.name.like("Cooperativa sociale%"))
        ).scalars()
        assert sorted(cooperatives) == [
            "Cooperativa sociale Grandi e Piccoli",
            "Cooperativa sociale Il Sentiero",
        ]
        again = import_listings(data, author="t", mapping=LEAVE_OUT)
        assert again.count("unchanged") == 25


def test_a_byte_order_mark_before_windows_1252_text(app):
    with app.app_context():
        report = import_listings(sheet("bom_cp1252.csv"), author="t")
        assert report.ok, [str(error) for error in report.errors]
        db.session.commit()
        services = list(db.session.execute(db.select(Service)).scalars())
        assert len(services) == 3 and {service.status for service in services} == {"draft"}
        text = " ".join(f"{s.title} {s.description} {s.cost_notes} {s.provider.name}" for s in services)
        for word in ("Attività", "più", "Perché", "€ 20", "«Insieme è più facile»", "“Compiti sereni”"):
            assert word in text
        assert "Ã" not in text and "\ufffd" not in text


@pytest.mark.parametrize("name", ["formulas.csv", "formulas.xlsx"])
def test_text_that_starts_like_a_formula_is_refused_and_phones_pass(app, name):
    with app.app_context():
        report = import_listings(sheet(name), author="t", mapping=LEAVE_OUT)
        formulas = {(error.line, error.column) for error in report.errors if error.kind == "formula"}
        assert formulas == {
            (2, "title"),  # a real formula cell in the workbook, its text in the CSV
            (3, "title"),
            (3, "summary"),
            (4, "title"),
            (4, "summary"),
            (4, "how_to_access"),
            (5, "summary"),
            (5, "tags"),
            (5, "cost_notes"),
        }
        assert not any(error.column == "phone" for error in report.errors)
        assert count(Service) == 0


def test_the_file_comes_back_with_a_column_of_problems(app):
    with app.app_context():
        for name in ("manager_montagna_excel.csv", "manager_montagna.xlsx"):
            report = import_listings(sheet(name), author="t", dry_run=True, mapping=LEAVE_OUT)
            back = errors_file(report.table, report.errors)
            if name.endswith(".csv"):
                rows = list(csv.reader(io.StringIO(back.decode("utf-8-sig")), delimiter=";"))
            else:
                workbook = openpyxl.load_workbook(io.BytesIO(back), read_only=True)
                rows = [
                    ["" if v is None else v for v in r]
                    for r in workbook.worksheets[0].iter_rows(values_only=True)
                ]
            assert rows[0][-1] == "Problemi" and rows[0][0] == "Codice"
            assert len(rows) == 26
            assert rows[5][-1].startswith("Comuni serviti: comune “Albosagia” non riconosciuto")
            assert rows[11][-1] == "E-mail: “info.comune.albosaggia.so.it” non sembra un indirizzo e-mail"
            assert rows[1][-1] == ""


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_many_rows_as_managers_type_them_import_whole(app, kind):
    """The rows the bench imports 10,000 of (tests/support/sheets.py), here 60: all valid, in either format."""
    from tests.support import sheets

    rows = sheets.italian_rows(60)
    data = sheets.excel_csv(rows) if kind == "csv" else sheets.workbook(rows)
    with app.app_context():
        report = import_listings(data, author="t")
        assert report.ok, [str(error) for error in report.errors[:5]]
        assert report.count("created") == 60
        db.session.commit()
        assert import_listings(data, author="t", dry_run=True).count("unchanged") == 60


def test_spreadsheet_exports_never_run_a_cell_and_come_back_as_they_were(app):
    """Issue 26 point 6: the CSV for Excel neutralises what starts like a formula (a leading '), the workbook
    keeps text as text; both import back unchanged, the +39 phone included."""
    from tests.support.catalog import row
    from tests.test_interchange import to_csv
    from welfarepoint.catalog.interchange import export_listings, services_for_export
    from welfarepoint.catalog.workbook import listings_workbook

    with app.app_context():
        assert import_listings(to_csv([row()]).encode(), author="t").ok
        db.session.commit()
        excel = export_listings(services_for_export(), excel=True)
        assert ";'+39 0342 000 1234;" in excel
        assert ",+39 0342 000 1234," in export_listings(services_for_export())  # the machine CSV: as stored
        assert import_listings(excel.encode("utf-8"), author="t").count("unchanged") == 1
        book = listings_workbook(services_for_export())
        sheet = openpyxl.load_workbook(io.BytesIO(book)).worksheets[0]
        phone = next(cell for cell in sheet[2] if cell.value == "+39 0342 000 1234")
        assert phone.data_type == "s"
        assert import_listings(book, author="t").count("unchanged") == 1


@pytest.mark.parametrize(
    "kind,value,expected",
    [
        ("date", "14/06/2027", "2027-06-14"),
        ("date", "4/6/27", "2027-06-04"),
        ("date", "14-06-2027", "2027-06-14"),
        ("date", "14.06.2027", "2027-06-14"),
        ("date", "2027-06-14", "2027-06-14"),
        ("boolean", "Sì", "true"),
        ("boolean", "VERO", "true"),
        ("boolean", "falso", "false"),
        ("boolean", "No", "false"),
        ("integer", "1.200", "1200"),
        ("integer", 12.0, "12"),
    ],
)
def test_cells_as_italian_spreadsheets_hold_them(app, kind, value, expected):
    from welfarepoint.catalog.columns import Column, normalise

    with app.test_request_context():
        assert normalise(Column("x", "x", kind), value) == (expected, None)
        if kind in ("date", "boolean"):
            text, problem = normalise(Column("x", "x", kind), "31/02/2027" if kind == "date" else "forse")
            assert problem is not None and problem.kind == kind


def test_a_real_spreadsheet_date_and_labels_in_either_language(app):
    from datetime import datetime

    from welfarepoint.catalog.columns import column, normalise

    with app.test_request_context():
        assert normalise(column("last_verified"), datetime(2026, 9, 1)) == ("2026-09-01", None)
        assert normalise(column("audience"), "Famiglie") == ("persons", None)
        assert normalise(column("cost"), "FREE") == ("free", None)
        assert normalise(column("periods"), "Estate, Vacanze di Natale") == ("summer;christmas", None)
        assert normalise(column("provider_type"), "Associazione no profit") == ("non_profit", None)
        assert normalise(column("languages"), "Italiano; English") == ("it;en", None)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_each_problem_stays_on_its_row_of_the_file_when_rows_were_skipped_and_the_header_has_problems(
    app, kind
):
    """The file of problems keeps the original's rows: a blank row and a row too wide stay where they were, and
    the header's problem does not push the rows down."""
    from tests.support import sheets

    rows = sheets.italian_rows(8, prefix="RIGHE")
    rows[5][18] = "posta.esempio.it"  # the e-mail: line 8 of the file once a blank row is put before it
    header = [*sheets.HEADER, "Referente interno"]
    table = [[*row, "Anna"] for row in rows]
    table.insert(3, [""] * len(header))  # line 5: blank
    wide = [*table[5], "cella", "in più"]  # line 7, with two cells beyond the header
    table[5] = wide
    if kind == "csv":
        output = io.StringIO(newline="")
        writer = csv.writer(output, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for values in table:
            writer.writerow(
                ["" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v for v in values]
            )
        data = output.getvalue().encode("cp1252")
    else:
        book = openpyxl.Workbook()
        for values in [header, *table]:
            book.active.append(values)
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    with app.app_context():
        report = import_listings(data, author="t", dry_run=True)
        lines = {error.line for error in report.errors}
        assert lines == {1, 7, 8}
        back = errors_file(report.table, report.errors)
    if kind == "csv":
        written = list(csv.reader(io.StringIO(back.decode("utf-8-sig")), delimiter=";"))
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(back)).worksheets[0]
        written = [["" if v is None else v for v in r] for r in sheet.iter_rows(values_only=True)]
    problems = len(header)
    assert len(written) == 1 + len(table)
    assert written[0][problems].startswith("Problemi: ") and "Referente interno" in written[0][problems]
    assert written[1][0] == "RIGHE-00001" and written[1][problems] == ""
    assert not any(written[4])  # line 5, the blank row
    assert written[6][0] == "RIGHE-00005" and written[6][problems]
    assert written[6][problems + 1 :] == ["cella", "in più"]
    assert written[7][0] == "RIGHE-00006" and written[7][problems].startswith("E-mail: ")
    assert all(written[n][problems] == "" for n in (2, 3, 5, 8))


def spreadsheet_text(header: list[str], rows: list[list[object]], delimiter: str) -> str:
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for values in rows:
        writer.writerow(
            ["" if v is None else v.strftime("%d/%m/%Y") if hasattr(v, "strftime") else v for v in values]
        )
    return output.getvalue()


@pytest.mark.parametrize(
    "encoding,bom,delimiter",
    [("utf-16-le", b"\xff\xfe", "\t"), ("utf-16-be", b"\xfe\xff", ";")],
    ids=["excel-unicode-text", "utf-16-big-endian"],
)
def test_a_utf_16_file_with_its_byte_order_mark_imports(app, encoding, bom, delimiter):
    """Excel's "Unicode text" is UTF-16 (little-endian, tabs) after a byte order mark; big-endian files too."""
    from tests.support import sheets

    rows = sheets.italian_rows(5, prefix="UTF16")
    rows[0][1] = "Attività più facili: «caffè» e “compiti” — € 20"
    data = bom + spreadsheet_text(sheets.HEADER, rows, delimiter).encode(encoding)
    with app.app_context():
        report = import_listings(data, author="t")
        assert report.ok, [str(error) for error in report.errors]
        assert report.count("created") == 5
        db.session.commit()
        first = db.session.execute(db.select(Service).filter_by(external_id="UTF16-00001")).scalar_one()
        assert first.title == "Attività più facili: «caffè» e “compiti” — € 20"
        assert first.enrolment_deadline == rows[0][23]


def test_headers_written_as_the_forms_english_labels_import(app):
    from tests.support import sheets
    from welfarepoint.catalog import columns

    rows = sheets.italian_rows(6, prefix="LABELS")
    with app.test_request_context("/?lang=en"):
        english = [str(columns.column(columns.column_for_header(name)).label) for name in sheets.HEADER]
    assert "Title (Italian)" in english and "Who it is for" in english and "From age" in english
    data = spreadsheet_text(english, rows, ",").encode("utf-8")
    with app.app_context():
        report = import_listings(data, author="t")
        assert report.ok, [str(error) for error in report.errors]
        assert report.unknown_columns == [] and report.count("created") == 6
        db.session.commit()
        first = db.session.execute(db.select(Service).filter_by(external_id="LABELS-00001")).scalar_one()
        assert first.title == rows[0][1] and first.age_min == rows[0][9] and first.capacity == rows[0][21]
        assert first.audience == "persons" and first.last_verified == rows[0][25]
