"""Plain text: folding, words, a query made safe (neither Whoosh nor NumPy)."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup

TOKEN_PATTERN = r"\w+"


#: The combining marks of Latin accents (U+0300-U+036F, but for the grapheme joiner, which is not one).
_LATIN_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]")


def fold(text: str) -> str:
    """Lower-case ``text`` and strip accents ("Città" -> "citta")."""
    lowered = text.lower()
    if lowered.isascii():  # most words; their decomposition is themselves
        return lowered
    folded = _LATIN_MARKS.sub("", unicodedata.normalize("NFKD", lowered))
    if folded.isascii():
        return folded
    return "".join(ch for ch in folded if not unicodedata.combining(ch))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")


def normalise_query(text: str, max_length: int = 200) -> str:
    """What a visitor typed, made safe and comparable: no control characters, single spaces, bounded length."""
    text = _CONTROL.sub(" ", text or "")
    return _SPACES.sub(" ", text).strip()[:max_length]


def words(text: str) -> list[str]:
    """The folded words of ``text`` (hyphens and apostrophes split words)."""
    return re.findall(TOKEN_PATTERN, fold(text))


_UNITS_IT = ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci", "undici",
             "dodici", "tredici", "quattordici", "quindici", "sedici", "diciassette", "diciotto", "diciannove"]  # fmt: skip
_UNITS_EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
             "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]  # fmt: skip
_TENS_IT = ["venti", "trenta", "quaranta", "cinquanta", "sessanta", "settanta", "ottanta", "novanta"]
_TENS_EN = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def _number_words() -> dict[str, int]:
    """0 to 120 written out in Italian and English, as people write them ("otto", "ventuno", "eighty-five")."""
    found = {word: value for units in (_UNITS_IT, _UNITS_EN) for value, word in enumerate(units)}
    found.update({"un": 1, "una": 1, "cento": 100, "a hundred": 100})
    for position, (italian, english) in enumerate(zip(_TENS_IT, _TENS_EN, strict=True)):
        tens = 20 + 10 * position
        found[italian], found[english] = tens, tens
        for unit in range(1, 10):
            word = _UNITS_IT[unit]
            found[(italian[:-1] if word[0] in "uo" else italian) + word] = tens + unit  # ventuno, ottantotto
            found[f"{english} {_UNITS_EN[unit]}"] = tens + unit  # "eighty five", "eighty-five"
    for unit in range(1, 21):
        found[f"cento{_UNITS_IT[unit] if unit < 20 else 'venti'}"] = 100 + unit  # centodue, centoventi
        found[f"a hundred and {_UNITS_EN[unit] if unit < 20 else 'twenty'}"] = 100 + unit
    return found


_NUMBER_WORDS = _number_words()
#: What people write after an age ("8 anni", "1 anno", "12 years old", "8 yrs", "8a").
_AGE_UNITS = re.compile(r"\s*(anni|anno|aa|a|years?\s+old|years?|yrs?|y\.?\s*o\.?|y)\.?$")


def age_from_text(text: str) -> int | None:
    """An age in whole years as people type it: "8", "8 anni", "otto", "12 years old", "eighty-five",
    "ventitré"; None when it is not one (a fraction, a range, a negative number, words of something else)."""
    raw = (text or "").strip()
    if raw.startswith(("-", "\u2212")) or any(char.isdigit() and not char.isascii() for char in raw):
        return None  # a negative number; "²" or another script's digits, which folding would turn into ours
    value = " ".join(fold(raw).replace("-", " ").split())
    value = _AGE_UNITS.sub("", value).strip() if value not in _NUMBER_WORDS else value
    if value.isdecimal() and len(value) <= 3:
        return int(value)
    return _NUMBER_WORDS.get(value)


#: Italian's "a" before a word that begins with "a" ("a Alzano"), which is written "ad".
_A_BEFORE_A = re.compile(r"(?<![\w'’])a (?=[AaÀà])")


def euphonic(text: str, language: str) -> str:
    """``text`` with Italian's "ad" for "a" before a word beginning with "a" ("Nessuno ad Alzano"): the
    catalogs write "a %(place)s", and which place comes is known only when the sentence is made. Text in
    another language is left as it is."""
    if language != "it":
        return text
    changed = _A_BEFORE_A.sub("ad ", str(text))
    return Markup(changed) if isinstance(text, Markup) else changed  # escaped once, as it came
