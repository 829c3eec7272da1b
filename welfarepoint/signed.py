"""Signed links: what an e-mail may do without signing in (set a password, confirm a listing, unsubscribe).

A link carries its purpose and its data, signed with the site's secret key (``itsdangerous``, salted by purpose:
a token made for one purpose is refused for any other) and dated (refused after ``max_age``). Its data names what
it acts on (the account, the listing), so a link for one cannot act on another. A link that must work once
records its digest in ``used_link`` (:func:`use_once`) in the same transaction as what it does.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import Mapped, mapped_column

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db


class BadLink(Exception):
    """A link that is forged, of another purpose, or too old (``expired`` says which)."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


class UsedLink(db.Model):
    """A single-use link that was used: its purpose and the digest of its token (never the token itself)."""

    __tablename__ = "used_link"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(40))
    used_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"welfarepoint-link:{purpose}")


def sign(purpose: str, **data: Any) -> str:
    """A token for ``purpose`` carrying ``data`` (JSON values), dated now."""
    return _serializer(purpose).dumps(data)


def unsign(purpose: str, token: str, max_age: int) -> dict[str, Any]:
    """The data of a token made by :func:`sign` for ``purpose`` at most ``max_age`` seconds ago."""
    if not token or len(token) > 2000:
        raise BadLink()
    try:
        data = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise BadLink(expired=True) from error
    except BadSignature as error:
        raise BadLink() from error
    if not isinstance(data, dict):
        raise BadLink()
    return data


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def was_used(token: str) -> bool:
    return db.session.get(UsedLink, digest(token)) is not None


def use_once(purpose: str, token: str) -> bool:
    """Record that ``token`` was used (in the caller's transaction); ``False`` when it had been used before.

    Two requests using the same link at once: the second one's commit fails on the primary key, so the caller's
    change is rolled back with it (the caller answers as for a used link)."""
    key = digest(token)
    if db.session.execute(select(UsedLink.digest).where(UsedLink.digest == key)).first():
        return False
    db.session.add(UsedLink(digest=key, purpose=purpose[:40]))
    db.session.flush()
    return True
