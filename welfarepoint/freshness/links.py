"""The signed links of the freshness e-mails: what a provider may do about one listing, or one correction,
without signing in.

Each link names what it acts on (the listing's id and the review cycle it was sent in, or the correction's id)
and to whom it was sent; the address carries the listing's public identifier (or the correction's number) too,
and a token for another one is refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app

from welfarepoint import mail, signed
from welfarepoint.catalog.models import Feedback, Service

CHECK = "fresh-check"
CHANGES = "fresh-changes"
ANSWER = "fresh-answer"


class Refused(Exception):
    """A link that cannot act: ``reason`` is ``expired``, ``invalid`` or ``other`` (made for something else)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ListingLink:
    """What a listing's link says: the listing, the review cycle, and whom it was sent to."""

    service_id: int
    cycle: str
    recipient: str


@dataclass(frozen=True)
class CorrectionLink:
    feedback_id: int
    recipient: str


def max_age() -> int:
    return int(current_app.config["FRESH_LINK_DAYS"]) * 24 * 3600


def cycle_of(service: Service) -> str:
    """The review cycle a listing is in: the date of its last check ("" when never checked)."""
    return service.last_verified.isoformat() if service.last_verified else ""


def _nonce() -> str:
    """A few random characters: each link is a link of its own (used once), even two made in the same second."""
    return secrets.token_urlsafe(6)


def language(locale: str) -> dict:
    """The page's language for a link: Italian is the site's default, English is asked for."""
    return {"lang": locale} if locale and locale != "it" else {}


def check_url(service: Service, recipient: str, locale: str = "it") -> str:
    """The "still correct" link of ``service`` for ``recipient``."""
    token = signed.sign(CHECK, s=service.id, c=cycle_of(service), to=recipient, n=_nonce())
    return mail.absolute_url("freshness.check", uuid=service.uuid, token=token, **language(locale))


def changes_url(service: Service, recipient: str, locale: str = "it") -> str:
    """The "needs changes" link of ``service`` for a contact address (an account goes to the edit form)."""
    token = signed.sign(CHANGES, s=service.id, c=cycle_of(service), to=recipient, n=_nonce())
    return mail.absolute_url("freshness.changes", uuid=service.uuid, token=token, **language(locale))


def answer_url(feedback: Feedback, recipient: str, locale: str = "it") -> str:
    """The link to answer a forwarded correction."""
    token = signed.sign(ANSWER, f=feedback.id, to=recipient)
    return mail.absolute_url("freshness.answer", feedback_id=feedback.id, token=token, **language(locale))


def check_token(link: ListingLink) -> str:
    """A "still correct" token for the listing, cycle and recipient of ``link`` (the "needs changes" page offers
    it too)."""
    return signed.sign(CHECK, s=link.service_id, c=link.cycle, to=link.recipient, n=_nonce())


def _unsign(purpose: str, token: str) -> dict:
    try:
        return signed.unsign(purpose, token, max_age=max_age())
    except signed.BadLink as error:
        raise Refused("expired" if error.expired else "invalid") from error


def read_listing_link(purpose: str, token: str, service: Service | None) -> ListingLink:
    """What a listing's link of ``purpose`` says, if it was made for ``service``; else :class:`Refused`."""
    data = _unsign(purpose, token)
    if not isinstance(data.get("s"), int) or not isinstance(data.get("to"), str):
        raise Refused("invalid")
    if service is None or data["s"] != service.id:
        raise Refused("other")
    return ListingLink(data["s"], str(data.get("c") or ""), data["to"])


def read_correction_link(token: str, feedback: Feedback | None) -> CorrectionLink:
    """What a correction's answer link says, if it was made for ``feedback``; else :class:`Refused`."""
    data = _unsign(ANSWER, token)
    if not isinstance(data.get("f"), int) or not isinstance(data.get("to"), str):
        raise Refused("invalid")
    if feedback is None or data["f"] != feedback.id:
        raise Refused("other")
    return CorrectionLink(data["f"], data["to"])
