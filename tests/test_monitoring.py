"""The monitoring tables computed from the catalog: the demo reproduces the Region's Tabella 6.1 and Figura 6.2."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from sqlalchemy import event, select, update

from tests.support.monitoring_figures import FIGURE_6_2, FIGURE_6_2_TOTALS, TABLE_6_1, TYPES, partner_types
from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.models import Alliance, Service
from welfarepoint.extensions import db
from welfarepoint.insights.monitoring import (
    CSV_COLUMNS,
    MonitoringReport,
    MonitoringRow,
    monitoring_report,
    report_csv,
    report_text_table,
)

TYPES_MONTAGNA = partner_types("Montagna")
TYPES_VAL_PADANA = partner_types("Val Padana")


def _counts(row: MonitoringRow) -> tuple[int, int, int, int, int]:
    """Alliances, actions, for persons, for companies and partners of a row."""
    return (row.alliances, row.actions, row.actions_for_persons, row.actions_for_companies, row.partners)


def _non_zero(by_type: dict[str, int]) -> dict[str, int]:
    return {kind: count for kind, count in by_type.items() if count}


def _counting_queries() -> list[str]:
    """A list that collects the SQL statements run on the current app's engine from now on."""
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return statements


def test_region_report_reproduces_table_6_1_and_figure_6_2(demo_app):
    with demo_app.app_context():
        statements = _counting_queries()
        report = monitoring_report()
    assert len(statements) <= 4  # grouped in SQL, not one query per ATS or per alliance
    assert report.organisation_types == TYPES == taxonomy.codes("organisation_types")
    assert [row.name for row in report.by_ats] == list(territory.ATS_NAMES)
    for row in report.by_ats:
        assert row.ats == row.name
        assert _counts(row) == (*TABLE_6_1[row.name], FIGURE_6_2_TOTALS[row.name]), row.name
        assert tuple(row.partners_by_type) == TYPES
        assert tuple(row.partners_by_type.values()) == FIGURE_6_2[row.name], row.name
    by_ats = {row.name: row for row in report.by_ats}
    assert _non_zero(by_ats["Montagna"].partners_by_type) == TYPES_MONTAGNA
    assert _non_zero(by_ats["Val Padana"].partners_by_type) == TYPES_VAL_PADANA

    total = report.total
    assert report.is_region and total.ats == "" and total.name == "Lombardia"
    assert _counts(total) == (40, 290, 135, 155, 567)
    assert total.partners_by_type == {
        kind: sum(FIGURE_6_2[ats][i] for ats in FIGURE_6_2) for i, kind in enumerate(TYPES)
    }


def test_alliance_rows_add_up_to_their_ats(demo_app):
    with demo_app.app_context():
        report = monitoring_report()
        alliances = db.session.execute(select(Alliance.name, Alliance.ats)).all()
    assert len(report.by_alliance) == 40
    assert [(row.ats, row.name) for row in report.by_alliance] == sorted(
        ((ats, name) for name, ats in alliances),
        key=lambda pair: (territory.ATS_NAMES.index(pair[0]), pair[1]),
    )
    assert all(row.alliances == 1 for row in report.by_alliance)
    for ats_row in report.by_ats:
        rows = [row for row in report.by_alliance if row.ats == ats_row.name]
        assert len(rows) == ats_row.alliances
        # In the demo every action belongs to an alliance of its own ATS, so the alliances add up exactly.
        assert sum(row.actions for row in rows) == ats_row.actions, ats_row.name
        assert sum(row.actions_for_persons for row in rows) == ats_row.actions_for_persons
        assert sum(row.actions_for_companies for row in rows) == ats_row.actions_for_companies
        # ... and every organisation is a member of exactly one alliance, so partners add up too.
        assert sum(row.partners for row in rows) == ats_row.partners, ats_row.name
        for kind in TYPES:
            assert sum(row.partners_by_type[kind] for row in rows) == ats_row.partners_by_type[kind]
        for row in rows:
            assert row.partners == sum(row.partners_by_type.values()) > 0
            assert row.actions == row.actions_for_persons + row.actions_for_companies > 0


def test_statuses_categories_and_actions_without_alliance(demo_app):
    with demo_app.app_context():
        # The demo loads every listing published: no drafts, nothing in review or archived.
        assert set(db.session.execute(select(Service.status)).scalars()) == {"published"}
        ids = list(
            db.session.execute(
                select(Service.id)
                .where(Service.ats == "Val Padana", Service.audience == "persons", Service.category != "W1")
                .order_by(Service.id)
                .limit(4)
            ).scalars()
        )
        draft, in_review, archived, without_alliance = ids
        db.session.execute(update(Service).where(Service.id == draft).values(status="draft"))
        db.session.execute(update(Service).where(Service.id == in_review).values(status="in_review"))
        db.session.execute(update(Service).where(Service.id == archived).values(status="archived"))
        db.session.execute(update(Service).where(Service.id == without_alliance).values(alliance_id=None))
        db.session.commit()
        report = monitoring_report("Val Padana")
        system_actions = db.session.execute(select(Service.category).where(Service.category == "S1")).all()
    assert not system_actions  # nor does the demo have system actions (S1)
    row = report.by_ats[0]
    assert (row.actions, row.actions_for_persons, row.actions_for_companies) == (88, 48, 40)  # one archived
    assert (
        sum(r.actions for r in report.by_alliance) == 87
    )  # the action without an alliance counts in the ATS only
    assert sum(r.actions_for_persons for r in report.by_alliance) == 47


def test_one_ats_report_has_only_that_ats(demo_app):
    with demo_app.app_context():
        report = monitoring_report("ATS della Montagna")
        with pytest.raises(ValueError, match="unknown ATS"):
            monitoring_report("Atlantide")
    assert [row.name for row in report.by_ats] == ["Montagna"]
    assert report.total == report.by_ats[0] and not report.is_region
    assert (report.total.alliances, report.total.actions, report.total.partners) == (5, 7, 29)
    assert len(report.by_alliance) == 5 and {row.ats for row in report.by_alliance} == {"Montagna"}
    text = report_text_table(report)
    assert "Montagna" in text and "Bergamo" not in text and "Lombardia" not in text
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert {row["ats"] for row in rows} == {"Montagna"}
    assert [row["level"] for row in rows] == ["ats", "total"] + ["alliance"] * 5


def test_an_empty_catalog_lists_every_ats_with_zeros(app):
    with app.app_context():
        report = monitoring_report()
    assert [row.name for row in report.by_ats] == list(territory.ATS_NAMES)
    assert report.by_alliance == []
    for row in (*report.by_ats, report.total):
        assert _counts(row) == (0, 0, 0, 0, 0)
        assert row.partners_by_type == dict.fromkeys(TYPES, 0)
    assert all(name in report_text_table(report) for name in territory.ATS_NAMES)


def _demo_report(demo_app) -> MonitoringReport:
    with demo_app.app_context():
        return monitoring_report()


def test_csv_is_one_table_with_levels_and_a_total_row(demo_app):
    report = _demo_report(demo_app)
    text = report_csv(report)
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames) == (*CSV_COLUMNS, *(f"partners_{kind}" for kind in TYPES))
    rows = list(reader)
    assert [row["level"] for row in rows] == ["ats"] * 8 + ["total"] + ["alliance"] * 40
    assert [row["name"] for row in rows[:8]] == list(territory.ATS_NAMES)
    (total,) = [row for row in rows if row["level"] == "total"]
    assert total["name"] == "Lombardia" and total["ats"] == ""
    assert [total[key] for key in CSV_COLUMNS[3:]] == ["40", "290", "135", "155", "567"]
    montagna = rows[territory.ATS_NAMES.index("Montagna")]
    assert tuple(int(montagna[f"partners_{kind}"]) for kind in TYPES) == FIGURE_6_2["Montagna"]
    for level in ("ats", "alliance"):
        assert sum(int(row["actions"]) for row in rows if row["level"] == level) == 290

    assert "Lombardy" in report_csv(report, language="en")
    excel = report_csv(report, excel=True)
    assert excel.startswith("\ufeff")
    excel_rows = list(csv.DictReader(io.StringIO(excel.removeprefix("\ufeff")), delimiter=";"))
    assert excel_rows == rows


def test_text_table_is_aligned_and_names_every_ats(demo_app):
    report = _demo_report(demo_app)
    text = report_text_table(report)
    for name in territory.ATS_NAMES:
        assert name in text
    assert "Lombardia" in text and "micro_enterprise" in text and "Ente pubblico" in text
    assert "Public body" in report_text_table(report, language="en")
    lines = text.splitlines()
    header, rule = lines[0], lines[1]
    assert header.startswith("ATS") and set(rule) <= {"-", " "}
    total_line = next(line for line in lines if line.startswith("Lombardia"))
    assert total_line.split()[1:6] == ["40", "290", "135", "155", "567"]
    # The numbers of the ATS table end in the same column as their headers.
    assert len(total_line) == len(header)
    for row in report.by_alliance:
        assert row.name in text


def test_the_regions_files_have_labelled_headers_the_date_and_the_programme_period(demo_app, make_user, auth):
    """Issue 23 point 5: Italian headers, the date of the figures and the programme period in the file and its
    name, XLSX as well as CSV (the machine CSV keeps its column codes)."""
    import openpyxl

    make_user("admin")
    client = auth("admin")
    today = date.today()
    workbook = client.get("/manage/insights/monitoring?format=xlsx&lang=it")
    assert workbook.status_code == 200
    name = workbook.headers["Content-Disposition"]
    assert re.search(rf'filename="monitoraggio-lombardia-\d{{4}}-\d{{4}}-al-{today.isoformat()}\.xlsx"', name)
    sheet = openpyxl.load_workbook(io.BytesIO(workbook.data)).active
    assert sheet["A2"].value == "Dati al" and sheet["B2"].value.date() == today
    assert sheet["A3"].value == "Periodo del programma" and re.fullmatch(r"\d{4}-\d{4}", sheet["B3"].value)
    header = [cell.value for cell in sheet[5]]
    assert header[:8] == [
        "Livello", "ATS", "Nome", "Alleanze", "Azioni", "Azioni per persone e famiglie", "Azioni per imprese",
        "Partner",
    ]  # fmt: skip
    assert "Partner: Ente pubblico" in header
    total = next(row for row in sheet.iter_rows(min_row=6, values_only=True) if row[0] == "Totale")
    assert total[2] == "Lombardia" and isinstance(total[3], int)
    csv_file = client.get("/manage/insights/monitoring?format=csv&excel=1&lang=it")
    assert re.search(
        r'filename="monitoraggio-lombardia-\d{4}-\d{4}-al-[\d-]+\.csv"',
        csv_file.headers["Content-Disposition"],
    )
    rows = list(csv.reader(io.StringIO(csv_file.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Dati al", "Periodo del programma", "Livello", "ATS"]
    assert {row[0] for row in rows[1:]} == {today.strftime("%d/%m/%Y")}
    english = client.get("/manage/insights/monitoring?format=xlsx&lang=en")
    assert "monitoring-lombardy-" in english.headers["Content-Disposition"]
    machine = client.get("/manage/insights/monitoring?format=csv")
    assert (
        machine.text.startswith("level,ats,name,alliances")
        and "-data.csv" in machine.headers["Content-Disposition"]
    )
