"""Validate a listing given as text cells (a CSV row or a form) into typed values, with every problem listed.

Pure: no database. Messages are lazy strings, rendered in the user's language when shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import access, taxonomy

#: The columns of the listings CSV (docs/csv-format.md: the interchange columns, then Welfare Point's extensions), in export order.
CSV_COLUMNS: tuple[str, ...] = (
    "external_id", "title", "summary", "description", "title_en", "summary_en", "description_en",
    "audience", "category", "needs", "tags", "ats", "municipalities", "age_min", "age_max",
    "company_sizes", "periods", "time_slots", "schedule_notes", "cost", "cost_notes", "cost_notes_en",
    "how_to_access", "how_to_access_en", "provider", "provider_type", "alliance", "address", "municipality",
    "phone", "email", "website", "languages", "capacity", "availability", "enrolment_deadline", "status",
    "last_verified", "review_interval_days",
    # Structured eligibility and access (docs/csv-format.md, "Eligibility and access").
    "age_of", "residence", "conditions", "conditions_en", "isee_max", "documents", "documents_en", "steps",
    "steps_en", "cost_amount", "cost_period", "hours", "enrolment_opens", "channel",
    # Funded actions of an alliance, for the Region's monitoring (docs/csv-format.md, "Funded actions").
    "funded_action", "programme_period",
)  # fmt: skip
REQUIRED_COLUMNS = ("external_id", "title", "audience", "category", "ats", "cost", "provider")
IMPORT_STATUSES = ("draft", "in_review", "published", "archived")

EMAIL_RE = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[A-Za-z]{2,}$")
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(:\d+)?(/\S*)?$")
PHONE_RE = re.compile(r"^\+?[0-9 ./()-]{6,30}$")
PROGRAMME_PERIOD_RE = re.compile(r"^(\d{4})\s*[-–/]\s*(\d{4})$")
EXTERNAL_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
MAX_AGE = 120


@dataclass
class FieldError:
    """A problem with one column: what is wrong, in a lazy (translatable) message."""

    column: str
    message: Any


@dataclass
class ListingInput:
    """A validated listing: every value typed, codes checked, names resolved to ISTAT codes."""

    external_id: str
    title: str
    audience: str
    category: str
    ats: str
    cost: str
    provider: str
    summary: str = ""
    description: str = ""
    title_en: str = ""
    summary_en: str = ""
    description_en: str = ""
    needs: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    age_min: int | None = None
    age_max: int | None = None
    company_sizes: list[str] = field(default_factory=list)
    periods: list[str] = field(default_factory=lambda: ["all_year"])
    time_slots: list[str] = field(default_factory=list)
    schedule_notes: str = ""
    cost_notes: str = ""
    cost_notes_en: str = ""
    how_to_access: str = ""
    how_to_access_en: str = ""
    provider_type: str = ""
    alliance: str = ""
    address: str = ""
    municipality: str | None = None
    phone: str = ""
    email: str = ""
    website: str = ""
    languages: list[str] = field(default_factory=lambda: ["it"])
    capacity: int | None = None
    availability: str = "open"
    enrolment_deadline: date | None = None
    status: str = "draft"
    last_verified: date | None = None
    review_interval_days: int = 180
    age_of: str = ""
    residence: str = ""
    conditions: str = ""
    conditions_en: str = ""
    isee_max: int | None = None
    documents: list[str] = field(default_factory=list)
    documents_en: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    steps_en: list[str] = field(default_factory=list)
    cost_amount: Decimal | None = None
    cost_period: str = ""
    hours: str = ""
    enrolment_opens: date | None = None
    channel: str = ""
    funded_action: bool = False
    programme_period: str = ""


def split_list(cell: str) -> list[str]:
    """Split a ``;``-separated cell into its trimmed, non-empty items, keeping their order, without repeats."""
    items: list[str] = []
    for part in (cell or "").split(";"):
        part = part.strip()
        if part and part not in items:
            items.append(part)
    return items


def clean_text(value: str | None) -> str:
    """Trim a cell and drop control characters (a pasted tab or a stray NUL must not reach the database)."""
    text = "".join(ch for ch in (value or "") if ch in "\n\t" or ord(ch) >= 32)
    return text.strip()


class _Row:
    """Collects typed values and errors while one row is read."""

    def __init__(self, cells: dict[str, str]):
        self.cells = {key: clean_text(value) for key, value in cells.items() if key}
        self.errors: list[FieldError] = []

    def text(self, column: str, max_length: int = 20_000) -> str:
        value = self.cells.get(column, "")
        if len(value) > max_length:
            self.error(column, _l("is longer than %(max)s characters", max=max_length))
        return value

    def error(self, column: str, message: Any) -> None:
        self.errors.append(FieldError(column, message))

    def code(self, column: str, vocabulary: str, allowed: tuple[str, ...] | None = None) -> str:
        value = self.cells.get(column, "")
        allowed = allowed or taxonomy.codes(vocabulary)
        if value and value not in allowed:
            self.error(
                column, _l("“%(value)s” is not one of: %(allowed)s", value=value, allowed=", ".join(allowed))
            )
        return value

    def codes(self, column: str, vocabulary: str) -> list[str]:
        values = split_list(self.cells.get(column, ""))
        allowed = taxonomy.codes(vocabulary)
        wrong = [value for value in values if value not in allowed]
        if wrong:
            self.error(
                column,
                _l(
                    "“%(value)s” is not one of: %(allowed)s",
                    value="; ".join(wrong),
                    allowed=", ".join(allowed),
                ),
            )
        return [value for value in values if value in allowed]

    def integer(self, column: str, minimum: int, maximum: int) -> int | None:
        value = self.cells.get(column, "")
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            self.error(column, _l("“%(value)s” is not a whole number", value=value))
            return None
        if not minimum <= number <= maximum:
            self.error(
                column,
                _l("%(value)s is not between %(min)s and %(max)s", value=number, min=minimum, max=maximum),
            )
            return None
        return number

    def day(self, column: str) -> date | None:
        value = self.cells.get(column, "")
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.error(column, _l("“%(value)s” is not a date in the form YYYY-MM-DD", value=value))
            return None

    def items(self, column: str, max_items: int = 20, max_length: int = 500) -> list[str]:
        values = access.split_lines(self.cells.get(column, ""))
        if len(values) > max_items:
            self.error(column, _l("has more than %(max)s items", max=max_items))
        if any(len(value) > max_length for value in values):
            self.error(column, _l("is longer than %(max)s characters", max=max_length))
        return values[:max_items]

    def amount(self, column: str) -> Decimal | None:
        value = self.cells.get(column, "")
        if not value:
            return None
        try:
            return access.parse_amount(value)
        except ValueError:
            self.error(column, _l("“%(value)s” is not an amount in euros, such as 40 or 2,50", value=value))
            return None

    def hours(self, column: str) -> str:
        value = self.cells.get(column, "")
        try:
            return access.format_hours(access.parse_hours(value))
        except access.HoursError as error:
            self.error(column, error.message)
            return ""

    def shaped(self, column: str, pattern: re.Pattern[str], message: Any) -> str:
        value = self.cells.get(column, "")
        if value and not pattern.match(value):
            self.error(column, message)
        return value

    def municipality(self, column: str, text: str, ats: str | None) -> str | None:
        place = territory.find(text)
        if place is None:
            suggestions = territory.suggest(text, limit=3)
            if suggestions:
                self.error(
                    column,
                    _l(
                        "unknown municipality “%(name)s”; did you mean %(suggestions)s?",
                        name=text,
                        suggestions=", ".join(m.name for m in suggestions),
                    ),
                )
            else:
                self.error(column, _l("unknown municipality “%(name)s”", name=text))
            return None
        if ats and place.ats != ats:
            self.error(
                column,
                _l(
                    "%(name)s is in ATS %(place_ats)s, not in ATS %(ats)s",
                    name=place.name,
                    place_ats=place.ats,
                    ats=ats,
                ),
            )
            return None
        return place.istat_code


def validate_listing(
    cells: dict[str, str], today: date | None = None
) -> tuple[ListingInput | None, list[FieldError]]:
    """Check one listing given as text cells; return the typed listing, or None and every problem found."""
    today = today or date.today()
    row = _Row(cells)
    for column in REQUIRED_COLUMNS:
        if not row.cells.get(column):
            row.error(column, _l("is required"))

    external_id = row.text("external_id", 100)
    if external_id and not EXTERNAL_ID_RE.match(external_id):
        row.error("external_id", _l("may only contain letters, digits and . _ : -"))
    audience = row.code("audience", "audiences")
    category = row.code("category", "categories")
    if audience and category and (info := taxonomy.category(category)) and info["audience"] != audience:
        row.error(
            "category",
            _l(
                "category %(category)s is for audience “%(expected)s”, not “%(audience)s”",
                category=category,
                expected=info["audience"],
                audience=audience,
            ),
        )
    needs = split_list(row.cells.get("needs", ""))
    wrong_needs = [code for code in needs if code not in taxonomy.need_codes()]
    if wrong_needs:
        row.error("needs", _l("unknown need codes: %(codes)s", codes=", ".join(wrong_needs)))

    ats = None
    if row.cells.get("ats"):
        ats = territory.ats_by_name(row.cells["ats"])
        if ats is None:
            row.error(
                "ats",
                _l(
                    "“%(value)s” is not one of: %(allowed)s",
                    value=row.cells["ats"],
                    allowed=", ".join(territory.ATS_NAMES),
                ),
            )
    municipalities = []
    for name in split_list(row.cells.get("municipalities", "")):
        code = row.municipality("municipalities", name, ats)
        if code and code not in municipalities:
            municipalities.append(code)
    location = None
    if row.cells.get("municipality"):
        location = row.municipality("municipality", row.cells["municipality"], None)

    age_min = row.integer("age_min", 0, MAX_AGE)
    age_max = row.integer("age_max", 0, MAX_AGE)
    if age_min is not None and age_max is not None and age_min > age_max:
        row.error(
            "age_max",
            _l("the age range is upside down: %(min)s is more than %(max)s", min=age_min, max=age_max),
        )

    languages = split_list(row.cells.get("languages", "")) or ["it"]
    wrong_languages = [code for code in languages if code not in taxonomy.language_codes()]
    if wrong_languages:
        row.error(
            "languages",
            _l(
                "unknown language codes (use ISO 639-1, e.g. it, en): %(codes)s",
                codes=", ".join(wrong_languages),
            ),
        )

    last_verified = row.day("last_verified")
    if last_verified and last_verified > today:
        row.error("last_verified", _l("is in the future"))
    review_interval = row.integer("review_interval_days", 7, 1095)
    enrolment_opens = row.day("enrolment_opens")
    enrolment_deadline = row.day("enrolment_deadline")
    if enrolment_opens and enrolment_deadline and enrolment_opens > enrolment_deadline:
        row.error("enrolment_opens", _l("enrolment opens after its deadline"))
    cost = row.code("cost", "costs")
    cost_amount = row.amount("cost_amount")
    if cost == "free" and cost_amount:
        row.error("cost_amount", _l("a free service has no amount"))
    cost_period = row.code("cost_period", "cost_periods")
    if cost_period and cost_amount is None:
        row.error("cost_period", _l("give the amount the period is for"))
    periods = row.codes("periods", "periods")
    if "all_year" in periods and len(periods) > 1:
        # A summer camp also ticked "all year" shows up under Christmas and Easter (issue 24).
        row.error(
            "periods",
            _l("“all year” cannot go with a season: tick only the seasons when it runs, or only “all year”"),
        )
    funded_action, programme_period = _funded(row)

    values = ListingInput(
        external_id=external_id,
        title=row.text("title", 200),
        audience=audience,
        category=category,
        ats=ats or "",
        cost=cost,
        provider=row.text("provider", 200),
        summary=row.text("summary", 1000),
        description=row.text("description"),
        title_en=row.text("title_en", 200),
        summary_en=row.text("summary_en", 1000),
        description_en=row.text("description_en"),
        needs=[code for code in needs if code not in wrong_needs],
        tags=split_list(row.text("tags", 1000)),
        municipalities=sorted(municipalities),
        age_min=age_min,
        age_max=age_max,
        company_sizes=row.codes("company_sizes", "company_sizes"),
        periods=periods or ["all_year"],
        time_slots=row.codes("time_slots", "time_slots"),
        schedule_notes=row.text("schedule_notes", 1000),
        cost_notes=row.text("cost_notes", 1000),
        cost_notes_en=row.text("cost_notes_en", 1000),
        how_to_access=row.text("how_to_access"),
        how_to_access_en=row.text("how_to_access_en"),
        provider_type=row.code("provider_type", "organisation_types"),
        alliance=row.text("alliance", 200),
        address=row.text("address", 300),
        municipality=location,
        phone=row.shaped(
            "phone",
            PHONE_RE,
            _l("“%(value)s” does not look like a phone number", value=row.cells.get("phone", "")),
        ),
        email=row.shaped(
            "email",
            EMAIL_RE,
            _l("“%(value)s” does not look like an e-mail address", value=row.cells.get("email", "")),
        ),
        website=row.shaped(
            "website",
            URL_RE,
            _l(
                "“%(value)s” is not a web address starting with http:// or https://",
                value=row.cells.get("website", ""),
            ),
        ),
        languages=[code for code in languages if code not in wrong_languages],
        capacity=row.integer("capacity", 0, 100_000),
        availability=row.code("availability", "availability") or "open",
        enrolment_deadline=enrolment_deadline,
        status=row.code("status", "statuses", IMPORT_STATUSES) or "draft",
        last_verified=last_verified,
        review_interval_days=review_interval or 180,
        age_of=row.code("age_of", "age_of"),
        residence=row.code("residence", "residence"),
        conditions=row.text("conditions", 2000),
        conditions_en=row.text("conditions_en", 2000),
        isee_max=row.integer("isee_max", 0, 200_000),
        documents=row.items("documents"),
        documents_en=row.items("documents_en"),
        steps=row.items("steps"),
        steps_en=row.items("steps_en"),
        cost_amount=cost_amount,
        cost_period=cost_period,
        hours=row.hours("hours"),
        enrolment_opens=enrolment_opens,
        channel=row.code("channel", "channels"),
        funded_action=funded_action,
        programme_period=programme_period,
    )
    if row.errors:
        return None, row.errors
    return values, []


def programme_period(text: str) -> str | None:
    """``"2023-2025"`` for "2023-2025", "2023 – 2025" or "2023/2025"; None when it is not a period of years."""
    match = PROGRAMME_PERIOD_RE.match(text.strip())
    if match is None:
        return None
    start, end = int(match[1]), int(match[2])
    if not 2000 <= start <= end <= 2100 or end - start > 10:
        return None
    return f"{start}-{end}"


_TRUE = frozenset({"true", "1", "yes", "y", "on", "si", "sì", "s", "x", "vero"})
_FALSE = frozenset({"false", "0", "no", "n", "off", "falso"})


def _funded(row: _Row) -> tuple[bool, str]:
    """Whether the listing is a funded action of its alliance, and the programme period it belongs to."""
    word = row.cells.get("funded_action", "").strip().casefold()
    flag = word in _TRUE
    if word and not flag and word not in _FALSE:
        row.error("funded_action", _l("“%(value)s” is not Sì or No", value=word[:40]))
    text = row.cells.get("programme_period", "")
    period = programme_period(text) if text else ""
    if period is None:
        row.error(
            "programme_period",
            _l("“%(value)s” is not a programme period: write the years, e.g. 2023-2025", value=text[:40]),
        )
        period = ""
    if flag and not text:
        row.error("programme_period", _l("give the programme period the funded action belongs to"))
    if flag and not row.cells.get("alliance"):
        row.error("funded_action", _l("a funded action belongs to an alliance: give the alliance"))
    if text and not flag:
        row.error("programme_period", _l("only a funded action of an alliance has a programme period"))
    return flag, period if flag else ""
