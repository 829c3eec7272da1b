"""Test apps: their settings (every file in one folder), and the compiled templates they share."""

from __future__ import annotations

from pathlib import Path

import jinja2

from tests.support.databases import database_uri
from welfarepoint import create_app


def make_config(folder: Path, **overrides) -> dict:
    """Settings of a test app whose every file lives in ``folder``."""
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(folder),
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": database_uri(folder),
        "SEARCH_INDEX_DIR": str(folder / "search-index"),
        "COUNTER_FLUSH_SECONDS": 0,  # tests read the counters right after counting
        # Hundreds of accounts are made and signed in: one round of PBKDF2, not scrypt's 100 ms, for tests only.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
        # A module's tests make hundreds of requests from one address in a minute: the general and form limits are
        # tested with their own settings (tests/test_rate_limits.py); FEEDBACK_RATE_LIMIT keeps its default.
        "RATE_LIMIT": "100000 per minute",
        "FORM_RATE_LIMIT": "100000 per minute",
        # Invitations and resets: tested with their own setting (tests/test_accounts_reset.py).
        "ACCOUNT_MAIL_RATE_LIMIT": "100000 per minute",
    }
    config.update(overrides)
    return config


class SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept for the whole session: every test app renders the same templates, and compiling
    them again for each new app was most of what a test cost. Jinja checks each template's source against the
    cached code, so a changed template is compiled again."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = SharedTemplateCode()


def build_app(config: dict):
    """An app of the tests: ``create_app(config)`` sharing the session's compiled templates."""
    application = create_app(config)
    application.jinja_env.bytecode_cache = TEMPLATE_CODE
    return application
