"""Results pages drawn once and kept for every worker (``welfarepoint/public/drawn.py``), and the warm-up of a
preloaded app before gunicorn forks its workers (``welfarepoint/ops/warm.py``): what a visitor sees never comes
from a page kept for another language, another day or an older catalog, and nothing the warm-up asks is counted.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import date, timedelta
from pathlib import Path

from welfarepoint import config, search
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db
from welfarepoint.insights.counters import flush_counts
from welfarepoint.insights.models import DemandCount, SearchCount
from welfarepoint.ops.warm import warm_up, warm_worker
from welfarepoint.public import cards, drawn, sheets
from welfarepoint.search import engine
from welfarepoint.search import index as search_index_module

FAMILY_RESULTS = "/match/family?municipality=014061&child_age=8&needs=before_school"


def kept_pages(app) -> list[Path]:
    return [path for path in (Path(app.instance_path) / drawn.FOLDER).glob("*/*") if path.is_file()]


def heading(html: str) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S).group(1).strip()


def test_a_listing_published_after_its_search_was_kept_is_on_the_next_page(demo_app, make_service):
    client = demo_app.test_client()
    before = client.get("/search?q=zanzibarite").get_data(as_text=True)
    assert "Nessun servizio trovato" in before and kept_pages(demo_app)
    assert client.get("/search?q=zanzibarite").get_data(as_text=True) == before  # the kept page, sent again

    with demo_app.app_context():
        make_service(title="Ludoteca Zanzibarite del sabato", external_id="zanzibarite")
        db.session.commit()

    after = client.get("/search?q=zanzibarite").get_data(as_text=True)
    assert "1 servizio trovato" in after and "/services/ludoteca-zanzibarite-del-sabato" in after


def test_a_card_says_what_its_listing_and_provider_say_now_on_any_page_drawn_after_they_change(
    demo_app, make_service
):
    """Cards are kept between pages (by the index's generation): a change to the listing, or to its provider's
    name, shows on the next page drawn, whichever search it is."""
    client = demo_app.test_client()
    with demo_app.app_context():
        service = make_service(title="Ludoteca Zanzibarite del sabato", phone="0342 111 2222")
        db.session.commit()
        provider_id = service.provider_id
    assert "0342 111 2222" in client.get("/search?q=zanzibarite").get_data(as_text=True)

    with demo_app.app_context():
        service = db.session.get(Service, service.id)
        listing = operations.listing_of(service)
        listing.phone = "0342 333 4444"
        operations.update_service(service, listing, author="test")
        organisation = db.session.get(Organisation, provider_id)
        operations.update_organisation(organisation, {"name": "Cooperativa Zanzibar Rinominata"})
        db.session.commit()
    for address in ("/search?q=zanzibarite", "/search?q=ludoteca+zanzibarite"):
        page = client.get(address).get_data(as_text=True)
        assert "0342 333 4444" in page and "0342 111 2222" not in page
        assert "Cooperativa Zanzibar Rinominata" in page


def test_a_card_kept_yesterday_says_the_enrolment_closed_the_day_after_its_deadline(
    demo_app, make_service, monkeypatch
):
    """A card's facts are kept for the day: the next step read on the deadline changes the day after."""
    deadline = date.today()
    client = demo_app.test_client()
    with demo_app.app_context():
        make_service(title="Ludoteca Zanzibarite del sabato", enrolment_deadline=deadline.isoformat())
        db.session.commit()
    assert "Enrol by" in client.get("/search?q=zanzibarite&lang=en").get_data(as_text=True)

    class Tomorrow(date):
        @classmethod
        def today(cls) -> date:
            return deadline + timedelta(days=1)

    for module in (cards, sheets, drawn):
        monkeypatch.setattr(module, "date", Tomorrow)
    page = client.get("/search?q=zanzibarite&lang=en").get_data(as_text=True)
    assert "Enrolment closed on" in page and "Enrol by" not in page


def test_a_page_kept_in_italian_is_never_sent_to_an_english_reader_of_the_same_address(demo_app):
    client = demo_app.test_client()
    for address in ("/search?q=doposcuola", FAMILY_RESULTS):
        italian = client.get(address).get_data(as_text=True)
        assert 'lang="it"' in italian
        client.set_cookie(demo_app.config["LANGUAGE_COOKIE"], "en")
        english = client.get(address).get_data(as_text=True)
        client.delete_cookie(demo_app.config["LANGUAGE_COOKIE"])
        assert 'lang="en"' in english and heading(english) != heading(italian)
        again = client.get(address).get_data(as_text=True)
        assert heading(again) == heading(italian)
    assert heading(client.get("/search?q=doposcuola").get_data(as_text=True)) == "Cerca i servizi"


def test_a_page_kept_by_the_release_before_an_upgrade_is_never_sent(demo_app):
    """After an upgrade (new templates, messages or code) on the same day and catalog, every results page is
    drawn by the new release: a page an older release kept is not sent, one this release kept is."""
    client = demo_app.test_client()
    for address in ("/search?q=doposcuola", FAMILY_RESULTS):
        with demo_app.test_request_context(address):
            release = drawn.edition()[-1]
            demo_app.extensions["welfarepoint.release"] = "the release before"  # as that app read it
            drawn.keep(
                drawn.edition(), drawn.address(), gzip.compress(b"<h1>By the release before</h1>"), True
            )
            demo_app.extensions["welfarepoint.release"] = release
        assert "By the release before" not in client.get(address).get_data(as_text=True)

        with demo_app.test_request_context(address):
            drawn.keep(drawn.edition(), drawn.address(), gzip.compress(b"<h1>By this release</h1>"), True)
        assert "By this release" in client.get(address).get_data(as_text=True)
    with demo_app.app_context():
        assert drawn.edition()[-1] == drawn.release_of(config.PROJECT_ROOT)


def test_a_release_is_told_apart_by_any_change_to_its_files_but_not_by_byte_code_caches(tmp_path):
    for name, text in (("welfarepoint/app.py", "x = 1"), ("templates/page.html", "<p>Ciao</p>")):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    release = drawn.release_of(tmp_path)
    assert drawn.release_of(tmp_path) == release

    (tmp_path / "welfarepoint/__pycache__").mkdir()
    (tmp_path / "welfarepoint/__pycache__/app.cpython-311.pyc").write_bytes(b"compiled")
    assert drawn.release_of(tmp_path) == release

    (tmp_path / "templates/page.html").write_text("<p>Buongiorno</p>")
    changed = drawn.release_of(tmp_path)
    assert changed != release

    (tmp_path / "translations/en/LC_MESSAGES").mkdir(parents=True)
    (tmp_path / "translations/en/LC_MESSAGES/messages.mo").write_bytes(b"catalog")
    assert drawn.release_of(tmp_path) not in (release, changed)


def test_the_offer_of_english_is_made_to_an_english_browser_even_after_a_page_without_it_was_kept(demo_app):
    client = demo_app.test_client()
    offer = "This site is also in English."
    assert offer not in client.get(FAMILY_RESULTS, headers={"Accept-Language": "it-IT"}).get_data(
        as_text=True
    )
    assert offer in client.get(FAMILY_RESULTS, headers={"Accept-Language": "en-GB"}).get_data(as_text=True)
    assert offer not in client.get(FAMILY_RESULTS, headers={"Accept-Language": "it"}).get_data(as_text=True)


def test_searches_and_completed_questionnaires_are_counted_when_their_page_was_kept(demo_app):
    demo_app.config["COUNTER_FLUSH_SECONDS"] = 3600
    client = demo_app.test_client()
    for _ in range(3):
        assert client.get("/search?q=ludoteca").status_code == 200
    assert client.get(FAMILY_RESULTS).status_code == 200  # kept
    for _ in range(2):
        completed = client.get(FAMILY_RESULTS + "&done=1")
        assert completed.status_code == 303 and completed.location.endswith(FAMILY_RESULTS)
    with demo_app.app_context():
        flush_counts()
        counts = {row.query: row.count for row in db.session.execute(db.select(SearchCount)).scalars()}
        demand = sum(row.count for row in db.session.execute(db.select(DemandCount)).scalars())
    assert counts == {"ludoteca": 3}
    assert demand == 2  # one need, counted for each of the two completed questionnaires


def test_a_search_sent_from_a_kept_page_is_counted_in_the_ats_of_its_place(demo_app):
    """The zero-result searches per ATS of the managers' insights count every search, the kept ones too."""
    demo_app.config["COUNTER_FLUSH_SECONDS"] = 3600
    client = demo_app.test_client()
    for _ in range(3):  # the first drawn, the others sent as kept
        assert client.get("/search?q=ludoteca+sondrio").status_code == 200
    with demo_app.app_context():
        flush_counts()
        rows = db.session.execute(db.select(SearchCount)).scalars().all()
    assert [(row.query, row.ats, row.count) for row in rows] == [("ludoteca sondrio", "Montagna", 3)]


def test_the_warm_up_answers_every_page_and_counts_nothing(demo_app):
    assert warm_up(demo_app) == 0
    with demo_app.app_context():
        assert flush_counts() == 0
        assert db.session.execute(db.select(DemandCount)).first() is None
    client = demo_app.test_client()
    assert client.get("/search?q=doposcuola").status_code == 200
    assert client.get(FAMILY_RESULTS).status_code == 200


def test_the_warm_up_leaves_no_index_open_and_the_first_search_of_a_worker_reads_nothing_again(demo_app):
    """gunicorn forks its workers after the warm-up: they must not share its open files, and they start with
    what its searches read from the index (a visitor's first search in a new worker waited for it)."""
    search.forget_all()
    assert warm_up(demo_app) == 0
    assert not search_index_module._registry  # no index open in the master
    read = dict(engine._postings.items)
    assert read  # the words of the warm-up's searches, kept
    with demo_app.test_request_context("/"):
        found = search.query("centro estivo", language="it")
    assert found.total
    assert set(engine._postings.items) == set(read)  # nothing read from the index again


def test_a_new_worker_opens_its_database_and_index_before_its_first_visitor_and_counts_nothing(demo_app):
    """gunicorn's ``post_worker_init``: the master closed both before forking; each worker opens its own, so the
    first visitor of a worker (at start, or after ``--max-requests``) does not wait for them."""
    search.forget_all()
    assert warm_up(demo_app) == 0
    assert not search_index_module._registry
    with demo_app.app_context():
        db.engine.dispose()
        assert db.engine.pool.checkedin() == 0
    warm_worker(demo_app)
    opened = list(search_index_module._registry.values())
    assert opened and all(index._pool for index in opened)  # the index open, a searcher ready in its pool
    with demo_app.app_context():
        assert db.engine.pool.checkedin() == 1  # a connection of its own, back in the pool
        assert flush_counts() == 0
        assert db.session.execute(db.select(DemandCount)).first() is None
        assert db.session.execute(db.select(SearchCount)).first() is None


def test_the_301_blind_written_queries_find_the_same_listings_and_scores_with_every_posting_read_ahead(
    demo_app,
):
    """Reading ahead (and so answering an absent word without asking Whoosh) changes nothing a visitor sees."""
    queries = json.loads((Path(__file__).parent / "data" / "people_queries.json").read_text())

    def answers() -> list[tuple]:
        found = []
        with demo_app.test_request_context("/"):
            for asked in queries:
                result = search.query(asked["q"], language=asked["lang"], desks_apart=True, per_page=20)
                hits = [(hit.service_id, round(hit.score, 9)) for hit in [*result.hits, *result.desks]]
                found.append((result.total, result.text, result.corrected_from, result.suggestion, hits))
        return found

    search.forget_all()
    lazily = answers()
    search.forget_all()
    with demo_app.test_request_context("/"):
        assert search.read_ahead() > 0
    assert answers() == lazily


def test_the_warm_up_reads_every_word_a_search_may_need_when_they_all_fit_and_nothing_more_when_not(
    demo_app, monkeypatch
):
    """The workers share the master's postings: any word of any listing is found without reading the index;
    a catalog whose postings would not fit in the cache is left to the searches (the cache stays bounded)."""
    search.forget_all()
    assert warm_up(demo_app) == 0
    read = dict(engine._postings.items)
    with demo_app.test_request_context("/"):
        published = db.select(Service.title).where(Service.status == "published").order_by(Service.id.desc())
        titles = db.session.execute(published.limit(5)).scalars().all()
        assert all(search.query(title, language="it").total for title in titles)
    assert set(engine._postings.items) == set(read)  # nothing read from the index again

    search.forget_all()
    monkeypatch.setattr(engine, "MAX_CACHED_POSTINGS", len(read) // 2)
    with demo_app.test_request_context("/"):
        assert search.read_ahead() == 0
    assert not engine._postings.items
