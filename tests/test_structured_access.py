"""Structured eligibility and access: opening hours, amounts, steps and documents as data, curated in the backend,
carried by the listings CSV and published as HSDS required documents, schedules and cost options."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from flask_babel import force_locale

from tests.support.catalog import create_listing, row
from tests.support.manage import account, form_data, listing, signed_in
from tests.test_api import SERVICE_FULL, assert_valid
from welfarepoint.catalog import access
from welfarepoint.catalog.interchange import export_listings, import_listings
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.validation import CSV_COLUMNS, validate_listing
from welfarepoint.extensions import db

STRUCTURED = {
    "age_of": "child",
    "residence": "resident_or_worker",
    "isee_max": "30000",
    "conditions": "Entrambi i genitori lavorano.",
    "conditions_en": "Both parents work.",
    "documents": "Attestazione ISEE;Documento d'identità",
    "documents_en": "ISEE certificate;Identity document",
    "steps": "Telefona per sapere se ci sono posti;Compila il modulo;Paga la quota",
    "steps_en": "Call to ask whether there are places;Fill in the form;Pay the fee",
    "cost": "fee",
    "cost_amount": "40",
    "cost_period": "month",
    "hours": "lun-ven 7.30-8.30",
    "enrolment_opens": "2026-12-01",
    "enrolment_deadline": "2027-01-31",
    "channel": "",
}


def test_opening_hours_written_in_italian_or_english_become_one_canonical_form():
    assert access.format_hours(access.parse_hours("lun-ven 7.30-8.30; sab 9:00-12:00")) == (
        "Mo-Fr 07:30-08:30; Sa 09:00-12:00"
    )
    assert access.format_hours(
        access.parse_hours("Mon, Wed, Fri 14:00-18:00\nTu 9:00-12:00,15:00-18:00")
    ) == ("Mo,We,Fr 14:00-18:00; Tu 09:00-12:00,15:00-18:00")
    assert access.format_hours(access.parse_hours("martedì e giovedì 9:00-12:00 e 14:00-16:30")) == (
        "Tu,Th 09:00-12:00,14:00-16:30"
    )
    for wrong in ("su appuntamento", "lun-ven 9-12", "Xx 09:00-10:00", "Mo 12:00-09:00", "Mo 25:00-26:00"):
        with pytest.raises(access.HoursError):
            access.parse_hours(wrong)


def test_opening_hours_are_said_in_words_in_both_languages(app):
    with app.test_request_context():
        assert access.describe_hours("Mo-Fr 07:30-08:30,16:30-18:00; Tu,Th 14:00-17:00", "it") == [
            ("Da lunedì a venerdì", "7:30–8:30 e 16:30–18:00"),
            ("Martedì e giovedì", "14:00–17:00"),
        ]
        assert access.describe_hours("Mo,We,Fr 09:00-12:30", "en") == [
            ("Monday, Wednesday and Friday", "9:00–12:30")
        ]
        assert access.describe_hours("not hours", "it") == []


def test_amounts_are_read_as_people_write_them():
    assert access.parse_amount("40") == Decimal("40.00")
    assert access.parse_amount("2,5") == Decimal("2.50")
    assert access.parse_amount("€ 1.200,00") == Decimal("1200.00")
    for wrong in ("quaranta", "-5", "40,123", ""):
        with pytest.raises(ValueError):
            access.parse_amount(wrong)


def test_a_listing_keeps_its_structured_access(app):
    with app.app_context():
        service = create_listing(row(**STRUCTURED), today=date(2026, 11, 25))
        db.session.commit()
        assert service.hours == "Mo-Fr 07:30-08:30"
        assert service.cost_amount == Decimal("40.00") and service.cost_cents == 4000
        assert service.steps == ["Telefona per sapere se ci sono posti", "Compila il modulo", "Paga la quota"]
        assert service.texts("documents", "en") == (["ISEE certificate", "Identity document"], "en")
        assert service.isee_max == 30000 and service.age_of == "child"
        assert service.enrolment_opens == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("hours", "su appuntamento", "needs days and hours"),
        ("cost_amount", "quaranta", "is not an amount in euros"),
        ("cost_period", "fortnight", "is not one of"),
        ("age_of", "grandchild", "is not one of"),
        ("channel", "church", "is not one of"),
        ("isee_max", "-1", "is not between"),
        ("enrolment_opens", "2027-02-15", "enrolment opens after its deadline"),
    ],
)
def test_bad_structured_values_are_refused_with_the_reason(app, column, value, message):
    with app.test_request_context(), force_locale("en"):
        listing_input, problems = validate_listing(
            row(**STRUCTURED | {column: value}), today=date(2026, 11, 25)
        )
        assert listing_input is None
        assert any(p.column == column and message in str(p.message) for p in problems), [
            (p.column, str(p.message)) for p in problems
        ]


def test_a_free_service_has_no_amount_and_a_period_needs_one(app):
    with app.test_request_context(), force_locale("en"):
        _, problems = validate_listing(row(cost="free", cost_amount="10"), today=date(2026, 11, 25))
        assert [p.column for p in problems] == ["cost_amount"]
        _, problems = validate_listing(row(cost_period="month"), today=date(2026, 11, 25))
        assert [p.column for p in problems] == ["cost_period"]


def test_the_listings_csv_carries_the_structured_columns_both_ways(app):
    with app.app_context():
        create_listing(row(**STRUCTURED), today=date(2026, 11, 25))
        db.session.commit()
        exported = export_listings(db.session.execute(db.select(Service)).unique().scalars())
        header = exported.splitlines()[0].split(",")
        for column in STRUCTURED:
            assert column in header and column in CSV_COLUMNS
        assert "Mo-Fr 07:30-08:30" in exported and "40.00" in exported
        assert "Telefona per sapere se ci sono posti;Compila il modulo;Paga la quota" in exported
        changed = exported.replace("Mo-Fr 07:30-08:30", "Mo-Fr 07:30-08:30; Sa 08:00-09:00").replace(
            "40.00", "45"
        )
        report = import_listings(changed.encode(), author="test@example.org", today=date(2026, 11, 25))
        assert report.ok, [str(e) for e in report.errors]
        assert [(c.action, sorted(c.fields)) for c in report.changes] == [
            ("updated", ["cost_amount", "hours"])
        ]
        db.session.commit()
        service = db.session.execute(db.select(Service)).unique().scalar_one()
        assert service.hours == "Mo-Fr 07:30-08:30; Sa 08:00-09:00" and service.cost_cents == 4500
        again = import_listings(
            export_listings([service]).encode(), author="test@example.org", today=date(2026, 11, 25)
        )
        assert [c.action for c in again.changes] == ["unchanged"]


def test_the_hsds_service_has_documents_weekly_schedules_and_a_cost_with_its_amount(app):
    from welfarepoint.api import hsds

    with app.app_context():
        service = create_listing(row(**STRUCTURED | {"hours": "Mo-Fr 07:30-08:30; Sa 09:00-12:00"}))
        db.session.commit()
        for language in ("it", "en"):
            with app.test_request_context(), force_locale(language):
                data = hsds.service_full(service, language, "https://example.org/services/x")
                assert_valid(SERVICE_FULL, data)
                documents = [item["document"] for item in data["required_documents"]]
                weekly = [item for item in data["schedules"] if item.get("freq") == "WEEKLY"]
                cost = data["cost_options"][0]
                assert data["application_process"].startswith("1. ")
        assert documents == ["ISEE certificate", "Identity document"]
        assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in weekly] == [
            ("MO,TU,WE,TH,FR", "07:30", "08:30"),
            ("SA", "09:00", "12:00"),
        ]
        assert (cost["amount"], cost["currency"]) == (40.0, "EUR") and "a month" in cost["option"]
        assert "Age of the child: from 6 to 11 years" in data["eligibility_description"]
        assert "ISEE up to 30000 euros" in data["eligibility_description"]


def test_a_manager_curates_the_structured_access_in_the_form(demo_app):
    manager = signed_in(
        demo_app, account(demo_app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )
    target = listing(demo_app, ats="Montagna", status="draft") or listing(demo_app, ats="Montagna")
    page = manager.get(f"/manage/services/{target.uuid}?lang=it")
    assert page.status_code == 200
    for label in (
        "Orari di apertura",
        "Documenti necessari",
        "Come fare domanda, passo per passo",
        "Di chi è l&#39;età",
    ):
        assert label in page.text
    bad = form_data(demo_app, target.uuid, page.text, hours="su appuntamento", cost_amount="quaranta")
    response = manager.post(f"/manage/services/{target.uuid}?lang=it", data=bad)
    assert response.status_code == 400
    assert 'id="hours-errors"' in response.text and 'id="cost_amount-errors"' in response.text
    assert "su appuntamento" in response.text  # what was typed is kept
    good = form_data(
        demo_app,
        target.uuid,
        page.text,
        hours="lun, mer 9:00-12:00\nven 14:00-17:00",
        steps="Telefona\nPrenota un colloquio",
        documents="Carta d'identità",
        cost="fee",
        cost_amount="12,50",
        cost_period="hour",
        age_of="cared_for",
        channel="social_services",
    )
    assert manager.post(f"/manage/services/{target.uuid}?lang=it", data=good).status_code == 302
    with demo_app.app_context():
        from welfarepoint.catalog import workflow

        service = db.session.execute(db.select(Service).filter_by(uuid=target.uuid)).unique().scalar_one()
        cells = workflow.current_cells(service)
    assert cells["hours"] == "Mo,We 09:00-12:00; Fr 14:00-17:00"
    assert cells["steps"] == "Telefona;Prenota un colloquio" and cells["cost_amount"] == "12.50"
    assert cells["channel"] == "social_services" and cells["age_of"] == "cared_for"
    again = manager.get(f"/manage/services/{target.uuid}?lang=it")
    assert "Telefona\nPrenota un colloquio</textarea>" in again.text


def test_the_demo_listings_have_structured_access(demo_app):
    with demo_app.app_context():
        services = (
            db.session.execute(db.select(Service).where(Service.status == "published")).unique().scalars()
        )
        services = list(services)
    with_hours = [s for s in services if s.hours]
    with_amount = [s for s in services if s.cost_amount is not None]
    assert len(with_hours) > len(services) / 3
    assert all(s.cost != "free" and s.cost_period for s in with_amount) and len(with_amount) > 50
    assert all(s.steps for s in services)
    assert any(s.channel == "employer" for s in services)
    assert any(s.enrolment_opens for s in services)
    assert {s.age_of for s in services if s.age_min is not None} <= {"child", "cared_for"}
