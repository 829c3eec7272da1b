"""La mia lista from anywhere: kept in the address only, a dossier to act on, a calendar of enrolment deadlines."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import pytest

from tests.support.catalog import create_listing, row
from welfarepoint.extensions import db

DEADLINE = date.today() + timedelta(days=40)


@pytest.fixture
def listings(app):
    with app.app_context():
        create_listing(
            row(
                external_id="camp",
                title="Centro estivo a Sondrio",
                needs="summer_closure",
                periods="summer",
                time_slots="full_day",
                municipality="Sondrio",
                address="Via Roma 1",
                cost="fee",
                cost_amount="85",
                cost_period="week",
                hours="Mo-Fr 08:00-17:00",
                steps="Compila il modulo online;Paga la prima settimana",
                documents="Certificato medico;Documento d'identità",
                enrolment_opens=(date.today() - timedelta(days=5)).isoformat(),
                enrolment_deadline=DEADLINE.isoformat(),
            )
        )
        create_listing(
            row(
                external_id="desk",
                title="Sportello caregiver di Sondrio",
                category="P1",
                needs="care_information",
                municipality="Sondrio",
                periods="all_year",
                time_slots="flexible",
                cost="free",
                hours="Tu 09:00-12:00",
                steps="Telefona",
            )
        )
        db.session.commit()
    return app


def links(page: str, pattern: str) -> list[str]:
    return [unescape(href) for href in re.findall(rf'href="({pattern}[^"]*)"', page)]


def test_a_list_is_made_from_a_search_card_and_a_service_page_and_kept_only_in_the_address(listings):
    client = listings.test_client()
    results = client.get("/search?q=centro+estivo&lang=it").text
    add = [href for href in links(results, "/list") if "centro-estivo-a-sondrio" in href][0]
    assert add.startswith("/list?keep=centro-estivo-a-sondrio&back=")
    dossier = client.get(add).text
    assert "Centro estivo a Sondrio" in dossier
    back = links(dossier, r"/search\?")[0]
    assert "keep=centro-estivo-a-sondrio" in back  # the results carry the list on
    service = client.get("/services/sportello-caregiver-di-sondrio?keep=centro-estivo-a-sondrio&lang=it").text
    add_second = [href for href in links(service, "/list") if "sportello" in href][0]
    assert "keep=centro-estivo-a-sondrio&keep=sportello-caregiver-di-sondrio" in add_second
    both = client.get(add_second).text
    assert both.index("Centro estivo a Sondrio") < both.index("Sportello caregiver di Sondrio")
    assert "Nella tua lista" in client.get(back).text  # the card says it is kept
    with listings.app_context():
        from sqlalchemy import inspect

        assert not [t for t in inspect(db.engine).get_table_names() if "list" in t]  # nothing stored


def test_the_dossier_has_the_date_its_address_a_qr_code_and_what_is_needed_to_act(listings):
    client = listings.test_client()
    page = client.get("/list?keep=centro-estivo-a-sondrio&lang=it").text
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", page)))
    for expected in (
        "Via Roma 1, Sondrio",
        "Da lunedì a venerdì 8:00–17:00",
        "Compila il modulo online",
        "Certificato medico",
        "A pagamento: 85 € a settimana",
        "Iscrizioni dal",
        "http://localhost/list?keep=centro-estivo-a-sondrio",
        "http://localhost/services/centro-estivo-a-sondrio",
    ):
        assert expected in text, expected
    assert re.search(r"Preparata il \d+ \w+ \d{4}", text)
    assert re.search(r'<svg[^>]*class="wp-qr"', page) and "<path" in page
    assert 'href="tel:+3903420001234"' in page
    remove = [href for href in links(page, "/list") if "keep=" not in href]
    assert remove  # "remove from the list" leads to the list without it


def test_the_list_made_from_questionnaire_results_shows_the_answers(listings):
    client = listings.test_client()
    back = "/match/family?municipality=014061&child_age=7&needs=summer_closure"
    page = client.get(
        "/list", query_string={"keep": "centro-estivo-a-sondrio", "back": back, "lang": "en"}
    ).text
    answers = re.sub(
        r"\s+", " ", re.search(r'<section class="wp-dossier-answers".*?</section>', page, re.S).group(0)
    )
    assert "Sondrio" in answers and "child aged 7" in answers
    # The questionnaire's own "keep" form leads to the same list.
    response = client.get("/match/shortlist", query_string={"keep": "centro-estivo-a-sondrio", "back": back})
    assert response.status_code == 303 and response.headers["Location"].startswith(
        "/list?keep=centro-estivo-a-sondrio"
    )


def test_alternatives_can_be_kept_too(demo_app):
    """A man who got only alternatives can still make a list for his sister."""
    client = demo_app.test_client()
    query = {"municipality": "014061", "child_age": "7", "needs": "after_school", "lang": "it"}
    page = client.get("/match/family", query_string=query).text
    alternatives = page[page.index("Le alternative più vicine") : page.index('id="desks"')]
    add = links(alternatives, "/list")
    assert add and all("back=%2Fmatch%2Ffamily" in href for href in add)
    dossier = client.get(add[0]).text
    assert "Le tue risposte" in dossier and "Sondrio (dove vivi)" in dossier  # each place with its role


def test_the_calendar_file_has_the_enrolment_window(listings):
    client = listings.test_client()
    response = client.get(
        "/list/calendar.ics?keep=centro-estivo-a-sondrio&keep=sportello-caregiver-di-sondrio"
    )
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART;VALUE=DATE:{DEADLINE:%Y%m%d}" in text
    assert text.count("BEGIN:VEVENT") == 1  # the desk has no deadline; enrolment for the camp is open already
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "SUMMARY:Scadenza iscrizioni: Centro estivo a Sondrio" in unescape(text).replace("\r\n ", "")


@pytest.mark.parametrize(
    "query",
    [
        {"keep": ["no-such-listing"] * 3},
        {"keep": [f"x{n}" for n in range(100)]},
        {"keep": "centro-estivo-a-sondrio", "back": "https://elsewhere.example.org/"},
        {"keep": "centro-estivo-a-sondrio", "back": "//elsewhere.example.org/search"},
        {"keep": "centro-estivo-a-sondrio", "back": "/match/family?needs=%ff%fe&child_age=-4"},
        {"keep": "\x00<script>", "back": "/search?q=<script>"},
    ],
)
def test_bad_list_addresses_never_fail_nor_lead_elsewhere(listings, query):
    client = listings.test_client()
    response = client.get("/list", query_string=query)
    assert response.status_code == 200
    assert "elsewhere.example.org/search" not in response.text.split("wp-dossier-url")[0]
    assert 'href="//elsewhere' not in response.text and 'href="https://elsewhere' not in response.text
    assert "<script>" not in response.text
    assert client.get("/list/calendar.ics", query_string=query).status_code == 200
