"""The ``search_synonym`` table: groups of the people's vocabulary curated in the backend by region
administrators, beside the shipped ``synonyms.txt`` (which stays the default)."""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from sqlalchemy import DateTime, String, event, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db

#: Sent after a commit that changed the curated groups (this process then reads them again at once).
changed = Namespace().signal("vocabulary-changed")
_CHANGED = "welfarepoint.vocabulary_changed"


class SearchSynonym(db.Model):
    """One group, written like a line of ``synonyms.txt`` ("[summer_closure] cred | centro ricreativo")."""

    __tablename__ = "search_synonym"

    id: Mapped[int] = mapped_column(primary_key=True)
    line: Mapped[str] = mapped_column(String(1000))
    author: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)


def vocabulary_version() -> tuple:
    """Which curated groups there are: changes with any addition, change or removal (one tiny query)."""
    try:
        row = db.session.execute(
            select(
                func.count(SearchSynonym.id), func.max(SearchSynonym.updated_at), func.sum(SearchSynonym.id)
            )
        ).one()
    except (OperationalError, ProgrammingError):  # the database is not set up yet
        db.session.rollback()
        return ()
    return (row[0], str(row[1]), row[2]) if row[0] else ()


def curated_lines() -> str:
    """Every curated group, one per line."""
    return "\n".join(db.session.execute(select(SearchSynonym.line).order_by(SearchSynonym.id)).scalars())


def _noticed(_mapper, _connection, group: SearchSynonym) -> None:
    object_session(group).info[_CHANGED] = True


for _when in ("after_insert", "after_update", "after_delete"):
    event.listen(SearchSynonym, _when, _noticed)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        changed.send(session)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)
