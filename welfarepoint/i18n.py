"""Languages: Italian by default, English complete.

The language comes from ``?lang=it|en`` on any page (and is then remembered in a cookie), else from that cookie,
else from the browser's Accept-Language, else Italian.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import get_locale

from welfarepoint.extensions import babel


def select_locale() -> str:
    """Pick the language of this request."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and background work: the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang", type=str)
    if asked in languages:
        return asked
    remembered = request.cookies.get(current_app.config["LANGUAGE_COOKIE"])
    if remembered in languages:
        return remembered
    # Werkzeug's best_match prefers an exact "en" over "it-IT" of higher quality: compare primary subtags.
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].lower()
        if primary in languages:
            return primary
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    """The two-letter code of the language the page is rendered in."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def url_in_language(language: str) -> str:
    """Return the current address with ``lang`` set to ``language`` (other parameters kept, in order)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    args.append(("lang", language))
    return f"{request.path}?{urlencode(args)}"


def remember_language(response: Response) -> Response:
    """Store an explicit ``?lang=`` choice in a cookie, so the next pages keep it."""
    asked = request.args.get("lang", type=str)
    cookie = current_app.config["LANGUAGE_COOKIE"]
    if asked in current_app.config["LANGUAGES"] and request.cookies.get(cookie) != asked:
        response.set_cookie(
            cookie,
            asked,
            max_age=current_app.config["LANGUAGE_COOKIE_MAX_AGE"],
            secure=request.is_secure,
            httponly=True,
            samesite="Lax",
        )
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector and expose the helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.after_request(remember_language)
    app.jinja_env.globals.update(current_language=current_language, url_in_language=url_in_language)
