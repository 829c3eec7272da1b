"""The security baseline of every request and response: characters the database refuses stopped at the edge,
ids that no row can have, CSP, content sniffing, referrer, cookie flags."""

from __future__ import annotations

import logging

from flask import Flask, Response, flash, g, request
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

#: Everything comes from this site; no inline script or style; nobody may frame us.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}


log = logging.getLogger(__name__)


def warn_of_untrusted_proxy(app: Flask) -> None:
    """With ``PROXY_FIX_X_FOR`` at 0, warn once per process at the first request that carries ``X-Forwarded-For``.

    Such a request came through a proxy whose forwarded address the app ignores: every visitor then has the
    proxy's address, and the sign-in lock-out and the rate limits count them all as one.
    """
    if app.config["PROXY_FIX_X_FOR"]:
        return
    warned = False

    def check() -> None:
        nonlocal warned
        if not warned and request.headers.get("X-Forwarded-For"):
            warned = True
            log.warning(
                "A request from %s carries X-Forwarded-For but PROXY_FIX_X_FOR is 0: every visitor behind this "
                "proxy has its address, and sign-in lock-outs and rate limits count them as one. Set "
                "PROXY_FIX_X_FOR to the number of trusted proxies (docs/operations.md).",
                request.remote_addr,
            )

    app.before_request(check)


class SessionInterface(SecureCookieSessionInterface):
    """The signed-cookie session, marked Secure whenever the request itself came over HTTPS."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or request.is_secure)


def add_security_headers(response: Response) -> Response:
    """Add the headers of :data:`SECURITY_HEADERS` unless a view set its own."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


#: Characters PostgreSQL refuses in text (SQLite takes them, so only the edge can keep both databases alike).
#: Invalid UTF-8 never gets this far: Werkzeug decodes addresses and forms with replacement characters.
UNSTORABLE = str.maketrans("", "", "\x00")
#: The same characters turned into U+FFFD, the replacement character.
REPLACED = str.maketrans("\x00", "\ufffd")

#: The largest id a row can have (PostgreSQL's ``integer``): a larger number in an address is a 404, not a query.
LARGEST_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` in the routes: a number beyond :data:`LARGEST_ID` matches no route (404)."""

    def __init__(self, map, *args, **kwargs) -> None:
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def row_id(value: str | None) -> int | None:
    """A row id sent in a form (``"42"``), or None for anything no row can have (not a number, too large)."""
    value = (value or "").strip()
    if not value.isascii() or not value.isdecimal() or len(value) > len(str(LARGEST_ID)):
        return None
    number = int(value)
    return number if 0 < number <= LARGEST_ID else None


class UnusableCharacter:
    """What the API says of a parameter holding a character no database stores."""

    in_parameter = _l("The value holds an invisible character (NUL) that cannot be used.")


def has_unstorable(text: str) -> bool:
    """Whether ``text`` holds a character the database cannot store."""
    return text != text.translate(UNSTORABLE)


def refuse_unstorable_characters() -> ResponseReturnValue | None:
    """Stop the characters of :data:`UNSTORABLE` before any view sees them.

    Nobody types them: they come from crafted links and forms. In the path no page can have them (404). In the
    query string of the API they are a 400 naming each parameter, as for any value it refuses; on a page they
    become U+FFFD (as invalid UTF-8 does), the page says so, and names the value it then does not understand. In a form they are removed, the rest of what was typed is kept, and the page
    says which field lost a character (:func:`cleaned_fields`, and a message).
    """
    if has_unstorable(request.path):  # no page, listing or id can have such an address
        raise NotFound()
    refused = [key for key, value in request.args.items(multi=True) if has_unstorable(key + value)]
    if refused:
        if request.path.startswith("/api/"):  # the API names each parameter it refuses
            from welfarepoint.api.responses import bad_request

            return bad_request({key.translate(UNSTORABLE): UnusableCharacter.in_parameter for key in refused})
        # Replaced, not removed: the page then names the value it does not understand, as for invalid UTF-8.
        request.args = ImmutableMultiDict(_cleaned(request.args, REPLACED))
        flash(
            gettext(
                "An invisible character that cannot be used was found in the address and replaced by “�”."
            ),
            "warning",
        )
    if request.method in {"POST", "PUT", "PATCH"} and request.form:
        cleaned = [name for name, value in request.form.items(multi=True) if has_unstorable(name + value)]
        if cleaned:
            request.form = ImmutableMultiDict(_cleaned(request.form))
            g.cleaned_fields = frozenset(name.translate(UNSTORABLE) for name in cleaned)
            flash(
                gettext(
                    "An invisible character that cannot be saved was removed from what you sent. Check the text "
                    "of the fields marked below before you go on."
                ),
                "warning",
            )


def _cleaned(values, table: dict = UNSTORABLE) -> list[tuple[str, str]]:
    return [(name.translate(table), value.translate(table)) for name, value in values.items(multi=True)]


def cleaned_fields() -> frozenset[str]:
    """The names of the form fields of this request that lost a character at the edge."""
    return g.get("cleaned_fields", frozenset())


def init_app(app: Flask) -> None:
    """Install the edge checks, the session interface, the response hook and the warning about an untrusted
    proxy."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_unstorable_characters)
    app.add_template_global(cleaned_fields)
    app.session_interface = SessionInterface()
    app.after_request(add_security_headers)
    warn_of_untrusted_proxy(app)
