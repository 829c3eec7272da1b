"""Relevance over the demo network: judged queries, mean reciprocal rank reported and asserted.

Each query is judged by what a relevant listing *is* (its need codes, category, place), not by a title, so the
judgments hold whatever words the demo's listings use. Reciprocal rank is 1 / the rank of the first relevant
listing among the first 10 (0 if none). Measured on the demo network: 0.99 (57 queries, one relevant listing
second). The threshold, 0.9, leaves room for new listings that outrank a judged one, but a change that breaks a
family of queries (the synonyms file, typo correction, English, accents) costs far more than 0.1 and fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from welfarepoint import search, territory
from welfarepoint.catalog import queries
from welfarepoint.search import Filters

MRR_THRESHOLD = 0.9


def needs(*codes: str) -> Callable:
    return lambda s: any(code in s.needs for code in codes)


def category(*codes: str) -> Callable:
    return lambda s: s.category in codes


def covers(name: str) -> Callable:
    place = territory.by_name(name)
    return lambda s: place.istat_code in s.coverage_codes or (not s.coverage_codes and s.ats == place.ats)


def both(*tests: Callable) -> Callable:
    return lambda s: all(test(s) for test in tests)


@dataclass
class Judged:
    text: str
    relevant: Callable
    filters: Filters = Filters()
    kind: str = "synonym"


SONDRIO = territory.by_name("Sondrio").istat_code

JUDGED = [
    Judged("doposcuola", needs("after_school"), kind="word"),
    Judged("post-scuola", needs("after_school")),
    Judged("dopo scuola", needs("after_school")),
    Judged("postscuola", needs("after_school")),
    Judged("doposcula", needs("after_school"), kind="typo"),
    Judged("pre scuola", needs("before_school")),
    Judged("prescuola", needs("before_school")),
    Judged("pre-scuola", needs("before_school")),
    Judged("entrata anticipata", needs("before_school")),
    Judged("centro estivo", needs("summer_closure"), kind="word"),
    Judged("centri estivi", needs("summer_closure"), kind="plural"),
    Judged("campus estivo", needs("summer_closure")),
    Judged("grest", needs("summer_closure")),
    Judged("centro estvo", needs("summer_closure"), kind="typo"),
    Judged("summer camp", needs("summer_closure"), kind="english"),
    Judged("after school care", needs("after_school", "homework_support"), kind="english"),
    Judged("before school", needs("before_school"), kind="english"),
    Judged("homework help", needs("homework_support"), kind="english"),
    Judged("aiuto compiti", needs("homework_support")),
    Judged("vacanze di Natale", needs("holiday_closure")),
    Judged("easter holidays", needs("holiday_closure"), kind="english"),
    Judged("laboratori per ragazzi", needs("educational_activities")),
    Judged("voucher", needs("childcare_costs")),
    Judged("caregiver", category("P1"), kind="word"),
    Judged("caregivers", category("P1"), kind="plural"),
    Judged("familiare che assiste", category("P1")),
    Judged("sportello caregiver", needs("care_information")),
    Judged("accompagnamento visite", needs("care_accompaniment")),
    Judged("trasporto anziani", needs("care_accompaniment")),
    Judged("medical visits", needs("care_accompaniment"), kind="english"),
    Judged("sollievo", needs("care_respite"), kind="word"),
    Judged("respite", needs("care_respite"), kind="english"),
    Judged("alzheimer", needs("care_respite", "care_training", "care_information")),
    Judged("badante", needs("care_at_home")),
    Judged("assistente familiare", needs("care_at_home", "care_information")),
    Judged("assistenza domiciliare", needs("care_at_home")),
    Judged("anziani", category("P1")),
    Judged("anziano", category("P1"), kind="plural"),
    Judged("terza età", category("P1"), kind="accent"),
    Judged("terza eta", category("P1"), kind="accent"),
    Judged("welfare aziendale", category("C3"), kind="word"),
    Judged("piano di welfare", category("C3")),
    Judged("smart working", category("C5", "C6"), kind="english"),
    Judged("lavoro agile", category("C5", "C6")),
    Judged("telelavoro", category("C5", "C6")),
    Judged("smartworking", category("C5", "C6")),
    Judged("maggiordomo aziendale", category("C7")),
    Judged("concierge", category("C7"), kind="english"),
    Judged("nido aziendale", category("C2")),
    Judged("accordo di conciliazione", category("C4")),
    Judged("contrattazione territoriale", category("C1")),
    Judged("welfare point", category("W1")),
    Judged(
        "centro estivo",
        both(needs("summer_closure"), covers("Sondrio")),
        Filters(municipality=SONDRIO),
        "filter",
    ),
    Judged(
        "doposcuola", both(needs("after_school"), lambda s: s.ats == "Pavia"), Filters(ats="Pavia"), "filter"
    ),
    Judged("caregiver", category("P1"), Filters(age=82), "filter"),
    Judged("smart working", category("C5", "C6"), Filters(audience="companies"), "filter"),
    Judged("centro estivo gratis", both(needs("summer_closure")), Filters(), "synonym"),
]


@pytest.fixture(scope="module")
def ranks(demo_instance):
    """The rank of the first relevant listing for every judged query (None when not in the first 10)."""
    import shutil
    import tempfile
    from pathlib import Path

    from tests.support.apps import make_config
    from tests.support.databases import copy_instance
    from welfarepoint import create_app
    from welfarepoint.extensions import db

    folder = Path(tempfile.mkdtemp(prefix="relevance-"))
    copy_instance(demo_instance, folder)
    app = create_app(make_config(folder))
    result: dict[int, int | None] = {}
    with app.test_request_context():
        for number, judged in enumerate(JUDGED):
            hits = search.query(judged.text, judged.filters, per_page=10).hits
            services = {s.id: s for s in queries.published_services(h.service_id for h in hits)}
            result[number] = next(
                (rank for rank, hit in enumerate(hits, 1) if judged.relevant(services[hit.service_id])), None
            )
        db.engine.dispose()
    search.forget_all()
    shutil.rmtree(folder, ignore_errors=True)
    return result


def test_mean_reciprocal_rank_is_above_threshold(ranks, capsys):
    reciprocal = [1 / rank if rank else 0.0 for rank in ranks.values()]
    mrr = sum(reciprocal) / len(reciprocal)
    by_kind: dict[str, list[float]] = {}
    for number, judged in enumerate(JUDGED):
        by_kind.setdefault(judged.kind, []).append(reciprocal[number])
    with capsys.disabled():
        print(
            f"\nrelevance: MRR {mrr:.3f} over {len(JUDGED)} judged queries; by kind: "
            + ", ".join(f"{kind} {sum(v) / len(v):.2f} ({len(v)})" for kind, v in sorted(by_kind.items()))
        )
        misses = [f"{JUDGED[n].text!r} -> {rank}" for n, rank in ranks.items() if rank != 1]
        if misses:
            print("not first: " + "; ".join(misses))
    assert len(JUDGED) >= 40
    assert mrr >= MRR_THRESHOLD


@pytest.mark.parametrize("kind", ["typo", "english", "plural", "accent", "filter"])
def test_every_kind_of_query_finds_something_relevant_on_the_first_page(ranks, kind):
    missing = [JUDGED[n].text for n, rank in ranks.items() if JUDGED[n].kind == kind and rank is None]
    assert not missing, f"{kind} queries with nothing relevant in the first 10: {missing}"
