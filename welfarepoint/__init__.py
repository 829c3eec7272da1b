"""Welfare Point: the virtual desk of Lombardy's work-life conciliation networks.

:func:`create_app` is the only place an application is built.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from welfarepoint import config as wp_config


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: defaults, then ``instance/config.py``, then ``WELFAREPOINT_*``, then ``config``.

    The instance folder is ``config["INSTANCE_PATH"]`` (tests use a temporary one), else the
    ``WELFAREPOINT_INSTANCE_PATH`` variable (one folder per app instance in production), else ``instance/``.
    """
    config = dict(config or {})
    instance_path = Path(
        config.pop("INSTANCE_PATH", None)
        or os.environ.get("WELFAREPOINT_INSTANCE_PATH")
        or wp_config.DEFAULT_INSTANCE_PATH
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        template_folder=str(wp_config.TEMPLATE_FOLDER),
        static_folder=str(wp_config.STATIC_FOLDER),
    )
    app.config.from_object(wp_config.Defaults)
    app.config.update(wp_config.load_instance_settings(instance_path))
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("WELFAREPOINT")
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = wp_config.ensure_secret_key(instance_path)

    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    if app.config["GC_WORKER_TUNING"]:
        tune_garbage_collector()
    return app


#: Objects allocated between two collections of the youngest generation (Python's default: 700).
GC_FIRST_THRESHOLD = 10_000


def tune_garbage_collector() -> None:
    """Keep a worker's garbage collections short and rare (the effect is measured by ``make bench``):

    - what exists once the app is built lives as long as the process: moved out of the collector's way
      (``gc.freeze``). A full collection walks every tracked object, so with the started app's objects in it
      every full collection was long and fell on whichever request happened to trigger it;
    - the youngest generation is collected every ``GC_FIRST_THRESHOLD`` allocations instead of Python's 700, so
      that a request's own objects are mostly gone before a collection would promote them (and later walk them
      again).
    """
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)


def register_extensions(app: Flask) -> None:
    """Bind the extensions and the request hooks every response goes through."""
    from welfarepoint import assets, i18n, jobs, mail, ops, security
    from welfarepoint.extensions import csrf, db, limit_sqlite_cache, limiter, migrate
    from welfarepoint.insights import counters

    db.init_app(app)
    limit_sqlite_cache(app)
    migrate.init_app(app, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    limiter.init_app(app)  # before the form token's check: a flood of forms without a token is counted too
    csrf.init_app(app)
    configure_login(app)
    i18n.init_app(app)
    security.init_app(app)
    ops.init_app(app)  # /healthz, /readyz, metrics when METRICS_ADDRESS is set, flask backup / restore
    jobs.init_app(app)  # the job runner's queue; `flask jobs run` consumes it
    mail.init_app(app)  # e-mail queued with each change, sent by the job runner
    assets.init_app(app)
    counters.flush_at_exit(app)
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=app.config["PROXY_FIX_X_PROTO"]
        )
    # Import the models so that metadata and migrations know every table.
    from welfarepoint import (
        models,  # noqa: F401
        search,
    )

    search.init_app(app)


def configure_login(app: Flask) -> None:
    """Bind Flask-Login: the backend's sign-in page, the account of a session, the message asking to sign in."""
    from flask_babel import lazy_gettext as _l

    from welfarepoint.accounts.operations import active_user
    from welfarepoint.extensions import login_manager

    login_manager.init_app(app)
    login_manager.user_loader(active_user)
    login_manager.login_view = "manage.login"
    login_manager.session_protection = "strong"
    # Flashed when a page needs a signed-in account; str() renders it in the page's language.
    login_manager.login_message = _l("Sign in to see this page.")
    login_manager.login_message_category = "warning"
    login_manager.localize_callback = str


def register_blueprints(app: Flask) -> None:
    """Attach the public site, the managers' backend, the API and the alerts."""
    from welfarepoint import alerts, freshness
    from welfarepoint.api import bp as api_bp
    from welfarepoint.manage import bp as manage_bp
    from welfarepoint.public import bp as public_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(manage_bp)
    alerts.init_app(app)  # feeds and e-mail alerts of the results pages; `flask mail alerts`
    freshness.init_app(
        app
    )  # the provider's pages of the freshness e-mails, `flask mail digests`, the daily task


def register_errorhandlers(app: Flask) -> None:
    """Render friendly error pages in the visitor's language."""
    from welfarepoint import errors

    errors.init_app(app)
    errors.init_unavailable(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask`` commands (setup, seed-demo, translate, ...)."""
    from welfarepoint import cli

    cli.init_app(app)
