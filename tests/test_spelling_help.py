"""Spelling help never damages a correct word, and still mends a real slip.

``tests/data/correct_sentences.json`` holds 142 well-spelled Italian and English phrases written blind
(``tests/data/README.md``): searched on the demo network, on an Italian page and on an English one, none may
be "corrected" ("chi tiene i bambini" once became "chi then i bambini", "mio padre" "mio parte").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from welfarepoint import search

PHRASES = json.loads((Path(__file__).parent / "data" / "correct_sentences.json").read_text(encoding="utf-8"))


@pytest.fixture
def searched(demo_app):
    with demo_app.test_request_context():
        yield lambda text, language: search.query(text, language=language)


@pytest.mark.parametrize("language", ["it", "en"])
def test_well_spelled_phrases_are_never_corrected(searched, language):
    assert len(PHRASES) >= 100
    changed = {}
    for phrase in PHRASES:
        result = searched(phrase, language)
        if result.corrected_from is not None or result.suggestion is not None:
            changed[phrase] = result.text if result.corrected_from else result.suggestion
    assert not changed


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("doposcula", "doposcuola"), ("centro estvo", "centro estivo"), ("badnte", "badante")],
)
def test_a_real_slip_is_still_mended(searched, typed, meant):
    result = searched(typed, "it")
    assert result.total
    assert result.corrected_from == typed
    assert result.text == meant


def test_the_search_page_says_did_you_mean_only_when_a_word_was_changed(demo_app):
    client = demo_app.test_client()
    for phrase in ("chi tiene i bambini", "mio padre", "mia madre", "scuole chiuse"):
        page = client.get("/search", query_string={"q": phrase, "lang": "it"}).get_data(as_text=True)
        assert "Forse cercavi" not in page and "Risultati per" not in page, phrase
    page = client.get("/search", query_string={"q": "doposcula", "lang": "it"}).get_data(as_text=True)
    assert "doposcuola" in page


@pytest.mark.parametrize("language", ["it", "en"])
def test_the_shipped_lexicon_is_what_the_tool_builds_from_pyspellchecker(language):
    """The lexicon files beside the vocabulary package are pyspellchecker's lists as the site folds them: after an
    upgrade of pyspellchecker or a change of folding, `tools/build_lexicon.py` writes them again."""
    import sys

    import numpy as np

    from welfarepoint.vocabulary import spelling

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    try:
        import build_lexicon
    finally:
        sys.path.pop(0)
    assert np.array_equal(spelling._lexicon(language), build_lexicon.lexicon(language))
    assert spelling.known("bambini", "it") and spelling.known("children", "en")
    assert not spelling.known("bambinz", "it")
