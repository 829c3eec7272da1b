"""The resilience suite (issue 26, point 9): ``make resilience`` (``python -m tools.resilience``).

Starts the production set-up (``stack.py``: PostgreSQL, Redis, gunicorn with 4 sync workers and ``--preload``,
the job runner when there is one, the demo network), puts it under a bounded public load in threads over real
HTTP with managers publishing a change every 2 s (``traffic.py``), causes the faults one after the other, each
with its recovery window (``faults.py``), and judges each against the issue's criteria (``report.py``). Prints
the table; ``--markdown PATH`` writes it there too (``make resilience``: ``docs/resilience.md``). ``--short``
(CI: ``tests/test_resilience.py``) runs every fault with a lighter load and shorter holds in about two minutes.
Exits 1 when any fault fails a criterion, 2 when the set-up cannot be built.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tools.resilience import faults, report
from tools.resilience.stack import MANAGERS, PASSWORD, Stack
from tools.resilience.traffic import Client, Publisher, Recorder, Visitors, check_all, public_paths
from welfarepoint import territory

FULL = dict(threads=4, think=0.1, warm=10.0, margin=5.0, baseline=20.0, database=10.0, disk=20.0)
SHORT = dict(threads=2, think=0.15, warm=5.0, margin=2.0, baseline=4.0, database=6.0, disk=12.0)


def say(message: str) -> None:
    print(message, flush=True)


def published_slugs(database_url: str) -> list[str]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT slug FROM service WHERE status = 'published' ORDER BY id"))
            return [row[0] for row in rows]
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.resilience", description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="a lighter, shorter run (CI)")
    parser.add_argument("--markdown", type=Path, help="also write the table there (docs/resilience.md)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, data)")
    parser.add_argument(
        "--no-timings",
        action="store_true",
        help="judge behaviour only, not durations (the tests' run; make resilience judges both)",
    )
    parser.add_argument("--only", help="run only these faults (comma-separated keys) after the baseline")
    options = parser.parse_args(argv)
    plan = SHORT if options.short else FULL
    report.TIMINGS = not options.no_timings
    started = datetime.now(UTC)
    stack = Stack(keep=options.keep)
    recorder = Recorder()
    say(f"Resilience suite ({'short' if options.short else 'full'}), in {stack.workdir}")
    try:
        try:
            stack.start(say)
        except pytest.skip.Exception as skipped:
            say(f"cannot build the production set-up: {skipped}")
            return 2
        municipalities = [m.istat_code for m in territory.all_municipalities()]
        paths = public_paths(random.Random(26), municipalities, published_slugs(stack.database_url))
        visitors = Visitors(stack.base, recorder, paths, plan["threads"], plan["think"])
        publisher = Publisher(stack.base, recorder, MANAGERS, PASSWORD)
        checker = Client(stack.base, recorder, "172.16.0.9")
        chosen = faults.faults(plan["database"], plan["disk"], plan["baseline"])
        if options.only:
            keys = {"baseline", *options.only.split(",")}
            chosen = [fault for fault in chosen if fault.key in keys]
        say(f"Load: {plan['threads']} visitors, {plan['think']:g} s apart each; a publication every 2 s")
        visitors.start()
        time.sleep(plan["warm"])  # every worker's first searches open the index: not counted
        publisher.start()
        outcomes = []
        try:
            for fault in chosen:
                outcomes.append(faults.run(stack, fault, recorder, publisher, checker, plan["margin"], say))
        finally:
            visitors.stop()
            publisher.stop()
        extra = final_checks(stack, publisher, checker)
    except Exception:
        traceback.print_exc()
        say(f"--- the end of gunicorn's log ({stack.log})")
        if stack.log.exists():
            say(stack.log.read_text(errors="replace")[-5000:])
        return 2
    finally:
        if options.keep:
            dump(recorder, stack.workdir / "answers.csv")
        stack.close()
    say("")
    say(report.table(outcomes))
    for line in report.failures_text(outcomes) + extra:
        say(f"- {line}")
    answers = len(recorder.answers)
    settings = [
        f"{'short' if options.short else 'full'} run: {plan['threads']} visitors {plan['think']:g} s apart, "
        f"a publication every 2 s, {answers:,} requests in {(datetime.now(UTC) - started).seconds} s",
        "set-up: PostgreSQL, Redis, gunicorn 4 sync workers --preload, the job runner: "
        + ("started" if stack.jobs is not None else "none in this checkout"),
        "no search process to kill: each worker searches by itself, so 'a worker killed' is that fault",
    ]
    if options.markdown:
        options.markdown.write_text(report.markdown(outcomes, started, settings, extra))
        say(f"Written to {options.markdown}")
    failed = [o for o in outcomes if report.judge(o)] or [line for line in extra if line.startswith("FAILED")]
    say(
        "Every fault met every criterion."
        if not failed
        else f"FAILED: {len(failed)} faults missed a criterion."
    )
    return 1 if failed else 0


def dump(recorder: Recorder, path: Path) -> None:
    """Every answer as CSV (with ``--keep``, to look into a failure): seconds from the start, duration, ..."""
    with path.open("w", newline="") as output:
        writer = csv.writer(output)
        writer.writerow(["began", "seconds", "kind", "path", "status", "unavailable", "error"])
        first = recorder.answers[0].began if recorder.answers else 0.0
        for a in sorted(recorder.answers, key=lambda a: a.began):
            writer.writerow(
                [
                    f"{a.began - first:.2f}",
                    f"{a.seconds:.3f}",
                    a.kind,
                    a.path,
                    a.status,
                    a.unavailable,
                    a.error,
                ]
            )


def final_checks(stack: Stack, publisher: Publisher, checker: Client) -> list[str]:
    """After the last fault: every confirmed publication searchable and in the database; the job runner."""
    confirmed = publisher.confirmed()
    check = check_all(
        checker, confirmed, since=time.monotonic(), deadline=time.monotonic() + faults.RECOVERY_SECONDS
    )
    titles = faults.published_titles(stack.database_url)
    lost = [p.title for p in confirmed if p.title not in titles]
    unconfirmed = [p for p in publisher.attempted() if not p.confirmed]
    stored_anyway = [p for p in unconfirmed if p.title in titles]
    lines = [
        f"at the end: {len(confirmed)} publications confirmed, {len(check.missing)} not searchable, {len(lost)} lost;"
        f" {len(unconfirmed)} refused while something was down ({len(stored_anyway)} of them stored all the same)",
        f"the job runner: {stack.job_runner_state()}",
    ]
    if check.missing or lost:
        lines[0] = "FAILED " + lines[0]
    return lines


if __name__ == "__main__":
    sys.exit(main())
