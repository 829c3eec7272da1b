"""The faults, one after the other under load, each followed by its recovery window.

Each fault has a beginning (what breaks), a hold (how long it stays broken) and an end (what the operator or the
machine does: the database started again, the disk freed; nothing for damage done once, such as files deleted,
which the site must heal by itself). After the end, every publication the site confirmed so far must be found
by a public search within :data:`RECOVERY_SECONDS`; the answers counted for the fault are those to requests that
began from a few seconds before it to a few seconds after its recovery.

There is no search process to kill: production runs 4 sync gunicorn workers, each searching by itself
(``docs/search.md``); "a worker killed" is that fault.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.test_healing import break_index
from tools.resilience.stack import WORKERS, Stack
from tools.resilience.traffic import Answer, Check, Client, Publication, Publisher, Recorder, check_all

#: Every publication must be searchable within this many seconds of a fault's end.
RECOVERY_SECONDS = 30
#: How much longer a fault that missed RECOVERY_SECONDS is waited for before the next one (reported, not judged).
LATE_SECONDS = 120


@dataclass
class Fault:
    key: str
    title: str
    begin: Callable[[Stack], None]
    end: Callable[[Stack], None] = lambda stack: None
    hold: float = 0.0
    database_outage: bool = False  # answers during the hold may be 503 "database"
    search_rebuild: bool = False  # search may answer 503 "being rebuilt" until healed
    no_answer_allowed: int = 0  # requests a fault may cut (the one a killed sync worker was serving)


@dataclass
class Outcome:
    fault: Fault
    answers: list[Answer]
    began: float
    ended: float
    check: Check
    tried: list[Publication]
    confirmed: list[Publication]
    lost: list[str]
    worker_timeouts: int
    notes: list[str] = field(default_factory=list)
    late: Check | None = None  # when ``check`` missed RECOVERY_SECONDS: the check that went on


def _wait_for_workers(stack: Stack) -> None:
    deadline = time.monotonic() + 60
    while len(stack.worker_pids()) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)


def damage(root: Path, how: str) -> None:
    """``break_index`` (tests/test_healing.py) on a live site: the workers write the index meanwhile (a segment
    merged away between listing the files and damaging them, a file added while its folder is deleted), so
    the damage is done again until it went through."""
    for _ in range(20):
        try:
            break_index(root, how)
            return
        except OSError:
            time.sleep(0.05)
    break_index(root, how)


def faults(database_seconds: float, disk_seconds: float, baseline_seconds: float) -> list[Fault]:
    index = lambda stack: Path(stack.disk.folder)  # noqa: E731
    return [
        Fault("baseline", "no fault (the load alone)", lambda stack: None, hold=baseline_seconds),
        Fault(
            "index-deleted",
            "the index's files deleted",
            lambda stack: damage(index(stack), "deleted"),
            search_rebuild=True,
        ),
        Fault(
            "worker-killed",
            "a worker killed (SIGKILL)",
            lambda stack: stack.kill_worker(),
            _wait_for_workers,
            no_answer_allowed=1,
        ),
        Fault(
            "database-stopped",
            f"the database stopped for {database_seconds:g} s",
            lambda stack: stack.postgres.stop(),
            lambda stack: stack.postgres.start(),
            hold=database_seconds,
            database_outage=True,
        ),
        Fault(
            "index-disk-full",
            f"the index's disk full for {disk_seconds:g} s",
            lambda stack: stack.disk.fill(),
            lambda stack: stack.disk.free(),
            hold=disk_seconds,
        ),
        Fault(
            "index-corrupted",
            "the index's files corrupted",
            lambda stack: damage(index(stack), "corrupted"),
            search_rebuild=True,
        ),
    ]


def published_titles(database_url: str) -> set[str]:
    """The titles of the published listings, read from the database itself."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT title FROM service WHERE status = 'published'"))
            return {row[0] for row in rows}
    finally:
        engine.dispose()


def run(
    stack: Stack,
    fault: Fault,
    recorder: Recorder,
    publisher: Publisher,
    checker: Client,
    margin: float,
    say=print,
) -> Outcome:
    """Run ``fault`` under the load already running; return what was seen."""
    window_start = time.monotonic()
    time.sleep(margin)
    position = stack.log_position()
    began = time.monotonic()
    say(f"  {fault.title}...")
    fault.begin(stack)
    time.sleep(fault.hold)
    fault.end(stack)
    ended = time.monotonic()
    confirmed = publisher.confirmed()
    check = check_all(checker, confirmed, since=ended, deadline=ended + RECOVERY_SECONDS)
    late = None
    if (
        check.missing
    ):  # judged already; wait for the recovery all the same, so the next fault starts on a sound site
        late = check_all(checker, confirmed, since=ended, deadline=time.monotonic() + LATE_SECONDS)
    time.sleep(margin)
    window_end = time.monotonic()
    titles = published_titles(stack.database_url)
    lost = [p.title for p in publisher.confirmed() if p.title not in titles]
    tried = [p for p in publisher.attempted() if window_start <= p.began < window_end]
    timeouts = stack.log_since(position).count("WORKER TIMEOUT")
    outcome = Outcome(
        fault, recorder.between(window_start, window_end), began, ended, check, tried,
        [p for p in tried if p.confirmed], lost, timeouts,
    )  # fmt: skip
    outcome.late = late
    if late is not None:
        outcome.notes.append(
            f"everything searchable {late.seconds:.0f} s after the fault"
            if not late.missing
            else f"still {len(late.missing)} not searchable {LATE_SECONDS + RECOVERY_SECONDS} s after the fault"
        )
    if stack.jobs is not None and stack.jobs.poll() is not None:
        outcome.notes.append(f"the job runner {stack.job_runner_state()}")
    return outcome
