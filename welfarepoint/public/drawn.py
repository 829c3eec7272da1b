"""Results pages drawn once and kept on disk, for every worker of the instance.

A results page (a search's, a questionnaire's) depends only on its address, its language (and the offer of the
other one), the day, the release that draws it and what managers publish (the search index's generation, the
curated vocabulary and the public routes shown for needs outside the networks): the same ones draw the same page.
Each page is kept gzipped in a file of the instance folder (``drawn-pages/<edition>/<page>``), so that a page one
worker drew is sent by all the others (each worker keeping its own would draw every popular page once per worker,
and hold them in its own memory).

An *edition* is everything a page depends on but its address and language: a new catalog generation, a new
vocabulary, a change of the public routes, a new day or a new release (an upgrade: its code, templates, messages
or static files) starts a new edition folder, and the first worker that keeps a page in it removes the editions
that have not been written to for a while. An edition keeps at most :data:`PAGES_PER_EDITION` pages
(the most asked for come first); past that, pages are drawn at every request. Files are written aside and
renamed, so a reader sees a whole page or none; any error of the disk is a page not kept, never a failed request.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import time
from datetime import date
from pathlib import Path

from flask import current_app, request
from flask_babel import get_locale

from welfarepoint import search
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.i18n import language_offer
from welfarepoint.territory.models import routes_changed, routes_version
from welfarepoint.vocabulary import synonyms

log = logging.getLogger(__name__)

FOLDER = "drawn-pages"
#: Pages kept per edition (a results page is 8 to 15 kB gzipped).
PAGES_PER_EDITION = 5000
#: Seconds an edition nobody writes to is kept after a newer one starts (workers may still read it meanwhile).
EDITION_GRACE_SECONDS = 120
FOUND, NOTHING = b"1", b"0"
#: Seconds a worker sends kept pages without asking the database whether the public routes changed in another
#: process (as search asks about the catalog); a change made in this process is seen at once.
ROUTES_CHECK_SECONDS = 1.0
#: Changes of the public routes committed in this process (each makes every app read their version again).
_route_changes = [0]
#: The folders a page is drawn with: code, templates, messages and static files (whose addresses it names).
RELEASE_FOLDERS = ("welfarepoint", "templates", "translations", "static")


def edition() -> tuple:
    """What a results page depends on besides its address: the published catalog, the vocabulary, the public
    routes, the day and the release that draws it."""
    generation = search.generation()  # first: catching up also brings in the curated vocabulary
    return (generation, synonyms.version(), _routes_version(), date.today(), _release())


def release_of(root: Path, folders: tuple[str, ...] = RELEASE_FOLDERS) -> str:
    """A digest of the files in ``folders`` of ``root`` (each one's path, size and time of change; Python's
    byte-code caches left out): an upgrade that changes any of them changes it."""
    entries = []
    for name in folders:
        for folder, subfolders, files in os.walk(root / name):
            subfolders[:] = sorted(entry for entry in subfolders if entry != "__pycache__")
            for file in sorted(files):
                path = Path(folder, file)
                try:
                    stat = path.stat()
                except OSError:  # removed meanwhile
                    continue
                entries.append((str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns))
    return _digest(tuple(entries))


def _release() -> str:
    """This app's release (:func:`release_of` the project's folders), read once per process."""
    release = current_app.extensions.get("welfarepoint.release")
    if release is None:
        release = current_app.extensions["welfarepoint.release"] = release_of(PROJECT_ROOT)
    return release


def _routes_version() -> tuple:
    """The public routes' version, read from the database at most every :data:`ROUTES_CHECK_SECONDS`."""
    now = time.monotonic()
    known = current_app.extensions.get("welfarepoint.routes_version")
    if known is not None and known[2] == _route_changes[0] and now - known[1] < ROUTES_CHECK_SECONDS:
        return known[0]
    version = routes_version()
    current_app.extensions["welfarepoint.routes_version"] = (version, now, _route_changes[0])
    return version


@routes_changed.connect
def _on_routes_changed(_session) -> None:
    _route_changes[0] += 1


def address() -> tuple:
    """What identifies a results page within an edition: its address, its language, the other language offered."""
    offer = language_offer()
    return (str(get_locale()), request.script_root, request.full_path, offer["language"] if offer else None)


def _digest(parts: tuple) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def _folder() -> Path:
    return Path(current_app.instance_path) / FOLDER


def _page_path(edition: tuple, page: tuple) -> Path:
    return _folder() / _digest(edition) / _digest(page)


def kept(edition: tuple, page: tuple) -> tuple[bytes, bool, str] | None:
    """The gzipped page kept for ``page`` (address, language, ...) in ``edition``, whether its search found
    something and the ATS it was counted in ("" for none); None when none is kept."""
    try:
        data = _page_path(edition, page).read_bytes()
    except OSError:
        return None
    head, newline, gzipped = data.partition(b"\n")
    if head[:1] not in (FOUND, NOTHING) or not newline:
        return None
    return gzipped, head[:1] == FOUND, head[1:].decode(errors="replace")


def keep(edition: tuple, page: tuple, gzipped: bytes, found: bool, ats: str = "") -> None:
    """Keep a drawn page for the other requests of every worker (nothing when its edition is full)."""
    path = _page_path(edition, page)
    folder = path.parent
    try:
        if not folder.exists():
            folder.mkdir(parents=True, exist_ok=True)
            _remove_old_editions(keep=folder.name)
        elif len(os.listdir(folder)) >= PAGES_PER_EDITION:
            return
        temporary = folder / f".{path.name}.{os.getpid()}.tmp"
        head = (FOUND if found else NOTHING) + ats.replace("\n", " ").encode() + b"\n"
        temporary.write_bytes(head + gzipped)
        temporary.replace(path)
    except OSError:
        log.warning("could not keep a drawn page in %s", folder, exc_info=True)


def _remove_old_editions(keep: str) -> None:
    """Remove the edition folders but ``keep`` that nobody wrote to for :data:`EDITION_GRACE_SECONDS`."""
    now = time.time()
    for entry in os.scandir(_folder()):
        if entry.name == keep or not entry.is_dir():
            continue
        try:
            if now - entry.stat().st_mtime > EDITION_GRACE_SECONDS:
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            continue


def forget() -> None:
    """Remove every kept page of this instance (tests; after restoring a backup)."""
    shutil.rmtree(_folder(), ignore_errors=True)
