"""The search engine reads Whoosh's postings itself: its scores must be Whoosh's, segment after segment.

Every test runs twice: through Whoosh's public reader API, and through the fast path written for
``whoosh-reloaded`` 2.7.5 (``search/whoosh_fast.py``); both are compared with Whoosh's own searcher, so that a
Whoosh upgrade that changes its files fails here, not in production.
"""

from __future__ import annotations

import gc

import numpy as np
import pytest
import whoosh
from whoosh.query import And, Or, Term

from welfarepoint.search import engine, querying, whoosh_fast
from welfarepoint.search.engine import Alternative, SearcherView
from welfarepoint.search.index import BLOCK_LIMIT, SearchIndex
from welfarepoint.vocabulary.spelling import NearWords

TEXTS = [
    ("Centro estivo per bambini", "Attività estive, piscina e gite per i bambini della scuola primaria."),
    ("Doposcuola", "Aiuto nei compiti e merenda, il pomeriggio, per i bambini e i ragazzi."),
    ("Centro estivo sportivo", "Sport, piscina e giochi in estate: calcio, basket, nuoto per ragazzi."),
    ("Assistenza domiciliare anziani", "Aiuto a casa per anziani e persone con disabilità, anche il sabato."),
    ("Spazio compiti", "Compiti, compiti e ancora compiti: il pomeriggio con educatori, per i bambini."),
]


def documents(first: int = 1, texts=TEXTS):
    return [
        {"id": str(number), "version": "1", "title": title, "body": body}
        for number, (title, body) in enumerate(texts, first)
    ]


def add_segment(search_index: SearchIndex, docs=(), delete=()) -> None:
    """Commit without merging, so that the new documents stay in a segment of their own."""
    writer = search_index.index().writer(compound=False)
    for service_id in delete:
        writer.delete_by_term("id", str(service_id))
    for doc in docs:
        writer.add_document(**doc)
    writer.commit(merge=False)


@pytest.fixture(params=["fast path", "public API"], autouse=True)
def reading(request, monkeypatch):
    """Each test once through Whoosh's public reader API, once through the fast path (where it is enabled)."""
    if request.param == "public API":
        monkeypatch.setattr(whoosh_fast, "ENABLED", False)
    elif not whoosh_fast.ENABLED:
        pytest.skip(f"the fast path is for Whoosh {whoosh_fast.WRITTEN_FOR} only")
    engine.forget_all()
    yield request.param
    engine.forget_all()


def test_the_fast_path_is_on_for_the_version_it_was_written_for_only(reading):
    assert (whoosh.versionstring() == whoosh_fast.WRITTEN_FOR) == (
        reading == "public API" or whoosh_fast.ENABLED
    )


@pytest.fixture
def index(tmp_path):
    engine.forget_all()
    search_index = SearchIndex(tmp_path / "index")
    search_index.rebuild([])  # an empty index, live
    yield search_index
    search_index.close()
    engine.forget_all()


def whoosh_scores(searcher, field: str, term: str) -> dict[str, float]:
    results = searcher.search(Term(field, term), limit=None)
    return {hit["id"]: hit.score for hit in results}


def matches(scores) -> dict[int, float]:
    """A concept's scores array as {document number: score} of the documents it matches."""
    return {docnum: float(scores[docnum]) for docnum in scores.nonzero()[0].tolist()}


def members(docs) -> set[int]:
    """A boolean array of documents as the set of their numbers."""
    return set(docs.nonzero()[0].tolist())


def engine_scores(searcher, field: str, term: str) -> dict[str, float]:
    view = SearcherView(searcher, searcher.wp_path)
    scores = matches(view.concept((Alternative(field, (term,)),)))
    return {searcher.stored_fields(docnum)["id"]: score for docnum, score in scores.items()}


@pytest.mark.parametrize(("field", "term"), [("body", "bambin"), ("body", "compit"), ("title", "centr")])
def test_scores_are_whooshs_bm25f_in_one_segment(index, field, term):
    index.rebuild(documents())
    with index.searcher() as searcher:
        expected = whoosh_scores(searcher, field, term)
        assert expected  # the term is there
        found = engine_scores(searcher, field, term)
    assert found.keys() == expected.keys()
    for key, score in expected.items():
        assert found[key] == pytest.approx(score, rel=1e-6)


def test_several_segments_and_deletions_are_read_like_whoosh(index):
    index.rebuild(documents())
    add_segment(index, documents(first=6, texts=TEXTS[:2]))  # a second segment
    add_segment(index, delete=[2, 7])  # deleted inside each segment
    with index.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        view = SearcherView(searcher, searcher.wp_path)
        for field, term in [("body", "bambin"), ("title", "doposcuol"), ("body", "pomerigg")]:
            expected = set(whoosh_scores(searcher, field, term))
            found = {
                searcher.stored_fields(d)["id"] for d in matches(view.concept((Alternative(field, (term,)),)))
            }
            assert found == expected
            assert "2" not in found and "7" not in found
            docs = {searcher.stored_fields(d)["id"] for d in members(view.term_docs(field, term))}
            assert docs == expected


def test_a_listing_scores_the_same_in_whichever_segment_it_is(index):
    """Whoosh's BM25F normalises a field's length by its average over the whole index, not per segment: a
    second segment of much longer texts moves every score, the first segment's too, and the engine follows."""
    index.rebuild(documents())
    long_texts = [(title, (body + " ") * 12) for title, body in TEXTS]
    with index.searcher() as searcher:
        before = engine_scores(searcher, "body", "bambin")
    add_segment(index, documents(first=6, texts=long_texts))
    with index.searcher() as searcher:
        assert len(searcher.reader().leaf_readers()) == 2
        for field, term in [("body", "bambin"), ("body", "compit"), ("title", "centr")]:
            expected = whoosh_scores(searcher, field, term)
            found = engine_scores(searcher, field, term)
            assert found.keys() == expected.keys()
            for key, score in expected.items():
                assert found[key] == pytest.approx(score, rel=1e-9)
        assert engine_scores(searcher, "body", "bambin")["1"] != pytest.approx(before["1"], rel=1e-3)


def test_all_words_of_an_alternative_must_be_in_the_field_and_their_scores_add_up(index):
    index.rebuild(documents())
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        both = matches(view.concept((Alternative("title", ("centr", "estiv")),)))
        ids = {searcher.stored_fields(d)["id"]: score for d, score in both.items()}
        assert set(ids) == {"1", "3"}
        centro = engine_scores(searcher, "title", "centr")
        estivo = engine_scores(searcher, "title", "estiv")
        assert ids["1"] == pytest.approx(centro["1"] + estivo["1"])


def test_a_boost_multiplies_and_alternatives_add_up(index):
    index.rebuild(documents())
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        plain = matches(view.concept((Alternative("body", ("piscin",)),)))
        boosted = matches(view.concept((Alternative("body", ("piscin",), 0.5),)))
        assert boosted.keys() == plain.keys()
        assert all(boosted[d] == pytest.approx(plain[d] * 0.5) for d in plain)
        together = matches(
            view.concept((Alternative("body", ("piscin",)), Alternative("title", ("sportiv",))))
        )
        sport = matches(view.concept((Alternative("title", ("sportiv",)),)))
        assert together.keys() == plain.keys() | sport.keys()
        for docnum, score in together.items():
            assert score == pytest.approx(plain.get(docnum, 0.0) + sport.get(docnum, 0.0))


def test_segment_caches_outlive_a_commit_and_go_with_merged_segments(index):
    index.rebuild(documents())
    with index.searcher() as searcher:
        SearcherView(searcher, searcher.wp_path).concept((Alternative("body", ("bambin",)),))
        first = searcher.reader().segment().segment_id()
    add_segment(index, documents(first=6, texts=TEXTS[:1]))
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        cached = {cache.key[1]: cache.key for _reader, _offset, cache in view.leaves}
        assert (
            cached[first],
            "body",
            "bambin",
        ) in engine._postings.items  # read before the commit, not again
    index.rebuild(documents())  # every old segment is gone
    with index.searcher() as searcher:
        SearcherView(searcher, searcher.wp_path)
    assert all(key[1] != first for key in engine._segments)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("pomerigio", "pomeriggio"),  # a letter left out
        ("pomerigggio", "pomeriggio"),  # one too many
        ("pomeroggio", "pomeriggio"),  # one wrong
        ("pomerigigo", "pomeriggio"),  # two swapped
    ],
)
def test_near_words_meet_one_typing_slip_away(typed, meant):
    vocabulary = NearWords(["pomeriggio", "pomodoro", "compiti", "piscina"])
    assert meant in vocabulary.near(typed)
    assert "compiti" not in vocabulary.near(typed)


def test_an_empty_index_finds_nothing_without_an_error(index):
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        assert matches(view.concept((Alternative("title", ("centr",)),))) == {}
        assert members(view.term_docs("audience", "persons")) == set()
        assert not view.knows("spell", "centro")
    ids, versions = index.indexed_versions()
    assert len(ids) == len(versions) == 0


def test_the_postings_kept_stay_within_their_bound(index, monkeypatch):
    index.rebuild(documents())
    monkeypatch.setattr(engine._postings, "limit", 6)
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        for term in (
            "zzz",
            "bambin",
            "compit",
            "piscin",
            "pomerigg",
            "aiut",
            "anzian",
        ):  # "zzz" is in no listing
            expected = set(whoosh_scores(searcher, "body", term))
            found = {
                searcher.stored_fields(d)["id"]
                for d in matches(view.concept((Alternative("body", (term,)),)))
            }
            assert found == expected  # dropping old terms never changes an answer
            assert engine._postings.size <= 6 or len(engine._postings.items) == 1


def test_facet_sets_follow_each_segments_deletions_from_one_searcher_to_the_next(index):
    """Facet sets leave out each segment's deleted documents as they change from one searcher to the next."""
    index.rebuild(documents())
    add_segment(index, documents(first=6, texts=TEXTS[:2]))

    def sets() -> dict[str, set[str]]:
        with index.searcher() as searcher:
            view = SearcherView(searcher, searcher.wp_path)
            found = view.value_sets("version", lambda value: (value,))
            return {
                key: {searcher.stored_fields(docnum)["id"] for docnum in members(docs)}
                for key, docs in found.items()
            }

    assert sets() == {"1": {str(number) for number in range(1, 8)}}
    add_segment(index, delete=[2])  # a deletion in the first segment
    assert sets() == {"1": {"1", "3", "4", "5", "6", "7"}}
    add_segment(index, [{"id": "3", "version": "2", "title": "Doposcuola"}], delete=[3, 6])  # an update
    assert sets() == {"1": {"1", "4", "5", "7"}, "2": {"3"}}


def test_long_postings_lists_read_across_blocks_like_whoosh(index):
    """Postings are written in blocks (``index.BLOCK_LIMIT``), each block's ids counted again from 0."""
    texts = [
        (f"Ludoteca {number}", "Giochi " * (1 + number % 4) + ("e compiti" if number % 3 else "e merenda"))
        for number in range(2 * BLOCK_LIMIT + 300)
    ]
    index.rebuild(documents(texts=texts))
    add_segment(index, delete=[5, 300, BLOCK_LIMIT + 1, 2 * BLOCK_LIMIT + 10])
    with index.searcher() as searcher:
        for field, term in (("body", "gioc"), ("body", "compit"), ("body", "mer"), ("title", "ludotec")):
            expected = whoosh_scores(searcher, field, term)
            found = engine_scores(searcher, field, term)
            assert len(expected) > 200 and found.keys() == expected.keys()
            for key, score in expected.items():
                assert found[key] == pytest.approx(score, rel=1e-6)


def test_a_segment_without_a_numeric_column_reads_as_its_default(index):
    from welfarepoint.search.schema import MAX_INDEXED_AGE

    index.rebuild(documents())  # documents without ages: no age columns in the segment
    with index.searcher() as searcher:
        view = SearcherView(searcher, searcher.wp_path)
        assert view.integers("age_min").tolist() == [0] * 5
        assert view.integers("age_max").tolist() == [MAX_INDEXED_AGE] * 5


def whoosh_query(concepts) -> And:
    """The query Whoosh would run for the engine's concepts: every concept (an ``Or`` of its alternatives),
    each alternative all its words in its field, boosted."""
    return And(
        [
            Or([And([Term(a.field, token, boost=a.boost) for token in a.tokens]) for a in alternatives])
            for alternatives in concepts
        ]
    )


@pytest.mark.parametrize(
    "text", ["centro estivo", "compiti educatori", "piscina bambini", "aiuto compiti", "doposcuola"]
)
def test_a_whole_query_scores_as_whooshs_own_searcher_scores_it(index, text):
    """Synonyms, several fields with their boosts, several words: the same documents and BM25F scores."""
    index.rebuild(documents())
    add_segment(index, documents(first=6, texts=TEXTS[1:3]), delete=[4])
    with index.searcher() as searcher:
        # The words of each concept (a concept naming a need also matches by need code, which Whoosh has no
        # query for: only the words are compared here).
        concepts = [concept.words for concept in querying.text_concepts(text)[0] if concept.words]
        view = engine.view(searcher)
        parts = [view.concept(alternatives) for alternatives in concepts]
        docs = np.logical_and.reduce([part > 0 for part in parts])
        scores = sum(parts[1:], parts[0])
        found = {
            searcher.stored_fields(docnum)["id"]: float(scores[docnum])
            for docnum in docs.nonzero()[0].tolist()
        }
        expected = {hit["id"]: hit.score for hit in searcher.search(whoosh_query(concepts), limit=None)}
    assert expected and found.keys() == expected.keys()
    for key, score in expected.items():
        assert found[key] == pytest.approx(score, rel=1e-6)


@pytest.mark.parametrize("processes", [1, 2])
def test_a_rebuild_longer_than_a_segment_writes_every_listing_as_it_reads_them(index, monkeypatch, processes):
    """A large rebuild commits a segment of ``REBUILD_SEGMENT_LISTINGS`` per writing process at a time, taking
    each listing from the database as the writer asks for it: every one is written once, in as many segments
    as it takes, and the process's cycle collector is as it was (it is off while forked writers run)."""
    from welfarepoint.search import index as index_module

    monkeypatch.setattr(index_module, "REBUILD_SEGMENT_LISTINGS", 2)
    texts = TEXTS * 3  # 15 listings: segments of 2 per process
    read: list[int] = []

    def from_the_database():
        for doc in documents(texts=texts):
            read.append(int(doc["id"]))
            yield doc

    assert gc.isenabled()
    assert index.rebuild(from_the_database(), processes=processes) == len(texts)
    assert gc.isenabled() and read == list(range(1, len(texts) + 1))
    with index.searcher() as searcher:
        assert searcher.doc_count() == len(texts)
        assert len(searcher.reader().leaf_readers()) >= len(texts) // (2 * processes)
        assert sorted(int(fields["id"]) for fields in searcher.all_stored_fields()) == read
        assert len(searcher.search(Term("title", "estiv"), limit=None)) == 6


def test_a_rebuild_whose_writing_process_dies_is_never_swapped_in(index):
    """Whoosh's multiprocessing writer commits without the segment of a process that died: the count tells."""
    index.rebuild(documents())
    live = index.path
    broken = [*documents(first=10), {"id": "99", "version": "1", "no_such_field": "x"}]
    with pytest.raises(RuntimeError, match="the live index is unchanged"):
        index.rebuild(broken, processes=2)
    assert index.path == live
    with index.searcher() as searcher:
        assert searcher.doc_count() == len(TEXTS)
