"""The demo's phrase pools and territorial facts, read from the TOML files in ``data/``.

The files are for curators: every phrase on a line of its own, Italian and English side by side as
``{ it = "...", en = "..." }``. Here they become the tuples the generator draws from (a pair becomes
``(italian, english)``), so that the same seed always draws the same phrases.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: An alliance's territory: (name, "in ..." in Italian, "in ..." in English, municipalities, hub first).
Area = tuple[str, str, str, tuple[str, ...]]
#: A Welfare Point: (alliance's place among the ATS's areas, municipality, address, opening hours).
WelfarePoint = tuple[int, str, str, str]
Pair = tuple[str, str]


@dataclass(frozen=True)
class Phrases:
    """Everything the demo generator says and every place it names."""

    area_codes: dict[str, str]
    ats_abbreviations: dict[str, str]
    areas: dict[str, tuple[Area, ...]]
    welfare_points: dict[str, tuple[WelfarePoint, ...]]
    alliance_names: tuple[str, ...]
    streets: tuple[str, ...]
    social_district_names: tuple[str, ...]
    school_names: tuple[str, ...]
    union_names: tuple[str, ...]
    employer_names: tuple[str, ...]
    non_profit_forms: tuple[str, ...]
    non_profit_names: tuple[str, ...]
    surnames: tuple[str, ...]
    enterprise_sectors: tuple[str, ...]
    enterprise_forms: dict[str, tuple[str, ...]]
    schedule_lead_ins: tuple[str, ...]
    closing: tuple[str, ...]
    staff: dict[str, tuple[str, ...]]
    access: dict[str, tuple[Pair, ...]]
    cost_notes: dict[str, dict[str, tuple[Pair, ...]]]
    kinds: dict[str, dict[str, Any]]
    #: Structured eligibility and access by group and kind, and opening hours as data (access.toml).
    sheets: dict[str, Any]


def _read(name: str) -> dict[str, Any]:
    source = resources.files(__package__).joinpath("data").joinpath(name)
    return tomllib.loads(source.read_text(encoding="utf-8"))


def _frozen(value: Any) -> Any:
    """Lists as tuples and ``{it, en}`` tables as ``(it, en)`` pairs, all the way down."""
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, dict):
        if value.keys() == {"it", "en"}:
            return (value["it"], value["en"])
        return {key: _frozen(item) for key, item in value.items()}
    return value


@cache
def phrases() -> Phrases:
    """The parsed data files."""
    territory = _read("territory.toml")
    organisations = _frozen(_read("organisations.toml"))
    sentences = _frozen(_read("sentences.toml"))
    areas = {
        ats: tuple(
            (area["name"], area["where_it"], area["where_en"], tuple(area["municipalities"]))
            for area in items
        )
        for ats, items in territory["areas"].items()
    }
    points = {
        ats: tuple((p["alliance"], p["municipality"], p["address"], p["hours"]) for p in items)
        for ats, items in territory["welfare_points"].items()
    }
    return Phrases(
        area_codes=territory["area_codes"],
        ats_abbreviations=territory["ats_abbreviations"],
        areas=areas,
        welfare_points=points,
        kinds=_frozen(_read("kinds.toml")["kinds"]),
        sheets=_frozen(_read("access.toml")),
        **organisations,
        **sentences,
    )
