"""Send fewer bytes: fingerprinted static files cached for a year, and gzip for text.

- Every ``url_for('static', ...)`` gets ``?v=<hash of the file>``: a versioned address never changes content,
  so browsers keep it a year without asking again (``immutable``); a new release changes the hash. Files
  reached without a version (the fonts and icons the style sheets name) are cached for a week.
- Text responses (pages, CSS, JavaScript, SVG, JSON, CSV) of 1 KB or more are gzipped when the browser accepts
  it. Static files are compressed once per process and kept in memory (the front end is a handful of files,
  and compressing them at every request would cost more than keeping them); pages are compressed as they are
  sent.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, g, request, url_for
from markupsafe import Markup
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
WEEK = 7 * 24 * 3600
MIN_SIZE = 1024
COMPRESSIBLE = (
    "text/html",
    "text/css",
    "text/csv",
    "text/plain",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "image/svg+xml",
)

_hashes: dict[tuple[str, float], str] = {}
_compressed: dict[tuple[str, float], bytes] = {}
_lock = threading.Lock()


def _static_path(filename: str) -> Path | None:
    joined = safe_join(current_app.static_folder or "", filename)
    path = Path(joined) if joined else None
    return path if path is not None and path.is_file() else None


_by_name: dict[tuple[str, str], str | None] = {}


def fingerprint(filename: str) -> str | None:
    """A short hash of a static file's content (None when there is no such file).

    Static files do not change while the app runs, so each name is looked up once (a page asks for its icons
    dozens of times); in debug mode the file is checked at every use, so an edited stylesheet gets a new hash.
    """
    key = (current_app.static_folder or "", filename)
    if not current_app.debug:
        known = _by_name.get(key, False)
        if known is not False:
            return known
        found = _file_fingerprint(filename)
        _by_name[key] = found
        return found
    return _file_fingerprint(filename)


def _file_fingerprint(filename: str) -> str | None:
    path = _static_path(filename)
    if path is None:
        return None
    key = (str(path), path.stat().st_mtime)
    with _lock:
        cached = _hashes.get(key)
    if cached is None:
        cached = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        with _lock:
            _hashes[key] = cached
    return cached


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = fingerprint(values["filename"])
        if version:
            values["v"] = version


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _compressible(response: Response) -> bool:
    return (
        response.status_code == 200
        and "Content-Encoding" not in response.headers
        and response.mimetype in COMPRESSIBLE
        and request.method == "GET"
    )


def _static_gzip(path: Path) -> bytes:
    key = (str(path), path.stat().st_mtime)
    with _lock:
        data = _compressed.get(key)
    if data is None:
        data = gzip.compress(path.read_bytes(), compresslevel=9, mtime=0)
        with _lock:
            _compressed[key] = data
    return data


def _finish(response: Response) -> Response:
    if request.endpoint == "static":
        versioned = request.args.get("v") and request.args.get("v") == fingerprint(
            request.view_args["filename"]
        )
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = YEAR if versioned else WEEK
        if versioned:
            response.cache_control.immutable = True
    if not _compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if not _accepts_gzip():
        return response
    if request.endpoint == "static":
        path = _static_path(request.view_args["filename"])
        if path is None or path.stat().st_size < MIN_SIZE:
            return response
        original = response.response
        response.direct_passthrough = False
        response.set_data(_static_gzip(path))
        if hasattr(original, "close"):
            original.close()
        if response.get_etag()[0]:
            response.set_etag(response.get_etag()[0] + "-gz")
    else:
        if response.is_streamed or response.direct_passthrough:
            return response
        body = response.get_data()
        if len(body) < MIN_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    return response


def compressed_page(html: str) -> bytes:
    """A drawn HTML page gzipped once, to be kept and sent as it is by :func:`page_response`."""
    return gzip.compress(html.encode(), compresslevel=6, mtime=0)


def page_response(gzipped: bytes) -> Response:
    """A kept page: sent as kept to a client that takes gzip (nothing compressed again), else unpacked."""
    if _accepts_gzip():
        response = Response(gzipped, mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(gzipped), mimetype="text/html")
    response.vary.add("Accept-Encoding")
    return response


def static_url(filename: str) -> str:
    """``url_for('static', filename=...)``, built once per request (a results page draws dozens of icons)."""
    built = g.setdefault("wp_static_urls", {})
    url = built.get(filename)
    if url is None:
        url = built[filename] = url_for("static", filename=filename)
    return url


#: Bootstrap Italia's icons, one sprite file.
SPRITES = "vendor/bootstrap-italia/svg/sprites.svg"


def icon(name: str, classes: str = "icon icon-sm") -> Markup:
    """An icon of the sprite, hidden from screen readers (a function, not a macro: a page draws dozens)."""
    return _icon(static_url(SPRITES), name, classes)


@lru_cache(maxsize=512)
def _icon(sprites: str, name: str, classes: str) -> Markup:
    return Markup(
        '<svg class="{}" aria-hidden="true" focusable="false"><use href="{}#{}"></use></svg>'
    ).format(classes, sprites, name)


def init_app(app: Flask) -> None:
    """Version static addresses and compress what is sent."""
    app.url_defaults(_add_version)
    app.after_request(_finish)
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["icon"] = icon
