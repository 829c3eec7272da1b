"""The ``municipality`` table: Lombardy's comuni, loaded from the package's data file by ``flask setup``."""

from __future__ import annotations

from datetime import datetime

from blinker import Namespace
from sqlalchemy import DateTime, Float, String, event, func, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Mapped, Session, mapped_column, object_session

from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import db


class Municipality(db.Model):
    """A comune, identified by its ISTAT code; the ATS it belongs to decides who curates it."""

    __tablename__ = "municipality"

    istat_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    belfiore_code: Mapped[str] = mapped_column(String(4), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    province: Mapped[str] = mapped_column(String(2), index=True)
    ats: Mapped[str] = mapped_column(String(40), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    def __repr__(self) -> str:
        return f"<Municipality {self.istat_code} {self.name}>"


def load_municipalities() -> int:
    """Make the table equal to the shipped data file (insert, update, delete); return how many rows changed.

    Idempotent: a second run changes nothing. The caller commits.
    """
    from welfarepoint import territory

    wanted = {m.istat_code: m for m in territory.all_municipalities()}
    existing = {row.istat_code: row for row in db.session.execute(db.select(Municipality)).scalars()}
    changed = 0
    for code, row in existing.items():
        if code not in wanted:
            db.session.delete(row)
            changed += 1
    for code, m in wanted.items():
        values = {
            "belfiore_code": m.belfiore_code,
            "name": m.name,
            "province": m.province,
            "ats": m.ats,
            "lat": m.lat,
            "lon": m.lon,
        }
        row = existing.get(code)
        if row is None:
            db.session.add(Municipality(istat_code=code, **values))
            changed += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            changed += 1
    return changed


class PublicRoute(db.Model):
    """A public entry point of an ATS for needs the networks do not cover (the Comune's social services or
    Ufficio di Piano, the ASST, INPS, a regional measure), curated by the ATS's managers and shown by search
    when a care need finds nothing or a search names something outside the networks ("RSA", "ADI")."""

    __tablename__ = "public_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    ats: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    handles: Mapped[str] = mapped_column(String(500), default="")  # what it is for, as people would ask it
    phone: Mapped[str] = mapped_column(String(40), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    def __repr__(self) -> str:
        return f"<PublicRoute {self.ats} {self.name}>"


#: Sent after a commit that added, changed or removed a public route (pages that show routes are drawn anew).
routes_changed = Namespace().signal("public-routes-changed")
_CHANGED = "welfarepoint.public_routes_changed"


def routes_version() -> tuple:
    """Which public routes there are: changes with any addition, change or removal (one tiny query)."""
    try:
        row = db.session.execute(
            select(func.count(PublicRoute.id), func.max(PublicRoute.updated_at), func.sum(PublicRoute.id))
        ).one()
    except (OperationalError, ProgrammingError):  # the database is not set up yet
        db.session.rollback()
        return ()
    return (row[0], str(row[1]), row[2]) if row[0] else ()


def _noticed(_mapper, _connection, route: PublicRoute) -> None:
    object_session(route).info[_CHANGED] = True


for _when in ("after_insert", "after_update", "after_delete"):
    event.listen(PublicRoute, _when, _noticed)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        routes_changed.send(session)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def public_routes(ats: str | None) -> list[PublicRoute]:
    """The public routes of an ATS (none without one), by name."""
    if not ats:
        return []
    return list(
        db.session.execute(db.select(PublicRoute).where(PublicRoute.ats == ats).order_by(PublicRoute.name))
        .scalars()
        .all()
    )
