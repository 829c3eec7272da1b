"""Error pages in the visitor's language, as HTML or, under ``/api/``, as JSON."""

from __future__ import annotations

import time

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

#: Title and explanation of each error page; anything else falls back on the generic text.
ERROR_TEXTS = {
    400: (
        _l("The request could not be understood"),
        _l(
            "Something in the address or in the form is not valid. Go back, check what you typed and try again."
        ),
    ),
    403: (
        _l("You cannot open this page"),
        _l(
            "This page is reserved. If you think you should see it, sign in with the right account or ask your administrator."
        ),
    ),
    404: (
        _l("Page not found"),
        _l(
            "The page you asked for does not exist or has been moved. Try searching for a service or go back to the home page."
        ),
    ),
    405: (
        _l("Action not allowed"),
        _l("This page cannot be used in this way. Go back and try again from the link or the form."),
    ),
    413: (_l("The file is too large"), _l("The file you sent is larger than allowed. Send a smaller file.")),
    429: (
        _l("Too many requests"),
        _l("You have sent too many requests in a short time. Wait a minute and try again."),
    ),
    500: (
        _l("Something went wrong on our side"),
        _l("The service had an unexpected problem. It has been recorded; please try again in a few minutes."),
    ),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def render_error(error: HTTPException):
    """Render an HTTP error with its own status code."""
    code = error.code or 500
    title, text = ERROR_TEXTS.get(code, (error.name, error.description))
    # A 405 names the methods the address takes (HTTP requires it; the page is drawn anew, so it is copied).
    headers = {"Allow": ", ".join(error.valid_methods)} if getattr(error, "valid_methods", None) else {}
    if _wants_json():
        if code == 404:
            text = _l("There is nothing at this address of the API: see /api/v1/ for the endpoints.")
        return jsonify({"error": {"status": code, "title": str(title), "detail": str(text)}}), code, headers
    return render_template("errors/error.html", code=code, title=title, text=text), code, headers


def render_csrf_error(error: CSRFError):
    """Explain an expired or missing form token and offer a way back, instead of a bare 400."""
    return render_template("errors/csrf.html", reason=error.description), 400


def render_rate_limited(error: RateLimitExceeded):
    """The 429 page (JSON under ``/api/``), with ``Retry-After``: the seconds until the limit lets a request by."""
    from welfarepoint.extensions import limiter

    response = make_response(render_error(error))
    limit = limiter.current_limit
    wait = int(limit.reset_at - time.time()) if limit is not None else 60  # reset_at is rounded up
    response.headers["Retry-After"] = str(max(wait, 1))
    return response


#: The most of a too large body read (and thrown away) before the 413 is sent; a larger one is cut off.
DRAIN_MAX_BYTES = 64 * 1024 * 1024
_DRAIN_PIECE = 256 * 1024


def render_too_large(error: RequestEntityTooLarge):
    """The 413 page, after reading what is left of the body.

    The app refuses a body over ``MAX_CONTENT_LENGTH`` before reading it; a server that then answered and closed
    the connection with the upload still arriving would make the client's system reset it, and the browser
    would show a connection error instead of this page. Up to :data:`DRAIN_MAX_BYTES` are read and dropped.
    """
    stream = request.environ.get("wsgi.input")
    length = request.content_length
    if stream is not None and (length is None or length <= DRAIN_MAX_BYTES):
        left = DRAIN_MAX_BYTES if length is None else length
        try:
            while left > 0 and (piece := stream.read(min(_DRAIN_PIECE, left))):
                left -= len(piece)
        except OSError:  # the client went away: nobody to answer
            pass
    return render_error(error)


def init_app(app: Flask) -> None:
    """Register the handlers; an unhandled exception is logged by Flask and then shown as the 500 page."""
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(RateLimitExceeded, render_rate_limited)
    app.register_error_handler(RequestEntityTooLarge, render_too_large)
    app.register_error_handler(HTTPException, render_error)


# --- 503: search being rebuilt, database unreachable (issue 26, points 1 and 3) ---

#: Title and explanation of each 503 page, by what is unavailable.
UNAVAILABLE_TEXTS = {
    "search": (
        _l("Search is being rebuilt"),
        _l(
            "The list of services is being rebuilt and search is paused for a moment. Try again in a minute: "
            "nothing has been lost."
        ),
    ),
    "database": (
        _l("The service is briefly unavailable"),
        _l(
            "We cannot reach the archive of services right now. Try again in a minute: what was saved before "
            "is not lost."
        ),
    ),
}
#: Seconds a client is told to wait when the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 30


def render_unavailable(kind: str, retry_after: int):
    """The 503 page about ``kind`` (JSON under ``/api/``), in the visitor's language, with ``Retry-After``."""
    title, text = UNAVAILABLE_TEXTS[kind]
    if _wants_json():
        response = jsonify({"error": {"status": 503, "title": str(title), "detail": str(text)}})
    else:
        response = make_response(render_template("errors/error.html", code=503, title=title, text=text))
    response.status_code = 503
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def render_search_rebuilding(error: HTTPException):
    """The index is being rebuilt (``welfarepoint.search.healing``): try again in a minute."""
    from welfarepoint.search.healing import RETRY_AFTER_SECONDS

    return render_unavailable("search", getattr(error, "retry_after", None) or RETRY_AFTER_SECONDS)


def _report_unreachable(*args) -> None:
    """Log that the database cannot be reached, at most once a minute per process."""
    import logging

    from welfarepoint.logs import OncePerMinute

    global _unreachable_report
    if _unreachable_report is None:
        _unreachable_report = OncePerMinute(logging.getLogger(__name__))
    _unreachable_report(*args)


_unreachable_report = None


def render_database_unreachable(error: Exception):
    """The database cannot be reached: a 503, logged once a minute; the pool checks connections before use
    (``pool_pre_ping``), so the site answers again as soon as the database does."""
    import contextlib

    from flask import g
    from flask_login import AnonymousUserMixin

    from welfarepoint.extensions import db

    _report_unreachable("database", "the database cannot be reached: %s", error.__class__.__name__)
    with contextlib.suppress(Exception):
        db.session.rollback()
    # Nothing on the page may ask the database again (a signed-in manager would be loaded from it).
    g.setdefault("_login_user", AnonymousUserMixin())
    return render_unavailable("database", DATABASE_RETRY_AFTER_SECONDS)


def init_unavailable(app: Flask) -> None:
    """Register the 503 handlers: the index being rebuilt; the database unreachable (a connection refused or
    lost, a pool with no connection left, a SQLite file locked or that cannot be opened)."""
    from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError

    from welfarepoint.search.healing import SearchRebuilding

    app.register_error_handler(SearchRebuilding, render_search_rebuilding)
    for error_class in (OperationalError, InterfaceError, TimeoutError):
        app.register_error_handler(error_class, render_database_unreachable)
