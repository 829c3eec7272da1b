"""Cards that lead somewhere (cost with its amount, hours, the next step, call and write, the own town first), and
the sentences that join ages, whose ages, counts and costs, read in both languages."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from tests.support.catalog import create_listing, row
from welfarepoint.extensions import db

ELEVEN_TOWNS = "Sondrio;Albosaggia;Caiolo;Castione Andevenno;Faedo Valtellino;Montagna in Valtellina;Piateda;Poggiridenti;Postalesio;Spriana;Torre di Santa Maria"


def card_of(page: str, title: str) -> str:
    """The card (article) whose title is ``title``, with the icons taken out."""
    for card in re.findall(r"<article.*?</article>", page, re.S):
        if title in re.sub(r"<[^>]+>", "", card):
            return re.sub(r"\s+", " ", re.sub(r"<svg.*?</svg>", "", card, flags=re.S))
    raise AssertionError(f"no card for {title}")


@pytest.fixture
def listings(app):
    """A fee-paying before-school club with hours and a deadline, a free carers' desk and an employer-only nursery."""
    with app.app_context():
        create_listing(
            row(
                external_id="pre",
                title="Pre-scuola alla primaria Ligari",
                municipality="Castione Andevenno",
                municipalities=ELEVEN_TOWNS,
                address="Via Roma 1",
                cost="fee",
                cost_amount="40",
                cost_period="month",
                cost_notes="Tariffa mensile, pagabile a rate.",
                age_of="child",
                age_min="6",
                age_max="10",
                hours="Mo-Fr 07:30-08:30",
                steps="Telefona per sapere se ci sono posti;Compila il modulo",
                steps_en="Call to ask whether there are places;Fill in the form",
                enrolment_deadline=(date.today() + timedelta(days=30)).isoformat(),
            )
        )
        create_listing(
            row(
                external_id="desk",
                title="Sportello caregiver di Sondrio",
                category="P1",
                needs="care_information",
                municipality="Sondrio",
                municipalities="Sondrio;Albosaggia;Caiolo;Castione Andevenno;Faedo Valtellino",
                cost="free",
                cost_notes="Gratuito.",
                age_of="cared_for",
                age_min="65",
                age_max="",
                periods="all_year",
                time_slots="flexible",
                hours="Tu 09:00-12:00",
                steps="Telefona o passa negli orari di apertura",
            )
        )
        create_listing(
            row(
                external_id="nido",
                title="Convenzioni con gli asili nido per i dipendenti",
                audience="companies",
                category="C2",
                needs="C2",
                municipalities="Sondrio",
                age_min="",
                age_max="",
                periods="all_year",
                time_slots="",
                cost="free",
                channel="employer",
                steps="Chiedi all'ufficio del personale",
            )
        )
        db.session.commit()
    return app


def test_a_card_says_cost_hours_next_step_and_lets_a_phone_call(listings):
    client = listings.test_client()
    card = card_of(client.get("/search?q=pre-scuola&lang=it").text, "Ligari")
    assert "A pagamento: 40 € al mese" in card
    assert "Da lunedì a venerdì 7:30–8:30" in card
    assert "Prossimo passo:</strong> Iscrizioni entro il" in card
    assert 'href="tel:+3903420001234"' in card and 'href="mailto:info@sentiero.example.org"' in card
    assert "Età del bambino o ragazzo: da 6 a 10 anni" in card
    english = card_of(client.get("/search?q=pre-scuola&lang=en").text, "Ligari")
    assert "Fee: €40 a month" in english and "Monday to Friday 7:30–8:30" in english
    assert "Age of the child: from 6 to 10 years" in english


def test_the_own_town_comes_first_and_no_count_hides_a_single_name(listings):
    client = listings.test_client()
    card = card_of(client.get("/search?q=pre-scuola&lang=it").text, "Ligari")
    assert "Per: </span>Castione Andevenno, Albosaggia, Caiolo, Faedo Valtellino e altri 7 comuni" in card
    english = card_of(client.get("/search?q=pre-scuola&lang=en").text, "Ligari")
    assert "Castione Andevenno, Albosaggia, Caiolo, Faedo Valtellino and 7 other municipalities" in english
    desk = card_of(client.get("/search?q=caregiver&lang=it").text, "Sportello caregiver")
    assert "Sondrio, Albosaggia, Caiolo, Castione Andevenno, Faedo Valtellino<" in desk  # five: all named
    assert "e altri 1" not in desk and "and 1 more" not in desk


def test_a_free_service_does_not_say_free_twice_and_whose_age_is_said(listings):
    client = listings.test_client()
    slug = "sportello-caregiver-di-sondrio"
    for language, forbidden, whose in (
        ("it", "Gratuito: Gratuito", "Età della persona assistita: da 65 anni in su"),
        ("en", "Free: Free", "Age of the person cared for: 65 years and over"),
    ):
        page = client.get(f"/services/{slug}?lang={language}").text
        card = card_of(client.get(f"/search?q=caregiver&lang={language}").text, "Sportello caregiver")
        for text in (page, card):
            assert forbidden not in text and whose in re.sub(r"\s+", " ", text)


def test_a_listing_only_through_the_employer_says_so_on_its_card(listings):
    client = listings.test_client()
    card = card_of(client.get("/search?q=asili+nido&lang=it").text, "Convenzioni")
    assert "Solo tramite il proprio datore di lavoro" in card
    english = card_of(client.get("/search?q=nursery&lang=en").text, "Convenzioni")
    assert "Only through your employer" in english


@pytest.mark.parametrize(
    ("language", "expected", "never"),
    [
        ("it", "età da 6 a 10 anni: adatto all'età indicata (7 anni)", "per da "),
        ("en", "for ages 6-10: fits your child aged 7", "for from"),
    ],
)
def test_questionnaire_reasons_join_ages_in_correct_sentences(listings, language, expected, never):
    client = listings.test_client()
    page = client.get(
        "/match/family",
        query_string={
            "needs": "before_school",
            "municipality": "014061",
            "child_age": "7",
            "lang": language,
        },
    ).text
    text = re.sub(r"\s+", " ", page).replace("&#39;", "'")
    assert expected in text and never not in text


def test_english_cards_mark_listings_written_only_in_italian(listings):
    client = listings.test_client()
    english = client.get("/search?q=pre-scuola&lang=en").text
    card = card_of(english, "Ligari")
    assert "Only in Italian" in card and '<span lang="it">' in card
    italian = card_of(client.get("/search?q=pre-scuola&lang=it").text, "Ligari")
    assert "Solo in italiano" not in italian


def test_an_open_age_limit_is_said_as_no_limit(listings):
    client = listings.test_client()
    with listings.app_context():
        from welfarepoint.catalog import operations, workflow
        from welfarepoint.catalog.models import Service

        service = db.session.execute(db.select(Service).filter_by(external_id="desk")).unique().scalar_one()
        listing = workflow.listing_of(service)
        listing.age_min, listing.age_max = 18, 120
        operations.update_service(service, listing, author="test@example.org")
        db.session.commit()
    page = re.sub(r"\s+", " ", client.get("/services/sportello-caregiver-di-sondrio?lang=it").text)
    assert "Età della persona assistita: da 18 anni in su" in page and "120" not in page


@pytest.mark.parametrize(
    ("written", "dialled"),
    [
        ("0342 000 1234", "tel:+3903420001234"),  # a landline, as the listing says it
        ("348-1234567", "tel:+393481234567"),  # a mobile
        ("+39 035 123456", "tel:+39035123456"),
        ("0039 0372 407111", "tel:+390372407111"),  # the international prefix written out
        ("803 164", "tel:803164"),  # INPS's contact centre: a short number works only as it is
        ("800 123 456", "tel:800123456"),  # a toll-free number
        ("tel. 1522", "tel:1522"),
    ],
)
def test_a_phone_link_dials_the_number_as_a_phone_in_italy_can(written, dialled):
    from welfarepoint.public.sheets import tel_href

    assert tel_href(written) == dialled
