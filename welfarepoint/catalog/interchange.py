"""The listings CSV (docs/csv-format.md): import with every bad row reported, and a lossless export.

An import validates every row first; a file with any bad row imports nothing. Rows are upserted by
``external_id``. Excel-saved files work: a byte order mark, Windows-1252 text and ``;`` as delimiter.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from welfarepoint import territory
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.validation import CSV_COLUMNS, ListingInput, validate_listing
from welfarepoint.extensions import db

MAX_ROWS = 20_000
#: The advisory lock that queues imports one behind the other on PostgreSQL.
IMPORT_LOCK = 0x5750_494D  # "WPIM"
#: Columns a header may have: every known one, and room for the empty ones a spreadsheet leaves at the end.
MAX_COLUMNS = 1_000


@dataclass
class RowError:
    """A problem in the file: its line (1 is the header), column, and a lazy message."""

    line: int
    column: str
    message: Any

    def __str__(self) -> str:
        where = _l("line %(line)s", line=self.line)
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class RowChange:
    """What an import does to one listing: ``created``, ``updated`` (with the changed fields) or ``unchanged``."""

    line: int
    external_id: str
    action: str
    fields: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """The outcome of an import: every problem, or what changed (nothing is written when there are problems)."""

    errors: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        """How many listings the import creates, updates or leaves unchanged."""
        return sum(1 for change in self.changes if change.action == action)


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 (with or without BOM), else Windows-1252 as older Excel writes it."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """``,`` or ``;`` (Italian Excel) or tab, judged from the header line, which holds no lists."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def read_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Parse CSV text into ``(line, cells)`` pairs, checking the header and the shape of every row."""
    errors: list[RowError] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return [], [RowError(1, "", _l("the file is empty"))]
    except csv.Error as error:
        return [], [RowError(1, "", _l("the file is not valid CSV: %(error)s", error=str(error)))]
    if too_wide := header_too_wide(header):
        return [], [too_wide]
    missing = [
        name
        for name in ("external_id", "title", "audience", "category", "ats", "cost", "provider")
        if name not in header
    ]
    if missing:
        errors.append(
            RowError(1, "", _l("required columns are missing: %(columns)s", columns=", ".join(missing)))
        )
    unknown = [name for name in header if name and name not in CSV_COLUMNS]
    if unknown:
        errors.append(
            RowError(
                1, "", _l("unknown columns (check the spelling): %(columns)s", columns=", ".join(unknown))
            )
        )
    repeated = sorted(name for name, count in Counter(header).items() if name and count > 1)  # one pass
    if repeated:
        errors.append(RowError(1, "", _l("repeated columns: %(columns)s", columns=", ".join(repeated))))
    rows: list[tuple[int, dict[str, str]]] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) != len(header):
                    errors.append(
                        RowError(
                            line,
                            "",
                            _l(
                                "has %(found)s cells, the header has %(expected)s",
                                found=len(cells),
                                expected=len(header),
                            ),
                        )
                    )
                else:
                    rows.append((line, dict(zip(header, cells, strict=True))))
                if len(rows) > MAX_ROWS:
                    errors.append(RowError(line, "", _l("the file has more than %(max)s rows", max=MAX_ROWS)))
                    break
            line = reader.line_num + 1
    except csv.Error as error:
        errors.append(RowError(line, "", _l("the file is not valid CSV: %(error)s", error=str(error))))
    return rows, errors


def header_too_wide(header: list[str]) -> RowError | None:
    """A header of more than :data:`MAX_COLUMNS` columns is no listings file: refused before anything else."""
    if len(header) <= MAX_COLUMNS:
        return None
    return RowError(
        1,
        "",
        _l(
            "the header has %(found)s columns, a listings file has at most %(max)s: check that this is a "
            "listings file",
            found=len(header),
            max=MAX_COLUMNS,
        ),
    )


def _changed_fields(service: Service, listing: ListingInput) -> list[str]:
    current = operations.listing_of(service)
    return [
        name
        for name in CSV_COLUMNS
        if name not in ("provider_type",) and _field(current, name) != _field(listing, name)
    ]


def _field(listing: ListingInput, name: str) -> Any:
    return getattr(listing, name, None)


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    author: str,
    dry_run: bool = False,
    today: date | None = None,
    allowed: Callable[[ListingInput, Service | None], list[tuple[str, Any]]] | None = None,
) -> ImportReport:
    """Validate every row, then upsert them by ``external_id``; on any problem, or a dry run, write nothing.

    ``allowed`` returns, for a valid row and the listing it would update (or None), why the importer may not
    write it (a list of column and message); it is how the backend keeps an import inside a territory.

    Flushes but does not commit: the caller commits when ``report.ok and not dry_run``; otherwise this
    function has rolled the session back.
    """
    report = ImportReport(dry_run=dry_run)
    valid: list[tuple[int, ListingInput]] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        listing, problems = validate_listing(cells, today=today)
        report.errors.extend(RowError(line, problem.column, problem.message) for problem in problems)
        external_id = (cells.get("external_id") or "").strip()
        if external_id in seen:
            report.errors.append(
                RowError(
                    line,
                    "external_id",
                    _l(
                        "“%(id)s” is repeated (first on line %(first)s)",
                        id=external_id,
                        first=seen[external_id],
                    ),
                )
            )
            continue
        if external_id:
            seen[external_id] = line
        if listing is not None and allowed is not None:
            existing = operations.service_by_external_id(listing.external_id)
            refusals = allowed(listing, existing)
            report.errors.extend(RowError(line, column, message) for column, message in refusals)
            if refusals:
                continue
        if listing is not None:
            valid.append((line, listing))
    if report.errors:
        db.session.rollback()
        return report
    for line, listing in valid:
        try:
            with db.session.no_autoflush:
                service = operations.service_by_external_id(listing.external_id)
                if service is None:
                    operations.create_service(listing, author=author, action="import")
                    report.changes.append(RowChange(line, listing.external_id, "created"))
                    continue
                changed = _changed_fields(service, listing)
                if operations.update_service(service, listing, author=author, action="import"):
                    report.changes.append(RowChange(line, listing.external_id, "updated", changed))
                else:
                    report.changes.append(RowChange(line, listing.external_id, "unchanged"))
        except operations.CatalogError as error:
            report.errors.append(RowError(line, "", error.message))
    if report.errors or dry_run:
        db.session.rollback()
    return report


def import_listings(
    data: bytes,
    *,
    author: str,
    dry_run: bool = False,
    today: date | None = None,
    allowed: Callable[[ListingInput, Service | None], list[tuple[str, Any]]] | None = None,
) -> ImportReport:
    """Import a listings CSV file given as bytes (see :func:`import_rows`)."""
    rows, errors = read_rows(decode(data))
    if errors:
        db.session.rollback()
        return ImportReport(errors=errors, dry_run=dry_run)
    return import_rows(rows, author=author, dry_run=dry_run, today=today, allowed=allowed)


def import_and_commit(data: bytes, *, author: str, dry_run: bool = False, **options: Any) -> ImportReport:
    """:func:`import_listings`, committed when the report is ok and this is not a dry run.

    Two imports at the same moment: on PostgreSQL the second waits for the first to end (a transaction-level
    advisory lock) and then sees what it wrote; wherever waiting is not possible (SQLite's write lock, held
    longer than its timeout), or the other import wrote the same listings first, the second writes nothing and
    its report says so, in the importer's language.
    """
    try:
        if not dry_run and db.session.get_bind().dialect.name == "postgresql":
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK})
        report = import_listings(data, author=author, dry_run=dry_run, **options)
        if report.ok and not dry_run:
            db.session.commit()
    except (OperationalError, IntegrityError, StaleDataError):
        db.session.rollback()
        busy = _l(
            "another import was writing the same listings at the same moment: nothing of this file was "
            "imported. Try again in a minute."
        )
        return ImportReport(errors=[RowError(1, "", busy)], dry_run=dry_run)
    return report


def cell_text(value: Any) -> str:
    """A listing's value as a CSV cell: lists joined with ``;``, dates in ISO form, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ";".join(str(item) for item in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def export_row(service: Service) -> dict[str, str]:
    """One listing as a CSV row of :data:`CSV_COLUMNS`."""
    listing = operations.listing_of(service)
    row = {name: cell_text(getattr(listing, name, None)) for name in CSV_COLUMNS}
    row["municipalities"] = ";".join(
        place.name for code in listing.municipalities if (place := territory.by_istat(code))
    )
    location = territory.by_istat(listing.municipality) if listing.municipality else None
    row["municipality"] = location.name if location else ""
    return row


def export_listings(services: Iterable[Service], *, excel: bool = False) -> str:
    """The listings as CSV text; ``excel`` writes the BOM and ``;`` that Italian Excel expects."""
    output = io.StringIO(newline="")
    writer = csv.DictWriter(
        output, fieldnames=CSV_COLUMNS, delimiter=";" if excel else ",", lineterminator="\r\n"
    )
    writer.writeheader()
    for service in services:
        writer.writerow(export_row(service))
    return ("\ufeff" if excel else "") + output.getvalue()


def services_for_export(ats: str | None = None, status: str | None = None) -> list[Service]:
    """The listings to export, in ``external_id`` order, optionally of one ATS and/or one status."""
    query = db.select(Service).order_by(Service.external_id)
    if ats:
        query = query.where(Service.ats == ats)
    if status:
        query = query.where(Service.status == status)
    return list(db.session.execute(query).scalars())
