"""The results page as a visitor reads it (issue 17): the cards say what the listing says, in the page's language,
and the Welfare Points beside the results are the nearest to the place searched, a new one included at once."""

from __future__ import annotations

import re

from tests.support.catalog import create_listing, row
from welfarepoint.extensions import db

DESK = "Sportello Welfare Point Alta Valle"


def help_box(html: str) -> list[str]:
    """The Welfare Points named in "who can help you" beside the results, as read, in order."""
    box = html[html.index('class="wp-desks-box"') :]
    box = box[: box.index("</section>")]
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>.*?</li>", box, flags=re.S)]


def test_a_welfare_point_published_in_the_town_searched_is_named_first_at_once(demo_app):
    public = demo_app.test_client()
    address = "/search?q=centro+estivo&place=Livigno&lang=it"
    before = help_box(public.get(address).text)
    assert before and not any(DESK in desk for desk in before)

    with demo_app.app_context():
        create_listing(
            row(
                external_id="desk-livigno",
                title=DESK,
                summary="Informazioni sui servizi di conciliazione dell'Alta Valle.",
                category="W1",
                needs="",
                municipalities="Livigno",
                municipality="Livigno",
                address="Via Dala Gesa 1, Livigno",
                phone="+39 0342 000 5678",
                age_min="",
                age_max="",
                periods="",
                time_slots="",
                cost="free",
            )
        )
        db.session.commit()

    nearest = help_box(public.get(address).text)
    assert nearest[0].startswith(f"{DESK} — Livigno"), nearest
    assert nearest[1:] == before[: len(nearest) - 1]  # the others, as before


def test_a_card_reads_the_listing_in_the_page_language(demo_app):
    public = demo_app.test_client()
    with demo_app.app_context():
        create_listing(
            row(
                external_id="card-languages",
                title="Pre-scuola alla primaria Ligari",
                title_en="Before-school club at Ligari primary",
                summary="Accoglienza dalle 7:30 prima delle lezioni.",
                steps="Compila il modulo in segreteria",
                enrolment_deadline="",
            )
        )
        db.session.commit()
    english = card_of(public.get("/search?q=ligari&lang=en").text, "Ligari primary")
    # The title is translated; the summary and the steps are Italian only and say so to screen readers.
    assert '<p class="card-text" lang="it">' in english
    assert 'class="wp-next-step" lang="it"' in english and "Compila il modulo in segreteria" in english
    assert "Cooperativa sociale Il Sentiero" in english and "Sondrio" in english
    assert "Add to my list" in english and 'href="tel:+3903420001234"' in english

    italian = card_of(public.get("/search?q=ligari&lang=it").text, "Pre-scuola alla primaria Ligari")
    assert 'lang="it"' not in italian and "Aggiungi alla mia lista" in italian


def card_of(html: str, title: str) -> str:
    """The card on a results page whose title reads ``title`` (words marked or not)."""
    cards = re.findall(r'<article class="card.*?</article>', html, flags=re.S)
    found = [card for card in cards if title in re.sub(r"<[^>]+>", "", card)]
    assert len(found) == 1, title
    return found[0]
