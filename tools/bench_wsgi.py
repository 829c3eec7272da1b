"""The WSGI application `tools/bench.py` serves with gunicorn: Welfare Point, and a minimal Flask page beside it.

``gunicorn tools.bench_wsgi:app`` (run from the project folder) serves ``welfarepoint.create_app()`` configured
by the usual ``WELFAREPOINT_*`` variables (``WELFAREPOINT_INSTANCE_PATH`` included), its search index made
ready first (``search.ensure_index()``, what ``flask setup`` runs), and at ``/bench-minimal`` a Flask app with one tiny Jinja page,
mounted with werkzeug's DispatcherMiddleware. Loaded once in gunicorn's master with ``--preload``. Both go through the same server, workers and load in the same
run, so the ratio of their request rates shows what the application itself costs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from flask import Flask, render_template
from jinja2 import DictLoader
from werkzeug.middleware.dispatcher import DispatcherMiddleware

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from welfarepoint import create_app, search
from welfarepoint.extensions import db

MINIMAL_PAGE = """<!doctype html>
<html lang="it"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><p>{{ text }}</p></body></html>
"""


def minimal_app() -> Flask:
    """The smallest useful Flask page: one route rendering one Jinja template.

    The template is loaded (and compiled) once, as a Flask app's templates are: ``render_template_string``
    compiles its text at every request, which is slower and leaves a worker several MB larger after a load.
    """
    minimal = Flask("bench_minimal")
    minimal.jinja_loader = DictLoader({"minimal.html": MINIMAL_PAGE})  # type: ignore[assignment]

    @minimal.get("/")
    def page():
        return render_template("minimal.html", title="Welfare Point", text="Pagina minima di confronto.")

    return minimal


# create_app reads INSTANCE_PATH from its mapping only: pass the variable on so that nothing of the project's own
# instance folder (config.py, secret key) is used.
instance = os.environ.get("WELFAREPOINT_INSTANCE_PATH")
app = create_app({"INSTANCE_PATH": instance} if instance else None)
# create_app never builds the index: check (and build or repair) it before serving, as `flask setup` does in
# production. With gunicorn's --preload this module runs once in the master before the workers are forked:
# ensure_index closes the index, and the database connections create_app opened are closed, so that no worker
# inherits (and shares) the master's.
with app.app_context():
    checked = search.ensure_index()
    db.session.remove()
    db.engine.dispose()
if checked in ("failed", "no database"):
    raise SystemExit(f"the search index of {instance or 'the instance'} is not ready: {checked}")
app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/bench-minimal": minimal_app()})  # type: ignore[method-assign]
