"""Relevance for the people's own words: 301 queries written blind, judged by what each listing answers.

``tests/data/people_queries.json`` was written by a session that had read neither the index, the synonyms nor
the demo texts (``tests/data/README.md``): families, carers and HR offices of Lombardy, Italian and English,
typos, dialect, a place in the text. Each query names the needs a fitting listing must answer (a need code of
the taxonomy, or a category code such as "C3") and the place meant.

A listing is relevant when it answers one of the needs (its need codes or its category) and covers the place
(one of the place's municipalities, or the whole ATS of one). Welfare Points are shown apart from the services
found ("who can help you"): they are relevant only to a query that asks for one (need "W1"). When the demo network has no such listing in the
place, the listing that a wider search offers is what the visitor can have: the same need in the place's ATS,
then anywhere; the test reports how many queries are judged so. A query whose needs no listing of the demo
network answers at all cannot be judged and is left out.

The search is asked as a visitor asks it, the text alone; when it shows nothing but offers a wider search
("None in Sondrio; 1 in ATS Montagna"), the visitor follows that one link, and so does the test (reported).

- success@3: a relevant listing among the first three shown;
- precision@5: the share of relevant listings among the (at most five) first shown; a query that shows
  nothing scores 0;
- zero-result rate: queries that show nothing, even after the wider link.

Queries outside the networks' scope (RSA, invalidità civile...) are not judged for relevance; what they are
shown (other public routes) is tested with the search page.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from welfarepoint import search, territory
from welfarepoint.catalog.models import Service
from welfarepoint.search import Filters

DATA = Path(__file__).parent / "data" / "people_queries.json"
SUCCESS_AT_3 = 0.95
PRECISION_AT_5 = 0.85


def people_queries() -> list[dict]:
    return json.loads(DATA.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Listing:
    """What a listing answers, as the judgments read it."""

    id: int
    needs: frozenset[str]
    ats: str
    coverage: frozenset[str]

    def answers(self, needs: list[str]) -> bool:
        if "W1" in self.needs and "W1" not in needs:
            return False  # a Welfare Point is shown apart ("who can help you"), never as a service found
        return bool(self.needs & set(needs))

    def covers(self, codes: frozenset[str] | None) -> bool:
        if codes is None:
            return True
        if self.coverage:
            return bool(self.coverage & codes)
        return any(territory.by_istat(code).ats == self.ats for code in codes)

    def in_ats(self, atses: frozenset[str]) -> bool:
        return self.ats in atses


def place_codes(name: str | None) -> frozenset[str] | None:
    """The Lombard municipalities of the place a query means (None: no place, or one outside Lombardy)."""
    if not name:
        return None
    match = territory.resolve_place(name)
    place = match.place or (match.candidates[0] if match.candidates else None)
    if place is None or not place.municipalities:
        return None
    return frozenset(m.istat_code for m in place.municipalities)


@dataclass
class Judged:
    query: dict
    level: str  # "place", "ats" or "anywhere": where a relevant listing exists
    shown: list[int]
    relevant: list[bool]
    widened: bool


def judge(query: dict, listings: list[Listing], shown: list[int], widened: bool) -> Judged:
    codes = place_codes(query["place"])
    answering = [item for item in listings if item.answers(query["needs"])]
    relevant_ids = {item.id for item in answering if item.covers(codes)}
    level = "place"
    if not relevant_ids and codes is not None:
        atses = frozenset(territory.by_istat(code).ats for code in codes)
        relevant_ids = {item.id for item in answering if item.in_ats(atses)}
        level = "ats"
    if not relevant_ids:
        relevant_ids = {item.id for item in answering}
        level = "anywhere" if relevant_ids else "none"
    return Judged(query, level, shown, [service_id in relevant_ids for service_id in shown], widened)


def ask(text: str) -> tuple[list[int], bool]:
    """The listings a visitor is shown for ``text`` (following the one wider-search link when shown nothing)."""
    result = search.query(text, Filters(), per_page=10, desks_apart=True)
    if result.total or result.wider is None:
        return [hit.service_id for hit in result.hits], False
    wider = search.query(result.wider.text, result.wider.filters, per_page=10)
    return [hit.service_id for hit in wider.hits], True


@pytest.fixture(scope="module")
def judged(demo_instance) -> list[Judged]:
    from tests.support.apps import make_config
    from tests.support.databases import copy_instance
    from welfarepoint import create_app
    from welfarepoint.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="relevance-people-"))
    copy_instance(demo_instance, folder)
    app = create_app(make_config(folder))
    found: list[Judged] = []
    with app.test_request_context():
        listings = [
            Listing(s.id, frozenset([*s.needs, s.category]), s.ats, frozenset(s.coverage_codes))
            for s in db.session.execute(db.select(Service).where(Service.status == "published")).scalars()
        ]
        for query in people_queries():
            if query["out_of_scope"]:
                continue
            shown, widened = ask(query["q"])
            found.append(judge(query, listings, shown, widened))
        db.session.remove()
        db.engine.dispose()
    search.forget_all()
    shutil.rmtree(folder, ignore_errors=True)
    # A need that no listing of the demo network answers ("S1", joining the network) cannot be judged here.
    return [j for j in found if j.level != "none"]


def figures(judged: list[Judged]) -> dict[str, float]:
    count = len(judged)
    return {
        "success@3": sum(any(j.relevant[:3]) for j in judged) / count,
        "precision@5": sum(sum(j.relevant[:5]) / len(j.relevant[:5]) if j.shown else 0.0 for j in judged)
        / count,
        "zero-result rate": sum(not j.shown for j in judged) / count,
    }


def test_people_queries_find_what_they_ask_for(judged, capsys):
    result = figures(judged)
    with capsys.disabled():
        print(
            f"\npeople's queries ({len(judged)} judged): "
            + ", ".join(f"{name} {value:.3f}" for name, value in result.items())
            + f"; judged wider than the place: {sum(j.level != 'place' for j in judged)}"
            + f"; wider link followed: {sum(j.widened for j in judged)}"
        )
        for j in judged:
            if not any(j.relevant[:3]) or (j.shown and sum(j.relevant[:5]) / len(j.relevant[:5]) < 0.6):
                print(f"  {j.query['q']!r} {j.query['needs']} {j.query['place']}: {j.relevant[:5]}")
    assert len(judged) >= 150
    assert result["success@3"] >= SUCCESS_AT_3
    assert result["precision@5"] >= PRECISION_AT_5


def test_the_judged_queries_are_the_blind_written_ones():
    queries = people_queries()
    assert len(queries) >= 150
    assert {q["lang"] for q in queries} == {"it", "en"}
    for q in queries:
        assert q["out_of_scope"] or q["needs"], q
