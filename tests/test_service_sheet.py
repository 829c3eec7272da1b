"""The service page in the Italian public-service model: "In brief" first, the page index, a way back to the
results, topics, and the page rating counted anonymously per page and week and shown to managers suppressed."""

from __future__ import annotations

import re
from datetime import date

from tests.support.catalog import create_listing, row
from tests.support.manage import account, signed_in
from tests.support.manage import token as csrf_token
from welfarepoint.extensions import db
from welfarepoint.insights.ratings import PageRating, count_rating

SLUG = "pre-scuola-alla-primaria-ligari"


def the_listing(app):
    with app.app_context():
        create_listing(
            row(
                cost="fee",
                cost_amount="40",
                cost_period="month",
                hours="Mo-Fr 07:30-08:30",
                steps="Telefona per sapere se ci sono posti;Compila il modulo",
                documents="Documento d'identità",
                age_of="child",
                municipality="Sondrio",
                address="Via Roma 1",
            ),
            today=date(2026, 11, 25),
        )
        db.session.commit()


def test_in_brief_comes_first_with_whom_when_cost_next_step_and_the_buttons(app):
    the_listing(app)
    page = app.test_client().get(f"/services/{SLUG}?lang=it").text
    brief = re.search(r'<section class="wp-in-brief".*?</section>', page, re.S).group(0)
    assert page.index("wp-in-brief") < page.index('id="who"')
    for text in (
        "Età del bambino o ragazzo: da 6 a 11 anni",
        "Da lunedì a venerdì 7:30–8:30",
        "A pagamento: 40 € al mese",
        "Telefona per sapere se ci sono posti",
        "Via Roma 1, Sondrio",
        'href="tel:+3903420001234"',
        'href="mailto:info@sentiero.example.org"',
        'href="https://www.sentiero.example.org"',
    ):
        assert text in brief, text
    index = re.search(r'<nav class="wp-page-index".*?</nav>', page, re.S).group(0)
    anchors = re.findall(r'href="#([a-z]+)"', index)
    assert anchors == ["who", "what", "how", "needed", "when", "cost", "where", "contacts", "topics", "more"]
    assert all(f'id="{anchor}"' in page for anchor in anchors)
    assert (
        '<ol class="wp-steps"><li>Telefona per sapere se ci sono posti</li><li>Compila il modulo</li>' in page
    )


def test_the_page_leads_back_to_the_results_the_visitor_came_from_and_only_there(app):
    the_listing(app)
    client = app.test_client()
    came_from = "http://localhost/search?q=pre-scuola+sondrio&age=7"
    page = client.get(f"/services/{SLUG}", headers={"Referer": came_from}).text
    assert 'href="/search?q=pre-scuola+sondrio&amp;age=7">' in page
    for referrer in ("https://elsewhere.example.org/search?q=x", "http://localhost/manage/services", None):
        headers = {"Referer": referrer} if referrer else {}
        assert "wp-back" not in client.get(f"/services/{SLUG}", headers=headers).text
    # The breadcrumb leads to the services of the same category, not to an empty search.
    assert 'href="/search?category=P2"' in page


def test_topics_lead_to_the_other_services_of_the_same_need(app):
    the_listing(app)
    page = app.test_client().get(f"/services/{SLUG}?lang=en").text
    topics = re.search(r'<section id="topics".*?</section>', page, re.S).group(0)
    assert "/search?q=Before+school+starts&amp;ats=Montagna" in topics


def test_a_rating_is_counted_for_the_page_and_week_and_nothing_else(app):
    the_listing(app)
    client = app.test_client()
    page = client.get(f"/services/{SLUG}?lang=it").text
    assert "Quanto sono chiare le informazioni su questa pagina?" in page
    response = client.post(f"/services/{SLUG}/rating", data={"csrf_token": csrf_token(page), "score": "4"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/services/{SLUG}#rating")
    assert "Grazie per la risposta" in client.get(f"/services/{SLUG}?lang=it").text
    for wrong in ("6", "", "uno"):
        client.post(f"/services/{SLUG}/rating", data={"csrf_token": csrf_token(page), "score": wrong})
    assert (
        client.post(
            "/services/no-such-page/rating", data={"csrf_token": csrf_token(page), "score": "3"}
        ).status_code
        == 404
    )
    with app.app_context():
        rows = db.session.execute(db.select(PageRating)).scalars().all()
        assert [(r.page, r.score, r.count) for r in rows] == [(f"/services/{SLUG}", 4, 1)]
        assert re.fullmatch(r"\d{4}-W\d{2}", rows[0].week)
        assert {column.name for column in PageRating.__table__.columns} == {
            "id",
            "week",
            "page",
            "score",
            "count",
        }


def test_managers_see_the_ratings_of_their_territory_with_small_counts_hidden(app):
    the_listing(app)
    with app.app_context():
        for _ in range(7):
            count_rating(f"/services/{SLUG}", 5)
        for _ in range(2):
            count_rating(f"/services/{SLUG}", 2)
    manager = signed_in(app, account(app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna"))
    page = manager.get("/manage/ratings?lang=en").text
    table = re.sub(r"\s+", " ", re.search(r"<table.*?</table>", page, re.S).group(0))
    assert "Pre-scuola alla primaria Ligari" in table
    assert "<td>&lt;5</td>" in table and "<td>7</td>" not in table  # 7 would give away the 2
    other = signed_in(app, account(app, "bruno@ats-bergamo.example.org", "ats_manager", ats="Bergamo"))
    assert "Pre-scuola alla primaria Ligari" not in other.get("/manage/ratings?lang=en").text
    assert app.test_client().get("/manage/ratings").status_code in (302, 401)
