"""The ``municipality`` table: Lombardy's comuni, loaded from the package's data file by ``flask setup``."""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

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
