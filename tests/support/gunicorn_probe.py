"""A gunicorn settings file for the start-up tests (``gunicorn -c``): each worker, once it has loaded the app,
writes its secret key's digest into the folder named by ``WELFAREPOINT_TEST_PROBE_DIR``, one file per worker."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def post_worker_init(worker) -> None:
    """Gunicorn's hook, called in the worker after ``create_app()`` returned."""
    folder = Path(os.environ["WELFAREPOINT_TEST_PROBE_DIR"])
    digest = hashlib.sha256(worker.wsgi.config["SECRET_KEY"].encode()).hexdigest()
    written = folder / f".{worker.pid}"
    written.write_text(digest, encoding="utf-8")
    os.replace(written, folder / str(worker.pid))  # whole, or not there: the test may read it at any moment


# Imported once in gunicorn's master, the package is in every worker it forks: the workers then reach
# ``create_app()`` (and the secret key) within moments of one another, as on a loaded machine's first start.
import welfarepoint  # noqa: E402, F401
