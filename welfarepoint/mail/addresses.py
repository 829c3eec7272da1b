"""An e-mail address as people type it into a form (an alert, an invitation, a forgotten password): one plain
address, or a message saying what is wrong with it, to show next to the field.

Spaces and line breaks around it are dropped and the domain is lower-cased (the part before the "@" is kept as
typed: some servers tell capitals apart). Anything else is refused with a message naming the problem, rather
than guessed at: a name with the address, two addresses, a "mailto:", an accented letter before the "@", an
invisible character. Line breaks inside it (a header injected) are refused like any other character that has no
place in an address, before anything is sent.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

from welfarepoint.mail.compose import clean_address

MAX_ADDRESS = 254
MAX_LOCAL = 64
LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
TOP_LEVEL = re.compile(r"^[a-z]{2,63}$")

EMPTY = _l("Write your e-mail address.")
TOO_LONG = _l("This address is too long to be an e-mail address.")
INVISIBLE = _l("The address holds a line break or an invisible character: write it again by hand.")
MAILTO = _l("Write the address without “mailto:” before it.")
NAME_AND_ADDRESS = _l(
    "Write only the address, without a name or angle brackets: for example mario.rossi@example.it."
)
ONE_ONLY = _l("Write one address only, without commas or semicolons.")
NO_AT = _l("An e-mail address has an “@”: for example mario.rossi@example.it.")
TWO_ATS = _l("An e-mail address has only one “@”.")
SPACE = _l("An e-mail address has no spaces.")
NO_LOCAL = _l("Write the part before the “@”: for example mario.rossi@example.it.")
NO_DOMAIN = _l("Write the part after the “@”: for example gmail.com or comune.milano.it.")
LOCAL_TOO_LONG = _l("The part before the “@” is too long (64 characters at most).")
LOCAL_LETTERS = _l(
    "Before the “@” use letters without accents, digits and . _ - + only: many mail servers refuse other ones."
)
LOCAL_DOTS = _l("A dot cannot start or end the part before the “@”, nor follow another dot.")
BAD_DOMAIN = _l(
    "The part after the “@” is not a mail domain: it should look like gmail.com or comune.milano.it."
)

#: Characters pasted from elsewhere that look like an "@" but are not one.
LOOK_ALIKE_ATS = "\uff20\ufe6b"


def check_address(typed: str | None) -> tuple[str | None, str | None]:
    """``(address, None)`` when ``typed`` is one address (trimmed, its domain lower-cased); else ``(None, why)``."""
    text = (typed or "").strip()
    if not text:
        return None, str(EMPTY)
    if len(text) > MAX_ADDRESS:
        return None, str(TOO_LONG)
    if any(_invisible(character) for character in text):
        return None, str(INVISIBLE)
    if text.lower().startswith("mailto:"):
        return None, str(MAILTO)
    if any(character in text for character in '<>"()'):
        return None, str(NAME_AND_ADDRESS)
    if "," in text or ";" in text:
        return None, str(ONE_ONLY)
    ats = text.count("@")
    if ats == 0:
        return None, str(NO_AT)
    if ats > 1:
        return None, str(TWO_ATS)
    if any(character.isspace() for character in text):
        return None, str(SPACE)
    local, domain = text.split("@")
    if not local:
        return None, str(NO_LOCAL)
    if not domain:
        return None, str(NO_DOMAIN)
    if len(local) > MAX_LOCAL:
        return None, str(LOCAL_TOO_LONG)
    if not LOCAL.match(local):
        return None, str(LOCAL_LETTERS)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None, str(LOCAL_DOTS)
    domain = _ascii_domain(domain.lower())
    if domain is None:
        return None, str(BAD_DOMAIN)
    try:  # what the mail queue accepts, so that nothing it refuses is ever stored
        return clean_address(f"{local}@{domain}"), None
    except ValueError:
        return None, str(BAD_DOMAIN)


def _invisible(character: str) -> bool:
    """A control, format or separator character other than a plain space (a line break, a zero-width space)."""
    if character == " ":
        return False
    if character in LOOK_ALIKE_ATS:
        return False  # named by the "@" check, which says more
    return unicodedata.category(character)[0] in ("C", "Z")


def _ascii_domain(domain: str) -> str | None:
    """A domain of at least two labels and a top-level one of letters, as ASCII (an accented name in its IDNA
    form, "xn--..."); None when it is not one."""
    if any(character in LOOK_ALIKE_ATS for character in domain):
        return None
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(LABEL.match(label) for label in labels):
        return None
    if not TOP_LEVEL.match(labels[-1]):
        return None
    return ascii_domain
