"""E-mail addresses and names as people type them into the backend's forms: cleaned, or refused with the reason.

An address is checked by :func:`welfarepoint.mail.addresses.check_address`, as on the public forms. No line break
ever gets through: a header cannot be injected through an address or a name.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l

from welfarepoint.mail.addresses import check_address

MAX_NAME = 200
#: Characters that may not sit in a name: line breaks (a header injected), and other controls.
CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029\u200b-\u200f\u2060\ufeff]")


class AddressProblem(ValueError):
    """Why a typed address is not one e-mail address (``message``, lazy: said next to the field)."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def clean_address(typed: str | None) -> str:
    """``typed`` as one address (spaces around it dropped, the domain lower-cased); AddressProblem, with the
    reason to say next to the field, otherwise (the check every public and backend form shares)."""
    address, problem = check_address(typed)
    if problem:
        raise AddressProblem(problem)
    return address


def clean_name(typed: str | None) -> str:
    """A person's name as typed (spaces around it and runs of spaces dropped); AddressProblem for a line break
    or a name too long."""
    text = (typed or "").strip()
    if CONTROL.search(text):
        raise AddressProblem(_l("Write the name on one line."))
    if len(text) > MAX_NAME:
        raise AddressProblem(_l("Write at most %(max)s characters.", max=MAX_NAME))
    return " ".join(text.split())
