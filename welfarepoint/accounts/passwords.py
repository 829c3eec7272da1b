"""Password rules: at least 12 characters, not a common password or an obvious pattern, scrypt hashes."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
#: Werkzeug's method for new hashes (``PASSWORD_HASH_METHOD``). A stored hash names its own method, so that
#: checking a password never depends on this setting.
DEFAULT_HASH_METHOD = "scrypt"

#: Passwords (and stems of passwords) that lists of leaked passwords show people choose most; checked case-
#: insensitively, also with digits and symbols added around them.
COMMON = {
    "password", "passw0rd", "password1", "qwerty", "qwertyuiop", "qwertz", "azerty", "asdfgh", "asdfghjkl",
    "zxcvbn", "zxcvbnm", "123456", "1234567", "12345678", "123456789", "1234567890", "0987654321", "111111",
    "000000", "abc123", "iloveyou", "letmein", "welcome", "admin", "administrator", "login", "monkey", "dragon",
    "football", "baseball", "master", "sunshine", "princess", "shadow", "superman", "trustno1", "michael",
    "juventus", "milan", "inter", "napoli", "lazio", "roma", "forzamilan", "forzainter", "ciao", "ciaociao",
    "amore", "amoremio", "tiamo", "ciccio", "francesca", "giuseppe", "alessandro", "andrea", "lombardia",
    "milano", "bergamo", "brescia", "welfare", "welfarepoint", "conciliazione", "regione", "comune",
    "changeme", "cambiami", "segreto", "passpass", "parola", "parolachiave", "benvenuto", "estate", "inverno",
}  # fmt: skip


def problem_with(password: str, email: str = "") -> Any | None:
    """Why ``password`` is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return _l("The password must be at least %(min)s characters long.", min=MIN_LENGTH)
    folded = password.lower()
    core = folded.strip("0123456789!?.,;:-_@#$%&*+=/ ")
    local_part = email.split("@")[0].lower()
    if (
        core in COMMON
        or folded in COMMON
        or len(set(folded)) <= 3
        or any(
            core == word * (len(core) // len(word))
            for word in COMMON
            if len(core) >= len(word) and core.startswith(word)
        )
        or (local_part and len(local_part) >= 4 and local_part in folded)
        or folded in "01234567890123456789"
        or folded in "abcdefghijklmnopqrstuvwxyz"
        or folded in "qwertyuiopasdfghjklzxcvbnm"
    ):
        return _l("This password is too easy to guess: choose a longer phrase that is not a common password.")
    return None


def hash_password(password: str) -> str:
    """The hash to store, made with the app's ``PASSWORD_HASH_METHOD`` (scrypt; outside an app, scrypt)."""
    method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else DEFAULT_HASH_METHOD
    return generate_password_hash(password, method=method)


def verify(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches the stored hash."""
    return check_password_hash(password_hash, password)
