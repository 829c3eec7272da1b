"""Catalog data for tests: a valid listings-CSV row, a listing made from a row, many Welfare Points copied from the
demo's, and a coordinator's spreadsheet to import."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

from sqlalchemy import func, insert, select

from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.catalog.validation import CSV_COLUMNS, validate_listing
from welfarepoint.extensions import db


def row(**overrides) -> dict[str, str]:
    """A valid listings-CSV row, with ``overrides``."""
    cells = {
        "external_id": "test-001",
        "title": "Pre-scuola alla primaria Ligari",
        "summary": "Accoglienza dalle 7:30 prima delle lezioni.",
        "audience": "persons",
        "category": "P2",
        "needs": "before_school",
        "ats": "Montagna",
        "municipalities": "Sondrio;Montagna in Valtellina",
        "age_min": "6",
        "age_max": "11",
        "periods": "school_year",
        "time_slots": "before_school",
        "cost": "contribution",
        "provider": "Cooperativa sociale Il Sentiero",
        "provider_type": "non_profit",
        "email": "info@sentiero.example.org",
        "website": "https://www.sentiero.example.org",
        "phone": "+39 0342 000 1234",
        "status": "published",
        "last_verified": "2026-09-01",
    }
    cells.update(overrides)
    return cells


def create_listing(
    cells: dict[str, str], *, today: date | None = None, author: str = "maria@example.org"
) -> Service:
    """Validate a listings-CSV row as on ``today`` (it must be valid) and create its listing, uncommitted (in an
    app context)."""
    listing, errors = validate_listing(cells, today=today)
    assert not errors, [(e.column, str(e.message)) for e in errors]
    return operations.create_service(listing, author=author)


def add_welfare_points(count: int) -> int:
    """Copy the demo's Welfare Points until there are ``count``, each copy with another provider (in an app
    context); return how many are published."""
    table = Service.__table__
    desks = db.session.execute(select(table).where(table.c.category == "W1")).mappings().all()
    providers = db.session.scalars(select(Organisation.id).order_by(Organisation.id)).all()
    top = db.session.scalar(select(func.max(Service.id)))
    rows = []
    for number in range(count - len(desks)):
        copied = dict(desks[number % len(desks)])
        top += 1
        copied.update(
            id=top,
            uuid=str(uuid.uuid4()),
            slug=f"{copied['slug']}-{top}",
            external_id=f"desk-copy-{top}",
            provider_id=providers[number % len(providers)],
        )
        rows.append(copied)
    db.session.execute(insert(table), rows)
    db.session.commit()
    return db.session.scalar(
        select(func.count()).where(table.c.category == "W1", table.c.status == "published")
    )


def pavia_sheet(rows: int = 25, *, prefix: str = "PV-NEW", **broken: dict[str, str]) -> bytes:
    """A coordinator's spreadsheet (the CSV the import reads) of ``rows`` new after-school services of ATS Pavia,
    identified ``<prefix>-00001`` on; ``broken`` maps ``row<N>`` to the cells changed in row N."""
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for number in range(1, rows + 1):
        cells = dict.fromkeys(CSV_COLUMNS, "") | {
            "external_id": f"{prefix}-{number:05d}",
            "title": f"Doposcuola di quartiere numero {number}",
            "summary": "Compiti e giochi dopo la scuola, con educatori del quartiere.",
            "audience": "persons",
            "category": "P2",
            "needs": "after_school",
            "ats": "Pavia",
            "municipalities": "Vigevano",
            "age_min": "6",
            "age_max": "13",
            "cost": "free",
            "provider": "Associazione Doposcuola Pavese",
            "provider_type": "non_profit",
            "status": "published",
        }
        writer.writerow(cells | broken.get(f"row{number}", {}))
    return output.getvalue().encode("utf-8")


#: The municipalities of ATS Montagna whose own services :func:`municipal_file` lists.
MUNICIPALITIES = (
    "Sondrio", "Tirano", "Morbegno", "Chiavenna", "Bormio", "Livigno", "Darfo Boario Terme", "Edolo", "Breno",
    "Ponte di Legno", "Pisogne", "Valfurva", "Piancogno", "Sondalo", "Teglio", "Grosio", "Valdisotto", "Madesimo",
    "Cosio Valtellino", "Talamona", "Ardenno", "Berbenno di Valtellina",
)  # fmt: skip


def municipal_file(alliance: str) -> bytes:
    """22 services of the municipalities of ATS Montagna, in the categories of actions, some naming an alliance:
    none is said to be a funded action."""
    output = io.StringIO()
    writer = csv.DictWriter(
        output, fieldnames=[name for name in CSV_COLUMNS if name not in ("funded_action", "programme_period")]
    )
    writer.writeheader()
    for number, place in enumerate(MUNICIPALITIES, start=1):
        row = dict.fromkeys(writer.fieldnames, "")
        row |= {
            "external_id": f"MO-COMUNE-{number:02d}",
            "title": f"Servizio comunale di pre e post scuola a {place}",
            "summary": "Accoglienza prima e dopo le lezioni per le famiglie del comune.",
            "audience": "persons" if number % 3 else "companies",
            "category": "P2" if number % 3 else "C1",
            "needs": "after_school" if number % 3 else "C1",
            "ats": "Montagna",
            "municipalities": place,
            "cost": "contribution",
            "provider": f"Comune di {place}",
            "provider_type": "public_body",
            "alliance": alliance if number % 2 else "",
            "status": "published",
        }
        writer.writerow(row)
    return output.getvalue().encode("utf-8")
