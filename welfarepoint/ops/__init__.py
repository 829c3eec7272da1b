"""Operations: ``/healthz`` and ``/readyz`` for a load balancer, Prometheus metrics, ``flask backup`` / ``restore``.

``docs/operations.md`` says how to use them. Nothing here imports the Prometheus client unless metrics are on
(``METRICS_ADDRESS``), so that ``welfarepoint.ops.gunicorn`` can set the client's multiprocess folder first.
"""

from __future__ import annotations

from flask import Flask

from welfarepoint.ops.health import bp


def init_app(app: Flask) -> None:
    """Add the health checks, the backup commands and, when ``METRICS_ADDRESS`` is set, the request metrics."""
    from welfarepoint.extensions import limiter
    from welfarepoint.ops.backup import backup_command, restore_command

    app.config.setdefault("METRICS_ADDRESS", "")
    app.register_blueprint(bp)
    limiter.exempt(bp)  # a load balancer asks every few seconds
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    if app.config["METRICS_ADDRESS"]:
        from welfarepoint.ops import metrics

        metrics.init_app(app)
