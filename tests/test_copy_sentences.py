"""Issue 22, point 6: the sentences that join ages, genders and counts, rendered in both languages as people read
them on cards, service pages, the list and the questionnaire's answers.

The gendered words are the "whose age" sentences (the curators pick "whose" from a vocabulary whose Italian labels
carry the article and the gender: "della persona assistita", "del lavoratore o della lavoratrice") and the answers'
"figlio/figli" and "un familiare"; the counts are the covered municipalities and the services of a list."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.support.catalog import create_listing, row
from welfarepoint import territory
from welfarepoint.catalog import access, taxonomy
from welfarepoint.extensions import db


def plain(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("whose", ["child", "cared_for", "carer", "worker"])
def test_whose_age_agrees_with_the_words_curators_choose_it_from(app, whose, lang):
    """ "Età della persona assistita", "Età del lavoratore o della lavoratrice": the sentence says whose age with
    the same article, gender and words as the vocabulary in the backend, never a shorter or other form."""
    with app.test_request_context(f"/?lang={lang}"):
        sentence = access.eligibility_ages(6, 11, whose)
        start = {"it": "Età", "en": "Age"}[lang]
        whose_words = taxonomy.label("age_of", whose, lang)
        years = {"it": "da 6 a 11 anni", "en": "from 6 to 11 years"}[lang]
        assert sentence == f"{start} {whose_words}: {years}"


@pytest.mark.parametrize(
    ("lang", "ages", "expected"),
    [
        ("it", (65, 120), "Età della persona assistita: da 65 anni in su"),
        ("it", (0, 3), "Età della persona assistita: fino a 3 anni"),
        ("it", (18, 64), "Età della persona assistita: da 18 a 64 anni"),
        ("en", (65, 120), "Age of the person cared for: 65 years and over"),
        ("en", (0, 3), "Age of the person cared for: up to 3 years"),
        ("en", (18, 64), "Age of the person cared for: from 18 to 64 years"),
    ],
)
def test_age_ranges_read_as_sentences_without_a_false_limit(app, lang, ages, expected):
    with app.test_request_context(f"/?lang={lang}"):
        assert access.eligibility_ages(*ages, "cared_for") == expected


def montagna_names(count: int) -> list[str]:
    names = sorted(place.name for place in territory.in_ats("Montagna") if place.name != "Sondrio")
    return ["Sondrio", *names[: count - 1]]


@pytest.mark.parametrize(
    ("lang", "count", "expected_tail"),
    [
        ("it", 5, None),  # five names are said in full: "and 1 other" would hide a name in as much room
        ("it", 6, "e altri 2 comuni"),
        ("it", 9, "e altri 5 comuni"),
        ("en", 5, None),
        ("en", 6, "and 2 other municipalities"),
    ],
)
def test_a_card_says_the_covered_towns_with_the_right_count(app, lang, count, expected_tail):
    names = montagna_names(count)
    with app.app_context():
        create_listing(
            row(municipality="Sondrio", municipalities=";".join(reversed(names))), today=date(2026, 11, 25)
        )
        db.session.commit()
    card = plain(app.test_client().get(f"/search?q=pre-scuola&lang={lang}").text)
    said = re.search(r"(?:Per|For): (.*?) (?:Età|Age)", card).group(1)
    assert said.startswith("Sondrio, ")  # the service's own town first
    if expected_tail is None:
        assert (
            said.split(", ")[1:]
            and len(said.split(", ")) == count
            and " altr" not in said
            and " other" not in said
        )
    else:
        assert said.endswith(" " + expected_tail) and len(said.split(", ")) == 4
    assert not re.search(r"(altri|other) 1\b", said)


@pytest.mark.parametrize(
    ("lang", "one", "two"),
    [("it", "1 servizio.", "2 servizi."), ("en", "1 service.", "2 services.")],
)
def test_a_list_counts_its_services_in_the_singular_and_the_plural(app, lang, one, two):
    with app.app_context():
        create_listing(row(), today=date(2026, 11, 25))
        create_listing(
            row(external_id="test-002", title="Doposcuola alla primaria Ligari", needs="after_school"),
            today=date(2026, 11, 25),
        )
        db.session.commit()
    client = app.test_client()
    first = "pre-scuola-alla-primaria-ligari"
    second = "doposcuola-alla-primaria-ligari"
    assert one in plain(client.get(f"/list?keep={first}&lang={lang}").text)
    page = plain(client.get(f"/list?keep={first}&keep={second}&lang={lang}").text)
    assert two in page and one not in page


@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("it", "child_age=7", "figlio di 7 anni"),
        ("it", "child_age=7&child_age=9", "figli di 7, 9 anni"),
        ("it", "cared_age=82", "un familiare di 82 anni"),
        ("it", "child_age=7&cared_age=82", "figlio di 7 anni; un familiare di 82 anni"),
        ("en", "child_age=7", "child aged 7"),
        ("en", "child_age=7&child_age=9", "children aged 7, 9"),
        ("en", "child_age=7&cared_age=82", "child aged 7; a relative aged 82"),
    ],
)
def test_the_answers_say_who_needs_care_with_number_and_gender_agreeing(app, lang, query, expected):
    page = app.test_client().get(
        f"/match/family?municipality=014061&{query}&needs=before_school&needs=care_at_home&lang={lang}"
    )
    answers = plain(re.search(r'<section class="wp-answers".*?</section>', page.text, re.S).group(0))
    assert f" {expected} " in answers, answers
