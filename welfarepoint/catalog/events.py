"""Tell the rest of the application which listings changed, once the change is committed.

Catalog operations call :func:`listing_changed`; the commit then also moves the catalog's generation
(``CatalogState``, for the other app instances), and after it :data:`listings_committed` is sent with the ids
of the services that changed (this instance's search index listens to keep itself in step). A rollback forgets
them.
"""

from __future__ import annotations

from blinker import Namespace
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

_signals = Namespace()

#: Sent after a commit with ``service_ids`` (a frozenset of ``Service.id``) of the listings that changed, and
#: ``generation``, the catalog generation that commit made.
listings_committed = _signals.signal("listings-committed")

_KEY = "welfarepoint.changed_services"
_GENERATION = "welfarepoint.generation"


def listing_changed(session: Session, service_id: int) -> None:
    """Remember that ``service_id`` changed in this session's transaction."""
    session.info.setdefault(_KEY, set()).add(service_id)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_KEY):
        # In the same transaction as the change: every instance sees the new number with the change itself.
        from welfarepoint.catalog.models import CatalogState

        session.execute(update(CatalogState).values(generation=CatalogState.generation + 1))
        session.info[_GENERATION] = session.execute(select(CatalogState.generation)).scalar()


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    changed = session.info.pop(_KEY, None)
    generation = session.info.pop(_GENERATION, None)
    if changed:
        listings_committed.send(session, service_ids=frozenset(changed), generation=generation)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop(_GENERATION, None)
