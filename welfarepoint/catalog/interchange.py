"""The listings file (docs/csv-format.md): CSV or XLSX in, every problem reported in one pass, a lossless export.

An import reads the file (:func:`read_table`), matches its header to the columns (:func:`map_header`), turns
every cell into canonical text (:func:`normalise_rows`: labels to codes, Italian dates to ISO), validates every
row, and only then upserts the rows by ``external_id``; a file with any problem imports nothing. Files saved by
Excel work: a byte order mark in any encoding, Windows-1252 text, ``;`` as delimiter, ``.xlsx`` workbooks.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import openpyxl
from flask_babel import get_locale, ngettext
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from openpyxl.utils import get_column_letter
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from welfarepoint import territory
from welfarepoint.catalog import columns, operations
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.catalog.validation import CSV_COLUMNS, REQUIRED_COLUMNS, ListingInput, validate_listing
from welfarepoint.extensions import db

MAX_ROWS = 20_000
#: How close (difflib's ratio of the folded names) an existing organisation's name must be to be offered.
SIMILAR_NAME_CUTOFF = 0.85
#: At most this many distinct messages of one group are shown on the page (the errors file has them all).
GROUP_ITEMS_SHOWN = 30
#: The advisory lock that queues imports one behind the other on PostgreSQL.
IMPORT_LOCK = 0x5750_494D  # "WPIM"
#: Columns a header may have: every known one, and room for the empty ones a spreadsheet leaves at the end.
MAX_COLUMNS = 1_000


@dataclass
class RowError:
    """A problem in the file: its line (1 is the header), column, a lazy message, and the kind of problem.

    ``kind`` groups the same problem across rows (``date``, ``vocabulary``, ``formula``, ``municipality``...,
    or the message's text for the other checks of :mod:`welfarepoint.catalog.validation`).
    """

    line: int
    column: str
    message: Any
    kind: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = _l("line %(line)s", line=self.line)
        if not self.column:
            return f"{where}: {self.message}"
        return f"{where}, {columns.column(self.column).label}: {self.message}"


@dataclass
class RowChange:
    """What an import does to one listing: ``created``, ``updated`` (with the changed fields) or ``unchanged``."""

    line: int
    external_id: str
    action: str
    fields: list[str] = field(default_factory=list)


@dataclass
class NewOrganisation:
    """A provider an import would create, the lines that name it, and the existing organisations it resembles."""

    name: str
    type: str
    lines: list[int] = field(default_factory=list)
    similar: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A file as read: its header and rows of raw cells (text from a CSV, typed values from a workbook).

    ``skipped`` are the rows left out of ``rows`` (blank, or with cells beyond the header): the errors file puts
    them back, so that every row keeps its place.
    """

    header: list[str]
    rows: list[tuple[int, list[Any]]]
    format: str = "csv"
    delimiter: str = ","
    skipped: list[tuple[int, list[Any]]] = field(default_factory=list)


@dataclass
class ProblemGroup:
    """The same problem in one column across rows: its column, a summary, and each distinct message's lines."""

    column: str
    kind: str
    errors: list[RowError] = field(default_factory=list)

    @property
    def label(self) -> Any:
        return columns.column(self.column).label if self.column else _l("The file as a whole")

    @property
    def lines(self) -> list[int]:
        return sorted({error.line for error in self.errors})

    @property
    def summary(self) -> str:
        """One sentence on what is wrong and how often ("12 dates that cannot be read")."""
        count = len(self.lines)
        if self.kind == "date":
            return ngettext("%(num)s date that cannot be read", "%(num)s dates that cannot be read", count)
        if self.kind == "vocabulary":
            spec = columns.column(self.column)
            return ngettext(
                "%(num)s value not in the list; the list: %(allowed)s",
                "%(num)s values not in the list; the list: %(allowed)s",
                count,
                allowed=", ".join(columns.allowed_labels(spec.vocabulary, page_language())),
            )
        if self.kind == "formula":
            return ngettext(
                "%(num)s cell starts like a spreadsheet formula (=, +, -, @)",
                "%(num)s cells start like a spreadsheet formula (=, +, -, @)",
                count,
            )
        if self.kind == "municipality":
            names = sorted({error.value for error in self.errors})
            return ngettext(
                "%(num)s municipality not recognised: %(names)s",
                "%(num)s municipalities not recognised: %(names)s",
                len(names),
                names=", ".join(names),
            )
        if self.kind == "unknown_column":
            names = [error.value for error in self.errors]
            return ngettext(
                "%(num)s column not known: %(names)s",
                "%(num)s columns not known: %(names)s",
                len(names),
                names=", ".join(f"“{name}”" for name in names),
            )
        if not self.column or count == 1:
            return str(self.errors[0].message)
        return ngettext("%(num)s row", "%(num)s rows", count)

    def items(self) -> list[tuple[str, list[int]]]:
        """Each distinct message with its lines, at most :data:`GROUP_ITEMS_SHOWN` of them."""
        found: dict[str, list[int]] = {}
        for error in self.errors:
            found.setdefault(str(error.message), []).append(error.line)
        return list(found.items())[:GROUP_ITEMS_SHOWN]

    @property
    def hidden(self) -> int:
        """How many distinct messages :meth:`items` leaves out."""
        return max(0, len({str(error.message) for error in self.errors}) - GROUP_ITEMS_SHOWN)


@dataclass
class ImportReport:
    """The outcome of an import: every problem, or what changed (nothing is written when there are problems)."""

    errors: list[RowError] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    dry_run: bool = False
    #: Headers of the file that name no column (the web import asks what each holds).
    unknown_columns: list[str] = field(default_factory=list)
    #: The providers the import creates, with the existing organisations they resemble.
    new_organisations: list[NewOrganisation] = field(default_factory=list)
    #: The file as read, to offer it back with a column of errors.
    table: Table | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        """How many listings the import creates, updates or leaves unchanged."""
        return sum(1 for change in self.changes if change.action == action)

    def groups(self) -> list[ProblemGroup]:
        """The problems grouped (see :func:`group_problems`)."""
        return group_problems(self.errors)


def kind_of(message: Any) -> str:
    """The message before its values are put in (its msgid), so that the same check groups across rows."""
    if isinstance(message, LazyString) and message._args:
        return str(message._args[0])
    return str(message)


def group_problems(errors: list[RowError]) -> list[ProblemGroup]:
    """Problems grouped by column and kind: those of the file as a whole first, then in the order of the columns."""
    groups: dict[tuple[str, str], ProblemGroup] = {}
    for error in errors:
        key = (error.column, error.kind or kind_of(error.message))
        groups.setdefault(key, ProblemGroup(error.column, key[1])).errors.append(error)
    order = {name: index for index, name in enumerate(CSV_COLUMNS)}
    return sorted(
        groups.values(), key=lambda group: (bool(group.column), order.get(group.column, len(order)))
    )


def lines_text(lines: list[int]) -> str:
    """Lines of the file in words ("line 4", "lines 3, 5-8, 12"), runs of consecutive lines joined."""
    runs: list[list[int]] = []
    for line in sorted(set(lines)):
        if runs and line == runs[-1][-1] + 1:
            runs[-1].append(line)
        else:
            runs.append([line])
    text = ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)
    return ngettext("line %(lines)s", "lines %(lines)s", len(set(lines)), lines=text)


def describe(report: ImportReport) -> list[str]:
    """The problems of a report as lines of text, grouped (the command line's report)."""
    text = []
    for group in report.groups():
        text.append(f"{group.label}: {group.summary}")
        for message, lines in group.items():
            text.append(f"  {lines_text(lines)}: {message}")
        if group.hidden:
            text.append("  " + ngettext("and %(num)s more", "and %(num)s more", group.hidden))
    return text


def page_language() -> str:
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else "it"


_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def decode(data: bytes) -> str:
    """Text of an uploaded file: UTF-8 or UTF-16 (as a byte order mark says), else Windows-1252 as older Excel
    writes it; a UTF-8 byte order mark before Windows-1252 text is dropped as well."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(text: str) -> str:
    """``,`` or ``;`` (Italian Excel) or tab, judged from the header line, which holds no lists."""
    header = text.split("\n", 1)[0]
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t")}
    return max(counts, key=lambda delimiter: counts[delimiter]) if any(counts.values()) else ","


def is_workbook(data: bytes) -> bool:
    """Whether the bytes are an Excel workbook (``.xlsx``, a zip archive) rather than CSV text."""
    return data[:4] == b"PK\x03\x04"


def read_table(data: bytes) -> tuple[Table | None, list[RowError]]:
    """The header and rows of a CSV or XLSX file, or why it cannot be read."""
    if is_workbook(data):
        return read_workbook(data)
    return read_csv(decode(data))


def read_csv(text: str) -> tuple[Table | None, list[RowError]]:
    """Parse CSV text into a :class:`Table`, checking the shape of every row."""
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return None, [RowError(1, "", _l("the file is empty"), "file")]
    except csv.Error as error:
        return None, [RowError(1, "", _l("the file is not valid CSV: %(error)s", error=str(error)), "file")]
    if too_wide := header_too_wide(header):
        return None, [too_wide]
    table = Table(header, [], "csv", delimiter)
    errors: list[RowError] = []
    line = reader.line_num + 1
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                table.skipped.append((line, cells))
            else:
                if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header) :]):
                    table.skipped.append((line, cells))
                    errors.append(
                        RowError(
                            line,
                            "",
                            _l(
                                "has %(found)s cells, the header has %(expected)s",
                                found=len(cells),
                                expected=len(header),
                            ),
                            "shape",
                        )
                    )
                else:
                    table.rows.append((line, (cells + [""] * len(header))[: len(header)]))
                if len(table.rows) > MAX_ROWS:
                    errors.append(
                        RowError(line, "", _l("the file has more than %(max)s rows", max=MAX_ROWS), "file")
                    )
                    break
            line = reader.line_num + 1
    except csv.Error as error:
        errors.append(
            RowError(line, "", _l("the file is not valid CSV: %(error)s", error=str(error)), "file")
        )
    return table, errors


def read_workbook(data: bytes) -> tuple[Table | None, list[RowError]]:
    """The first sheet of an ``.xlsx`` workbook as a :class:`Table`; formulas come as their text, to be seen."""
    unreadable = [RowError(1, "", _l("the file is not an Excel workbook that can be read (.xlsx)"), "file")]
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds of error for a damaged or foreign file
        return None, unreadable
    errors: list[RowError] = []
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = [columns.as_text(value).strip() for value in next(rows, ())]
        while header and not header[-1]:
            header.pop()
        if not header:
            return None, [RowError(1, "", _l("the file is empty"), "file")]
        if too_wide := header_too_wide(header):
            return None, [too_wide]
        table = Table(header, [], "xlsx")
        for line, values in enumerate(rows, start=2):
            if not any(columns.as_text(value).strip() for value in values):
                table.skipped.append((line, []))
                continue
            if any(columns.as_text(value).strip() for value in values[len(header) :]):
                table.skipped.append((line, list(values)))
                errors.append(
                    RowError(line, "", _l("has cells to the right of the last column with a header"), "shape")
                )
                continue
            table.rows.append((line, (list(values) + [None] * len(header))[: len(header)]))
            if len(table.rows) > MAX_ROWS:
                errors.append(
                    RowError(line, "", _l("the file has more than %(max)s rows", max=MAX_ROWS), "file")
                )
                break
    except Exception:  # a damaged sheet fails while it is read, not when it is opened
        return None, unreadable
    finally:
        workbook.close()
    return table, errors


def map_header(
    table: Table, mapping: dict[str, str] | None = None
) -> tuple[list[str | None], list[str], list[RowError]]:
    """The column each header names (None: left out), the headers not understood, and the header's problems.

    ``mapping`` gives, for a header of the file, the column it holds, or ``""`` to leave it out (the web
    import's mapping step). Other headers are matched by :func:`columns.column_for_header`. A column without
    a header is left out when it is empty. Linear in the number of columns.
    """
    mapping = mapping or {}
    chosen: list[str | None] = []
    unknown: list[str] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for index, header in enumerate(table.header):
        name: str | None = None
        if not header:
            header = str(_l("column %(letter)s", letter=get_column_letter(index + 1)))
            if header not in mapping and not any(
                columns.as_text(cells[index]).strip() for _, cells in table.rows
            ):
                chosen.append(None)
                continue
        if header in mapping:
            name = mapping[header] if mapping[header] in CSV_COLUMNS else None
        else:
            name = columns.column_for_header(header)
            if name is None:
                unknown.append(header)
                errors.append(
                    RowError(
                        1,
                        "",
                        _l(
                            "the column “%(name)s” is not known: say what it holds, or leave it out",
                            name=header,
                        ),
                        "unknown_column",
                        header,
                    )
                )
        if name is not None and name in seen:
            errors.append(
                RowError(
                    1,
                    "",
                    _l(
                        "the columns “%(first)s” and “%(second)s” both hold “%(label)s”",
                        first=seen[name],
                        second=header,
                        label=columns.column(name).label,
                    ),
                    "repeated_column",
                )
            )
            name = None
        if name is not None:
            seen[name] = header
        chosen.append(name)
    missing = [name for name in REQUIRED_COLUMNS if name not in seen]
    if missing:
        errors.append(
            RowError(
                1,
                "",
                _l("required columns are missing: %(columns)s", columns=LazyString(_labels, tuple(missing))),
                "missing_columns",
                ",".join(missing),
            )
        )
    return chosen, unknown, errors


def _labels(names: tuple[str, ...]) -> str:
    return ", ".join(f"“{columns.column(name).label}”" for name in names)


def normalise_rows(
    table: Table, chosen: list[str | None]
) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Every row as canonical cells (codes, ISO dates), and every cell that cannot be read as its column needs."""
    specs = [(index, columns.column(name)) for index, name in enumerate(chosen) if name is not None]
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[RowError] = []
    for line, values in table.rows:
        cells: dict[str, str] = {}
        for index, spec in specs:
            text, problem = columns.normalise(spec, values[index])
            cells[spec.name] = text
            if problem is not None:
                errors.append(RowError(line, spec.name, problem.message, problem.kind, problem.value))
        rows.append((line, cells))
    return rows, errors


def read_rows(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """Parse CSV text into ``(line, cells)`` pairs of canonical cells, with every problem of the file."""
    table, errors = read_csv(text)
    if table is None:
        return [], errors
    chosen, _, header_errors = map_header(table)
    rows, cell_errors = normalise_rows(table, chosen)
    return rows, [*errors, *header_errors, *cell_errors]


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
        "file",
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


def _validation_error(line: int, problem: Any, cells: dict[str, str]) -> RowError:
    """A problem found by :func:`validate_listing`, with its kind (an unknown municipality groups by name)."""
    kind = kind_of(problem.message)
    value = ""
    if problem.column in ("municipalities", "municipality") and kind.startswith("unknown municipality"):
        kind, value = "municipality", _unknown_place(problem.message, cells.get(problem.column, ""))
    return RowError(line, problem.column, problem.message, kind, value)


def _unknown_place(message: Any, cell: str) -> str:
    if isinstance(message, LazyString):
        return str(message._kwargs.get("name", cell))
    return cell


def _keep_funding(cells: dict[str, str]) -> dict[str, str]:
    """A file without the funded-action columns leaves an existing listing's flag and programme period as they
    are (only a manager's "yes" makes a listing a funded action; an older file must not take it away)."""
    if "funded_action" in cells or "programme_period" in cells:
        return cells
    period = db.session.execute(
        db.select(Service.programme_period).where(
            Service.external_id == (cells.get("external_id") or "").strip(), Service.funded_action.is_(True)
        )
    ).scalar_one_or_none()
    if period is None:
        return cells
    return {**cells, "funded_action": "true", "programme_period": period}


def import_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    author: str,
    dry_run: bool = False,
    today: date | None = None,
    allowed: Callable[[ListingInput, Service | None], list[tuple[str, Any]]] | None = None,
    problems: Iterable[RowError] = (),
    providers: dict[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Validate every row, then upsert them by ``external_id``; on any problem, or a dry run, write nothing.

    ``allowed`` returns, for a valid row and the listing it would update (or None), why the importer may not
    write it (a list of column and message); it is how the backend keeps an import inside a territory.
    ``problems`` are those already found in the file (a cell that could not be read): they count, and the
    validation does not report the same cell twice. ``providers`` maps a provider named in the file (folded) to
    the existing organisation chosen instead of creating it. ``progress`` is told, now and then, the step
    (``check`` then ``write``), the rows done and the total (the job runner shows it).

    Flushes but does not commit: the caller commits when ``report.ok and not dry_run``; otherwise this
    function has rolled the session back.
    """
    report = ImportReport(dry_run=dry_run, errors=list(problems))
    reported = {(error.line, error.column) for error in report.errors}
    missing = {
        name for error in report.errors if error.kind == "missing_columns" for name in error.value.split(",")
    }
    chosen = {columns.fold(name): existing for name, existing in (providers or {}).items() if existing}
    valid: list[tuple[int, ListingInput]] = []
    seen: dict[str, int] = {}
    rows = list(rows)
    tell = _progress_teller(progress, len(rows))
    for done, (line, cells) in enumerate(rows):
        tell("check", done)
        provider = (cells.get("provider") or "").strip()
        if provider and columns.fold(provider) in chosen:
            cells = {**cells, "provider": chosen[columns.fold(provider)]}
        cells = _keep_funding(cells)
        listing, field_errors = validate_listing(cells, today=today)
        report.errors.extend(
            _validation_error(line, problem, cells)
            for problem in field_errors
            if (line, problem.column) not in reported and problem.column not in missing
        )
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
        if listing is not None and (line, "") not in reported:
            valid.append((line, listing))
    report.new_organisations = new_organisations(valid)
    if report.errors:
        db.session.rollback()
        return report
    known = _known_external_ids([listing.external_id for _, listing in valid])
    tell = _progress_teller(progress, len(valid))
    for done, (line, listing) in enumerate(valid):
        tell("write", done)
        try:
            with db.session.no_autoflush:
                service = (
                    operations.service_by_external_id(listing.external_id)
                    if listing.external_id in known
                    else None
                )
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


def _progress_teller(
    progress: Callable[[str, int, int], None] | None, total: int
) -> Callable[[str, int], None]:
    """``progress`` called at the first row and then about every hundredth of ``total`` (never per row)."""
    if progress is None:
        return lambda step, done: None
    every = max(1, total // 100)

    def tell(step: str, done: int) -> None:
        if done % every == 0:
            progress(step, done, total)

    return tell


#: Words that many organisations' names share: left out when names are compared, so that "Comune di Sondrio"
#: and "Comune di Tirano" do not look alike while "Comunita' Montana Valtellina di Sondrio" and "C.M. Valtellina
#: di Sondrio" do.
COMMON_NAME_WORDS = frozenset(
    [
        "comune",
        "comunita",
        "montana",
        "cooperativa",
        "coop",
        "sociale",
        "associazione",
        "assoc",
        "ass",
        "fondazione",
        "onlus",
        "odv",
        "aps",
        "ets",
        "parrocchia",
        "oratorio",
        "azienda",
        "speciale",
        "consortile",
        "consorzio",
        "ambito",
        "ufficio",
        "piano",
        "istituto",
        "comprensivo",
        "scuola",
        "di",
        "del",
        "della",
        "dei",
        "delle",
        "degli",
        "dello",
        "d",
        "il",
        "lo",
        "la",
        "i",
        "gli",
        "le",
        "e",
        "ed",
        "in",
        "per",
        "srl",
        "spa",
        "snc",
        "sas",
    ]
)


def distinctive_name(name: str) -> str:
    """The words of an organisation's name that tell it apart (no province, abbreviations expanded, see
    :data:`COMMON_NAME_WORDS`)."""
    name = re.sub(r"\(\s*[A-Za-z]{2}\s*\)", " ", name)
    words = columns.fold(name).split()
    return " ".join(word for word in words if word not in COMMON_NAME_WORDS and len(word) > 1)


def _blocks(key: str) -> set[str]:
    """The first three letters of each word: names that share none are not compared (keeps it linear)."""
    return {word[:3] for word in key.split()}


class NameIndex:
    """Organisations' names by the start of their distinctive words, to find look-alikes without comparing
    every name with every other."""

    def __init__(self, names: Iterable[str]):
        self.keys: dict[str, str] = {}
        self.blocks: dict[str, set[str]] = {}
        for name in names:
            key = distinctive_name(name)
            if key:
                self.keys[name] = key
                for block in _blocks(key):
                    self.blocks.setdefault(block, set()).add(name)

    def similar(self, name: str, limit: int = 3) -> list[str]:
        """The names that likely mean the same organisation as ``name``, closest first."""
        key = distinctive_name(name)
        if not key:
            return []
        candidates = set().union(*(self.blocks.get(block, set()) for block in _blocks(key)))
        scored = []
        for other in candidates - {name}:
            other_key = self.keys[other]
            if 2 * min(len(key), len(other_key)) / (len(key) + len(other_key)) < SIMILAR_NAME_CUTOFF:
                continue
            matcher = difflib.SequenceMatcher(None, key, other_key, autojunk=False)
            if (
                matcher.quick_ratio() >= SIMILAR_NAME_CUTOFF
                and (ratio := matcher.ratio()) >= SIMILAR_NAME_CUTOFF
            ):
                scored.append((-ratio, other))
        return [other for _, other in sorted(scored)[:limit]]


def similar_names(name: str, candidates: Iterable[str]) -> list[str]:
    """The names among ``candidates`` that likely mean the same organisation as ``name``."""
    return NameIndex(candidates).similar(name)


def _known_external_ids(ids: list[str]) -> set[str]:
    """Which of ``ids`` are listings already (one query per thousand ids, not one per row)."""
    known: set[str] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        known.update(
            db.session.execute(db.select(Service.external_id).where(Service.external_id.in_(chunk))).scalars()
        )
    return known


def new_organisations(valid: list[tuple[int, ListingInput]]) -> list[NewOrganisation]:
    """The providers of valid rows that do not exist yet, each with the organisations it resembles (existing
    ones first, then others the same file would create)."""
    found: dict[str, NewOrganisation] = {}
    for line, listing in valid:
        key = listing.provider.casefold()
        if key in found:
            found[key].lines.append(line)
            found[key].type = found[key].type or listing.provider_type
        elif operations.find_organisation(listing.provider) is None:
            found[key] = NewOrganisation(listing.provider, listing.provider_type, [line])
    if not found:
        return []
    existing = NameIndex(db.session.execute(db.select(Organisation.name)).scalars())
    others = NameIndex(item.name for item in found.values())
    for organisation in found.values():
        organisation.similar = existing.similar(organisation.name)
        organisation.similar += [
            name for name in others.similar(organisation.name) if name not in organisation.similar
        ][: 3 - len(organisation.similar)]
    return list(found.values())


def check_file(
    data: bytes, mapping: dict[str, str] | None = None
) -> tuple[Table | None, list[tuple[int, dict[str, str]]], list[str], list[RowError]]:
    """Read a file and its header: the table, its rows as canonical cells, the unknown headers, the problems."""
    table, errors = read_table(data)
    if table is None:
        return None, [], [], errors
    chosen, unknown, header_errors = map_header(table, mapping)
    rows, cell_errors = normalise_rows(table, chosen)
    return table, rows, unknown, [*errors, *header_errors, *cell_errors]


def import_listings(
    data: bytes,
    *,
    author: str,
    dry_run: bool = False,
    today: date | None = None,
    allowed: Callable[[ListingInput, Service | None], list[tuple[str, Any]]] | None = None,
    mapping: dict[str, str] | None = None,
    providers: dict[str, str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    """Import a listings file (CSV or XLSX) given as bytes: every problem of the file, its header and its rows is
    reported in one pass (see :func:`import_rows`); ``mapping`` says what unknown headers hold."""
    table, rows, unknown, problems = check_file(data, mapping)
    report = import_rows(
        rows,
        author=author,
        dry_run=dry_run,
        today=today,
        allowed=allowed,
        problems=problems,
        providers=providers,
        progress=progress,
    )
    report.unknown_columns = unknown
    report.table = table
    return report


ERRORS_HEADER = _l("Problems")


def errors_file(table: Table, errors: list[RowError]) -> bytes:
    """The file as it was read, with a last column that lists each row's problems (same format: CSV or XLSX).

    Every row stays where it was (blank rows and refused rows included), so a problem is on the row the report
    names; the header's own problems are in the header's cell of that column.
    """
    by_line: dict[int, list[str]] = {}
    for error in errors:
        label = f"{columns.column(error.column).label}: " if error.column else ""
        by_line.setdefault(error.line, []).append(f"{label}{error.message}")
    header_problems = " · ".join(by_line.get(1, []))
    header = [*table.header, f"{ERRORS_HEADER}: {header_problems}" if header_problems else str(ERRORS_HEADER)]
    width = len(table.header)
    rows = []
    for line, values in sorted([*table.rows, *table.skipped], key=lambda item: item[0]):
        problems = " · ".join(by_line.get(line, []))
        padded = [*values, *[""] * (width - len(values))]
        rows.append((padded[:width], problems, padded[width:]) if values or problems else None)
    if table.format == "xlsx":
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append([_text_cell(sheet, value) for value in header])
        for row in rows:
            if row is None:
                sheet.append([])
            else:
                cells, problems, beyond = row
                sheet.append([*cells, _text_cell(sheet, problems), *beyond])
        output = io.BytesIO()
        workbook.save(output)
        return output.getvalue()
    output = io.StringIO(newline="")
    writer = csv.writer(output, delimiter=table.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([] if row is None else [*row[0], row[1], *row[2]])
    return ("\ufeff" + output.getvalue()).encode("utf-8")


def _text_cell(sheet: Any, value: Any) -> Any:
    """A write-only cell that holds text as text, even when it starts with ``=`` (never run as a formula)."""
    cell = openpyxl.cell.WriteOnlyCell(sheet, value=str(value))
    cell.data_type = "s"
    return cell


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
        return ImportReport(errors=[RowError(1, "", busy, "file")], dry_run=dry_run)
    return report


def cell_text(value: Any) -> str:
    """A listing's value as a CSV cell: lists joined with ``;``, dates in ISO form, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
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
    """The listings as CSV text; ``excel`` writes the BOM and ``;`` that Italian Excel expects, and neutralises
    cells a spreadsheet would run as formulas (a leading ``'``, as OWASP advises; the import drops it again)."""
    output = io.StringIO(newline="")
    writer = csv.DictWriter(
        output, fieldnames=CSV_COLUMNS, delimiter=";" if excel else ",", lineterminator="\r\n"
    )
    writer.writeheader()
    for service in services:
        row = export_row(service)
        if excel:
            row = {name: columns.neutralise(value) for name, value in row.items()}
        writer.writerow(row)
    return ("\ufeff" if excel else "") + output.getvalue()


def services_for_export(ats: str | None = None, status: str | None = None) -> list[Service]:
    """The listings to export, in ``external_id`` order, optionally of one ATS and/or one status."""
    query = db.select(Service).order_by(Service.external_id)
    if ats:
        query = query.where(Service.ats == ats)
    if status:
        query = query.where(Service.status == status)
    return list(db.session.execute(query).scalars())
