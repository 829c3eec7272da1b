"""The settings of a test app, whose every file lives in one folder."""

from __future__ import annotations

from pathlib import Path

from tests.support.databases import database_uri


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
    }
    config.update(overrides)
    return config
