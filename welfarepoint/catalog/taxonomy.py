"""The one taxonomy of Welfare Point: audiences, categories, need codes, and every controlled vocabulary.

Everything comes from ``taxonomy.json`` in this package (started from the Region's guidelines, DGR 2398/2019).
Labels are kept there in Italian and English, so that codes, labels and translations have a single source.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

#: The vocabularies that are plain lists of ``{"code", "it", "en"}``.
VOCABULARIES = (
    "categories",
    "organisation_types",
    "company_sizes",
    "sectors",
    "periods",
    "time_slots",
    "costs",
    "availability",
    "statuses",
    "member_roles",
    "age_of",
    "residence",
    "cost_periods",
    "channels",
)


@cache
def data() -> dict[str, Any]:
    """The parsed taxonomy file."""
    return json.loads(resources.files(__package__).joinpath("taxonomy.json").read_text(encoding="utf-8"))


@cache
def _by_code(vocabulary: str) -> dict[str, dict[str, Any]]:
    if vocabulary == "audiences":
        return {code: {"code": code, **labels} for code, labels in data()["audiences"].items()}
    if vocabulary == "needs":
        return {need["code"]: need for group in ("persons", "companies") for need in data()["needs"][group]}
    return {item["code"]: item for item in data()[vocabulary]}


def codes(vocabulary: str) -> tuple[str, ...]:
    """The codes of a vocabulary, in their official order (``audiences``, ``needs`` or one of VOCABULARIES)."""
    return tuple(_by_code(vocabulary))


def label(vocabulary: str, code: str, language: str = "it") -> str:
    """The label of ``code`` in ``language`` (Italian when there is no English); the code itself if unknown."""
    item = _by_code(vocabulary).get(code)
    if item is None:
        return code
    return item.get(language) or item.get("it") or code


def choices(vocabulary: str, language: str = "it") -> list[tuple[str, str]]:
    """``(code, label)`` pairs for a form field."""
    return [(code, label(vocabulary, code, language)) for code in codes(vocabulary)]


def category(code: str) -> dict[str, Any] | None:
    """The category ``code`` (P1, P2, C1-C7, S1, W1) with its audience and labels."""
    return _by_code("categories").get(code)


def need_codes(audience: str | None = None) -> tuple[str, ...]:
    """The need codes, for ``persons``, ``companies`` or both."""
    groups = ("persons", "companies") if audience is None else (audience,)
    return tuple(need["code"] for group in groups for need in data()["needs"].get(group, ()))


def need_groups(audience: str, language: str = "it") -> list[tuple[str, str, tuple[str, ...]]]:
    """The needs of ``audience`` grouped by the category that answers them, in the taxonomy's order.

    Each group is ``(category, heading, need codes)``; the heading says for whom, as a questionnaire asks
    (``for_whom_<language>`` of the category), or is the category's label.
    """
    groups: dict[str, list[str]] = {}
    for code in need_codes(audience):
        groups.setdefault(need_category(code) or "", []).append(code)
    result = []
    for category_code, needs in groups.items():
        item = category(category_code) or {}
        heading = item.get(f"for_whom_{language}") or label("categories", category_code, language)
        result.append((category_code, heading, tuple(needs)))
    return result


def need_category(code: str) -> str | None:
    """The category that answers the need ``code``."""
    need = _by_code("needs").get(code)
    return need["category"] if need else None


def is_sensitive_need(code: str) -> bool:
    """Whether counts for this need are hidden below the higher threshold (care and disability needs)."""
    return code in data()["needs"]["sensitive"]


def language_name(code: str, language: str = "it") -> str:
    """The name of a language given by its ISO 639-1 code."""
    names = data()["languages"].get(code)
    if not names:
        return code
    return names[0] if language == "it" else names[1]


def language_codes() -> tuple[str, ...]:
    """The ISO 639-1 codes a listing may declare."""
    return tuple(data()["languages"])


def need_plain_words(code: str, language: str = "it") -> tuple[str, str]:
    """What a need means in plain words, and examples (company questionnaire); falls back to the label."""
    need = _by_code("needs").get(code, {})
    plain = need.get(f"plain_{language}") or need.get("plain_it") or label("needs", code, language)
    examples = need.get(f"examples_{language}") or need.get("examples_it") or ""
    return plain, examples
