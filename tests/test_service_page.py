"""The service page and the correction queue."""

from __future__ import annotations

import json
import re

from tests.support.catalog import add_welfare_points
from tests.support.manage import token as csrf_token
from welfarepoint.catalog.models import Feedback, Service
from welfarepoint.extensions import db


def a_service(app, **where) -> Service:
    with app.app_context():
        query = db.select(Service).where(Service.status == "published")
        for name, value in where.items():
            query = query.where(getattr(Service, name) == value)
        service = db.session.execute(query.order_by(Service.id)).unique().scalars().first()
        return service.slug, service.title, service.id


def test_service_page_sections_in_public_sector_order_with_json_ld(demo_app):
    slug, title, _ = a_service(demo_app, category="P2")
    text = demo_app.test_client().get(f"/services/{slug}?lang=it").text
    positions = [
        text.index(f">{heading}</h2>")
        for heading in (
            "In breve",
            "A chi è rivolto",
            "Descrizione",
            "Come fare",
            "Cosa serve",
            "Tempi e scadenze",
            "Costi",
            "Dove",
            "Contatti",
            "Argomenti",
            "Ulteriori informazioni",
        )
    ]
    assert positions == sorted(positions)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', text, re.S).group(1))
    assert data["@type"] == "Service" and data["name"] == title
    assert "Servizio attivo" in text


def test_english_page_marks_italian_text_with_its_language(demo_app):
    with demo_app.app_context():
        service = (
            db.session.execute(
                db.select(Service).where(Service.title_en == "", Service.status == "published")
            )
            .unique()
            .scalars()
            .first()
        )
        slug = service.slug
    text = demo_app.test_client().get(f"/services/{slug}?lang=en").text
    assert re.search(r'<h1 lang="it">', text)
    assert "This listing is available in Italian only." in text


def test_archived_listing_page_says_not_active(demo_app):
    from welfarepoint.catalog import operations

    slug, _title, service_id = a_service(demo_app)
    with demo_app.app_context():
        operations.change_status(db.session.get(Service, service_id), "archived", author="m@example.org")
        db.session.commit()
    text = demo_app.test_client().get(f"/services/{slug}?lang=en").text
    assert "Service not active" in text and "application/ld+json" not in text


def test_unknown_service_is_a_404(client):
    assert client.get("/services/no-such-thing").status_code == 404


def test_correction_goes_to_the_queue_with_csrf_and_validation(demo_app):
    slug, _title, service_id = a_service(demo_app)
    client = demo_app.test_client()
    page = client.get(f"/services/{slug}?lang=en").text
    assert (
        client.post(
            f"/services/{slug}/feedback", data={"kind": "hours", "message": "Apre alle nove, non alle dieci."}
        ).status_code
        == 400
    )
    bad = client.post(
        f"/services/{slug}/feedback?lang=en",
        data={"csrf_token": csrf_token(page), "kind": "hours", "message": "short"},
    )
    assert bad.status_code == 400 and "Field must be between 10 and 2000 characters long." in bad.text
    assert "short</textarea>" in bad.text  # nothing typed is lost
    good = client.post(
        f"/services/{slug}/feedback?lang=en",
        data={"csrf_token": csrf_token(page), "kind": "hours", "message": "Apre alle nove, non alle dieci."},
    )
    assert good.status_code == 302
    with demo_app.app_context():
        [item] = db.session.execute(db.select(Feedback)).scalars().all()
        assert item.service_id == service_id and item.kind == "hours" and item.status == "open"


def test_corrections_are_rate_limited(demo_app):
    slug, _title, _ = a_service(demo_app)
    client = demo_app.test_client()
    token = csrf_token(client.get(f"/services/{slug}").text)
    codes = [
        client.post(
            f"/services/{slug}/feedback?lang=en",
            data={"csrf_token": token, "kind": "other", "message": f"Messaggio numero {n} abbastanza lungo"},
        ).status_code
        for n in range(7)
    ]
    assert codes[:5] == [302] * 5 and codes[5] == 429
    assert (
        "Too many requests"
        in client.post(f"/services/{slug}/feedback?lang=en", data={"csrf_token": token}).text
    )


def test_welfare_points_page_by_territory(demo_app):
    client = demo_app.test_client()
    text = client.get("/welfare-points?municipality=Breno&lang=en").text
    assert "Breno is in ATS Montagna" in text and "ATS Montagna" in text and "ATS Pavia" not in text
    assert "No Lombardy municipality" in client.get("/welfare-points?municipality=Brenno&lang=en").text
    assert client.get("/welfare-points?ats=xyz&lang=en").status_code == 200


def test_the_welfare_points_page_reads_a_place_as_the_search_and_questionnaires_do(demo_app):
    """A postcode, a short name, a name with its province: the same town the search would find; a town outside
    Lombardy is named as such, not answered with a look-alike."""
    client = demo_app.test_client()
    for typed in ("24022", "alzano", "Alzano Lombardo (BG)", "  ALZANO   lombardo "):
        text = client.get("/welfare-points", query_string={"municipality": typed, "lang": "en"}).text
        assert "Alzano Lombardo is in ATS Bergamo" in text and "No Lombardy municipality" not in text
    text = client.get("/welfare-points?municipality=Piacenza&lang=en").text
    assert "Piacenza is outside Lombardy" in text and "Did you mean" not in text
    for typed in ("Valtellina", "ATS Montagna"):  # an area, an ATS: the Welfare Points of its ATS
        text = client.get("/welfare-points", query_string={"municipality": typed, "lang": "en"}).text
        assert "No Lombardy municipality" not in text and "Sondrio Welfare Point" in text
        assert "Albino Welfare Point" not in text


def test_the_welfare_points_list_is_paged_and_keeps_its_territory(demo_app):
    with demo_app.app_context():
        published = add_welfare_points(60)
    client = demo_app.test_client()
    first = client.get("/welfare-points?lang=en").text
    assert first.count("<article ") == 24
    assert f"Welfare Points 1 to 24 of {published}." in first
    assert 'href="/welfare-points?page=2"' in first and 'aria-current="page"' in first
    pages = -(-published // 24)
    last = client.get(f"/welfare-points?page={pages}&lang=en").text
    assert last.count("<article ") == published - 24 * (pages - 1) and ">Next</a>" not in last
    out_of_range = client.get("/welfare-points?page=999&lang=en").text
    assert out_of_range.split("<main")[1] == last.split("<main")[1]  # the last page
    assert client.get("/welfare-points?page=x&lang=en").status_code == 200
    montagna = client.get("/welfare-points?ats=Montagna&lang=en").text
    assert "ATS Pavia" not in montagna and "ATS Montagna" in montagna
    if ">Next</a>" in montagna:
        assert 'href="/welfare-points?ats=Montagna&amp;page=2"' in montagna
