"""Search: the index follows the database, Italian and English analysis, synonyms, typos, filters, facets."""

from __future__ import annotations

import html
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from tests.support.apps import make_config
from tests.support.catalog import create_listing, row
from welfarepoint import create_app, search
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.extensions import db
from welfarepoint.insights.models import SearchCount
from welfarepoint.search import Filters
from welfarepoint.search import engine as search_engine
from welfarepoint.search.analysis import analyzer
from welfarepoint.search.index import GENERATION_FILE
from welfarepoint.search.querying import tie_break

TODAY = date(2026, 11, 25)

LISTINGS = [
    dict(external_id="s1", title="Pre-scuola alla primaria Ligari", needs="before_school", periods="school_year",
         time_slots="before_school", municipalities="Sondrio", age_min="6", age_max="11"),
    dict(external_id="s2", title="Centro estivo al parco Bartesaghi", needs="summer_closure", periods="summer",
         time_slots="full_day", municipalities="", age_min="6", age_max="14", cost="fee",
         title_en="Summer camp in Bartesaghi park", summary_en="Games and sport all summer."),
    dict(external_id="s3", title="Doposcuola e aiuto compiti", needs="after_school;homework_support",
         periods="school_year", time_slots="after_school", cost="free", municipalities="Tirano"),
    dict(external_id="s4", title="Sportello caregiver per chi assiste un anziano", category="P1",
         needs="care_information", periods="all_year", time_slots="flexible", age_min="65", age_max="120",
         ats="Insubria", municipalities="Como", cost="free",
         summary="Informazioni e orientamento per i familiari che assistono una persona anziana."),
    dict(external_id="s5", title="Piano di smart working per piccole imprese", audience="companies", category="C6",
         needs="C6", periods="all_year", time_slots="", age_min="", age_max="", company_sizes="micro;small",
         ats="Val Padana", municipalities="Cremona"),
]  # fmt: skip


def add(app, **cells) -> Service:
    with app.app_context():
        service = create_listing(row(**cells), today=TODAY)
        db.session.commit()
        return service.id


@pytest.fixture
def catalog(app):
    return {cells["external_id"]: add(app, **cells) for cells in LISTINGS}


def ids(result) -> list[int]:
    return [hit.service_id for hit in result.hits]


def find(app, text="", **filters) -> search.SearchResult:
    with app.test_request_context():
        return search.query(text, Filters(**filters), today=TODAY)


def test_a_committed_listing_is_found_at_once_and_archiving_removes_it(app, catalog):
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]
    with app.app_context():
        service = db.session.get(Service, catalog["s3"])
        operations.change_status(service, "archived", author="m@example.org")
        db.session.commit()
    assert find(app, "doposcuola").total == 0


def test_drafts_are_not_searchable_until_published(app):
    service_id = add(app, status="draft", title="Ludoteca del sabato")
    assert find(app, "ludoteca").total == 0
    with app.app_context():
        operations.change_status(db.session.get(Service, service_id), "published", author="m@example.org")
        db.session.commit()
    assert ids(find(app, "ludoteca")) == [service_id]


WORKER = """
import sys
from pathlib import Path
from tests.support.apps import make_config
from welfarepoint import create_app, search
app = create_app(make_config(Path(sys.argv[1])))
with app.test_request_context():
    for line in sys.stdin:
        print(search.query(line.strip()).total, flush=True)
"""


@pytest.mark.multiprocess
def test_another_process_sees_a_change_on_its_next_search(app, catalog):
    """A second worker process, with its searcher already open, finds a listing committed by this one."""
    import subprocess
    import sys

    from welfarepoint.config import PROJECT_ROOT

    worker = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", WORKER, app.instance_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:

        def ask(text: str) -> int:
            worker.stdin.write(text + "\n")
            worker.stdin.flush()
            return int(worker.stdout.readline())

        assert ask("ludoteca") == 0
        assert ask("doposcuola") == 1
        add(app, external_id="s9", title="Ludoteca del sabato")
        assert ask("ludoteca") == 1
        with app.app_context():
            service = db.session.get(Service, catalog["s3"])
            operations.change_status(service, "archived", author="m@example.org")
            db.session.commit()
        assert ask("doposcuola") == 0
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)
        worker.stdout.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("doposcuola", "s3"),
        ("post-scuola", "s3"),
        ("post scuola", "s3"),
        ("prescuola", "s1"),
        ("pre scuola", "s1"),
        ("pre-scuola", "s1"),
        ("centro estivo", "s2"),
        ("campus", "s2"),
        ("grest", "s2"),
        ("summer camp", "s2"),
        ("after school care", "s3"),
        ("caregivers", "s4"),
        ("familiare che assiste", "s4"),
        ("anziano", "s4"),
        ("terza età", "s4"),
        ("lavoro agile", "s5"),
        ("telelavoro", "s5"),
        ("SMART WORKING", "s5"),
        ("Città", None),
    ],
)
def test_synonyms_variants_and_english_meet(app, catalog, text, expected):
    result = find(app, text)
    if expected is None:
        assert result.total == 0
    else:
        assert ids(result)[0] == catalog[expected], text


@pytest.mark.parametrize(
    ("typed", "meant", "expected"),
    [("centro estvo", "centro estivo", "s2"), ("doposcula", "doposcuola", "s3")],
)
def test_typing_mistakes_still_find_and_say_what_was_searched(app, catalog, typed, meant, expected):
    result = find(app, typed)
    assert ids(result)[0] == catalog[expected]
    assert result.corrected_from == typed and result.text == meant


def test_a_place_in_the_text_becomes_a_territory_filter(app, catalog):
    result = find(app, "pre scuola sondrio")
    assert result.place.name == "Sondrio" and ids(result) == [catalog["s1"]]
    assert find(app, "doposcuola sondrio").total == 0  # the Tirano after-school does not cover Sondrio


def test_municipality_filter_includes_listings_covering_the_whole_ats(app, catalog):
    sondrio = set(ids(find(app, municipality="014061")))
    assert sondrio == {catalog["s1"], catalog["s2"]}  # s2 covers all of ATS Montagna
    assert set(ids(find(app, municipality="013075"))) == {catalog["s4"]}  # Como


def test_filter_sets_kept_stay_within_their_bound_and_never_change_an_answer(app, catalog, monkeypatch):
    """A worker keeps a bounded number of filter sets (one per municipality asked, each as long as the catalog):
    past the bound the least used go, and a search that needs one again finds the same listings."""
    asked = {"014061": {catalog["s1"], catalog["s2"]}, "013075": {catalog["s4"]}, "019036": {catalog["s5"]}}
    monkeypatch.setattr(search_engine, "MAX_SET_BYTES", 1)  # one set at a time
    search.forget_all()  # the commit's caches are made again, with that bound
    for _round in range(2):
        for municipality, expected in asked.items():
            for age in (8, 70):  # another key, so that the results cache does not answer
                found = set(ids(find(app, municipality=municipality, age=age)))
                assert found == {s for s in expected if s in set(ids(find(app, age=age)))}
    with app.test_request_context(), search._index().searcher() as searcher:
        kept = search_engine.view(searcher).shared.sets
        assert len(kept.items) == 1 and kept.size == next(iter(kept.items.values())).nbytes


def test_filters_age_free_period_audience_category_ats(app, catalog):
    assert catalog["s4"] in ids(find(app, age=82)) and catalog["s1"] not in ids(find(app, age=82))
    assert set(ids(find(app, free_only=True))) == {catalog["s3"], catalog["s4"]}
    assert set(ids(find(app, period="summer"))) == {
        catalog["s2"],
        catalog["s4"],
        catalog["s5"],
    }  # all_year counts
    assert ids(find(app, audience="companies")) == [catalog["s5"]]
    assert set(ids(find(app, categories=("P1", "C6")))) == {catalog["s4"], catalog["s5"]}
    assert set(ids(find(app, ats="Montagna"))) == {catalog["s1"], catalog["s2"], catalog["s3"]}


def test_facet_counts_keep_the_other_filters_and_ignore_their_own(app, catalog):
    result = find(app, ats="Montagna", categories=("P2",))
    facets = {name: dict(values) for name, values in result.facets.items()}
    assert facets["ats"] == {"Montagna": 3}  # the category filter applies, not the ATS one's own
    assert facets["category"] == {"P2": 3}
    assert facets["cost"] == {"free": 1, "contribution": 1, "fee": 1}
    everything = {name: dict(values) for name, values in find(app).facets.items()}
    assert everything["ats"] == {"Montagna": 3, "Insubria": 1, "Val Padana": 1}


def test_pagination_and_stable_day_seeded_order(app):
    for n in range(23):
        add(app, external_id=f"p{n}", title=f"Laboratorio creativo {n}", municipalities="")
    with app.test_request_context():
        first = search.query("laboratorio", per_page=10, today=TODAY)
        third = search.query("laboratorio", page=3, per_page=10, today=TODAY)
        again = search.query("laboratorio", per_page=10, today=TODAY)
        tomorrow = search.query("laboratorio", per_page=10, today=date(2026, 11, 26))
        beyond = search.query("laboratorio", page=99, per_page=10, today=TODAY)
    assert first.total == 23 and first.pages == 3 and len(third.hits) == 3
    assert ids(first) == ids(again)
    assert ids(first) != ids(tomorrow)  # equal listings take turns, day by day
    assert beyond.page == 3
    scores = [hit.score for hit in first.hits]
    assert len(set(scores)) == 1
    assert [tie_break(str(i), TODAY) for i in ids(first)] == sorted(
        tie_break(str(i), TODAY) for i in ids(first)
    )


def test_matched_words_are_highlighted_and_escaped(app):
    add(
        app, external_id="h1", title="Centro estivo <b>speciale</b>", summary="Un centro estivo & molto altro"
    )
    [hit] = find(app, "centri estivi").hits
    assert "<mark" in hit.highlights["title"] and "&lt;b&gt;" in hit.highlights["title"]
    assert "&amp;" in hit.highlights["summary"]


def test_italian_analysis_folds_accents_drops_stop_words_and_stems_well():
    tokens = [t.text for t in analyzer("it")("Perché più anziano anziani città è caregivers")]
    assert tokens == ["anzian", "anzian", "citt", "caregiver"]


def test_folding_strips_accents_as_unicode_defines_them_in_every_script():
    """The same words on both sides of the index: a listing's "Città" and a visitor's "citta", "CITTÀ" or
    "città" (typed as one character or as a letter and an accent) meet, in Latin and in other scripts."""
    import unicodedata

    from welfarepoint.vocabulary.text import fold

    def by_definition(text: str) -> str:
        decomposed = unicodedata.normalize("NFKD", text.lower())
        return "".join(ch for ch in decomposed if not unicodedata.combining(ch))

    assert fold("Città") == fold("citta") == fold("CITTÀ") == fold("citta\u0300") == "citta"
    assert fold("Perché più Ç") == "perche piu c"
    every_character = [chr(code) for code in range(0x20, 0x30000) if not 0xD800 <= code < 0xE000]
    for start in range(0, len(every_character), 64):  # each character alone, then beside others
        chunk = every_character[start : start + 64]
        assert [fold(ch) for ch in chunk] == [by_definition(ch) for ch in chunk]
        assert fold("a" + "".join(chunk)) == by_definition("a" + "".join(chunk))
    for text in ("naïve café", "ﬁne Ⅻ", "ऩमस्ते", "grapheme\u034fjoiner", "Ελληνικά", "Straße"):
        assert fold(text) == by_definition(text)


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_one_step_word_filter_gives_what_whooshs_chain_of_filters_gives(language):
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StopFilter
    from whoosh.lang import stemmer_for_language
    from whoosh.support.charset import accent_map

    from welfarepoint.search import analysis
    from welfarepoint.vocabulary import spelling

    stops, overrides = (
        (analysis.ITALIAN_STOP_WORDS, analysis.ITALIAN_STEM_OVERRIDES)
        if language == "it"
        else (analysis.ENGLISH_STOP_WORDS, analysis.ENGLISH_STEM_OVERRIDES)
    )
    stem = stemmer_for_language(language)

    def stemmed(tokens):
        for token in tokens:
            if not token.stopped:
                token.text = overrides.get(token.text) or stem(token.text)
            yield token

    whooshs = (
        RegexTokenizer(analysis.TOKEN_PATTERN)
        | LowercaseFilter()
        | StopFilter(stoplist=stops, minsize=1)
        | CharsetFilter(accent_map)
    )
    ours = analysis.analyzer(language)
    synonyms = (Path(spelling.__file__).parent / "synonyms.txt").read_text(encoding="utf-8").splitlines()
    texts = (
        synonyms + [str(cells) for cells in LISTINGS] + ["Perché più Anziani, È CITTÀ; l'ASILO nido, after"]
    )
    for text in texts:
        for options in ({}, {"mode": "index"}, {"removestops": False, "chars": True, "mode": "index"}):
            expected = [
                (t.text, t.stopped, getattr(t, "startchar", 0)) for t in stemmed(whooshs(text, **options))
            ]
            assert [
                (t.text, t.stopped, getattr(t, "startchar", 0)) for t in ours(text, **options)
            ] == expected


# Whoosh leaves the garbage table of contents open when it fails to read it.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_setup_rebuilds_a_missing_or_corrupt_index_and_building_an_app_never_does(app, catalog, runner):
    index_dir = Path(app.config["SEARCH_INDEX_DIR"])
    search.forget_all()
    shutil.rmtree(index_dir)
    create_app(make_config(Path(app.instance_path)))
    assert not index_dir.exists()  # `flask users list` never waits for a rebuild
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]
    search.forget_all()
    for toc in (index_dir / "live").glob("*.toc"):
        toc.write_bytes(b"garbage")
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]


def _folders(app) -> list[str]:
    return sorted(p.name for p in Path(app.config["SEARCH_INDEX_DIR"]).glob("index-*"))


def test_a_rebuild_writes_a_new_folder_swaps_it_in_and_keeps_the_one_it_replaced(app, catalog, runner):
    """The old folder stays for processes still reading it; the one before is removed by the next rebuild."""
    root = Path(app.config["SEARCH_INDEX_DIR"])
    first = (root / "live").readlink()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    second = (root / "live").readlink()
    assert second != first and (root / "previous").readlink() == first and len(_folders(app)) == 2
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert (root / "previous").readlink() == second and first not in _folders(app) and len(_folders(app)) == 2
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]


def test_a_rebuild_that_fails_halfway_leaves_the_old_index_serving_and_its_leftovers_go_at_start(
    app, catalog, runner
):
    from welfarepoint.search.index import get_index
    from welfarepoint.search.schema import document

    root = Path(app.config["SEARCH_INDEX_DIR"])
    live = (root / "live").readlink()
    with app.app_context():
        listing = db.session.get(Service, catalog["s3"])

        def documents():
            yield document(listing)
            raise RuntimeError("the database went away")

        with pytest.raises(RuntimeError, match="the database went away"):
            get_index(root).rebuild(documents())
    assert (root / "live").readlink() == live and len(_folders(app)) == 2  # the dead rebuild's folder
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert _folders(app) == [str(live)]


REBUILDER = """
import sys
from pathlib import Path
from sqlalchemy import select
from tests.support.apps import make_config
from welfarepoint import create_app
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.search.index import get_index
from welfarepoint.search.schema import document
app = create_app(make_config(Path(sys.argv[1])))
with app.app_context():
    services = db.session.execute(select(Service).where(Service.status == "published")).scalars().all()
    def documents():
        for number, service in enumerate(services):
            if number == len(services) // 2:
                print("halfway", flush=True)
                sys.stdin.readline()  # the test searches meanwhile
            yield document(service)
    print(get_index(app.config["SEARCH_INDEX_DIR"]).rebuild(documents()), flush=True)
"""


def test_searches_and_questionnaires_answer_from_the_old_index_while_another_process_rebuilds(demo_app):
    import subprocess
    import sys

    from welfarepoint.config import PROJECT_ROOT

    root = Path(demo_app.config["SEARCH_INDEX_DIR"])
    client = demo_app.test_client()
    questionnaire = (
        "/match/family?municipality=014061&child_age=8&needs=before_school&needs=summer_closure&lang=en"
    )
    before = find(demo_app, "centro estivo")
    matched = client.get(questionnaire).text
    assert before.total > 0 and "What we could not find" not in matched
    live = (root / "live").readlink()
    search.forget_all()  # a worker that has not searched yet opens the index during the rebuild
    with subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", REBUILDER, demo_app.instance_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=PROJECT_ROOT,
    ) as rebuilder:
        try:
            assert rebuilder.stdout.readline().strip() == "halfway"
            assert len(_folders(demo_app)) == 2 and (root / "live").readlink() == live  # being written aside
            during = find(demo_app, "centro estivo")
            assert (during.total, ids(during)) == (before.total, ids(before))
            assert client.get(questionnaire).text == matched
            rebuilder.stdin.write("\n")
            rebuilder.stdin.flush()
            assert int(rebuilder.stdout.readline()) > 0
            assert rebuilder.wait(60) == 0
        finally:
            rebuilder.kill()
    assert (root / "live").readlink() != live
    after = find(demo_app, "centro estivo")
    assert (after.total, ids(after)) == (before.total, ids(before))


def test_reindex_commands(runner, app, catalog):
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "5 published listings" in result.output
    result = runner.invoke(args=["search", "reindex", "--repair"])
    assert "0 listings written, 0 removed" in result.output


def test_a_repair_writes_what_changed_behind_the_index_and_removes_what_went(runner, app, catalog):
    """``--repair`` (and every start) compares each listing's id and version with the index's."""
    with app.app_context():
        db.session.execute(
            db.update(Service)
            .where(Service.id == catalog["s3"])
            .values(title="Ludoteca e aiuto compiti", version=Service.version + 1)
        )
        db.session.execute(db.update(Service).where(Service.id == catalog["s4"]).values(status="archived"))
        db.session.commit()
    result = runner.invoke(args=["search", "reindex", "--repair"])
    assert "1 listings written, 1 removed" in result.output
    assert ids(find(app, "ludoteca")) == [catalog["s3"]]
    assert find(app, "caregiver").total == 0
    assert "0 listings written, 0 removed" in runner.invoke(args=["search", "reindex", "--repair"]).output


HOSTILE = [
    "x" * 10_000,
    '"unbalanced',
    "title:(a OR b) AND NOT c*",
    "a?b* ~2 ^3 [1 TO 5] {x}",
    "\x00\x01\x1f\x7f",
    "<script>alert(1)</script>",
    "ÄÖÜ ñ ç 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_gets_a_normal_page(client, catalog, text):
    response = client.get("/search", query_string={"q": text})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text


@pytest.mark.parametrize(
    "query",
    ["page=-1", "page=99999999999999", "page=abc", "page=%C2%B2", "age=-3", "age=1e9", "age=%E2%91%A0",
     "category=ZZZ", "ats=Atlantide",
     "municipality=999999", "municipality=%00", "cost=cheap", "audience=aliens", "period=never"],
)  # fmt: skip
def test_bad_parameters_get_a_normal_page_with_a_message(client, catalog, query):
    response = client.get(f"/search?{query}&lang=en")
    assert response.status_code == 200
    assert "were not understood" in response.text


def test_search_page_shows_results_facets_and_keeps_the_address(client, catalog):
    text = client.get("/search?q=centro+estivo&lang=en").text
    assert "1 service found" in text
    assert "Bartesaghi park" in text and '<mark class="wp-hl' in text
    assert 'name="category" id="category-P2" value="P2"' in text
    text = client.get("/search?q=pre+scuola&municipality=014061&lang=it").text
    assert "1 servizio trovato" in text and "Sondrio" in text


def test_empty_results_suggest_words_territory_and_welfare_points(app, client, catalog):
    add(app, external_id="w1", title="Welfare Point di Sondrio", category="W1", needs="", municipalities="")
    text = client.get("/search?q=ippoterapia&municipality=014061&lang=en").text
    assert "No service found" in text
    assert "None in Sondrio." in text  # and no wider search is offered: none would find anything
    assert "in ATS Montagna</a>" not in text and "Look in all of Lombardy" in text
    assert "Welfare Point di Sondrio" in text
    # The filters stay, without a "kind of service" group that would have nothing to choose from.
    assert "Filter the results" in text and "Kind of service" not in text
    assert "Kind of service" in client.get("/search?q=doposcuola&lang=en").text


def test_each_search_is_counted_anonymously_by_week(app, client, catalog):
    client.get("/search?q=Doposcuola")
    client.get("/search?q=doposcuola  ")
    client.get("/search?q=doposcuola&page=2")
    client.get("/search?q=ippoterapia")
    with app.app_context():
        rows = {
            (r.query, r.had_results): r.count for r in db.session.execute(db.select(SearchCount)).scalars()
        }
    assert rows == {("doposcuola", True): 2, ("ippoterapia", False): 1}


def test_search_box_on_the_home_page(client):
    text = client.get("/").text
    assert re.search(r'<form[^>]+action="/search"[^>]+method="get"', text)


def test_cached_results_never_outlive_a_change_or_a_rebuild(app, catalog, runner):
    assert find(app, "ludoteca").total == 0
    assert find(app, "ludoteca").total == 0  # served from the cache
    add(app, external_id="s9", title="Ludoteca del sabato")
    assert find(app, "ludoteca").total == 1
    with app.app_context():
        db.session.execute(db.delete(Service).where(Service.external_id == "s9"))
        db.session.commit()
    assert runner.invoke(args=["search", "reindex"]).exit_code == 0
    assert find(app, "ludoteca").total == 0


def test_after_its_own_publication_a_worker_does_not_compare_the_whole_catalog(app, monkeypatch):
    """The commit's listings are in the index: the index's generation marker moves with them."""
    app.config["SEARCH_CATALOG_CHECK_SECONDS"] = 0  # the database asked before every search
    add(app, external_id="g1", title="Ludoteca del sabato")
    find(app, "ludoteca")  # catches up once: the marker now says which generation the index reflects
    syncs = []
    compare = search._sync
    monkeypatch.setattr(search, "_sync", lambda index: syncs.append(1) or compare(index))
    add(app, external_id="g2", title="Ludoteca della domenica")
    assert find(app, "ludoteca").total == 2
    assert syncs == []  # nothing to compare: this process wrote the change itself
    with app.app_context():
        marker = search._index().path / GENERATION_FILE
        marker.write_text(str(int(marker.read_text()) - 1))
    assert find(app, "ludoteca").total == 2
    assert syncs == [1]  # a marker that lags is compared (what this test would miss if it watched nothing)


def test_a_change_the_index_missed_is_still_compared_at_the_next_search(app):
    app.config["SEARCH_CATALOG_CHECK_SECONDS"] = 0  # the database asked before every search
    add(app, external_id="g3", title="Ludoteca del sabato")
    find(app, "ludoteca")
    with app.app_context():
        index = search._index()
        marker = index.path / GENERATION_FILE
        marker.write_text(str(int(marker.read_text()) - 1))  # as if another instance had committed unseen
        index.write(delete_ids=[db.session.execute(db.select(Service.id)).scalar_one()])
    add(app, external_id="g4", title="Ludoteca della domenica")  # does not move a marker that lags
    assert find(app, "ludoteca").total == 2  # the next search compared, and wrote back what was missing


def test_the_results_page_shows_a_listing_as_it_is_now_in_the_visitors_language(app):
    service_id = add(app, external_id="c1", title="Ludoteca del sabato", title_en="Saturday toy library")
    client = app.test_client()
    page = client.get("/search?q=ludoteca&lang=it").get_data(as_text=True)
    assert "del sabato</" in page  # (the word searched is highlighted)
    english = client.get("/search?q=ludoteca&lang=en").get_data(as_text=True)
    assert "Saturday " in english  # the same results, drawn again in English ("toy library" is marked)
    with app.app_context():
        service = db.session.get(Service, service_id)
        listing, errors = validate_listing(
            row(
                external_id="c1", title="Ludoteca del sabato mattina", title_en="Saturday morning toy library"
            ),
            today=TODAY,
        )
        assert not errors
        operations.update_service(service, listing, author="t@example.org")
        db.session.commit()
    assert "del sabato mattina</" in client.get("/search?q=ludoteca&lang=it").get_data(as_text=True)
    assert "Saturday morning " in client.get("/search?q=ludoteca&lang=en").get_data(as_text=True)


def test_a_message_waiting_for_the_visitor_is_shown_on_a_results_page_drawn_before(app):
    add(app, external_id="f1", title="Ludoteca del sabato")
    client = app.test_client()
    assert client.get("/search?q=ludoteca").status_code == 200  # drawn, and kept for the next visitor
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Grazie del suggerimento")]
    assert "Grazie del suggerimento" in client.get("/search?q=ludoteca").get_data(as_text=True)
    assert "Grazie del suggerimento" not in client.get("/search?q=ludoteca").get_data(as_text=True)


def test_the_age_filter_keeps_listings_without_limits_and_reads_old_ages_as_the_oldest(app):
    children = add(app, external_id="a1", title="Laboratorio per bambini", age_min="6", age_max="11")
    everyone = add(app, external_id="a2", title="Laboratorio aperto a tutti", age_min="", age_max="")
    elderly = add(app, external_id="a3", title="Laboratorio della memoria", age_min="65", age_max="")
    assert set(ids(find(app, "laboratorio", age=8))) == {children, everyone}
    assert set(ids(find(app, "laboratorio", age=11))) == {children, everyone}
    assert set(ids(find(app, "laboratorio", age=12))) == {everyone}
    assert set(ids(find(app, "laboratorio", age=104))) == {everyone, elderly}


def test_a_process_asks_the_database_about_other_instances_at_most_once_an_interval(app, monkeypatch):
    """Its own and its instance's commits are found at once through the index; another instance's (a marker
    that lags) once ``SEARCH_CATALOG_CHECK_SECONDS`` have passed since it last asked."""
    app.config["SEARCH_CATALOG_CHECK_SECONDS"] = 3600
    add(app, external_id="i1", title="Ludoteca del sabato")
    assert find(app, "ludoteca").total == 1
    asked, syncs = [], []
    generation, compare = search._catalog_generation, search._sync
    monkeypatch.setattr(search, "_catalog_generation", lambda: asked.append(1) or generation())
    monkeypatch.setattr(search, "_sync", lambda index: syncs.append(1) or compare(index))
    add(app, external_id="i2", title="Ludoteca della domenica")
    assert find(app, "ludoteca").total == 2 and find(app, "sabato").total == 1
    assert asked == []
    with app.app_context():
        marker = search._index().path / GENERATION_FILE
        marker.write_text(str(int(marker.read_text()) - 1))  # as if another instance had committed
    assert find(app, "domenica").total == 1 and asked == [] and syncs == []
    app.config["SEARCH_CATALOG_CHECK_SECONDS"] = 0  # the interval has passed
    assert find(app, "ludoteca").total == 2 and asked == [1] and syncs == [1]


def _holding_the_index_lock(app):
    """A thread that holds the index's lock (as another process writing or merging would) until told."""
    import threading

    taken, release = threading.Event(), threading.Event()

    def hold():
        with app.app_context(), search._exclusive(search._index()):
            taken.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    return holder, release


def test_a_search_waits_for_the_index_only_while_it_lags_behind_the_catalog(app):
    """A search behind the catalog waits for the process writing the commit, but not for its merge after it."""
    import threading

    app.config["SEARCH_CATALOG_CHECK_SECONDS"] = 0  # the database asked before every search

    add(app, external_id="w1", title="Ludoteca del sabato")
    assert find(app, "ludoteca").total == 1
    with app.app_context():
        marker = search._index().path / GENERATION_FILE
    current = marker.read_text()
    holder, release = _holding_the_index_lock(app)
    try:
        results = []
        marker.write_text(str(int(current) - 1))  # a commit whose listings are being written
        waiting = threading.Thread(target=lambda: results.append(find(app, "ludoteca").total))
        waiting.start()
        waiting.join(0.5)
        assert waiting.is_alive() and results == []  # waits for whoever holds the lock
        marker.write_text(current)  # the listings are written; the lock stays held (a merge follows)
        waiting.join(10)
        assert results == [1] and holder.is_alive()  # answered while the lock is still held
    finally:
        release.set()
        holder.join(10)


def segment_count(search_index) -> int:
    with search_index.searcher() as searcher:
        return len(searcher.reader().leaf_readers())


def test_publications_add_segments_that_whoosh_merges_after_a_few(app):
    for number in range(12):
        add(app, external_id=f"m{number}", title=f"Ludoteca numero {number}")
    with app.app_context():
        assert segment_count(search._index()) < 12
    assert find(app, "ludoteca").total == 12


@pytest.mark.multiprocess
def test_a_publication_is_found_by_another_process_before_the_small_segments_are_merged(app, catalog):
    """A publication's commit merges nothing; merging comes after, and loses nothing."""
    import subprocess
    import sys

    from welfarepoint.config import PROJECT_ROOT
    from welfarepoint.search.schema import document

    with app.app_context():
        search_index = search._index()
        before = segment_count(search_index)
        services = db.session.execute(db.select(Service).order_by(Service.id)).scalars().all()
        for service in services:  # written again one at a time, as publications are, with no merge after
            search_index.write([document(service)])
        assert segment_count(search_index) == before + len(services)
    worker = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", WORKER, app.instance_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=PROJECT_ROOT,
    )
    try:

        def ask(text: str) -> int:
            worker.stdin.write(text + "\n")
            worker.stdin.flush()
            return int(worker.stdout.readline())

        assert ask("doposcuola") == 1
        with app.app_context():
            assert search._index().merge()
            assert segment_count(search._index()) < before + len(services)
            assert not search._index().merge()  # nothing small left to merge: no new commit
        assert ask("doposcuola") == 1 and ask("") == len(LISTINGS)
    finally:
        worker.stdin.close()
        worker.wait(timeout=10)
        worker.stdout.close()


def test_a_process_answers_from_the_old_folder_until_the_new_one_is_open_and_warm(app, catalog, monkeypatch):
    """A rebuild elsewhere swaps a new folder in: this process's searches keep reading the old one while a
    thread opens the new one and runs its first searches, then read the new one."""
    import sys
    import threading

    from welfarepoint.search import index as search_index_module
    from welfarepoint.search.schema import document

    assert ids(find(app, "doposcuola")) == [catalog["s3"]]
    gate, warmed = threading.Event(), []
    warm = search_index_module.warm

    usual_interval, intervals = sys.getswitchinterval(), []

    def slow_warm(searcher) -> None:
        gate.wait(10)
        # Threads switch often while it warms: a search of the worker's own thread is not held at each read.
        intervals.append(sys.getswitchinterval())
        warm(searcher)
        warmed.append(searcher.doc_count())

    monkeypatch.setattr(search_index_module, "warm", slow_warm)
    with app.app_context():
        # Archived behind the index's back (no event): only a rebuild removes it from the index.
        db.session.execute(db.update(Service).where(Service.id == catalog["s3"]).values(status="archived"))
        db.session.commit()
        services = db.session.execute(db.select(Service).where(Service.status == "published")).scalars().all()
        # Another process's rebuild (its own SearchIndex).
        elsewhere = search_index_module.SearchIndex(app.config["SEARCH_INDEX_DIR"])
        elsewhere.rebuild([document(service) for service in services])
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]  # the old folder answers while the new one warms
    assert warmed == []
    gate.set()
    with app.app_context():
        if (
            warming := search._index()._warming
        ) is not None:  # the thread that opens and warms the new folder
            warming.join(10)
    assert warmed == [len(LISTINGS) - 1]
    assert intervals == [pytest.approx(search_index_module.WARMING_SWITCH_INTERVAL)]
    assert sys.getswitchinterval() == usual_interval
    assert find(app, "doposcuola").total == 0  # the new folder answers once warm


@pytest.mark.multiprocess
def test_a_rebuild_in_two_processes_finds_what_a_rebuild_in_one_finds(demo_app, monkeypatch):
    """From ``PARALLEL_REBUILD_FROM`` listings Whoosh's multiprocessing writer analyses them in two processes (a
    segment each): the same listings are found, in the same order, with the same facet counts."""
    queries = [
        ("", Filters()),
        ("centro estivo", Filters()),
        ("anziani", Filters(ats="Montagna")),
        ("after school", Filters()),
    ]

    def answers() -> list:
        found = [search.query(text, filters, per_page=50) for text, filters in queries]
        return [(result.total, [hit.service_id for hit in result.hits], result.facets) for result in found]

    with demo_app.app_context():
        published = db.session.query(Service).filter_by(status="published").count()
        monkeypatch.setattr(search, "PARALLEL_REBUILD_FROM", 1)
        assert search.rebuild() == published
        assert segment_count(search.catch_up()) >= 2
        in_two = answers()
        assert db.session.query(Service).filter_by(status="published").count() == published
        monkeypatch.setattr(search, "PARALLEL_REBUILD_FROM", 10**9)
        assert search.rebuild() == published
        assert segment_count(search.catch_up()) == 1
        assert answers() == in_two and in_two[0][0] == published


def test_threads_of_one_process_search_and_match_at_once_and_find_what_one_thread_finds(demo_app):
    """gthread workers: each thread borrows a searcher; the caches they share give every thread the same answers."""
    from concurrent.futures import ThreadPoolExecutor

    from werkzeug.datastructures import MultiDict

    from welfarepoint.matching.runner import run_questionnaire

    asked = [("centro estivo", Filters()), ("anziani", Filters(ats="Montagna")), ("after school", Filters())]
    asked += [
        ("", Filters(audience="persons")),
        ("doposcuola sondrio", Filters()),
        ("centro estvo", Filters()),
    ]
    answers = MultiDict([("municipality", "014061"), ("child_age", "8"), ("needs", "before_school")])

    def one(number: int):
        with demo_app.test_request_context():
            text, filters = asked[number % len(asked)]
            result = search.query(text, filters, per_page=20, today=TODAY)
            _profile, errors, matched = run_questionnaire(answers, "persons", "it")
            assert not errors
            return (number % len(asked), result.total, ids(result), result.facets), len(matched.matches)

    serial = {found[0][0]: found for found in map(one, range(len(asked)))}
    assert (
        all(found[1] for found in serial.values())
        and sum(bool(found[0][1]) for found in serial.values()) >= 4
    )
    search.forget_all()
    with ThreadPoolExecutor(max_workers=6) as pool:
        together = list(pool.map(one, range(60)))
    assert all(found == serial[found[0][0]] for found in together)


def test_an_index_of_the_old_layout_keeps_serving_until_a_new_one_is_live_and_goes_at_the_next_setup(
    app, catalog, runner
):
    """Before folders were swapped, the index's files lay in ``SEARCH_INDEX_DIR`` itself."""
    root = Path(app.config["SEARCH_INDEX_DIR"])
    search.forget_all()
    live = root / (root / "live").readlink()
    for entry in live.iterdir():
        entry.rename(root / entry.name)  # the old layout: no folders, no link
    shutil.rmtree(live)
    (root / "live").unlink()
    (root / "previous").unlink(missing_ok=True)
    old_files = sorted(path.name for path in root.glob("*.toc"))
    assert old_files and runner.invoke(args=["setup"]).exit_code == 0
    assert ids(find(app, "doposcuola")) == [catalog["s3"]]
    assert (
        sorted(path.name for path in root.glob("*.toc")) == old_files
    )  # kept for workers of the old release
    assert runner.invoke(args=["setup"]).exit_code == 0
    assert not list(root.glob("*.toc")) and ids(find(app, "doposcuola")) == [catalog["s3"]]


def test_a_rebuild_reads_each_published_listing_as_a_publication_writes_it(demo_app):
    """The rows a rebuild or a repair reads (plain columns) make the same documents as the listings themselves:
    title, texts, provider's and alliance's names, the places covered; drafts and unknown ids are left out."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from welfarepoint.catalog.queries import published_for_index
    from welfarepoint.search.schema import document

    with demo_app.app_context():
        services = db.session.execute(select(Service).order_by(Service.id)).unique().scalars().all()
        published = [service for service in services if service.status == "published"]
        published[0].alliance = None  # one listing of no alliance
        operations.change_status(published.pop(1), "archived", author="m@example.org")
        db.session.commit()
        assert any(service.alliance for service in published)
        assert any(service.coverage_codes for service in published)
        expected = [document(service) for service in published]
        with Session(db.engine) as session:
            assert [document(listing) for listing in published_for_index(session)] == expected
            some = [service.id for service in services[::3]] + [10**9]
            chosen = [document(listing) for listing in published_for_index(session, some)]
        assert chosen == [doc for doc in expected if int(doc["id"]) in some]


def test_searchers_of_one_commit_share_what_searches_compute_and_a_new_commit_starts_afresh(app, catalog):
    """What searches compute from a commit (facet sets, filter sets, concept scores) is kept for every searcher of
    that commit, and for the index opened again after ``close_all`` (what a worker forked after the master's
    warm-up finds); a commit that changes a listing is searched with its own, so counts follow it."""
    with app.test_request_context():
        before = dict(search.query("", Filters(ats="Montagna")).facets["category"])
        with search._index().searcher() as first, search._index().searcher() as second:
            assert first is not second
            assert search_engine.view(first).shared is search_engine.view(second).shared
            kept = search_engine.view(first).shared.sets
        search.close_all()
        with search._index().searcher() as reopened:
            assert search_engine.view(reopened).shared.sets is kept and len(kept.items)
        service = db.session.get(Service, catalog["s3"])
        category = service.category
        operations.change_status(service, "archived", author="m@example.org")
        db.session.commit()
        after = dict(search.query("", Filters(ats="Montagna")).facets["category"])
        with search._index().searcher() as latest:
            assert search_engine.view(latest).shared.sets is not kept
    assert after.get(category, 0) == before[category] - 1


def test_a_listing_published_while_a_rebuild_reads_the_catalog_is_never_read_without_its_places(app, catalog):
    """A rebuild reads for a while; a listing published meanwhile is either left to the next comparison of
    versions or read whole: never with no coverage (which would make it answer its whole ATS, unrepaired)."""
    from sqlalchemy import event, update
    from sqlalchemy.orm import Session

    from welfarepoint.catalog.queries import published_for_index
    from welfarepoint.search.schema import document

    draft = add(app, external_id="s9", status="draft", title="Ludoteca a Tirano", municipalities="Tirano")
    with app.app_context():
        statements = []

        def publish_between_the_first_two(conn, cursor, statement, *args):
            statements.append(statement)
            if len(statements) == 2:  # the first read is done, the second about to start
                with db.engine.begin() as other:
                    other.execute(
                        update(Service)
                        .where(Service.id == draft)
                        .values(status="published", version=Service.version + 1)
                    )

        event.listen(db.engine, "before_cursor_execute", publish_between_the_first_two)
        try:
            with Session(db.engine) as session:
                read = {int(doc["id"]): doc for doc in map(document, published_for_index(session))}
        finally:
            event.remove(db.engine, "before_cursor_execute", publish_between_the_first_two)
        assert set(catalog.values()) <= set(read)
        places = db.session.get(Service, draft).coverage_codes
        assert draft not in read or read[draft]["coverage"] == " ".join(places)


def test_a_search_in_an_ats_that_finds_nothing_links_to_what_all_of_lombardy_has(demo_app):
    """Someone ticks ATS Bergamo and types "after school": the demo has none there. The page says so, links to
    the same words in all of Lombardy with how many there are, and does not offer the very words typed as an
    example of other words to try."""
    client = demo_app.test_client()
    text = client.get("/search?q=after+school&ats=Bergamo&lang=en").text
    assert "No service found · ATS Bergamo" in text
    wider = re.search(r'<a href="([^"]+)">(\d+) in all of Lombardy</a>', text)
    assert wider is not None and int(wider.group(2)) > 1
    everywhere = client.get(wider.group(1).replace("&amp;", "&")).text
    assert f"{wider.group(2)} services found" in everywhere
    examples = text[text.index("Use other words") :].split("</li>")[0]
    assert ">summer camp</a>" in examples and ">after-school</a>" not in examples
    italian = client.get("/search?q=dopo+scuola&ats=Brescia&lang=it").text
    assert "Nessun servizio trovato · ATS Brescia" in italian and "in tutta la Lombardia</a>" in italian
    examples = italian[italian.index("Usa altre parole") :].split("</li>")[0]
    assert ">centro estivo</a>" in examples and ">doposcuola</a>" not in examples  # "dopo scuola" typed


def test_a_place_typed_outside_the_ats_still_ticked_wins_and_the_page_says_so(demo_app):
    """A carer searched in ATS Montagna, then types Cremona in "Where": the ATS filter stays in the address,
    yet Cremona is not in it. The page shows Cremona's services, says the ATS filter was set aside, and drops
    it from the next search. The API, which sets nothing aside, answers 400."""
    client = demo_app.test_client()
    page = client.get("/search?q=centro+estivo&place=Cremona&ats=Montagna&age=8&lang=it").text
    assert "Cremona non è nell&#39;ATS Montagna: quel filtro è stato tolto." in page
    assert 'name="ats" value="Montagna"' not in page and "ATS Montagna <span" not in page
    without = client.get("/search?q=centro+estivo&place=Cremona&age=8&lang=it").text
    count = re.search(r'<p class="wp-result-count"[^>]*>(.*?)</p>', without).group(1)
    assert "servizi trovati" in count and count in page
    english = client.get("/search?q=summer+camp&municipality=019036&ats=Montagna&lang=en").text
    assert "Cremona is not in ATS Montagna: that filter is set aside." in english
    # A place in the ATS ticked keeps it.
    assert "that filter is set aside" not in client.get("/search?q=badante&place=Sondrio&ats=Montagna").text
    # No link of the page brings the ATS back once the place is dropped (the chip, "all of Lombardy").
    links = [link.replace("&amp;", "&") for link in re.findall(r'href="(/search\?[^"]*)"', page)]
    without_place = [link for link in links if "place=Cremona" not in link]
    assert without_place and not [link for link in without_place if "ats=Montagna" in link]
    api = client.get("/api/v1/services?municipality=019036&ats=Montagna")
    assert api.status_code == 400 and "not in ATS Montagna" in api.json["error"]["parameters"]["ats"]


def test_a_place_in_the_ats_ticked_that_has_nothing_links_to_the_rest_of_that_ats(demo_app):
    client = demo_app.test_client()
    for address in (
        "/search?q=badante&place=Morbegno&lang=en",
        "/search?q=badante&place=Morbegno&ats=Montagna&lang=en",
    ):
        page = client.get(address).text
        assert "None in Morbegno." in page and re.search(r">\d+ in ATS Montagna</a>", page)


def test_a_full_service_says_so_under_its_title_before_anything_else(demo_app):
    """ "Full" is read before the summary and the next step ("call to ask whether there are places"), on the
    search's cards and the questionnaire's."""
    client = demo_app.test_client()
    for address in (
        "/search?q=aiuto+compiti&lang=en",
        "/match/family?municipality=016008&child_age=8&needs=homework_support&lang=en",
    ):
        articles = re.findall(
            r'<article class="card card-bg wp-result">(.*?)</article>', client.get(address).text, re.S
        )
        card = next(article for article in articles if ">Full</span>" in article)
        assert (
            card.index("card-title")
            < card.index(">Full</span>")
            < card.index("card-text")
            < card.index("Next step")
        )


def test_a_text_with_no_word_to_look_for_shows_every_service_and_says_why(demo_app):
    client = demo_app.test_client()
    everything = re.search(
        r'<p class="wp-result-count"[^>]*>(.*?)</p>', client.get("/search?lang=en").text, re.S
    )
    for typed in ("😀", "OR", "the", "!!!", "a e i"):
        page = html.unescape(client.get("/search", query_string={"q": typed, "lang": "en"}).text)
        assert f"“{typed}” has no word we can look for: these are all the services." in page
        assert everything.group(1) in page
    for typed in ("centro estivo", "sondrio", "rsa"):  # words, a place, something outside the networks
        assert "has no word we can look for" not in client.get("/search", query_string={"q": typed}).text
    italian = html.unescape(client.get("/search", query_string={"q": "😀", "lang": "it"}).text)
    assert "In “😀” non c'è una parola da cercare: questi sono tutti i servizi." in italian


def test_a_place_that_is_an_ats_and_has_nothing_is_named_as_an_ats(demo_app):
    client = demo_app.test_client()
    assert "Nessuno nell'ATS Montagna." in client.get("/search?q=ippoterapia&place=ATS+Montagna&lang=it").text
    assert "None in ATS Montagna." in client.get("/search?q=ippoterapia&place=ATS+Montagna&lang=en").text


def test_the_no_word_note_and_the_examples_follow_the_place_read(demo_app):
    client = demo_app.test_client()
    page = html.unescape(client.get("/search?q=!!!&place=Sondrio&lang=en").text)
    assert (
        "“!!!” has no word we can look for: these are all the services of the place and filters chosen."
        in page
    )
    page = client.get("/search?q=doposcuola+bergamo&lang=it").text  # the place read from the text
    examples = page[page.index("Usa altre parole") :].split("</li>")[0]
    assert ">centro estivo</a>" in examples and ">doposcuola</a>" not in examples
