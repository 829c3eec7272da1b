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

from welfarepoint.catalog import taxonomy
from welfarepoint.matching import places as rules
from welfarepoint.matching.profile import NeedsProfile, Place
from welfarepoint.paging import page_count, page_within
from welfarepoint.vocabulary.text import euphonic

PLACE_ROLES = {
    "home": _l("where you live"),
    "work": _l("where you work"),
    "school": _l("where the children go to school"),
    "cared": _l("where the person you care for lives"),
    "company": _l("where the company is"),
}
#: What ranking adds for the place a listing covers, by its role.
ROLE_SCORE = {"home": 3, "cared": 3, "company": 3, "school": 1.5, "work": 1}
NEED_PERIODS = {"summer_closure": ("summer",), "holiday_closure": ("christmas", "easter")}
MAX_ALTERNATIVES = 6
ALTERNATIVES_PER_NEED = 3


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
    #: The municipality of its address (where a listing of a whole ATS is), or None.
    where: str | None = None


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
        where=one(getattr(service, "municipality_code", None)),
    )


@dataclass
class Match:
    """A listing that fits (or, as an alternative, nearly fits), with its score, reasons and misfits."""

    offer: Offer
    score: float
    needs: list[str]
    reasons: list[Any] = field(default_factory=list)
    misfits: list[Any] = field(default_factory=list)
    #: From the place that counts for it (0 when it covers that place); None when no place was given.
    distance_km: float | None = None
    #: A contribution or voucher (money), shown apart from services that give a place or a person's time.
    money: bool = False
    #: Found only by widening to ``radius_km`` around the place that counts.
    widened: bool = False
    #: The needs asked that it answers, whatever the place (``needs``: those it answers in a place that counts).
    asked: list[str] = field(default_factory=list)
    #: The children's ages it fits (all of them when it has no age range) and whether it fits the person cared for.
    child_ages: tuple[int, ...] = ()
    cared_fits: bool = True
    #: What does not fit, by kind: "place", "age", "wish" (free only, language, size).
    misfit_kinds: tuple[str, ...] = ()
    #: The places that count for the needs it answers (for the distance of an alternative).
    counting: tuple[Place, ...] = field(default=(), repr=False)
    #: The place that counts that ``distance_km`` is measured from.
    place: Place | None = None


@dataclass
class Gap:
    """A need asked that nothing fits for one person: a child (by age), the person cared for, or the company.

    ``why``: ``no_place`` (no place given counts for this need), ``nothing_there`` (nothing for this need in the
    places that count), ``age`` (what is there is for other ages), ``wishes`` (what is there does not meet the
    other answers: free only, language, size), ``only_money`` (only contributions to the costs, no service),
    ``outside`` (the place that counts is outside Lombardy).
    """

    need: str
    who: str  # "child", "children", "cared", "company"
    age: int | None
    why: str
    places: tuple[Place, ...] = ()


@dataclass
class MatchResult:
    """Ranked matches, the same grouped by need, the needs nothing answered, and the nearest alternatives."""

    profile: NeedsProfile
    matches: list[Match]
    by_need: dict[str, list[Match]]
    unmet_needs: list[str]
    alternatives: list[Match]
    #: Contributions and vouchers that fit, apart from the services (also in ``matches``).
    money: list[Match] = field(default_factory=list)
    #: For each need and person nothing fits, why (:class:`Gap`).
    gaps: list[Gap] = field(default_factory=list)
    money_total: int = -1
    #: How many fit in all, and for each need: the lists above may hold only some of them (:meth:`shown`).
    total: int = -1
    counts: dict[str, int] = field(default_factory=dict)
    #: The page of one need's matches these are (:meth:`shown`); 1 otherwise.
    page: int = 1

    def __post_init__(self) -> None:
        if self.total < 0:
            self.total = len(self.matches)
            self.counts = {need: len(items) for need, items in self.by_need.items()}
        if self.money_total < 0:
            self.money_total = len(self.money)

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
        money = [] if need in self.by_need else self.money[:per_need]
        kept = {id(item) for items in by_need.values() for item in items} | {id(item) for item in money}
        return replace(
            self,
            matches=[item for item in self.matches if id(item) in kept],
            by_need=by_need,
            money=money,
            total=self.total,
            counts=self.counts,
            page=page,
        )

    @property
    def order(self) -> list[str]:
        """The needs asked in the order the results show them (a company's plan decides it)."""
        return _need_order(self.profile)

    @property
    def services_total(self) -> int:
        """How many services (not contributions) fit in all."""
        return self.total - self.money_total

    @property
    def need_outcomes(self) -> dict[str, str]:
        """Each need asked, with ``matched`` or ``unmet`` (what the demand counters record per need)."""
        return {need: ("unmet" if need in self.unmet_needs else "matched") for need in self.profile.needs}

    @property
    def home_ats(self) -> str:
        """The ATS of the first place given (home, or the company's seat, else work or school); "" when none
        was."""
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


def counting_places(profile: NeedsProfile, need: str) -> tuple[Place, ...]:
    """The places whose municipality counts for ``need`` (the taxonomy's rule), nearest role first.

    When children have schools of their own, "school" is each child's school (else the common one, else home),
    each place carrying the ages of the children it counts for.
    """
    found: list[Place] = []
    roles = rules.place_roles(need)
    if "school" in roles and any(profile.child_schools):
        common = profile.place("school") or profile.place("home")
        by_place: dict[tuple[str, str], list[int]] = {}
        for age, own in zip(profile.child_ages, profile.child_schools, strict=False):
            place = Place("school", own) if own is not None else common
            if place is not None:
                by_place.setdefault((place.role, place.municipality.istat_code), []).append(age)
        for (role, code), ages in by_place.items():
            if role and ages:
                m = next(
                    p.municipality
                    for p in [*profile.places, *_own(profile)]
                    if p.municipality.istat_code == code
                )
                found.append(Place(role, m, tuple(ages)))
        roles = tuple(role for role in roles if role != "school")
    for role in roles:
        place = profile.place(role)
        if place is None and role in rules.FALLBACK and role not in profile.outside:
            place = profile.place(rules.FALLBACK[role])
        if place is not None and place not in found:
            found.append(place)
    return tuple(found)


def _own(profile: NeedsProfile) -> list[Place]:
    return [Place("school", m) for m in profile.child_schools if m is not None]


def _covers(offer: Offer, place: Place) -> bool | None:
    """True when the offer names the place's municipality, False when it covers its whole ATS, else None."""
    if place.municipality.istat_code in offer.coverage:
        return True
    if not offer.coverage and offer.ats == place.municipality.ats:
        return False
    return None


def _distance(offer: Offer, places: tuple[Place, ...]) -> tuple[float, Place]:
    """How far the offer is from the nearest of ``places`` (not empty), and which."""
    return min(
        (
            (
                rules.offer_distance_km(
                    offer.coverage, offer.ats, offer.where, place.municipality.istat_code
                ),
                place,
            )
            for place in places
        ),
        key=lambda pair: pair[0],
    )


def _km(value: float) -> int:
    return max(1, round(value))


def _place_fit(profile: NeedsProfile, offer: Offer, need: str, money: bool, counting: tuple[Place, ...]):
    """Where ``offer`` answers ``need``: (place, named, distance km, widened), or None when in no place that
    counts (nor within the radius)."""
    best = None
    for place in counting:
        named = _covers(offer, place)
        key = (named, ROLE_SCORE[place.role])
        if named is not None and (best is None or key > (best[1], ROLE_SCORE[best[0].role])):
            best = (place, named, 0.0, False)
    if best is not None or money:
        return best
    radius = max(rules.need_radius_km(need), profile.radius_km)
    if radius <= 0:
        return None
    for place in counting:
        km = rules.offer_distance_km(offer.coverage, offer.ats, offer.where, place.municipality.istat_code)
        if km <= radius and (best is None or km < best[2]):
            best = (place, False, km, True)
    return best


def _place_misfit(profile: NeedsProfile, offer: Offer, needs: list[str], money: bool, counting) -> Any:
    """Why a listing that answers ``needs`` is in no place that counts for them."""
    elsewhere = next(
        (place for place in profile.places if place not in counting and _covers(offer, place) is not None),
        None,
    )
    if elsewhere is not None and money:
        return _l(
            "covers %(place)s (%(role)s), but a contribution goes to the residents of the place it covers",
            place=elsewhere.municipality.name,
            role=PLACE_ROLES[elsewhere.role],
        )
    if elsewhere is not None:
        roles = " / ".join(
            dict.fromkeys(str(PLACE_ROLES[role]) for need in needs for role in rules.place_roles(need))
        )
        return _l(
            "covers %(place)s (%(role)s), but for this need what counts is %(counts)s",
            place=elsewhere.municipality.name,
            role=PLACE_ROLES[elsewhere.role],
            counts=roles,
        )
    if not counting:
        return _l("no place you gave counts for this need")
    return _l(
        "does not cover %(places)s", places=", ".join(dict.fromkeys(p.municipality.name for p in counting))
    )


def _placed(profile: NeedsProfile, offer: Offer, counting: dict[str, tuple[Place, ...]]):
    """Which needs asked the offer answers, whether it is money, where it fits them and the places that count
    for it; None when it answers no need asked (or is for another audience). The cheap part of
    :func:`_evaluate`, done for every offer: most are elsewhere, and only the nearest of those are explained."""
    if offer.audience != profile.audience or offer.category in ("W1", "S1"):
        return None
    # A need tied to a period (summer or holiday closures) is answered only by a listing open in that period.
    asked = [
        need
        for need in profile.needs
        if need in offer.needs
        and (
            need not in NEED_PERIODS
            or "all_year" in offer.periods
            or any(period in offer.periods for period in NEED_PERIODS[need])
        )
    ]
    if not asked:
        return None
    money = rules.is_money_offer(offer.needs)
    home = counting[""]
    fits = {}
    for need in asked:
        where = home if money else counting[need]
        if (fit := _place_fit(profile, offer, need, money, where)) is not None:
            fits[need] = fit
    answered = [need for need in asked if need in fits] or asked
    counted = tuple(dict.fromkeys(p for need in answered for p in (home if money else counting[need])))
    return asked, money, fits, counted


def _evaluate(
    profile: NeedsProfile, offer: Offer, language: str, placed, counting: dict[str, tuple[Place, ...]]
) -> Match:
    """Score one offer placed by :func:`_placed`, with its reasons and what does not fit."""
    asked, money, fits, counted = placed
    answered = [need for need in asked if need in fits] or asked
    reasons: list[Any] = []
    misfits: list[Any] = []
    kinds: list[str] = []
    score = 10.0 * len(answered)
    reasons.append(
        _l("answers: %(needs)s", needs="; ".join(taxonomy.label("needs", n, language) for n in answered))
    )
    distance = None
    widened = False
    if fits:
        place, named, distance, widened = min(
            fits.values(), key=lambda fit: (fit[2], -ROLE_SCORE[fit[0].role])
        )
        role = PLACE_ROLES[place.role]
        if widened:
            reasons.append(
                _l(
                    "%(km)s km from %(place)s (%(role)s): found by looking within %(radius)s km",
                    km=_km(distance),
                    place=place.municipality.name,
                    role=role,
                    radius=round(max(profile.radius_km, *(rules.need_radius_km(n) for n in fits))),
                )
            )
            score += 0.5 - distance / 20
        elif named:
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
        score += ROLE_SCORE[place.role]
    else:
        misfits.append(_place_misfit(profile, offer, asked, money, counted))
        kinds.append("place")
    if money:
        reasons.append(_l("a contribution to the costs, for residents"))

    has_age_range = offer.age_min is not None or offer.age_max is not None
    child_needs = any(taxonomy.need_category(n) == "P2" for n in answered)
    care_needs = any(taxonomy.need_category(n) == "P1" for n in answered)
    child_ages = tuple(profile.child_ages)
    cared_fits = True
    if fits and child_needs and any(p.ages for need in fits for p in counting[need]):
        # Children with schools of their own: a listing serves those whose place it covers.
        served = set()
        for need in fits:
            for p in counting[need]:
                if _covers(offer, p) is not None or fits[need][0] == p:
                    served.update(p.ages or profile.child_ages)
        child_ages = tuple(age for age in profile.child_ages if age in served)
    if has_age_range and child_needs and profile.child_ages:
        child_ages = tuple(age for age in child_ages if _in_range(offer, age))
        if child_ages:
            reasons.append(
                _l(
                    "for %(ages)s: fits your child aged %(age)s",
                    ages=_ages_text(offer),
                    age=", ".join(map(str, child_ages)),
                )
            )
        else:
            misfits.append(_l("for %(ages)s, not for the ages you gave", ages=_ages_text(offer)))
            kinds.append("age")
    if has_age_range and care_needs and profile.cared_age is not None:
        cared_fits = _in_range(offer, profile.cared_age)
        if cared_fits:
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
            kinds.append("age")

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
            kinds.append("wish")

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
        kinds.append("wish")
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
            kinds.append("wish")

    if offer.availability == "full":
        score -= 6
    elif offer.availability == "waiting_list":
        score -= 2
    return Match(
        offer,
        score,
        answered if fits else [],
        reasons,
        misfits,
        distance_km=None if distance is None else round(distance, 1),
        place=place if fits else None,
        money=money,
        widened=widened,
        asked=asked,
        child_ages=child_ages,
        cared_fits=cared_fits,
        misfit_kinds=tuple(kinds),
        counting=counted,
    )


def _people(profile: NeedsProfile, need: str) -> list[tuple[str, int | None]]:
    """Who ``need`` is for: each child by age (the children, when no age was given), the person cared for, or
    the company."""
    if profile.audience == "companies":
        return [("company", None)]
    if taxonomy.need_category(need) == "P1":
        return [("cared", profile.cared_age)]
    if profile.child_ages:
        return [("child", age) for age in dict.fromkeys(profile.child_ages)]
    return [("children", None)]


def _fits_person(item: Match, who: str, age: int | None) -> bool:
    if who == "child":
        return age in item.child_ages
    if who == "cared":
        return item.cared_fits
    return True


def _gaps(
    profile: NeedsProfile,
    counting: dict[str, tuple[Place, ...]],
    matches: list[Match],
    evaluated: list[Match],
) -> list[Gap]:
    """For each need asked and each person it is for, why nothing fits when nothing does."""
    gaps = []
    for need in profile.needs:
        money_need = rules.is_money_need(need)
        for who, age in _people(profile, need):
            if any(
                need in item.needs and item.money == money_need and _fits_person(item, who, age)
                for item in matches
            ):
                continue
            tried = [item for item in evaluated if need in item.asked and item.money == money_need]
            in_place = [item for item in tried if "place" not in item.misfit_kinds]
            if not counting[need] and any(role in profile.outside for role in rules.place_roles(need)):
                why = "outside"
            elif not counting[need] and not (money_need and profile.home):
                why = "no_place"
            elif any(_fits_person(item, who, age) for item in in_place):
                why = "wishes"
            elif in_place:
                why = "age"
            elif not money_need and any(
                need in item.needs and _fits_person(item, who, age) for item in matches if item.money
            ):
                why = "only_money"
            else:
                why = "nothing_there"
            places = tuple(p for p in counting[need] if not p.ages or age in p.ages)
            gaps.append(Gap(need, who, age, why, places))
    return gaps


#: The company needs that build a welfare plan: first for a company without one, last for one that has it.
PLAN_BUILDING_NEEDS = ("C3",)


def _need_order(profile: NeedsProfile) -> list[str]:
    """The needs in the order the results show them: a company's plan decides where building one comes."""
    if profile.audience != "companies" or profile.has_plan is None:
        return list(profile.needs)
    building = [need for need in profile.needs if need in PLAN_BUILDING_NEEDS]
    others = [need for need in profile.needs if need not in PLAN_BUILDING_NEEDS]
    return others + building if profile.has_plan else building + others


def gap_text(gap: Gap, language: str, outside: dict[str, str] | None = None) -> str:
    """A gap in words: for whom nothing was found, and why ("For your child aged 12 we found no ...")."""
    what = rules.gap_words(gap.need, language)
    outside = outside or {}
    if gap.who == "child":
        who = _l("For your child aged %(age)s we found no %(what)s.", age=gap.age, what=what)
    elif gap.who == "children":
        who = _l("For your children we found no %(what)s.", what=what)
    elif gap.who == "cared" and gap.age is not None:
        who = _l("For the person you care for, aged %(age)s, we found no %(what)s.", age=gap.age, what=what)
    elif gap.who == "cared":
        who = _l("For the person you care for we found no %(what)s.", what=what)
    else:
        who = _l(
            "For your company we found nothing for: %(what)s.",
            what=taxonomy.need_plain_words(gap.need, language)[0],
        )
    places = ", ".join(dict.fromkeys(p.municipality.name for p in gap.places))
    if gap.why == "nothing_there":
        why = _l("There is none in %(places)s.", places=places)
    elif gap.why == "age":
        why = _l("What there is in %(places)s is for other ages.", places=places)
    elif gap.why == "wishes":
        why = _l("What there is does not meet your other answers (free only, language, company size).")
    elif gap.why == "outside":
        elsewhere = next(
            (
                profile_outside
                for role in rules.place_roles(gap.need)
                if (profile_outside := outside.get(role))
            ),
            "",
        )
        why = _l(
            "%(place)s is not in Lombardy: the services of these networks do not reach it.", place=elsewhere
        )
    elif gap.why == "only_money":
        why = _l("There are only contributions to the costs, not a service.")
    else:
        roles = " / ".join(str(PLACE_ROLES[role]) for role in rules.place_roles(gap.need))
        why = _l("For this, what counts is %(roles)s: tell us that place.", roles=roles)
    return euphonic(f"{who} {why}", language)


def _nearest_elsewhere(
    profile: NeedsProfile, language: str, elsewhere: list, short: set[str], counting: dict
) -> list[Match]:
    """The nearest listings in no place that counts that fail only there, a few for each need in ``short``:
    measured all (a lookup each), explained only as far as needed, nearest first."""
    measured = []
    for offer, placed in elsewhere:
        counted = placed[3]
        if counted and not placed[1] and any(need in short for need in placed[0]):  # no money elsewhere
            distance, place = _distance(offer, counted)
            measured.append((distance, offer.id, offer, placed, place))
    measured.sort(key=lambda entry: entry[:2])
    found: list[Match] = []
    taken: dict[str, int] = {}
    for distance, _id, offer, placed, place in measured:
        needs = [need for need in placed[0] if need in short and taken.get(need, 0) < ALTERNATIVES_PER_NEED]
        if not needs:
            if all(taken.get(need, 0) >= ALTERNATIVES_PER_NEED for need in short):
                break
            continue
        item = _evaluate(profile, offer, language, placed, counting)
        if len(item.misfits) == 1:
            item.distance_km, item.place = round(distance, 1), place
            found.append(item)
            taken[needs[0]] = taken.get(needs[0], 0) + 1
    return found


def match(profile: NeedsProfile, offers: list[Offer], *, language: str = "it") -> MatchResult:
    """Rank the offers that fit ``profile`` and explain each; say, for each need and person nothing fits, why;
    find the nearest alternatives for those needs."""
    counting = {need: counting_places(profile, need) for need in profile.needs}
    counting[""] = tuple(p for p in profile.places if p.role in ("home", "company"))  # where money counts
    matches: list[Match] = []
    near: list[Match] = []
    evaluated: list[Match] = []
    elsewhere: list[tuple[Offer, tuple]] = []
    for offer in offers:
        placed = _placed(profile, offer, counting)
        if placed is None:
            continue
        if not placed[2]:  # in no place that counts: explained only if among the nearest alternatives
            elsewhere.append((offer, placed))
            continue
        item = _evaluate(profile, offer, language, placed, counting)
        evaluated.append(item)
        if not item.misfits:
            matches.append(item)
        elif len(item.misfits) == 1:
            near.append(item)
    matches.sort(key=lambda m: (-m.score, m.distance_km or 0, m.offer.id))

    by_need: dict[str, list[Match]] = {need: [] for need in _need_order(profile)}
    money: list[Match] = []
    for item in matches:
        if item.money:
            money.append(item)
        else:
            by_need[item.needs[0]].append(item)
    answered = {need for item in matches for need in item.needs if item.money == rules.is_money_need(need)}
    unmet = [need for need in profile.needs if need not in answered]
    gaps = _gaps(profile, counting, matches, evaluated)

    alternatives: list[Match] = []
    short = set(unmet) | {gap.need for gap in gaps}
    if short:
        # Only listings tied to a place that counts for them, nearest first; a few for each need that is short.
        # A contribution elsewhere goes to that place's residents: never an alternative one could use.
        candidates = [
            item
            for item in near
            if item.counting
            and any(need in short for need in item.asked)
            and not (item.money and "place" in item.misfit_kinds)
        ]
        candidates += _nearest_elsewhere(profile, language, elsewhere, short, counting)
        for item in candidates:
            if item.distance_km is None:
                distance, item.place = _distance(item.offer, item.counting)
                item.distance_km = round(distance, 1)
        candidates.sort(key=lambda m: (m.distance_km, -m.score, m.offer.id))
        taken: dict[str, int] = {}
        for item in candidates:
            need = next(need for need in item.asked if need in short)
            if taken.get(need, 0) < ALTERNATIVES_PER_NEED:
                taken[need] = taken.get(need, 0) + 1
                alternatives.append(item)
        alternatives = alternatives[:MAX_ALTERNATIVES]
    return MatchResult(
        profile,
        matches,
        {k: v for k, v in by_need.items() if v},
        unmet,
        alternatives,
        money=money,
        gaps=gaps,
    )
