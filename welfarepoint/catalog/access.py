"""Structured access to a listing: opening hours, cost amount, steps and documents, read from text and put in words.

Pure: no database, no request. Opening hours are written as rules separated by ``;`` or new lines, each a set of
days and one or more time ranges, in the manner of OpenStreetMap's ``opening_hours``:
``Mo-Fr 07:30-08:30,16:30-18:00; Sa 09:00-12:00``. Curators may write the days in Italian or English
(``lun-ven 7.30-8.30``); the stored text is always the canonical form above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

#: Day codes in the order of the week (Monday first, as in Italy and in RFC 5545's ``BYDAY``).
DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
_DAY_WORDS = {
    **{code.lower(): index for index, code in enumerate(DAY_CODES)},
    **{word: index for index, word in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{word: index for index, word in enumerate(("lun", "mar", "mer", "gio", "ven", "sab", "dom"))},
    **{word: index for index, word in enumerate(("lu", "ma", "me", "gi", "ve", "sa", "do"))},
    **{
        word: index
        for index, word in enumerate(
            ("lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica")
        )
    },
    **{
        word: index
        for index, word in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
}
_TIME = r"(\d{1,2})[:.](\d{2})"
_RANGE_RE = re.compile(rf"^{_TIME}\s*[-–]\s*{_TIME}$")
_DAYS_RE = re.compile(r"^([^\d]+?)\s+(\d.*)$")
_AMOUNT_RE = re.compile(r"^(\d{1,3}(?:\.\d{3})+|\d{1,7})(?:[.,](\d{1,2}))?$")
MAX_RULES = 14
#: An age limit that is no limit: curators write "18 to 120" for "adults".
OPEN_AGE = 100
#: The days' names (CLDR's wide names, written out: Babel's locale data is not loaded into every worker).
DAY_NAMES = {
    "it": ("lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}


class HoursError(ValueError):
    """Opening hours that cannot be read, with a lazy message for the curator."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class HoursRule:
    """Some days of the week, each open in the same time ranges ("HH:MM" pairs)."""

    days: tuple[int, ...]
    spans: tuple[tuple[str, str], ...]

    @property
    def byday(self) -> str:
        """The days as RFC 5545 ``BYDAY`` codes ("MO,TU,WE")."""
        return ",".join(DAY_CODES[day].upper() for day in self.days)


def _fold(text: str) -> str:
    return (
        text.lower()
        .replace("ì", "i")
        .replace("í", "i")
        .replace("è", "e")
        .replace("é", "e")
        .strip()
        .rstrip(".")
    )


def _day(word: str) -> int:
    index = _DAY_WORDS.get(_fold(word))
    if index is None:
        raise HoursError(
            _l("“%(word)s” is not a day of the week (write Mo, Tu, We, Th, Fr, Sa, Su)", word=word)
        )
    return index


def _days(text: str) -> tuple[int, ...]:
    days: list[int] = []
    for part in re.split(r"\s*,\s*|\s+e\s+|\s+and\s+", text.strip()):
        if not part:
            continue
        if "-" in part or "–" in part:
            first, last = (_day(word) for word in re.split(r"\s*[-–]\s*", part, maxsplit=1))
            span = range(first, last + 1) if first <= last else [*range(first, 7), *range(0, last + 1)]
            days.extend(span)
        else:
            days.append(_day(part))
    if not days:
        raise HoursError(_l("each rule starts with its days, for example Mo-Fr"))
    return tuple(sorted(set(days)))


def _time(hours: str, minutes: str) -> str:
    if int(hours) > 24 or int(minutes) > 59:
        raise HoursError(_l("“%(time)s” is not a time of day", time=f"{hours}:{minutes}"))
    return f"{int(hours):02d}:{minutes}"


def _spans(text: str) -> tuple[tuple[str, str], ...]:
    spans = []
    for part in re.split(r"\s*,\s*|\s+e\s+|\s+and\s+", text.strip()):
        match = _RANGE_RE.match(part.strip())
        if not match:
            raise HoursError(_l("“%(text)s” is not a time range such as 09:00-12:30", text=part))
        opens, closes = _time(*match.group(1, 2)), _time(*match.group(3, 4))
        if opens >= closes:
            raise HoursError(_l("%(opens)s-%(closes)s closes before it opens", opens=opens, closes=closes))
        spans.append((opens, closes))
    return tuple(sorted(spans))


def parse_hours(text: str) -> list[HoursRule]:
    """The rules of opening hours written as ``Mo-Fr 09:00-12:00; Sa 09:00-12:00`` (HoursError if unreadable)."""
    rules = []
    for part in re.split(r"\s*[;\n]\s*", (text or "").strip()):
        if not part:
            continue
        match = _DAYS_RE.match(part)
        if not match:
            raise HoursError(_l("“%(text)s” needs days and hours, for example Mo-Fr 09:00-12:00", text=part))
        rules.append(HoursRule(_days(match.group(1)), _spans(match.group(2))))
    if len(rules) > MAX_RULES:
        raise HoursError(_l("write at most %(max)s rules", max=MAX_RULES))
    return rules


def _day_list(days: tuple[int, ...]) -> str:
    parts = []
    start = previous = None
    for day in days:
        if start is None:
            start = previous = day
        elif day == previous + 1:
            previous = day
        else:
            parts.append((start, previous))
            start = previous = day
    if start is not None:
        parts.append((start, previous))
    return ",".join(DAY_CODES[a] if a == b else f"{DAY_CODES[a]}-{DAY_CODES[b]}" for a, b in parts)


def format_hours(rules: list[HoursRule]) -> str:
    """The canonical text of ``rules`` (what is stored and exported)."""
    return "; ".join(
        f"{_day_list(rule.days)} {','.join(f'{a}-{b}' for a, b in rule.spans)}" for rule in rules
    )


def _clock(value: str) -> str:
    hours, minutes = value.split(":")
    return f"{int(hours)}:{minutes}"


def _join(items: list[str], last_word: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last_word} {items[-1]}"


def describe_rule(rule: HoursRule, language: str) -> tuple[str, str]:
    """The days and the times of one rule, in words ("da lunedì a venerdì", "7:30–8:30 e 16:30–18:00")."""
    names = DAY_NAMES.get(language, DAY_NAMES["en"])
    and_word = "e" if language == "it" else "and"
    days = list(rule.days)
    consecutive = len(days) >= 3 and days == list(range(days[0], days[-1] + 1))
    if consecutive:
        first, last = names[days[0]], names[days[-1]]
        day_text = f"da {first} a {last}" if language == "it" else f"{first} to {last}"
    else:
        day_text = _join([names[day] for day in days], and_word)
    times = _join([f"{_clock(a)}–{_clock(b)}" for a, b in rule.spans], and_word)
    return day_text[:1].upper() + day_text[1:], times


def describe_hours(text: str, language: str) -> list[tuple[str, str]]:
    """Stored opening hours as (days, times) pairs in words; nothing when there are none or they are unreadable."""
    try:
        return [describe_rule(rule, language) for rule in parse_hours(text)]
    except HoursError:
        return []


def parse_amount(text: str) -> Decimal:
    """An amount in euros as people write it ("40", "2,50", "€ 1.200,00"); ValueError if it is not one."""
    cleaned = (text or "").replace("€", "").replace("EUR", "").replace(" ", "").strip()
    match = _AMOUNT_RE.match(cleaned)
    if not match:
        raise ValueError(text)
    whole = match.group(1).replace(".", "")
    cents = (match.group(2) or "0").ljust(2, "0")
    try:
        return Decimal(f"{int(whole)}.{cents}")
    except InvalidOperation as error:  # pragma: no cover - the pattern admits digits only
        raise ValueError(text) from error


def format_euros(amount: Decimal, language: str) -> str:
    """An amount as people read it: "40 €" or "2,50 €" in Italian, "€40" or "€2.50" in English."""
    whole, cents = divmod(int(amount * 100), 100)
    grouped = f"{whole:,}"
    if language == "it":
        number = grouped.replace(",", ".") + (f",{cents:02d}" if cents else "")
        return f"{number} €"
    return f"€{grouped}" + (f".{cents:02d}" if cents else "")


def split_lines(text: str) -> list[str]:
    """Items written one a line or separated by ``;`` (steps, documents), trimmed, without empty ones."""
    items: list[str] = []
    for part in re.split(r"[;\n]", text or ""):
        part = part.strip().lstrip("-•*").strip()
        part = re.sub(r"^\d{1,2}[.)]\s+", "", part)
        if part and part not in items:
            items.append(part)
    return items


def eligibility_ages(age_min: int | None, age_max: int | None, age_of: str) -> str:
    """ "Age of the child: from 6 to 10" in the current language (age_of empty: the person's own age).

    An upper limit of :data:`OPEN_AGE` or more, or a lower limit of 0, is no limit ("18 years and over", not
    "from 18 to 120 years").
    """
    if age_max is not None and age_max >= OPEN_AGE:
        age_max = None
    if age_min == 0:
        age_min = None
    if age_min is None and age_max is None:
        return ""
    if age_min is not None and age_max is not None:
        years = gettext("from %(min)s to %(max)s years", min=age_min, max=age_max)
    elif age_min is not None:
        years = gettext("%(min)s years and over", min=age_min)
    else:
        years = gettext("up to %(max)s years", max=age_max)
    whose = AGE_OF.get(age_of or "person", AGE_OF["person"])
    return f"{whose}: {years}"


#: "Age of ..." for each code of the ``age_of`` vocabulary (sentence starts; the vocabulary has the endings).
AGE_OF = {
    "person": _l("Age"),
    "child": _l("Age of the child"),
    "cared_for": _l("Age of the person cared for"),
    "carer": _l("Age of the carer"),
    "worker": _l("Age of the worker"),
}
