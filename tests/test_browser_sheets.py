"""A manager imports their workbook in a real browser (issue 23): one grouped report, the unknown columns mapped,
the file fixed and uploaded again, the organisations to be created with an existing one picked instead, the
import; at 390 px and 1,366 px, in Italian and English, axe-clean. Screenshots go to
``WELFAREPOINT_SHOTS``/spread when it is set."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from tests.support.browser import assert_accessible, goto, screenshot
from tests.test_sheets_import import fixed_montagna
from welfarepoint import territory
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"
MANAGER = "gaia@ats-montagna.example.org"
SHEETS = Path(__file__).parent / "data" / "sheets"
WORDS = {
    "it": {"sign_in": "Accedi", "email": "Indirizzo e-mail", "problems": "Il file ha 13 problemi", "more": "Il file ha 9 problemi", "opens": "Apertura delle iscrizioni", "after": "le iscrizioni aprono dopo la scadenza"},
    "en": {"sign_in": "Sign in", "email": "E-mail address", "problems": "The file has 13 problems", "more": "The file has 9 problems", "opens": "Enrolment opens", "after": "enrolment opens after its deadline"},
}  # fmt: skip
AMOUNT = {"it": "Importo (euro)", "en": "Amount (euros)"}


@pytest.fixture
def manager(live_server):
    with live_server.app.app_context():
        if find_user(MANAGER) is None:
            create_user(MANAGER, PASSWORD, "ats_manager", ats="Montagna")
        if operations.find_organisation("Comune di Albosaggia") is None:
            operations.create_organisation(
                "Comune di Albosaggia",
                "public_body",
                municipality_code=territory.find("Albosaggia").istat_code,
            )
        db.session.commit()
    return MANAGER


def shot(page, name: str, lang: str) -> None:
    screenshot(page, "spread", f"{name}-{lang}-{page.viewport_size['width']}px")


#: The rows (9 and 20) whose "Dal" comes after their "Al": the manager made the same slip in the opening of
#: enrolments, a column the catalog knows (the fifth kind of mistake, beside the unknown columns).
OPENS_AFTER_DEADLINE = (9, 20)


def with_ids(data: bytes, prefix: str, *, slips: bool = False) -> bytes:
    """The workbook with its own identifiers, so that each run of the journey adds its own 25 listings, and an
    "Apertura iscrizioni" column: a month before each deadline, or after it on two rows when ``slips``."""
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    deadline, opens = header.index("Scadenza iscrizioni") + 1, sheet.max_column + 1
    sheet.cell(row=1, column=opens).value = "Apertura iscrizioni"
    for row in range(2, sheet.max_row + 1):
        sheet.cell(row=row, column=1).value = f"{prefix}-{row:03d}"
        if due := sheet.cell(row=row, column=deadline).value:
            days = 10 if slips and row in OPENS_AFTER_DEADLINE else -30
            sheet.cell(row=row, column=opens).value = due + timedelta(days=days)
            sheet.cell(row=row, column=opens).number_format = "DD/MM/YYYY"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


@pytest.mark.parametrize("lang", ["it", "en"])
def test_a_manager_imports_a_workbook_from_report_to_listings(page, manager, live_server, lang, tmp_path):
    if page.viewport_size["width"] < 1000:
        page.set_viewport_size({"width": 390, "height": 844})
    words = WORDS[lang]
    prefix = f"J{lang.upper()}{page.viewport_size['width']}"
    goto(page, f"/manage/login?lang={lang}")
    page.get_by_label(words["email"]).fill(manager)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=words["sign_in"]).click()
    page.wait_for_load_state()

    # 1. The workbook as the manager keeps it: one report, grouped by field.
    goto(page, f"/manage/import?lang={lang}")
    original = tmp_path / "servizi.xlsx"
    original.write_bytes(with_ids((SHEETS / "manager_montagna.xlsx").read_bytes(), prefix, slips=True))
    page.locator('input[type="file"]').set_input_files(str(original))
    page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click()
    page.wait_for_load_state()
    assert words["problems"] in page.locator("#report-title").inner_text()
    sections = page.locator(".wp-import-report section")
    assert (
        sections.count() == 5
    )  # columns, municipalities, ages, e-mails, enrolment opening after the deadline
    opening = sections.filter(has_text=words["opens"]).inner_text()
    assert words["after"] in opening and "9, 20" in opening
    assert "Albosagia" in page.locator(".wp-import-report").inner_text()
    assert_accessible(page)
    shot(page, "1-grouped-report", lang)

    # 2. The columns the import does not know: the fee is the amount in euros, the others are left out.
    headers = [item.get_attribute("value") for item in page.locator('input[name="map_header"]').all()]
    assert headers == ["Dal", "Al", "Quota (€)", "Note interne"]
    for header, select in zip(headers, page.locator('select[name="map_column"]').all(), strict=True):
        if header == "Quota (€)":
            select.select_option(label=AMOUNT[lang])
        else:
            select.select_option("-")
    shot(page, "2-mapping", lang)
    page.locator('form[action$="/import/check"] button[type="submit"]').click()
    page.wait_for_load_state()
    assert words["more"] in page.locator("#report-title").inner_text()
    assert page.locator('select[name="map_column"]').count() == 0
    assert_accessible(page)

    # 3. The file fixed in Excel and uploaded again (the mapping travels with the form).
    fixed = tmp_path / "servizi-corretto.xlsx"
    fixed.write_bytes(with_ids(fixed_montagna(), prefix))
    page.locator('input[type="file"]').set_input_files(str(fixed))
    page.locator('form[enctype="multipart/form-data"] button[type="submit"]').click()
    page.wait_for_load_state()
    assert page.locator("#organisations-title").is_visible()
    organisations = page.locator("#organisations-title").locator("xpath=..")
    assert "Comune di Albosaggia (SO)" in organisations.inner_text()
    choice = page.locator('select[name="org_choice"]').filter(
        has=page.locator('option[value="Comune di Albosaggia"]')
    )
    choice.first.select_option("Comune di Albosaggia")
    assert_accessible(page)
    shot(page, "3-organisations-to-create", lang)

    # 4. The import.
    page.locator('form[action$="/import/confirm"] .wp-step-actions button[type="submit"]').click()
    page.wait_for_load_state()
    assert "25" in page.get_by_role("status").first.inner_text() or "25" in page.locator("main").inner_text()
    assert_accessible(page)
    shot(page, "4-imported", lang)
    with live_server.app.app_context():
        imported = (
            db.session.execute(db.select(Service).where(Service.external_id.like(f"{prefix}-%")))
            .scalars()
            .all()
        )
        assert len(imported) == 25
        opens = {s.external_id: (s.enrolment_opens, s.enrolment_deadline) for s in imported}
        assert opens[f"{prefix}-009"][0] == opens[f"{prefix}-009"][1] - timedelta(days=30)
        amounts = {s.external_id: s.cost_amount for s in imported}
        assert amounts[f"{prefix}-002"] == Decimal("65.50") and amounts[f"{prefix}-003"] == Decimal("120")
        assert amounts[f"{prefix}-005"] is None  # free: no fee in the sheet
        assert (
            next(s for s in imported if s.external_id == f"{prefix}-024").provider.name
            == "Comune di Albosaggia"
        )
