"""Which place counts for each need, and how far a listing is from it (the rules live in the taxonomy).

Each need of ``taxonomy.json`` names the roles of the answers whose municipality counts for it (``places``):
``home``, ``work``, ``school`` (home when no school is given), ``cared`` (where the person cared for lives; home
when not given) and ``company``. A listing that answers a money need (vouchers, contributions to fees) counts at
home only, whatever else it answers: money goes to residents. ``radius_km`` lets listings within that distance
fit too (training and events for companies).

Distances are between municipalities' representative points; each place's distances to every Lombard
municipality are computed once and kept (a few hundred places at most are asked in a day).
"""

from __future__ import annotations

from array import array
from functools import cache, lru_cache

from welfarepoint import territory
from welfarepoint.catalog import taxonomy

ROLES = ("home", "work", "school", "cared", "company")
#: A role that falls back to another when the answers do not give it.
FALLBACK = {"school": "home", "cared": "home"}


@cache
def _need(code: str) -> dict:
    return next(
        (
            need
            for group in ("persons", "companies")
            for need in taxonomy.data()["needs"][group]
            if need["code"] == code
        ),
        {},
    )


def place_roles(need: str) -> tuple[str, ...]:
    """The roles whose municipality counts for ``need`` (home when the taxonomy says nothing)."""
    return tuple(_need(need).get("places", ("home",)))


def is_money_need(need: str) -> bool:
    """Whether ``need`` is answered with money (a voucher, a contribution to fees), not a place or a person."""
    return bool(_need(need).get("money"))


def need_radius_km(need: str) -> float:
    """How far (km) from the place that counts a listing for ``need`` still fits (0: it must cover the place)."""
    return float(_need(need).get("radius_km", 0))


def gap_words(need: str, language: str) -> str:
    """What was not found, as it fits a sentence ("un pre-scuola", "before-school care")."""
    need_data = _need(need)
    return (
        need_data.get(f"gap_{language}") or need_data.get("gap_it") or taxonomy.label("needs", need, language)
    )


def turn_to(need: str) -> tuple[str, ...]:
    """Where to ask when nothing fits ``need`` (codes: school, comune, social_services, welfare_point)."""
    return tuple(_need(need).get("turn_to", ("welfare_point",)))


def is_money_offer(needs: tuple[str, ...]) -> bool:
    """Whether a listing answering ``needs`` is money (it answers at least one money need)."""
    return any(is_money_need(need) for need in needs)


@cache
def _positions() -> dict[str, int]:
    """Each Lombard municipality's position in :func:`territory.all_municipalities`, by ISTAT code."""
    return {m.istat_code: position for position, m in enumerate(territory.all_municipalities())}


@lru_cache(maxsize=128)
def _distances_from(istat_code: str) -> array | None:
    """Distance (km) from the municipality ``istat_code`` to every Lombard municipality, by position (a float
    each: a worker keeps up to 128 of these, and a dictionary of Python floats weighed nine times as much);
    None for an unknown code."""
    origin = territory.by_istat(istat_code)
    if origin is None:
        return None
    return array("d", (territory.distance_km(origin, m) for m in territory.all_municipalities()))


def _nearest(row: array | None, codes) -> float:
    """The shortest of ``row``'s distances to the municipalities ``codes`` (unknown ones left out)."""
    if row is None:
        return float("inf")
    at = _positions()
    return min((row[at[code]] for code in codes if code in at), default=float("inf"))


@lru_cache(maxsize=1024)
def _to_ats(istat_code: str, ats: str) -> float:
    """Distance from a municipality to the nearest municipality of ``ats``."""
    return _nearest(_distances_from(istat_code), (m.istat_code for m in territory.in_ats(ats)))


def offer_distance_km(coverage: tuple[str, ...], ats: str, where: str | None, istat_code: str) -> float:
    """How far a listing is from the municipality ``istat_code``: 0 when it covers it; else the nearest
    municipality it names, or, for a listing of a whole ATS, its own address (``where``) when known, else the
    nearest municipality of the ATS."""
    if coverage:
        if istat_code in coverage:
            return 0.0
        return _nearest(_distances_from(istat_code), coverage)
    m = territory.by_istat(istat_code)
    if m is not None and m.ats == ats:
        return 0.0
    if where and m is not None and where in _positions():
        return _distances_from(istat_code)[_positions()[where]]
    return _to_ats(istat_code, ats)
