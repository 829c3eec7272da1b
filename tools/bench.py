"""Measure search and matching on a synthetic catalog: `make bench` (never part of `make test`).

Builds, in a temporary instance folder, a catalog of N listings (default 10,000) from the demo network's texts
with their places, ages and providers varied, imports it through the catalog's own CSV import, rebuilds the
index, then times in-process:

- full index rebuild;
- search on a cold log (distinct citizen-style queries, a quarter with typos, half with a territory filter)
  and on a realistic log (the same queries repeated with a long-tail frequency);
- search with facet counts (every search computes them);
- questionnaire matching.

It prints one table of medians and 95th percentiles with the machine's description. Targets for larger
catalogs, HTTP and memory come with the performance issue; this is the measurement they start from.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.datastructures import MultiDict  # noqa: E402

from welfarepoint import create_app, search, territory  # noqa: E402
from welfarepoint.catalog.demo import build_demo_network  # noqa: E402
from welfarepoint.catalog.interchange import import_rows  # noqa: E402
from welfarepoint.catalog.operations import create_alliance, create_organisation  # noqa: E402
from welfarepoint.cli import setup_database  # noqa: E402
from welfarepoint.extensions import db  # noqa: E402
from welfarepoint.matching.runner import run_questionnaire  # noqa: E402
from welfarepoint.search import Filters  # noqa: E402

QUERIES = [
    "doposcuola", "pre scuola", "centro estivo", "centri estivi", "campus estivo", "grest", "summer camp",
    "after school care", "aiuto compiti", "homework help", "vacanze di natale", "laboratori per ragazzi",
    "voucher centri estivi", "caregiver", "sportello caregiver", "accompagnamento visite", "trasporto anziani",
    "sollievo alzheimer", "badante", "assistenza domiciliare", "anziani", "terza età", "disabili",
    "welfare aziendale", "piano di welfare piccole imprese", "smart working", "lavoro agile", "maggiordomo aziendale",
    "concierge", "nido aziendale", "accordo di conciliazione", "contrattazione territoriale", "welfare point",
    "pre-scuola primaria", "doposcuola medie", "centro estivo sportivo", "corso caregiver parkinson",
    "respite", "medical visits", "smart working training", "campus natale", "baby sitter", "costi nido",
]  # fmt: skip


def typo(text: str, rng: random.Random) -> str:
    """Drop or swap one letter of the longest word."""
    words = text.split()
    index = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[index]
    if len(word) > 4:
        position = rng.randrange(1, len(word) - 1)
        word = (
            word[:position] + word[position + 1 :]
            if rng.random() < 0.5
            else word[:position] + word[position + 1] + word[position] + word[position + 2 :]
        )
    words[index] = word
    return " ".join(words)


def synthetic_rows(count: int, rng: random.Random) -> tuple[list[tuple[int, dict]], object]:
    """``count`` CSV rows made from the demo listings, each with its own id, places and ages."""
    network = build_demo_network(date.today())
    base = list(network.services)
    rows = []
    for number in range(count):
        row = dict(base[number % len(base)])
        row["external_id"] = f"bench-{number:06d}"
        places = [m.name for m in territory.in_ats(row["ats"])]
        if row["municipalities"]:
            row["municipalities"] = ";".join(rng.sample(places, k=rng.randint(1, 4)))
        row["title"] = f"{row['title']} ({number})"
        if row["age_min"] and row["age_max"]:
            low = max(0, int(row["age_min"]) + rng.randint(-2, 2))
            high = min(120, max(low, int(row["age_max"]) + rng.randint(-2, 2)))
            row["age_min"], row["age_max"] = str(low), str(high)
        rows.append((number + 2, row))
    return rows, network


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance folder")
    options = parser.parse_args()
    rng = random.Random(2023)
    folder = Path(tempfile.mkdtemp(prefix="welfarepoint-bench-"))
    app = create_app(
        {
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.sqlite3'}",
            "SEARCH_INDEX_DIR": str(folder / "search-index"),
        }
    )
    results: list[tuple[str, str, str]] = []
    try:
        with app.app_context():
            setup_database()
            rows, network = synthetic_rows(options.listings, rng)
            keys = {}
            for item in network.organisations:
                keys[item.key] = create_organisation(item.name, item.type)
            for item in network.alliances:
                create_alliance(
                    item.name, item.ats, lead=keys[item.lead], members=[(keys[k], r) for k, r in item.members]
                )
            start = time.perf_counter()
            report = import_rows(rows, author="bench")
            assert report.ok, [str(e) for e in report.errors[:3]]
            db.session.commit()  # also indexes the listings, as an import does
            import_seconds = time.perf_counter() - start
            start = time.perf_counter()
            indexed = search.rebuild()
            rebuild_seconds = time.perf_counter() - start

        codes = [m.istat_code for m in territory.all_municipalities()]
        cold = []
        for number in range(options.queries):
            text = QUERIES[number % len(QUERIES)]
            if number % 4 == 3:
                text = typo(text, rng)
            filters = Filters(municipality=rng.choice(codes)) if number % 2 else Filters()
            cold.append((f"{text}", filters))
        # Long-tail repetition: query i appears about n/(i+1) times.
        realistic = [
            cold[min(int(rng.paretovariate(1.2)) - 1, len(cold) - 1)] for _ in range(options.queries * 3)
        ]
        profiles = []
        for _ in range(100):
            args = MultiDict([("municipality", rng.choice(codes)), ("child_age", str(rng.randint(3, 14)))])
            for need in rng.sample(
                ["before_school", "after_school", "summer_closure", "homework_support"], k=2
            ):
                args.add("needs", need)
            profiles.append(args)

        with app.test_request_context():
            search.query("riscaldamento")  # open the searcher once, as a warm worker has it
            cold_ms = [timed(search.query, text, filters) for text, filters in cold]
            search.forget_all()  # the realistic log starts with an empty result cache, as a new worker does
            search.query("riscaldamento")
            realistic_ms = [timed(search.query, text, filters) for text, filters in realistic]
            facet_ms = [
                timed(search.query, text, Filters(ats="Pavia", categories=("P2",))) for text, _ in cold[:100]
            ]
            match_ms = [timed(run_questionnaire, args, "persons", "it") for args in profiles]

        def row(name: str, values: list[float]) -> tuple[str, str, str]:
            return (name, f"{statistics.median(values):.1f}", f"{percentile(values, 0.95):.1f}")

        results = [
            row(f"search, cold log ({len(cold)} distinct)", cold_ms),
            row(f"search, realistic log ({len(realistic)})", realistic_ms),
            row("search with two filters and facet counts", facet_ms),
            row("family questionnaire matching", match_ms),
        ]
        print(
            f"\nWelfare Point benchmark, {platform.node()} - {platform.processor() or platform.machine()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
        )
        print(
            f"catalog: {options.listings} listings ({indexed} published, indexed); import {import_seconds:.1f} s; "
            f"full index rebuild {rebuild_seconds:.1f} s\n"
        )
        print(f"{'measure':48} {'median ms':>10} {'p95 ms':>10}")
        for name, median, p95 in results:
            print(f"{name:48} {median:>10} {p95:>10}")
    finally:
        search.forget_all()
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
