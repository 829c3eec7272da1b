"""Languages: Italian by default, English complete.

A page's language comes from ``?lang=it|en`` (then remembered in a cookie), else from that cookie, else it is
Italian: Welfare Point is an Italian public service, and an Italian with a phone set to English must land on the
Italian site. When the browser prefers another language the site has, the page offers it in one line written in
that language (:func:`language_offer`). The open-data API (``/api/``), read by programs, still follows the
browser's Accept-Language for its messages.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode

import flask_babel
from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import LazyString, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l

from welfarepoint.extensions import babel
from welfarepoint.vocabulary.text import euphonic


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
    if request.path.startswith("/api/"):
        return browser_language() or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def browser_language() -> str | None:
    """The language of the site the browser prefers most (Accept-Language), if it names one of them."""
    languages = current_app.config["LANGUAGES"]
    # Werkzeug's best_match prefers an exact "en" over "it-IT" of higher quality: compare primary subtags.
    for value, _quality in request.accept_languages:
        primary = value.split("-")[0].lower()
        if primary in languages:
            return primary
    return None


#: The offer to switch to each language, written in that language (for someone who may not read the page's).
OFFERS = {"en": (_l("This site is also in English."), _l("Read it in English"))}


def language_offer() -> dict[str, str] | None:
    """One line offering the browser's preferred language when it is not the page's and nobody chose yet.

    Not on the search results page: it is kept and served to everyone (``public.search_page``), and a line that
    depends on each visitor's browser must not be kept with it.
    """
    if not has_request_context() or request.endpoint in (None, "public.search_page"):
        return None
    if request.args.get("lang") or request.cookies.get(current_app.config["LANGUAGE_COOKIE"]):
        return None
    preferred = browser_language()
    if preferred is None or preferred == current_language() or preferred not in OFFERS:
        return None
    text, link = OFFERS[preferred]
    with flask_babel.force_locale(preferred):
        return {
            "language": preferred,
            "text": str(text),
            "link": str(link),
            "url": url_in_language(preferred),
        }


def current_language() -> str:
    """The two-letter code of the language the page is rendered in."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


#: CLDR's month names (wide, abbreviated) and date patterns of the two languages, as Babel writes them
#: (``tests/test_i18n.py`` compares every month of every style with Babel).
MONTHS = {
    "it": (
        ("gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
         "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"),
        ("gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"),
    ),
    "en": (
        ("January", "February", "March", "April", "May", "June",
         "July", "August", "September", "October", "November", "December"),
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    ),
}  # fmt: skip
DATE_PATTERNS = {"it": "{day} {month} {year}", "en": "{month} {day}, {year}"}


def format_date(value: date | datetime, format: str = "medium") -> str:
    """``value`` as Flask-Babel's ``format_date`` writes it in the page's language ("5 marzo 2026", "March 5, 2026").

    The public pages' styles, ``medium`` and ``long`` in Italian and English, are written from :data:`MONTHS`:
    Babel's own formatting loads its whole locale and global data into every worker, for a dozen words.
    Any other style or language is Babel's. A date and time is first moved to the site's time zone, as
    Flask-Babel does.
    """
    language = current_language()
    if language not in MONTHS or format not in ("medium", "long"):
        return flask_babel.format_date(value, format)
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    month = MONTHS[language][0 if format == "long" else 1][value.month - 1]
    return DATE_PATTERNS[language].format(day=value.day, month=month, year=value.year)


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


def as_text(value):
    """A translated message is text, escaped like any other: Flask-Babel's lazy strings call themselves markup
    (``__html__``), so the values put in them (a name typed by a user, a search's parameter) would otherwise
    reach the page as HTML."""
    return str(value) if isinstance(value, LazyString) else value


#: Flask-Babel's translations by language (it loads each once per process too, but looks them up in four steps).
_catalogs: dict = {}


def translations():
    """The translations of the language in force (the page's, or ``force_locale``'s), for the templates: a
    results page asks for a hundred messages."""
    locale = get_locale()
    found = _catalogs.get(locale)
    if found is None:
        found = _catalogs[locale] = flask_babel.get_translations()
    return found


def init_app(app: Flask) -> None:
    """Bind Flask-Babel with our selector and expose the helpers to templates."""
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # as Flask-Babel installs them, with the lookup kept
        gettext=lambda text: translations().ugettext(text),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, text: translations().upgettext(context, text),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(
            context, singular, plural, n
        ),
        newstyle=True,
    )
    app.jinja_env.finalize = as_text
    app.jinja_env.filters["euphonic"] = lambda text: euphonic(text, current_language())
    app.after_request(remember_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        url_in_language=url_in_language,
        language_offer=language_offer,
        format_date=format_date,
        format_datetime=flask_babel.format_datetime,  # the managers' pages: Babel's data is loaded there
    )
