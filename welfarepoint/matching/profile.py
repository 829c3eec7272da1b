"""Read questionnaire answers (the public address parameters, docs/features.md) into a :class:`NeedsProfile`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import taxonomy

MAX_CHILDREN = 8
COMPANY_SIZES = ("micro", "small", "medium", "large")


class Args(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Place:
    """A municipality the profile is tied to, and why: ``home``, ``work`` or ``school``."""

    role: str
    municipality: territory.Municipality


@dataclass
class NeedsProfile:
    """What a family or a company needs, as far as the questionnaire told; nothing that identifies anyone."""

    audience: str
    places: list[Place] = field(default_factory=list)
    child_ages: list[int] = field(default_factory=list)
    cared_age: int | None = None
    needs: list[str] = field(default_factory=list)
    free_only: bool = False
    language: str | None = None
    size: str | None = None
    sector: str = ""
    has_plan: bool | None = None

    @property
    def ats(self) -> list[str]:
        """The ATS of the profile's places, without repeats, home first."""
        seen: list[str] = []
        for place in self.places:
            if place.municipality.ats not in seen:
                seen.append(place.municipality.ats)
        return seen

    @property
    def home(self) -> territory.Municipality | None:
        return next((p.municipality for p in self.places if p.role == "home"), None)


def _age(raw: str) -> int | None:
    raw = (raw or "").strip()
    if not raw.isdecimal() or len(raw) > 3:
        return None
    value = int(raw)
    return value if value <= 120 else None


def _place(args: Args, param: str, role: str, errors: dict[str, Any], places: list[Place]) -> None:
    # A step that offered suggestions sends the typed text and the chosen municipality: the one found wins.
    values = [value.strip()[:80] for value in args.getlist(param) if value.strip()]
    if not values:
        return
    raw = values[0]
    found = next((place for value in values if (place := territory.find(value))), None)
    if found is None:
        errors[param] = _l("No Lombardy municipality is called “%(value)s”.", value=raw)
    elif all(p.municipality != found for p in places):
        places.append(Place(role, found))
    elif role == "home":
        places.insert(0, Place(role, found))


def profile_from(args: Args, audience: str) -> tuple[NeedsProfile, dict[str, Any]]:
    """Build the profile of a ``persons`` (family) or ``companies`` questionnaire; bad values go in the errors."""
    errors: dict[str, Any] = {}
    places: list[Place] = []
    _place(args, "municipality", "home", errors, places)
    profile = NeedsProfile(audience=audience, places=places)

    allowed_needs = taxonomy.need_codes(audience)
    for code in args.getlist("needs"):
        code = code.strip()
        if not code:
            continue
        if code not in allowed_needs:
            errors["needs"] = _l("Unknown need “%(value)s”.", value=code[:40])
        elif code not in profile.needs:
            profile.needs.append(code)

    if audience == "persons":
        _place(args, "work_municipality", "work", errors, profile.places)
        _place(args, "school_municipality", "school", errors, profile.places)
        for raw in args.getlist("child_age")[: MAX_CHILDREN + 1]:
            if not raw.strip():
                continue
            age = _age(raw)
            if age is None or age > 18:
                errors["child_age"] = _l("A child's age is a whole number from 0 to 18.")
            elif len(profile.child_ages) < MAX_CHILDREN:
                profile.child_ages.append(age)
        if raw := (args.get("cared_age") or "").strip():
            profile.cared_age = _age(raw)
            if profile.cared_age is None:
                errors["cared_age"] = _l(
                    "The age of the person you care for is a whole number from 0 to 120."
                )
        profile.free_only = (args.get("free_only") or "") in ("1", "true", "on", "yes")
        if language := (args.get("language") or "").strip():
            if language in taxonomy.language_codes():
                profile.language = language
            else:
                errors["language"] = _l("Unknown language “%(value)s”.", value=language[:20])
    else:
        if size := (args.get("size") or "").strip():
            if size in COMPANY_SIZES:
                profile.size = size
            else:
                errors["size"] = _l("The size is one of: micro, small, medium, large.")
        profile.sector = (args.get("sector") or "").strip()[:80]
        if (has_plan := (args.get("has_plan") or "").strip()) in ("yes", "no"):
            profile.has_plan = has_plan == "yes"
        elif has_plan:
            errors["has_plan"] = _l("Answer yes or no.")
    return profile, errors
