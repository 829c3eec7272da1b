"""Pieces of issue 22 a person relies on, each on a rendered page or a real file: "In brief"'s deadline, the
service page's documents, hours table and conditions (residence, ISEE, others), no "flexible hours" beside real
hours, the printed questionnaire results (answers, date, address), the search link in the header, and the
structured fields through an XLSX export and import."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl

from tests.support.catalog import create_listing, row
from welfarepoint.catalog import columns
from welfarepoint.catalog.interchange import import_listings
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.workbook import listings_workbook
from welfarepoint.extensions import db
from welfarepoint.i18n import format_date

SLUG = "pre-scuola-alla-primaria-ligari"
TODAY = date.today()
OPENS = TODAY - timedelta(days=1)
DEADLINE = TODAY + timedelta(days=60)

STRUCTURED = {
    "age_of": "child",
    "residence": "resident_or_worker",
    "isee_max": "30000",
    "conditions": "Entrambi i genitori lavorano.",
    "conditions_en": "Both parents work.",
    "documents": "Attestazione ISEE;Documento d'identità del genitore",
    "documents_en": "ISEE certificate;Identity document of the parent",
    "steps": "Telefona per sapere se ci sono posti;Compila il modulo",
    "steps_en": "Call to ask whether there are places;Fill in the form",
    "cost": "fee",
    "cost_amount": "40",
    "cost_period": "month",
    "hours": "Mo-Fr 07:30-08:30; Sa 09:00-12:00",
    "time_slots": "before_school;flexible",
    "enrolment_opens": OPENS.isoformat(),
    "enrolment_deadline": DEADLINE.isoformat(),
    "municipality": "Sondrio",
    "address": "Via Roma 1",
}


def the_listing(app, **overrides) -> None:
    with app.app_context():
        create_listing(row(**(STRUCTURED | overrides)), today=TODAY)
        db.session.commit()


def long_date(app, day: date, lang: str) -> str:
    with app.test_request_context(f"/?lang={lang}"):
        return format_date(day, "long")


def section(page: str, anchor: str) -> str:
    return re.search(rf'<section id="{anchor}".*?</section>', page, re.S).group(0)


def words_of(html: str) -> list[str]:
    """The list items of some HTML as a person reads them, without the tags."""
    return [re.sub(r"<[^>]+>|\s+", " ", item).strip() for item in re.findall(r"<li>(.*?)</li>", html, re.S)]


def test_in_brief_says_the_enrolment_deadline_in_both_languages(app):
    the_listing(app, enrolment_opens="")
    client = app.test_client()
    for lang, label, words in (("it", "Scadenza", "Iscrizioni entro il"), ("en", "Deadline", "Enrol by")):
        page = client.get(f"/services/{SLUG}?lang={lang}").text
        brief = re.search(r'<section class="wp-in-brief".*?</section>', page, re.S).group(0)
        deadline = re.search(rf"<dt>{label}</dt>\s*<dd[^>]*>(.*?)</dd>", brief, re.S)
        assert deadline, brief
        assert deadline.group(1).strip() == f"{words} {long_date(app, DEADLINE, lang)}"


def test_a_passed_deadline_is_said_closed_not_as_a_step_to_take(app):
    the_listing(app, enrolment_opens="", enrolment_deadline=(TODAY - timedelta(days=3)).isoformat())
    page = app.test_client().get(f"/services/{SLUG}?lang=en").text
    brief = re.search(r'<section class="wp-in-brief".*?</section>', page, re.S).group(0)
    assert f"Enrolment closed on {long_date(app, TODAY - timedelta(days=3), 'en')}" in brief


def test_the_service_page_lists_documents_hours_and_the_conditions_to_apply(app):
    the_listing(app)
    client = app.test_client()
    italian = client.get(f"/services/{SLUG}?lang=it").text
    who = section(italian, "who")
    for line in (
        "Chi vive o lavora nei comuni serviti",
        "ISEE fino a 30000 euro",
        "Entrambi i genitori lavorano.",
        "Età del bambino o ragazzo: da 6 a 11 anni",
    ):
        assert line in words_of(who), line
    needed = section(italian, "needed")
    assert "<li>Attestazione ISEE</li><li>Documento d&#39;identità del genitore</li>" in needed
    when = section(italian, "when")
    hours = re.search(r'<dl class="wp-hours">(.*?)</dl>', when, re.S).group(1)
    assert re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", hours) == [
        ("Da lunedì a venerdì", "7:30–8:30"),
        ("Sabato", "9:00–12:00"),
    ]
    english = client.get(f"/services/{SLUG}?lang=en").text
    who = section(english, "who")
    for line in ("People who live or work in the municipalities covered", "Both parents work."):
        assert line in who, line
    assert "ISEE up to 30000 euros" in who
    assert "<li>ISEE certificate</li><li>Identity document of the parent</li>" in section(english, "needed")
    hours = re.search(r'<dl class="wp-hours">(.*?)</dl>', section(english, "when"), re.S).group(1)
    assert re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", hours)[1][0] == "Saturday"


def test_a_listing_without_documents_says_to_ask_what_to_bring(app):
    the_listing(app, documents="", documents_en="")
    page = app.test_client().get(f"/services/{SLUG}?lang=en").text
    assert "No documents are listed: ask the provider what to bring." in section(page, "needed")


def test_no_flexible_hours_beside_real_hours_on_the_page_the_card_and_the_list(app):
    the_listing(app)
    client = app.test_client()
    for lang, flexible, hours in (
        ("it", "Orari flessibili", "Da lunedì a venerdì 7:30–8:30"),
        ("en", "Flexible hours", "Monday to Friday 7:30–8:30"),
    ):
        for path in (
            f"/services/{SLUG}?lang={lang}",
            f"/search?q=pre-scuola+sondrio&lang={lang}",
            f"/list?keep={SLUG}&lang={lang}",
        ):
            page = client.get(path).text
            assert hours in page, (path, lang)
            assert flexible not in page, (path, lang)


def test_printed_questionnaire_results_keep_the_answers_the_date_and_the_address(app):
    the_listing(app)
    client = app.test_client()
    for lang, prepared, answers, child in (
        ("it", "Preparata il", "Le tue risposte", "figlio di 7 anni"),
        ("en", "Prepared on", "Your answers", "child aged 7"),
    ):
        path = f"/match/family?municipality=014061&child_age=7&needs=before_school&lang={lang}"
        # The page is dated the day it is drawn, which may be past midnight when the run began the day before.
        before = date.today()
        page = client.get(path).text
        days = {long_date(app, day, lang) for day in (before, date.today())}
        assert 'class="wp-result' in page
        printed = re.search(r'<p class="wp-print-only">(.*?)</p>', page, re.S).group(1)
        assert any(printed.startswith(f"{prepared} {when} ") for when in days), printed
        assert printed.endswith("http://localhost" + path.replace("&", "&amp;"))
        answers_section = re.search(r'<section class="wp-answers".*?</section>', page, re.S).group(0)
        assert answers in answers_section and "Sondrio" in answers_section
        assert child in re.sub(r"<[^>]+>|\s+", " ", answers_section)
    # The print style sheet shows what is for print only and hides what is for the screen only.
    response = client.get("/static/css/print.css")
    print_css = response.text
    response.close()
    assert re.search(r'<link[^>]+href="[^"]*print[^"]*\.css[^"]*"[^>]*media="print"', page)
    assert re.search(r"\.wp-print-only\s*\{\s*display:\s*block", print_css)
    assert re.search(r"\.wp-no-print[^{]*\{\s*display:\s*none", print_css)


def test_the_header_leads_to_the_search_from_every_page(app):
    client = app.test_client()
    for path, name in (("/?lang=it", "Cerca i servizi"), ("/privacy?lang=en", "Search the services")):
        page = client.get(path).text
        header = re.search(r"<header.*?</header>", page, re.S).group(0)
        link = re.search(r'<a class="search-link[^"]*" href="([^"]+)" aria-label="([^"]+)"', header)
        assert link and link.groups() == ("/search", name)
        assert client.get(link.group(1)).status_code == 200


def test_the_structured_fields_go_through_an_xlsx_export_and_import_unchanged(app):
    the_listing(app)
    with app.test_request_context("/?lang=it"):
        service = db.session.execute(db.select(Service)).unique().scalar_one()
        book = listings_workbook([service])
        sheet = openpyxl.load_workbook(io.BytesIO(book)).worksheets[0]
        header = [cell.value for cell in sheet[1]]
        cells = dict(zip(header, (cell.value for cell in sheet[2]), strict=True))
        label = {column.name: str(column.label) for column in columns.columns()}
        # Typed as a spreadsheet person expects: dates as dates, numbers as numbers, codes as words.
        assert cells[label["enrolment_deadline"]].date() == DEADLINE
        assert cells[label["enrolment_opens"]].date() == OPENS
        assert float(cells[label["cost_amount"]]) == 40 and int(cells[label["isee_max"]]) == 30000
        assert cells[label["residence"]] == "Chi vive o lavora nei comuni serviti"
        assert cells[label["hours"]] == "Mo-Fr 07:30-08:30; Sa 09:00-12:00"
        # Imported as it was exported: nothing changes.
        report = import_listings(book, author="test@example.org", today=TODAY)
        assert report.ok, [str(e) for e in report.errors]
        assert [c.action for c in report.changes] == ["unchanged"]
        # A manager edits the structured cells in the spreadsheet: each new value is what the listing then holds.
        row_number = 2
        edits = {
            "residence": "Residenti nei comuni serviti",
            "isee_max": 25000,
            "documents": "Documento d'identità; Tessera sanitaria",
            "steps": "Scrivi una e-mail; Vieni allo sportello",
            "cost_amount": 45.5,
            "cost_period": "a settimana",
            "hours": "lun-ven 8.00-9.00",
            "conditions": "Almeno un genitore lavora.",
            "enrolment_deadline": DEADLINE + timedelta(days=7),
        }
        for name, value in edits.items():
            sheet.cell(row=row_number, column=header.index(label[name]) + 1, value=value)
        edited = io.BytesIO()
        sheet.parent.save(edited)
        report = import_listings(edited.getvalue(), author="test@example.org", today=TODAY)
        assert report.ok, [str(e) for e in report.errors]
        assert [(c.action, sorted(c.fields)) for c in report.changes] == [("updated", sorted(edits))]
        db.session.commit()
        service = db.session.execute(db.select(Service)).unique().scalar_one()
        assert service.residence == "resident" and service.isee_max == 25000
        assert service.documents == ["Documento d'identità", "Tessera sanitaria"]
        assert service.steps == ["Scrivi una e-mail", "Vieni allo sportello"]
        assert service.cost_cents == 4550 and service.cost_period == "week"
        assert service.hours == "Mo-Fr 08:00-09:00"
        assert service.conditions == "Almeno un genitore lavora."
        assert service.enrolment_deadline == DEADLINE + timedelta(days=7)
        assert service.documents_en == ["ISEE certificate", "Identity document of the parent"]


def test_a_residence_condition_outside_the_vocabulary_is_refused_saying_what_is_allowed(app):
    from welfarepoint.catalog.validation import validate_listing

    for lang in ("it", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            _, problems = validate_listing(row(residence="tutti i cittadini"), today=TODAY)
            assert [p.column for p in problems] == ["residence"]
            assert "tutti i cittadini" in str(problems[0].message)
            assert "resident_or_worker" in str(problems[0].message)  # what is allowed is said
            _, problems = validate_listing(row(residence="resident"), today=TODAY)
            assert not problems
