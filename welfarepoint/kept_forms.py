"""Typed work kept server-side across an expired session or form token (see :mod:`welfarepoint.manage.kept`).

A :class:`KeptForm` row holds the fields of a form under a random token; it is deleted once the form is saved,
and any row after a day. Only a form sent from this site's own pages is kept (the browser's ``Origin``), so
another site cannot plant values in an editor's form.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import request
from sqlalchemy import JSON, DateTime, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import MultiDict

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

#: How long a kept form waits for its editor.
KEEP_FOR = timedelta(days=1)
#: The fields never kept: the old form token, the token of an earlier kept copy.
NOT_KEPT = ("csrf_token", "kept")


class KeptForm(db.Model):
    """The fields of a form sent when its session or token had expired, waiting for the editor to sign in."""

    __tablename__ = "kept_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(300))
    fields: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, index=True)


def keep(path: str, fields: MultiDict) -> str:
    """Keep the ``fields`` sent to ``path``; return the token that gives them back. The caller commits."""
    db.session.execute(db.delete(KeptForm).where(KeptForm.created_at < now_utc() - KEEP_FOR))
    token = secrets.token_urlsafe(24)
    pairs = [[name, value] for name, value in fields.items(multi=True) if name not in NOT_KEPT]
    db.session.add(KeptForm(token=token, path=path, fields=pairs))
    return token


def kept_fields(token: str | None, path: str) -> MultiDict | None:
    """The fields kept under ``token`` for the form at ``path`` (None if there are none, or they are too old)."""
    if not token or len(token) > 64:
        return None
    row = db.session.execute(db.select(KeptForm).filter_by(token=token, path=path)).scalar_one_or_none()
    created = row.created_at if row is not None else None
    if created is not None and created.tzinfo is None:  # SQLite gives naive times back
        created = created.replace(tzinfo=now_utc().tzinfo)
    if row is None or created < now_utc() - KEEP_FOR:
        return None
    return MultiDict([tuple(pair) for pair in row.fields])


def forget(token: str | None) -> None:
    """Delete the kept form ``token`` (its form was saved). The caller commits."""
    if token:
        db.session.execute(db.delete(KeptForm).where(KeptForm.token == token))


def sent_from_here() -> bool:
    """Whether the request's form came from a page of this site (so it may be kept)."""
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    parts = urlsplit(origin)
    return bool(parts.netloc) and parts.netloc == request.host
