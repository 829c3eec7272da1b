"""The open-data listings CSV, built once per catalog generation and kept in the instance folder.

Every committed change to the listings moves the catalog's generation (:mod:`welfarepoint.catalog.events`), in
every app instance alike; the file of the current generation is written once, atomically (a temporary file
renamed over), and then served as it is to every request of every worker until the catalog changes again.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select

from welfarepoint.catalog.models import CatalogState
from welfarepoint.extensions import db

FOLDER = "open-data"
PREFIX = "listings-"


def _generation() -> int:
    return db.session.execute(select(CatalogState.generation).where(CatalogState.id == 1)).scalar() or 0


def listings_csv() -> Path:
    """The file of the published listings as CSV for the catalog's current generation (built when missing)."""
    from welfarepoint.catalog.interchange import export_listings, services_for_export

    folder = Path(current_app.instance_path) / FOLDER
    generation = _generation()
    path = folder / f"{PREFIX}{generation}.csv"
    if path.exists():
        return path
    content = export_listings(services_for_export(status="published")).encode("utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".building-", suffix=".csv")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.replace(temporary, path)  # a reader sees the whole old file or the whole new one, never half
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    for older in folder.glob(f"{PREFIX}*.csv"):  # a worker still sending one keeps its open file until done
        if older != path:
            older.unlink(missing_ok=True)
    return path


def pieces(file: BinaryIO, size: int = 256 * 1024) -> Iterator[bytes]:
    """The bytes of an open file in pieces; the file is closed once they are all sent."""
    with file:
        yield from iter(lambda: file.read(size), b"")
