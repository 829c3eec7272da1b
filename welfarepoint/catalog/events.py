"""Tell the rest of the application which listings changed, once the change is committed.

Catalog operations call :func:`listing_changed`; after the session commits, :data:`listings_committed` is sent
with the ids of the services that changed (the search index listens to keep itself in step). A rollback
forgets them.
"""

from __future__ import annotations

from blinker import Namespace
from sqlalchemy import event
from sqlalchemy.orm import Session

_signals = Namespace()

#: Sent after a commit with ``service_ids`` (a frozenset of ``Service.id``) of the listings that changed.
listings_committed = _signals.signal("listings-committed")

_KEY = "welfarepoint.changed_services"


def listing_changed(session: Session, service_id: int) -> None:
    """Remember that ``service_id`` changed in this session's transaction."""
    session.info.setdefault(_KEY, set()).add(service_id)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed = session.info.pop(_KEY, None)
    if changed:
        listings_committed.send(session, service_ids=frozenset(changed))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
