"""E-mail addresses and names as people type them into the backend's forms: cleaned, or refused with the reason.

The rule is the mail core's (:func:`welfarepoint.mail.compose.clean_address`): one plain address, spaces around it
dropped, the domain lower-cased. Here each refusal says what is wrong, so the form can say it next to the field.
No line break ever gets through: a header cannot be injected through an address or a name.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

#: The longest address accepted (RFC 5321's path limit) and the longest part before the @.
MAX_ADDRESS = 254
MAX_LOCAL = 64
MAX_NAME = 200
LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")
LABEL = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$")
TOP_LEVEL = re.compile(r"^[A-Za-z]{2,63}$")
#: Characters that may not sit in a name or an address: line breaks (a header injected), and other controls.
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029\u200b-\u200f\u2060\ufeff]")
EXAMPLE = "mario.rossi@comune.example.it"


class AddressProblem(ValueError):
    """Why a typed address is not one e-mail address (``message``, lazy: said next to the field)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def _problem(typed: str):
    """The reason ``typed`` (already stripped) is not one plain address, or None."""
    if not typed:
        return _l("Write an e-mail address.")
    if CONTROL.search(typed) or "%0a" in typed.lower() or "%0d" in typed.lower():
        return _l("Write one e-mail address on one line, with nothing after it.")
    if any(mark in typed for mark in ",;") or typed.count("@") > 1 and " " in typed:
        return _l("Write one address only: invite each person on their own.")
    if any(mark in typed for mark in '<>"'):
        return _l(
            "Write the address alone, without a name or brackets: for example %(example)s.", example=EXAMPLE
        )
    if "@" not in typed:
        return _l("An e-mail address has an @: for example %(example)s.", example=EXAMPLE)
    if any(character.isspace() for character in typed):
        return _l("An e-mail address has no spaces.")
    if not typed.isascii():
        return _l(
            "Use letters without accents, digits and . _ - + only: few mail servers accept other characters."
        )
    if len(typed) > MAX_ADDRESS:
        return _l("This address is too long: at most %(max)s characters.", max=MAX_ADDRESS)
    if typed.count("@") > 1:
        return _l("An e-mail address has one @ only.")
    local, domain = typed.rsplit("@", 1)
    if not local:
        return _l("Write the part before the @ too.")
    if (
        len(local) > MAX_LOCAL
        or not LOCAL.match(local)
        or local[0] == "."
        or local[-1] == "."
        or ".." in local
    ):
        return _l("The part before the @ is not valid: check its dots and characters.")
    labels = domain.split(".")
    if not domain or len(labels) < 2 or not all(LABEL.match(label) for label in labels[:-1]):
        return _l("The part after the @ is not a complete domain: for example comune.example.it.")
    if not TOP_LEVEL.match(labels[-1]):
        return _l("The part after the @ is not a complete domain: for example comune.example.it.")
    return None


def clean_address(typed: str | None) -> str:
    """``typed`` as one address (spaces around it dropped, the domain lower-cased); AddressProblem otherwise."""
    text = (typed or "").strip()
    if problem := _problem(text):
        raise AddressProblem(problem)
    local, domain = text.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def clean_name(typed: str | None) -> str:
    """A person's name as typed (spaces around it and runs of spaces dropped); AddressProblem for a line break
    or a name too long."""
    text = (typed or "").strip()
    if CONTROL.search(text):
        raise AddressProblem(_l("Write the name on one line."))
    if len(text) > MAX_NAME:
        raise AddressProblem(_l("Write at most %(max)s characters.", max=MAX_NAME))
    return " ".join(text.split())
