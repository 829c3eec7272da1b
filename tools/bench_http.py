"""The HTTP half of `tools/bench.py`: a gunicorn server, a load generator, page weight, workers' memory.

- :class:`Server` starts gunicorn on ``tools.bench_wsgi:app`` on an instance folder (``WELFAREPOINT_*``
  variables) in one of the :data:`WAYS` of running an instance (production's 3 sync workers, and gthread
  workers, 2 processes of 4 threads, beside them; both with production's flags, ``--preload`` included, and
  ``--no-control-socket`` when gunicorn has one), waits until it answers, and stops it (and only it) at the end.
- :func:`run_load` drives 16 concurrent connections for a bounded time through a list of paths, each connection
  starting at its own place in the list. With Debian's ``wrk`` on the PATH it runs ``wrk`` with a Lua script
  that cycles through the paths and prints its request count, median, 95th percentile and errors; otherwise it
  starts this module's own generator in two separate processes (``python tools/bench_http.py load ...``), eight
  threads each, every thread a keep-alive ``http.client`` connection (gunicorn's sync workers close it after
  each response; it is reopened). Both send ``Accept-Encoding: gzip`` as browsers do. An error is a failed
  connection, a timeout or a status of 400 or more. The generator's and the workers' CPU time are reported with
  each load, so a saturated generator shows.
- :func:`page_weight` opens pages in Debian's Chromium through Playwright and sums ``encodedDataLength`` of
  the CDP ``Network.loadingFinished`` events: a first visit in a fresh browser context, then the same page
  again in that context (a repeat visit, served from the browser's cache where the site allows it).
- :meth:`Server.memory` sums the proportional set size (PSS, ``/proc/PID/smaps_rollup``) of the master and
  the workers: what the whole instance holds, shared pages counted once.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("WELFAREPOINT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HEADERS = {"Accept-Encoding": "gzip", "User-Agent": "welfarepoint-bench"}
GENERATOR_PROCESSES = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    """The value below which ``share`` of ``values`` lie (nearest rank); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- the server ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Way:
    """One way to run an instance's workers (each process searching by itself): gunicorn's worker class,
    processes and threads; ``production`` marks the way production runs, whose figures are checked against
    the targets."""

    key: str
    name: str
    processes: int
    threads: int = 1
    production: bool = False

    @property
    def worker_class(self) -> str:
        return "gthread" if self.threads > 1 else "sync"

    @property
    def label(self) -> str:
        return f"way {self.key}"


#: The ways of running an instance that the bench measures side by side: (a) is production's (docs/search.md),
#: 4 sync workers as the targets' instance; (a3) one worker fewer and (b) the gthread workers production ran
#: before, for comparison (gunicorn's flags only). (b2), fewer threads, only when ``--ways`` names it.
WAYS = [
    Way("a", "production: 4 sync workers, --preload", 4, production=True),
    Way("a3", "comparison: 3 sync workers, --preload", 3),
    Way("b", "comparison: 2 gthread workers × 4 threads, --preload", 2, 4),
]
MORE_WAYS = [
    Way("b2", "comparison: 2 gthread workers × 2 threads, --preload", 2, 2),
]

#: gunicorn's flags common to every way, as production runs it (docs/search.md).
GUNICORN_FLAGS = [
    "-c", "python:welfarepoint.ops.gunicorn", "--preload", "--max-requests", "10000", "--max-requests-jitter", "1000",
]  # fmt: skip


def control_socket_flags() -> list[str]:
    """``--no-control-socket`` when the installed gunicorn has a control socket (it would be created in the
    user's home and shared by every server started here)."""
    completed = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--help"], capture_output=True, text=True, timeout=60, check=False
    )
    return ["--no-control-socket"] if "--no-control-socket" in completed.stdout else []


class Server:
    """gunicorn serving ``tools.bench_wsgi:app`` on one instance folder, on a free port of 127.0.0.1, run one
    :class:`Way`. ``tools/bench_wsgi.py`` makes sure the instance has a search index before serving."""

    def __init__(
        self,
        instance: Path,
        database_uri: str,
        index_dir: Path,
        log: Path,
        way: Way,
    ):
        self.way = way
        self.instance = instance
        self.database_uri = database_uri
        self.index_dir = index_dir
        self.log_path = log
        self.workers = self.way.processes
        self.port = 0
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300) -> None:
        self.port = free_port()
        env = environment(self.instance, self.database_uri, self.index_dir)
        deadline = time.monotonic() + timeout
        command = [
            sys.executable, "-m", "gunicorn", "-k", self.way.worker_class, "-w", str(self.workers),
            "--threads", str(self.way.threads), *GUNICORN_FLAGS, *control_socket_flags(),
            "-b", f"127.0.0.1:{self.port}", "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning",
            "tools.bench_wsgi:app",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            # Its own session: the whole server (master and workers) can be stopped by the master's id.
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
            )
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn stopped at start; see {self.log_path}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.base_url + "/bench-minimal/", timeout=5) as response:
                    response.read()
                if len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log_path}")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def worker_pids(self) -> list[int]:
        """The worker processes: the gunicorn master's children."""
        if self.process is None:
            return []
        master = self.process.pid
        try:
            text = Path(f"/proc/{master}/task/{master}/children").read_text()
            return [int(pid) for pid in text.split()]
        except OSError:
            pass
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                if f"\nPPid:\t{master}\n" in status:
                    pids.append(int(entry.name))
        return pids

    def cpu_seconds(self) -> dict[int, float]:
        """CPU time used so far by the master and each live worker, by process id; the master's includes the
        workers it has reaped (replaced after ``--max-requests``), so that a difference of two readings counts
        a worker that ended between them."""
        used = {}
        master = [self.process.pid] if self.process else []
        for pid in master + self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            own = int(fields[11]) + int(fields[12])  # utime, stime
            reaped = int(fields[13]) + int(fields[14]) if pid in master else 0  # cutime, cstime
            used[pid] = (own + reaped) / CLOCK_TICKS
        return used

    def memory(self) -> dict[str, int]:
        """Proportional set size (PSS, bytes) of the whole instance: the master and the workers (summed). PSS
        counts a page shared by n processes as 1/n in each, so the sum is what the instance really holds."""
        workers = sum(pss(pid) for pid in self.worker_pids())
        master = pss(self.process.pid) if self.process else 0
        return {"master": master, "workers": workers}

    def crashes(self) -> int:
        """How many workers died so far: killed by a signal (a crash, out of memory) or for a timeout."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return sum(text.count(mark) for mark in ("was sent SIG", "WORKER TIMEOUT", "Worker failed to boot"))

    def stop(self) -> None:
        _stop(self.process)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def environment(instance: Path, database_uri: str, index_dir: Path) -> dict:
    """The ``WELFAREPOINT_*`` variables of an app on ``instance`` (its own settings file left out)."""
    return dict(
        os.environ,
        WELFAREPOINT_INSTANCE_PATH=str(instance),
        WELFAREPOINT_SQLALCHEMY_DATABASE_URI=database_uri,
        WELFAREPOINT_SEARCH_INDEX_DIR=str(index_dir),
        WELFAREPOINT_SECRET_KEY="bench-secret-key",
        # The load comes from one address: the per-address limits (still counted) must not refuse it.
        WELFAREPOINT_RATE_LIMIT="10000000 per minute",
        WELFAREPOINT_FORM_RATE_LIMIT="10000000 per minute",
    )


def _stop(process: subprocess.Popen | None) -> None:
    """SIGTERM, then SIGKILL to its group (a session of its own) if it does not stop within 20 s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def pss(pid: int) -> int:
    """Proportional set size (bytes) of a process (``Pss:`` of ``/proc/PID/smaps_rollup``); 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def fetch(url: str, timeout: float = 60) -> int:
    """GET ``url`` (for warming a worker up); return the status."""
    request = urllib.request.Request(url, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- load ------------------------------------------------------------------------------------------------


@dataclass
class LoadResult:
    """What one bounded load gave."""

    name: str
    tool: str
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    generator_cpu: float = 0.0  # share of one core the generator used
    server_cpu: float = 0.0  # share of one core the server used (master and workers)
    crashes: int = 0  # workers that died during the load
    replaced: int = 0  # workers replaced during the load (after --max-requests, or a crash)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        """The server's CPU time per request (ms): what a request costs, whatever else the machine runs."""
        return self.server_cpu * self.seconds / self.requests * 1000 if self.requests else 0.0


def tool_name(preferred: str | None = None) -> str:
    """``wrk`` when asked for or installed, else this module's generator."""
    if preferred:
        return preferred
    return "wrk" if shutil.which("wrk") else "python"


def run_load(
    name: str,
    server: Server,
    paths: list[str],
    *,
    seconds: float,
    connections: int,
    workdir: Path,
    tool: str | None = None,
) -> LoadResult:
    """Load ``server`` for ``seconds`` with ``connections`` connections cycling through ``paths``."""
    server_before = server.cpu_seconds()
    crashes_before = server.crashes()
    workers_before = set(server.worker_pids())
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    if tool_name(tool) == "wrk":
        result = _run_wrk(name, server.base_url, paths, seconds, connections, workdir)
    else:
        result = _run_python(name, server.base_url, paths, seconds, connections, workdir)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (children_after.ru_utime - children_before.ru_utime) + (
        children_after.ru_stime - children_before.ru_stime
    )
    result.generator_cpu = used / result.seconds if result.seconds else 0.0
    # A worker that ended during the load is in the master's reading after it (its reaped children).
    server_used = sum(server.cpu_seconds().values()) - sum(server_before.values())
    result.server_cpu = server_used / result.seconds if result.seconds else 0.0
    result.crashes = server.crashes() - crashes_before
    result.replaced = len(workers_before - set(server.worker_pids()))
    return result


WRK_SCRIPT = """
local paths = {PATHS}
local counter = 0
local threads = 0
wrk.headers["Accept-Encoding"] = "gzip"
wrk.headers["User-Agent"] = "welfarepoint-bench"

function setup(thread)
  thread:set("offset", threads * STRIDE)
  threads = threads + 1
end

function init(args)
  counter = offset or 0
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %d, "duration_us": %.0f, "p50_us": %.0f, "p95_us": %.0f, ' ..
    '"socket_errors": %d, "status_errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_wrk(
    name: str, base_url: str, paths: list[str], seconds: float, connections: int, workdir: Path
) -> LoadResult:
    threads = min(2, connections)
    script = workdir / f"wrk-{name.replace('/', '_').replace(' ', '_')}.lua"
    script.write_text(
        WRK_SCRIPT.replace("PATHS", ", ".join(_lua_string(path) for path in paths)).replace(
            "STRIDE", str(max(1, len(paths) // threads))
        )
    )
    command = [
        "wrk", "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
        "--timeout", "10s", "-s", str(script), base_url,
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((line for line in completed.stdout.splitlines() if line.startswith("WRK-RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{completed.stdout}\n{completed.stderr}")
    data = json.loads(line.split(" ", 1)[1])
    return LoadResult(
        name=name,
        tool="wrk",
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=data["socket_errors"] + data["status_errors"],
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
    )


def _run_python(
    name: str, base_url: str, paths: list[str], seconds: float, connections: int, workdir: Path
) -> LoadResult:
    paths_file = workdir / "load-paths.json"
    paths_file.write_text(json.dumps(paths))
    start_at = time.time() + 1.0  # every process starts at the same moment, once imported
    processes = []
    for number in range(min(GENERATOR_PROCESSES, connections)):
        ids = ",".join(str(cid) for cid in range(number, connections, GENERATOR_PROCESSES))
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "load",
                    "--base",
                    base_url,
                    "--paths",
                    str(paths_file),
                    "--seconds",
                    str(seconds),
                    "--connections",
                    ids,
                    "--total",
                    str(connections),
                    "--start-at",
                    repr(start_at),
                ],  # fmt: skip
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    outputs = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=seconds + 120)
            if process.returncode:
                raise RuntimeError(f"the load generator failed:\n{stderr}")
            outputs.append(json.loads(stdout))
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
    latencies = [value for output in outputs for value in output["latencies"]]
    statuses: Counter[int] = Counter()
    for output in outputs:
        statuses.update({int(code): count for code, count in output["statuses"].items()})
    return LoadResult(
        name=name,
        tool="python",
        requests=len(latencies),
        seconds=max(output["elapsed"] for output in outputs),
        errors=sum(output["errors"] for output in outputs),
        p50_ms=percentile(latencies, 0.5) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
        statuses=dict(statuses),
    )


def generate(base_url: str, paths: list[str], seconds: float, ids: list[int], total: int, start_at: float):
    """One generator process: a thread per connection; returns what it measured (run by ``load``)."""
    parts = urlsplit(base_url)
    deadline = start_at + seconds
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = [0]
    finished: list[float] = []
    lock = threading.Lock()

    def connection(cid: int) -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        position = cid * len(paths) // total
        mine: list[float] = []
        my_statuses: Counter[int] = Counter()
        my_errors = 0
        while time.time() < deadline:
            path = paths[position % len(paths)]
            position += 1
            began = time.perf_counter()
            try:
                conn.request("GET", path, headers=HEADERS)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
            except (OSError, http.client.HTTPException):
                my_errors += 1
                conn.close()
                continue
            mine.append(time.perf_counter() - began)
            my_statuses[response.status] += 1
            if response.status >= 400:
                my_errors += 1
        conn.close()
        with lock:
            latencies.extend(mine)
            statuses.update(my_statuses)
            errors[0] += my_errors
            finished.append(time.time())

    time.sleep(max(0.0, start_at - time.time()))
    threads = [threading.Thread(target=connection, args=(cid,)) for cid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "latencies": latencies,
        "statuses": statuses,
        "errors": errors[0],
        "elapsed": max(finished) - start_at if finished else seconds,
    }


# --- page weight -----------------------------------------------------------------------------------------


def page_weight(base_url: str, paths: list[str]) -> dict[str, list[tuple[int, int]]]:
    """For each path: (bytes, responses) of a first visit in a fresh context, then of a repeat visit."""
    from playwright.sync_api import sync_playwright

    weights: dict[str, list[tuple[int, int]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            for path in paths:
                context = browser.new_context()
                try:
                    page = context.new_page()
                    cdp = context.new_cdp_session(page)
                    received: list[int] = []
                    cdp.on(
                        "Network.loadingFinished",
                        lambda event, into=received: into.append(event["encodedDataLength"]),
                    )
                    cdp.send("Network.enable")
                    visits = []
                    for _visit in range(2):
                        received.clear()
                        page.goto(base_url + path, wait_until="networkidle")
                        page.wait_for_timeout(500)  # late events of this visit
                        visits.append((int(sum(received)), len(received)))
                    weights[path] = visits
                finally:
                    context.close()
        finally:
            browser.close()
    return weights


# --- the generator process -------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description="One load generator process (started by tools/bench.py).")
    parser.add_argument("command", choices=["load"])
    parser.add_argument("--base", required=True)
    parser.add_argument("--paths", required=True, type=Path)
    parser.add_argument("--seconds", required=True, type=float)
    parser.add_argument("--connections", required=True, help="the connection numbers of this process: 0,2,4")
    parser.add_argument("--total", required=True, type=int)
    parser.add_argument("--start-at", required=True, type=float)
    options = parser.parse_args()
    paths = json.loads(options.paths.read_text())
    ids = [int(cid) for cid in options.connections.split(",")]
    result = generate(options.base, paths, options.seconds, ids, options.total, options.start_at)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
