"""What each fault did, judged against issue 26's "Done when", as a table (printed, and written to
``docs/resilience.md`` by ``make resilience``).

For every fault: 0 answers with status 500 (no 5xx but 503); no request slower than 5 s (a request that got no
answer counts with the time it waited); only 503s while the database is down (a "database" 503 only for requests
that overlapped the outage; during the outage nothing but 503 and the pages that need no database, 200; a
"being rebuilt" 503 only from search, and only while a damaged index is rebuilt); every publication the site
confirmed searchable within 30 s of the fault's end; nothing lost (every confirmed publication published in the
database). Requests that got no answer fail the fault too, except the one a killed sync worker was serving.
"""

from __future__ import annotations

import os
import platform
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

from tools.resilience.faults import RECOVERY_SECONDS, Outcome
from welfarepoint.config import PROJECT_ROOT

SLOW_SECONDS = 5.0
#: Whether durations are judged (no request slower than 5 s, publications searchable within 30 s). Off with
#: ``--no-timings`` (the run of ``tests/test_resilience.py``: the tests judge behaviour, ``make resilience``
#: timings too): then every publication must be searchable when the fault's recovery is over, however long it took.
TIMINGS = True
#: The pages that read the search index (questionnaire results are drawn from it too).
SEARCH_KINDS = {"search", "api", "check", "questionnaire"}


def _overlaps(answer, start: float, end: float) -> bool:
    return answer.began < end and answer.ended > start


def judge(outcome: Outcome) -> list[str]:
    """What failed in ``outcome`` (nothing: it passed)."""
    fault, answers = outcome.fault, outcome.answers
    failures = []
    errors = Counter(
        a.status for a in answers if a.status is not None and a.status >= 500 and a.status != 503
    )
    if errors:
        failures.append("server errors: " + ", ".join(f"{n} × {s}" for s, n in sorted(errors.items())))
    slow = [a for a in answers if a.seconds > SLOW_SECONDS] if TIMINGS else []
    if slow:
        worst = max(slow, key=lambda a: a.seconds)
        failures.append(
            f"{len(slow)} requests slower than {SLOW_SECONDS:g} s (worst {worst.seconds:.1f} s: {worst.path})"
        )
    unanswered = [a for a in answers if a.status is None]
    if len(unanswered) > fault.no_answer_allowed:
        failures.append(
            f"{len(unanswered)} requests got no answer ({unanswered[0].error} on {unanswered[0].path})"
        )
    outside = outside_outage(outcome)
    wrong = [
        a
        for a in outside
        if not (fault.search_rebuild and a.unavailable == "search" and a.kind in SEARCH_KINDS)
    ]
    if wrong:
        kinds = Counter(f"{a.unavailable} on {a.kind}" for a in wrong)
        failures.append("503 outside the database outage: " + ", ".join(f"{n} {k}" for k, n in kinds.items()))
    if fault.database_outage:
        # Requests that began while the database was down (one that began before may have finished its work).
        during = [a for a in answers if outcome.began <= a.began < outcome.ended]
        other = Counter(a.status for a in during if a.status not in (200, 503, None))
        if other:
            failures.append("during the outage: " + ", ".join(f"{n} × {s}" for s, n in sorted(other.items())))
    check = outcome.check if TIMINGS or outcome.late is None else outcome.late
    if TIMINGS and not check.missing and check.seconds > RECOVERY_SECONDS:
        failures.append(
            f"the last publication ({check.last}) searchable only {check.seconds:.1f} s after the fault"
        )
    if check.missing:
        words = ", ".join(p.word if p.number else "search itself (nido)" for p in check.missing[:5])
        when = f"{RECOVERY_SECONDS} s after the fault" if check is outcome.check else "after the recovery"
        failures.append(f"{len(check.missing)} publications not searchable {when}: {words}")
    if outcome.lost:
        failures.append(f"{len(outcome.lost)} confirmed publications lost: {', '.join(outcome.lost[:5])}")
    if outcome.worker_timeouts:
        failures.append(f"{outcome.worker_timeouts} workers killed by gunicorn's timeout (a hang)")
    return failures


def outside_outage(outcome: Outcome) -> list:
    """The 503s not explained by a database outage (every 503 of a fault that stops no database)."""
    return [
        a
        for a in outcome.answers
        if a.status == 503
        and not (
            outcome.fault.database_outage
            and a.unavailable == "database"
            and _overlaps(a, outcome.began, outcome.ended)
        )
    ]


HEADERS = (
    "fault", "answers by status", "no answer", "slowest", "503 outside the DB outage", "publications",
    "searchable within 30 s", "lost", "result",
)  # fmt: skip


def row(outcome: Outcome) -> tuple[str, ...]:
    answers = outcome.answers
    statuses = Counter(a.status for a in answers if a.status is not None)
    by_status = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    slowest = max((a.seconds for a in answers), default=0.0)
    outside = outside_outage(outcome)
    kinds = Counter(a.unavailable for a in outside)
    outside_text = str(len(outside)) + (
        " (" + ", ".join(f"{n} {'being rebuilt' if k == 'search' else k}" for k, n in kinds.items()) + ")"
        if outside
        else ""
    )
    check = outcome.check
    if check.missing:
        missing = [p for p in check.missing if p.number]
        searchable = f"no: {len(missing)} of {check.checked} missing" + (
            ", search not answering" if len(missing) < len(check.missing) else ""
        )
    else:
        searchable = f"yes, all {check.checked} in {check.seconds:.1f} s"
    published = f"{len(outcome.confirmed)} of {len(outcome.tried)} confirmed"
    failures = judge(outcome)
    return (
        outcome.fault.title, by_status, str(sum(1 for a in answers if a.status is None)), f"{slowest:.2f} s",
        outside_text, published, searchable, str(len(outcome.lost)), "ok" if not failures else "FAILED",
    )  # fmt: skip


def table(outcomes: list[Outcome]) -> str:
    rows = [HEADERS] + [row(o) for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADERS))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def failures_text(outcomes: list[Outcome]) -> list[str]:
    lines = []
    for outcome in outcomes:
        for failure in judge(outcome):
            lines.append(f"{outcome.fault.title}: {failure}")
        for note in outcome.notes:
            lines.append(f"{outcome.fault.title}: note: {note}")
    return lines


def machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; load average at the end {load}"
    )


def commit() -> str:
    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return (
        f"{head} (with uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else head
    )


def markdown(outcomes: list[Outcome], started: datetime, settings: list[str], extra: list[str]) -> str:
    failures = failures_text(outcomes)
    failed = [o for o in outcomes if judge(o)]
    lines = [
        "# Resilience",
        "",
        "Written by `make resilience` (`tools/resilience/`); every run replaces this file, so edit the suite, not",
        "this page. What it starts, which faults it causes and how each criterion is judged is told in the",
        "docstrings of `tools/resilience/` and in [operations.md](operations.md#resilience).",
        "",
        f"- date: {started:%Y-%m-%d %H:%M} UTC",
        f"- commit: {commit()}",
        f"- machine: {machine()}",
        *[f"- {setting}" for setting in settings],
        f"- result: {len(outcomes) - len(failed)} of {len(outcomes)} faults met every criterion",
        "",
        "| " + " | ".join(HEADERS) + " |",
        "| " + " | ".join("---" for _ in HEADERS) + " |",
    ]
    for outcome in outcomes:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row(outcome)) + " |")
    if failures or extra:
        lines += ["", "## Notes", ""] + [f"- {line}" for line in failures + extra]
    return "\n".join(lines) + "\n"
