"""gunicorn settings of production (``gunicorn -c python:welfarepoint.ops.gunicorn --preload ...``).

With ``--preload``, the app loaded in the master is warmed up before any worker is forked
(:func:`welfarepoint.ops.warm.warm_up`): the workers share what it built and start warm. Each worker then opens
its own database connection and search index before its first request (:func:`~welfarepoint.ops.warm.warm_worker`).

Metrics, the Prometheus client's documented multiprocess way: when ``WELFAREPOINT_METRICS_ADDRESS`` is set: the workers write their metrics into ``PROMETHEUS_MULTIPROC_DIR``
(a fresh temporary folder unless set; its metric files are wiped at start, as the client asks), the master serves
all of them on that address once it is ready, and a worker that exits is marked dead. Without it, nothing.
This is a gunicorn configuration file: what it sets runs when gunicorn reads it, before the app is loaded.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
from pathlib import Path

#: glibc's ``mallopt`` parameter for the size from which an allocation gets its own mapping (``M_MMAP_THRESHOLD``).
M_MMAP_THRESHOLD = -3
#: Allocations of this size or more are mapped apart and given back to the system when freed.
MMAP_THRESHOLD = 128 * 1024


def fix_mmap_threshold() -> bool:
    """Keep glibc's threshold for mapped allocations at its initial 128 kB (``man 3 mallopt``).

    glibc raises it to the size of each mapped block freed, so after the first search that freed a large array
    the arrays a request makes and frees (a score for every listing) are carved from the heap instead, where the
    holes they leave stay resident in every worker. A fixed threshold maps them and gives them back when freed.
    Set in the master before the app is loaded, so every worker forked from it inherits it. False where the C
    library has no ``mallopt`` (not glibc): nothing changes there.
    """
    name = ctypes.util.find_library("c")
    mallopt = getattr(ctypes.CDLL(name), "mallopt", None) if name else None
    return bool(mallopt and mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))


fix_mmap_threshold()

metrics_address = os.environ.get("WELFAREPOINT_METRICS_ADDRESS", "")
if metrics_address:
    folder = Path(
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="welfarepoint-metrics."))
    )
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):  # the metrics of a previous run
        stale.unlink()


def when_ready(server) -> None:
    """Before the first worker is forked: warm the preloaded app up; serve every worker's metrics from the
    master, on the metrics address only."""
    if server.cfg.preload_app:
        from welfarepoint.ops.warm import warm_up

        failed = warm_up(server.app.wsgi())
        server.log.info("Warmed up before forking the workers (%d pages failed)", failed)
    if metrics_address:
        from welfarepoint.ops.metrics import serve

        metrics_server = serve(metrics_address)
        host, port = metrics_server.server_address[:2]
        server.log.info("Metrics at: http://%s:%d/metrics", host, port)


def post_worker_init(worker) -> None:
    """In each worker before it takes a request: open its own database connection and search index (the master
    closed its own before forking)."""
    if worker.cfg.preload_app:
        from welfarepoint.ops.warm import warm_worker

        warm_worker(worker.wsgi)


def child_exit(server, worker) -> None:
    """Let the metrics of a worker that is gone be merged as the client documents."""
    if metrics_address:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
