"""Hard filters, then ranking, then reasons: which listings fit a :class:`NeedsProfile`, and why.

A listing is a match only if it passes every hard filter: audience, at least one of the needs asked, coverage of
one of the profile's places (home, work or school), the age of a child or of the person cared for, the company
size, free only, and the language asked. Ranking favours listings that answer more of the needs, that name
the municipality (rather than covering a whole ATS), the place where the family lives, and places still open.
When a need finds nothing, the nearest alternatives are the listings that fail exactly one filter, nearest
first, each saying what does not fit.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.matching.profile import NeedsProfile, Place
from welfarepoint.paging import page_count, page_within

PLACE_ROLES = {
    "home": _l("where you live"),
    "work": _l("where you work"),
    "school": _l("where the children go to school"),
}
NEED_PERIODS = {"summer_closure": ("summer",), "holiday_closure": ("christmas", "easter")}
MAX_ALTERNATIVES = 5


@dataclass(frozen=True, slots=True)
class Offer:
    """A published listing as matching sees it: plain values, no database (slots: a worker keeps one for every
    published listing)."""

    id: int
    audience: str
    category: str
    needs: tuple[str, ...]
    ats: str
    coverage: tuple[str, ...]
    age_min: int | None = None
    age_max: int | None = None
    sizes: tuple[str, ...] = ()
    periods: tuple[str, ...] = ("all_year",)
    cost: str = "fee"
    languages: tuple[str, ...] = ("it",)
    availability: str = "open"


def offer_from(service: Any, shared: dict | None = None) -> Offer:
    """The :class:`Offer` of a catalog ``Service``; a listing without need codes answers its category's needs.

    ``shared`` (a dictionary kept while many offers are made) gives equal values one object: every offer of a
    catalog then points at a few hundred strings and tuples instead of owning a dozen of its own.
    """
    shared = {} if shared is None else shared

    def one(value: Any) -> Any:
        return shared.setdefault(value, value)

    needs = tuple(service.needs) or tuple(
        code for code in taxonomy.need_codes() if taxonomy.need_category(code) == service.category
    )
    return Offer(
        id=service.id,
        audience=one(service.audience),
        category=one(service.category),
        needs=one(tuple(map(one, needs))),
        ats=one(service.ats),
        coverage=one(tuple(map(one, service.coverage_codes))),
        age_min=service.age_min,
        age_max=service.age_max,
        sizes=one(tuple(map(one, service.company_sizes))),
        periods=one(tuple(map(one, service.periods or ("all_year",)))),
        cost=one(service.cost),
        languages=one(tuple(map(one, service.languages or ("it",)))),
        availability=one(service.availability),
    )


@dataclass
class Match:
    """A listing that fits (or, as an alternative, nearly fits), with its score, reasons and misfits."""

    offer: Offer
    score: float
    needs: list[str]
    reasons: list[Any] = field(default_factory=list)
    misfits: list[Any] = field(default_factory=list)
    distance_km: float | None = None


@dataclass
class MatchResult:
    """Ranked matches, the same grouped by need, the needs nothing answered, and the nearest alternatives."""

    profile: NeedsProfile
    matches: list[Match]
    by_need: dict[str, list[Match]]
    unmet_needs: list[str]
    alternatives: list[Match]
    #: How many fit in all, and for each need: the lists above may hold only some of them (:meth:`shown`).
    total: int = -1
    counts: dict[str, int] = field(default_factory=dict)
    #: The page of one need's matches these are (:meth:`shown`); 1 otherwise.
    page: int = 1

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.matches)
            self.counts = {need: len(items) for need, items in self.by_need.items()}

    def pages(self, need: str, per_need: int) -> int:
        """How many pages of ``per_need`` the matches of ``need`` fill (at least one)."""
        return page_count(self.counts.get(need, 0), per_need)

    def shown(self, per_need: int, need: str | None = None, page: int = 1) -> MatchResult:
        """The best ``per_need`` of each need; or, for one ``need``, its ``page``-th ``per_need`` (the
        totals kept). What a results page shows, so that a catalog of 100,000 listings never puts hundreds of
        listings on one page."""
        if need in self.by_need:
            page = page_within(page, self.counts[need], per_need)
            start = (page - 1) * per_need
            by_need = {need: self.by_need[need][start : start + per_need]}
        else:
            page = 1
            by_need = {code: items[:per_need] for code, items in self.by_need.items()}
        kept = {id(item) for items in by_need.values() for item in items}
        return replace(
            self,
            matches=[item for item in self.matches if id(item) in kept],
            by_need=by_need,
            total=self.total,
            counts=self.counts,
            page=page,
        )

    @property
    def need_outcomes(self) -> dict[str, str]:
        """Each need asked, with ``matched`` or ``unmet`` (what the demand counters record per need)."""
        return {need: ("unmet" if need in self.unmet_needs else "matched") for need in self.profile.needs}

    @property
    def home_ats(self) -> str:
        """The ATS of the first place given (home, or the company's seat); "" when none was."""
        return self.profile.places[0].municipality.ats if self.profile.places else ""

    @property
    def outcome(self) -> str:
        """``matched`` when something fits, else ``unmet`` (what the demand counters record)."""
        return "matched" if self.matches else "unmet"


def _ages_text(offer: Offer) -> Any:
    if offer.age_min is not None and offer.age_max is not None:
        return _l("ages %(min)s-%(max)s", min=offer.age_min, max=offer.age_max)
    if offer.age_min is not None:
        return _l("from age %(min)s", min=offer.age_min)
    return _l("up to age %(max)s", max=offer.age_max)


def _in_range(offer: Offer, age: int) -> bool:
    return (offer.age_min is None or age >= offer.age_min) and (offer.age_max is None or age <= offer.age_max)


def _covering_place(offer: Offer, places: list[Place]) -> tuple[Place, bool] | None:
    """The first profile place the offer covers, and whether it names it (rather than its whole ATS)."""
    for place in places:
        if place.municipality.istat_code in offer.coverage:
            return place, True
    if not offer.coverage:
        for place in places:
            if place.municipality.ats == offer.ats:
                return place, False
    return None


def _distance_km(offer: Offer, places: list[Place]) -> float | None:
    """How far the offer's nearest covered municipality is from the profile's nearest place."""
    if not places:
        return None
    covered = [m for code in offer.coverage if (m := territory.by_istat(code))] or list(
        territory.in_ats(offer.ats)
    )
    return min(territory.distance_km(place.municipality, target) for place in places for target in covered)


def _evaluate(profile: NeedsProfile, offer: Offer, language: str) -> Match | None:
    """Score one offer; return None when it does not answer any need asked (or is for another audience)."""
    if offer.audience != profile.audience or offer.category in ("W1", "S1"):
        return None
    # A need tied to a period (summer or holiday closures) is answered only by a listing open in that period.
    answered = [
        need
        for need in profile.needs
        if need in offer.needs
        and (
            need not in NEED_PERIODS
            or "all_year" in offer.periods
            or any(period in offer.periods for period in NEED_PERIODS[need])
        )
    ]
    if not answered:
        return None
    reasons: list[Any] = []
    misfits: list[Any] = []
    score = 10.0 * len(answered)
    reasons.append(
        _l("answers: %(needs)s", needs="; ".join(taxonomy.label("needs", n, language) for n in answered))
    )

    covering = _covering_place(offer, profile.places)
    if profile.places:
        if covering is None:
            places = ", ".join(p.municipality.name for p in profile.places)
            misfits.append(_l("does not cover %(places)s", places=places))
        else:
            place, named = covering
            role = PLACE_ROLES[place.role]
            if named:
                reasons.append(_l("covers %(place)s (%(role)s)", place=place.municipality.name, role=role))
                score += 1.5
            else:
                reasons.append(
                    _l(
                        "covers all of ATS %(ats)s, including %(place)s (%(role)s)",
                        ats=offer.ats,
                        place=place.municipality.name,
                        role=role,
                    )
                )
                score += 0.5
            score += {"home": 3, "school": 1.5, "work": 1}[place.role]

    has_age_range = offer.age_min is not None or offer.age_max is not None
    child_needs = any(taxonomy.need_category(n) == "P2" for n in answered)
    care_needs = any(taxonomy.need_category(n) == "P1" for n in answered)
    if has_age_range and child_needs and profile.child_ages:
        fitting = [age for age in profile.child_ages if _in_range(offer, age)]
        if fitting:
            reasons.append(
                _l(
                    "for %(ages)s: fits your child aged %(age)s",
                    ages=_ages_text(offer),
                    age=", ".join(map(str, fitting)),
                )
            )
        else:
            misfits.append(_l("for %(ages)s, not for the ages you gave", ages=_ages_text(offer)))
    if has_age_range and care_needs and profile.cared_age is not None:
        if _in_range(offer, profile.cared_age):
            reasons.append(
                _l("for %(ages)s: fits a person aged %(age)s", ages=_ages_text(offer), age=profile.cared_age)
            )
        else:
            misfits.append(
                _l(
                    "for %(ages)s, not for a person aged %(age)s",
                    ages=_ages_text(offer),
                    age=profile.cared_age,
                )
            )

    if profile.audience == "companies" and profile.size and offer.sizes:
        if profile.size in offer.sizes:
            reasons.append(
                _l(
                    "for companies of your size (%(size)s)",
                    size=taxonomy.label("company_sizes", profile.size, language),
                )
            )
            score += 2
        else:
            misfits.append(_l("not for companies of your size"))

    for need in answered:
        for period in NEED_PERIODS.get(need, ()):
            if period in offer.periods:
                reasons.append(
                    _l("open in %(period)s", period=taxonomy.label("periods", period, language).lower())
                )
                break

    if offer.cost == "free":
        reasons.append(_l("free"))
        score += 1
    elif profile.free_only:
        misfits.append(_l("not free"))
    elif offer.cost == "contribution":
        reasons.append(_l("reduced fee"))

    if profile.language and profile.language != "it":
        if profile.language in offer.languages:
            reasons.append(
                _l("staff speak %(language)s", language=taxonomy.language_name(profile.language, language))
            )
            score += 1
        else:
            misfits.append(
                _l(
                    "no staff speaking %(language)s",
                    language=taxonomy.language_name(profile.language, language),
                )
            )

    if offer.availability == "full":
        score -= 6
    elif offer.availability == "waiting_list":
        score -= 2
    return Match(offer, score, answered, reasons, misfits)


def match(profile: NeedsProfile, offers: list[Offer], *, language: str = "it") -> MatchResult:
    """Rank the offers that fit ``profile`` and explain each; find alternatives for needs nothing answers."""
    matches: list[Match] = []
    near: list[Match] = []
    for offer in offers:
        evaluated = _evaluate(profile, offer, language)
        if evaluated is None:
            continue
        if not evaluated.misfits:
            matches.append(evaluated)
        elif len(evaluated.misfits) == 1:
            near.append(evaluated)
    matches.sort(key=lambda m: (-m.score, m.offer.id))

    by_need: dict[str, list[Match]] = {need: [] for need in profile.needs}
    for item in matches:
        by_need[item.needs[0]].append(item)
    answered = {need for item in matches for need in item.needs}
    unmet = [need for need in profile.needs if need not in answered]

    alternatives: list[Match] = []
    if unmet:
        candidates = [item for item in near if any(need in unmet for need in item.needs)]
        for item in candidates:
            item.distance_km = _distance_km(item.offer, profile.places)
        candidates.sort(
            key=lambda m: (m.distance_km if m.distance_km is not None else 1e9, -m.score, m.offer.id)
        )
        alternatives = candidates[:MAX_ALTERNATIVES]
    return MatchResult(profile, matches, {k: v for k, v in by_need.items() if v}, unmet, alternatives)
