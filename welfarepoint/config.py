"""Configuration: defaults here, then ``instance/config.py``, then ``WELFAREPOINT_*`` variables.

A mapping passed to :func:`welfarepoint.create_app` wins over all of them (tests use it).
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time
from pathlib import Path

#: The folder that holds ``welfarepoint/``, ``templates/``, ``static/``, ``translations/`` and ``instance/``.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

TEMPLATE_FOLDER = PROJECT_ROOT / "templates"
STATIC_FOLDER = PROJECT_ROOT / "static"
TRANSLATIONS_FOLDER = PROJECT_ROOT / "translations"
DEFAULT_INSTANCE_PATH = PROJECT_ROOT / "instance"

LANGUAGES = ("it", "en")


class Defaults:
    """Settings every deployment starts from; paths that depend on the instance folder are filled later."""

    BABEL_DEFAULT_LOCALE = "it"
    BABEL_DEFAULT_TIMEZONE = "Europe/Rome"
    BABEL_TRANSLATION_DIRECTORIES = str(TRANSLATIONS_FOLDER)
    LANGUAGES = LANGUAGES
    LANGUAGE_COOKIE = "lang"
    LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    #: Each SQLite connection's page cache, in KiB (SQLite's own default: 2,000). Every worker has its own; the
    #: operating system's file cache, which all processes share, keeps the database's pages between requests.
    SQLITE_CACHE_KIB = 512

    WTF_CSRF_TIME_LIMIT = 8 * 3600
    WTF_I18N_ENABLED = True

    SESSION_COOKIE_NAME = "wp_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure is also set per request when the request came over HTTPS (see security.py).
    SESSION_COOKIE_SECURE = False

    #: How new password hashes are made (Werkzeug's ``generate_password_hash`` method). The test suite's
    #: configuration sets a cheap one, to sign hundreds of accounts in; a site keeps scrypt.
    PASSWORD_HASH_METHOD = "scrypt"

    # Managers' sessions end after this long without a request (the cookie is renewed on each request).
    PERMANENT_SESSION_LIFETIME = 30 * 60
    SESSION_REFRESH_EACH_REQUEST = True

    # Number of proxies in front of the app that set X-Forwarded-* (0 = none, trust nothing).
    PROXY_FIX_X_FOR = 0
    PROXY_FIX_X_PROTO = 0

    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    #: The largest listings CSV the backend accepts in one upload.
    IMPORT_MAX_BYTES = 2 * 1024 * 1024

    #: Once the app is built, move its objects out of the garbage collector's way and collect the youngest
    #: generation less often (``welfarepoint.tune_garbage_collector``). Tests, which build hundreds of apps in
    #: one process, turn it off.
    GC_WORKER_TUNING = True

    #: Search counters are buffered per process and written together at most this often (0: at once).
    COUNTER_FLUSH_SECONDS = 10

    #: Where the rate limits' counters live, shared by whoever uses the same store: ``memory://`` (the embedded
    #: default) counts within one process, right for a single process only; with several workers or instances,
    #: a store they all reach, ``redis://host:6379/0`` (Flask-Limiter's setting).
    RATELIMIT_STORAGE_URI = "memory://"
    #: If that store cannot be reached, each process counts by itself until it can again, rather than fail.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    #: Counts the requests of the last window (exact, and no burst at a window's edge).
    RATELIMIT_STRATEGY = "moving-window"
    #: Only a refused request says when to come back (``Retry-After``, set by errors.py), not every answer.
    RATELIMIT_HEADERS_ENABLED = False
    #: How many requests one address may make, pages, API and forms together (static files are not counted).
    RATE_LIMIT = "300 per minute"
    #: How often one address may send each form (every POST route), on top of RATE_LIMIT.
    FORM_RATE_LIMIT = "30 per minute"
    #: How often one address may suggest a correction.
    FEEDBACK_RATE_LIMIT = "5 per 10 minutes;20 per day"
    #: How often one address may send a form that sends an account e-mail (an invitation, a password reset).
    ACCOUNT_MAIL_RATE_LIMIT = "10 per 10 minutes;50 per day"
    #: How many days an invitation's link works.
    INVITE_DAYS = 3
    #: How often one address may ask for an e-mail alert; how old a change must be before the daily alerts send it
    #: (a long import commits listings dated before a run that has already passed them).
    ALERT_RATE_LIMIT = "5 per 10 minutes;20 per day"
    ALERTS_DELAY_SECONDS = 300

    # Where problems with the site can be reported (shown on the "report a problem" page).
    CONTACT_EMAIL = "segnalazioni@welfarepoint.example.org"

    # The owning body of the site (footer, legal notes, accessibility statement), as an Italian public service
    # names it. The defaults are the demo's: a site sets its own.
    OWNER_NAME = "Regione Lombardia"
    OWNER_OFFICE = "Direzione Generale Famiglia, Solidarietà sociale, Disabilità e Pari opportunità"
    OWNER_ADDRESS = "Piazza Città di Lombardia 1, 20124 Milano"
    OWNER_TAX_CODE = "80050050154"
    OWNER_PEC = "famiglia@pec.welfarepoint.example.org"
    OWNER_WEBSITE = "https://www.regione.lombardia.it"
    #: When the accessibility statement was last reviewed (ISO date), and the site first published.
    ACCESSIBILITY_REVIEWED = "2026-12-02"
    SITE_PUBLISHED = "2026-09-01"


def load_instance_settings(instance_path: Path) -> dict:
    """Fill the settings whose defaults live in the instance folder, creating the folder if it is missing.

    Several workers may start on an empty instance at once: ``exist_ok`` lets each of them find the folder made.
    """
    instance_path.mkdir(parents=True, exist_ok=True)
    return {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance_path / 'welfarepoint.sqlite3'}",
        "SEARCH_INDEX_DIR": str(instance_path / "search-index"),
    }


#: How long a process waits for an empty key file to be filled (another program may be writing it) before giving up.
SECRET_KEY_WAIT_SECONDS = 5.0


def ensure_secret_key(instance_path: Path) -> str:
    """Return the secret key kept in ``instance/secret_key``, generating it on first run.

    Whichever worker or process of a first start gets there first writes the key; every other one reads that
    same key. The key is written whole to a temporary file beside it, then given its name with ``os.link``,
    which fails when the name exists: a key is never replaced, and never seen half-written.
    """
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(prefix=".secret_key.", dir=instance_path)  # mode 0600
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(secrets.token_hex(32) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            os.link(temporary, key_file)
        except FileExistsError:
            pass  # another process named its key first: that one is the instance's key
        finally:
            os.unlink(temporary)
    return _read_secret_key(key_file)


def _read_secret_key(key_file: Path) -> str:
    """The key in ``key_file``, waiting a little while it is empty (written by hand, or by an older release)."""
    deadline = time.monotonic() + SECRET_KEY_WAIT_SECONDS
    while True:
        key = key_file.read_text(encoding="utf-8").strip()
        if key:
            return key
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"{key_file} is empty: write a secret key into it, or delete it to have one made"
            )
        time.sleep(0.05)
