"""Atom feeds of search and questionnaire permalinks (issue 25, point 6): the listings that fit, the latest
change first, with nothing stored. Real database and search index."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from tests.support.catalog import create_listing, row
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.extensions import db

ATOM = "{http://www.w3.org/2005/Atom}"
SEARCH = "/search?q=pre-scuola&place=Sondrio"
FAMILY = "/match/family?municipality=014061&child_age=8&needs=before_school"


def publish(app, **cells) -> None:
    with app.app_context():
        listing = create_listing(row(status="draft", **cells))
        db.session.commit()
        operations.change_status(listing, "published", author="maria@example.org")
        db.session.commit()


def feed_of(client, page: str, lang: str = "it") -> ElementTree.Element:
    """The feed a results page names in its head, fetched and parsed; checked against RFC 4287's musts."""
    html = client.get(page + f"&lang={lang}").text
    start = html.index('type="application/atom+xml"')
    href = html[start:].split('href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    response = client.get(href)
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ElementTree.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed" and feed.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
    for name in ("id", "title", "updated", "author"):
        assert len(feed.findall(f"{ATOM}{name}")) == 1, name
    assert (
        feed.find(f"{ATOM}link[@rel='self']")
        .get("href")
        .endswith(href.split("/", 3)[-1] if href.startswith("http") else href)
    )
    ids = set()
    for entry in feed.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href").startswith("http")
        assert entry.find(f"{ATOM}id").text not in ids
        ids.add(entry.find(f"{ATOM}id").text)
    return feed


def titles(feed) -> list[str]:
    return [entry.find(f"{ATOM}title").text for entry in feed.findall(f"{ATOM}entry")]


@pytest.mark.parametrize("page", [SEARCH, FAMILY])
def test_a_feed_holds_a_fitting_listing_once_published_and_not_an_unfitting_one(app, page):
    client = app.test_client()
    with app.app_context():
        draft = create_listing(
            row(external_id="fits", status="draft", title="Pre-scuola alla primaria Credaro")
        )
        db.session.commit()
        draft_id = draft.id
    publish(
        app,
        external_id="elsewhere",
        title="Pre-scuola alla primaria di Como",
        ats="Insubria",
        municipalities="Como",
    )
    assert "Pre-scuola alla primaria Credaro" not in titles(feed_of(client, page))
    with app.app_context():
        operations.change_status(db.session.get(Service, draft_id), "published", author="maria@example.org")
        db.session.commit()
    found = titles(feed_of(client, page))
    assert "Pre-scuola alla primaria Credaro" in found
    assert "Pre-scuola alla primaria di Como" not in found


def test_the_latest_change_comes_first_in_the_pages_language(app):
    client = app.test_client()
    publish(
        app,
        external_id="first",
        title="Pre-scuola alla primaria Credaro",
        title_en="Before school at Credaro",
    )
    publish(
        app, external_id="second", title="Pre-scuola alla primaria Ligari", title_en="Before school at Ligari"
    )
    assert titles(feed_of(client, FAMILY, "en"))[:2] == [
        "Before school at Ligari",
        "Before school at Credaro",
    ]
    with app.app_context():
        first = db.session.execute(db.select(Service).where(Service.external_id == "first")).scalar_one()
        first.summary = "Accoglienza dalle 7:15."
        first.updated_at = now_utc()
        db.session.commit()
    feed = feed_of(client, FAMILY, "en")
    assert titles(feed)[:2] == ["Before school at Credaro", "Before school at Ligari"]
    assert feed.find(f"{ATOM}entry/{ATOM}summary").text == "Accoglienza dalle 7:15."


def test_results_pages_name_their_feed_and_offer_an_alert(app):
    client = app.test_client()
    for page in (SEARCH + "&page=1", FAMILY):
        text = client.get(page + "&lang=en").text
        assert '<link rel="alternate" type="application/atom+xml"' in text
        assert "With a feed reader (Atom)" in text and "Alert me by e-mail" in text
        assert "/alerts/new?for=" in text


def test_a_feed_answers_not_modified_when_nothing_changed(app):
    client = app.test_client()
    publish(app, external_id="fits", title="Pre-scuola alla primaria Credaro")
    first = client.get("/match/family/feed?municipality=014061&child_age=8&needs=before_school&lang=it")
    again = client.get(
        "/match/family/feed?municipality=014061&child_age=8&needs=before_school&lang=it",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_a_feed_of_an_odd_address_is_empty_or_missing_never_an_error(app):
    client = app.test_client()
    assert client.get("/search/feed?age=abc&category=ZZ&q=%00").status_code == 200
    assert client.get("/match/family/feed?municipality=Atlantide&needs=nothing").status_code == 200
    assert client.get("/match/company/feed").status_code == 200
