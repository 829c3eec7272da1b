"""gunicorn settings of production (``gunicorn -c python:welfarepoint.ops.gunicorn --preload ...``).

With ``--preload``, the app loaded in the master is warmed up before any worker is forked
(:func:`welfarepoint.ops.warm.warm_up`): the workers share what it built and start warm.

Metrics, the Prometheus client's documented multiprocess way: when ``WELFAREPOINT_METRICS_ADDRESS`` is set: the workers write their metrics into ``PROMETHEUS_MULTIPROC_DIR``
(a fresh temporary folder unless set; its metric files are wiped at start, as the client asks), the master serves
all of them on that address once it is ready, and a worker that exits is marked dead. Without it, nothing.
This is a gunicorn configuration file: what it sets runs when gunicorn reads it, before the app is loaded.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

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


def child_exit(server, worker) -> None:
    """Let the metrics of a worker that is gone be merged as the client documents."""
    if metrics_address:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
