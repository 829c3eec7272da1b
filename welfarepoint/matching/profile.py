"""Read questionnaire answers (the public address parameters, docs/features.md) into a :class:`NeedsProfile`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import taxonomy
from welfarepoint.vocabulary.text import age_from_text

MAX_CHILDREN = 8
COMPANY_SIZES = ("micro", "small", "medium", "large")
#: The widest search around the place that counts, in km; the pages offer 10, 20 and 30.
MAX_RADIUS_KM = 50
RADIUS_CHOICES = (10, 20, 30)


class Args(Protocol):
    def get(self, key: str, default: Any = None) -> Any: ...
    def getlist(self, key: str) -> list[str]: ...


@dataclass(frozen=True)
class Place:
    """A municipality the profile is tied to, and why: ``home``, ``work``, ``school``, ``cared`` (where the
    person cared for lives) or ``company`` (where the company is)."""

    role: str
    municipality: territory.Municipality
    #: The children's ages this place counts for (a child's own school); empty: everyone's.
    ages: tuple[int, ...] = ()


@dataclass
class NeedsProfile:
    """What a family or a company needs, as far as the questionnaire told; nothing that identifies anyone."""

    audience: str
    places: list[Place] = field(default_factory=list)
    child_ages: list[int] = field(default_factory=list)
    #: Each child's own school, in the order of ``child_ages`` (None: the common school, else home).
    child_schools: list[territory.Municipality | None] = field(default_factory=list)
    cared_age: int | None = None
    needs: list[str] = field(default_factory=list)
    free_only: bool = False
    language: str | None = None
    size: str | None = None
    has_plan: bool | None = None
    #: Widen to listings within this many km of the place that counts (0: only listings that cover it).
    radius_km: int = 0
    #: A role whose answer named a town outside Lombardy: role -> its name.
    outside: dict[str, str] = field(default_factory=dict)

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
        return next((p.municipality for p in self.places if p.role in ("home", "company")), None)

    def place(self, role: str) -> Place | None:
        """The place given for ``role``, or None."""
        return next((p for p in self.places if p.role == role), None)


def _age(raw: str) -> int | None:
    value = age_from_text(raw)  # "8", "8 anni", "otto", "eight years old"
    return value if value is not None and value <= 120 else None


def resolve_municipality(
    text: str,
) -> tuple[territory.Municipality | None, str, list[territory.Municipality]]:
    """What a place answer names: the Lombard municipality (or None), the name of the Italian municipality
    outside Lombardy it names (else ""), and municipalities to suggest when it names none for sure.

    A code or an exact name is taken; so is the start of a name when it is whole words ("alzano" for Alzano
    Lombardo, "Milan"); a bare prefix ("Sondr") is only suggested. A town outside Lombardy is named as such and
    never answered with a Lombard look-alike ("Piacenza" is not "Piadena Drizzona").
    """
    text = " ".join(str(text).split())[:80]
    if not text:
        return None, "", []
    if found := territory.find(text):
        return found, "", []
    # What people add around a town: a postal code ("20900 Monza (MB)"), "S." for San ("Sesto S. Giovanni").
    bare = _CAP_AROUND.sub("", text).strip() or text
    bare = _SAN.sub("San ", bare)
    resolved = territory.resolve_place(bare)
    place = resolved.place
    qualified = _QUALIFIED.match(bare)
    # "Lugano (CH)", "Novara (NO)": a province (or country) outside Lombardy, never a Lombard look-alike.
    if (
        qualified
        and qualified.group("code").upper() not in territory.PROVINCES
        and (place is None or place.kind is not territory.PlaceKind.OUTSIDE)
    ):
        return None, qualified.group("name"), []
    lombard_words = [m for m in territory.suggest(bare, limit=5) if _starts_with_words(m.name, bare)]
    if place is not None and place.kind is territory.PlaceKind.OUTSIDE:
        if lombard_words:  # "Sesto": Sesto San Giovanni, Sesto Calende... before Sesto in South Tyrol
            return None, "", lombard_words
        return None, place.name, []
    if place is not None and place.municipality is not None:
        if resolved.via is not territory.Via.PREFIX or _starts_with_words(place.name, bare):
            return place.municipality, "", []
        return None, "", [place.municipality]
    candidates = [c.municipality for c in resolved.candidates if c.municipality is not None]
    if candidates:
        return None, "", candidates[:5]
    if place is not None:  # an area, a province, an ATS, Lombardy: which municipality of it?
        return None, "", list(place.municipalities[:5]) if len(place.municipalities) <= 5 else []
    inside = territory.find_place_in_text(bare)  # "Ospedale San Gerardo Monza": the town in it, to confirm
    if inside is not None and inside.match.place is not None and inside.match.place.municipality is not None:
        return None, "", [inside.match.place.municipality]
    return None, "", territory.suggest(bare, limit=5)


_CAP_AROUND = re.compile(r"^\d{5}\s+|\s+\d{5}$")
_SAN = re.compile(r"\bS\.\s*(?=[A-Z])")
_QUALIFIED = re.compile(r"^(?P<name>.+?)\s*\((?P<code>[A-Za-z]{2})\)$")


def _starts_with_words(name: str, text: str) -> bool:
    """Whether ``text`` is the whole first word(s) of ``name`` ("alzano" of Alzano Lombardo)."""
    return territory.normalise(name).startswith(territory.normalise(text) + " ")


def _place(args: Args, param: str, role: str, errors: dict[str, Any], profile: NeedsProfile) -> None:
    # A step that offered suggestions sends the typed text and the chosen municipality: the one found wins.
    values = [value.strip()[:80] for value in args.getlist(param) if value.strip()]
    if not values:
        return
    raw = values[0]
    outside = ""
    found = None
    for value in values:
        municipality, elsewhere, _ = resolve_municipality(value)
        if municipality is not None:
            found = municipality
            break
        outside = outside or elsewhere
    if found is None and outside:
        profile.outside[role] = outside
        if role == "home":
            errors[param] = _l(
                "%(place)s is not in Lombardy: give where you work or where the children go to school.",
                place=outside,
            )
        elif role == "cared":
            pass  # care needs then find nothing here, and the results say why (a gap), not the questionnaire
        elif role == "company":
            errors[param] = _l(
                "%(place)s is not in Lombardy: the networks of this site serve companies in Lombardy.",
                place=outside,
            )
        else:
            errors[param] = _l(
                "%(place)s is not in Lombardy: the services here are for places in Lombardy.", place=outside
            )
    elif found is None:
        errors[param] = _l("No Lombardy municipality is called “%(value)s”.", value=raw)
    else:
        profile.places.append(Place(role, found))


def profile_from(args: Args, audience: str) -> tuple[NeedsProfile, dict[str, Any]]:
    """Build the profile of a ``persons`` (family) or ``companies`` questionnaire; bad values go in the errors."""
    errors: dict[str, Any] = {}
    profile = NeedsProfile(audience=audience)
    _place(args, "municipality", "home" if audience == "persons" else "company", errors, profile)

    allowed_needs = taxonomy.need_codes(audience)
    for code in args.getlist("needs"):
        code = code.strip()
        if not code:
            continue
        if code not in allowed_needs:
            errors["needs"] = _l("Unknown need “%(value)s”.", value=code[:40])
        elif code not in profile.needs:
            profile.needs.append(code)

    if raw := (args.get("radius_km") or "").strip():
        if raw.isdecimal() and len(raw) <= 3 and int(raw) <= MAX_RADIUS_KM:
            profile.radius_km = int(raw)
        else:
            errors["radius_km"] = _l(
                "The distance is a whole number of kilometres from 0 to %(max)s.", max=MAX_RADIUS_KM
            )

    if audience == "persons":
        _place(args, "work_municipality", "work", errors, profile)
        _place(args, "school_municipality", "school", errors, profile)
        _place(args, "cared_municipality", "cared", errors, profile)
        # Each child is its own row: a wrong age is reported for that child ("child_age_<n>", n from 0).
        schools = args.getlist("child_school")
        for n, raw in enumerate(args.getlist("child_age")[: MAX_CHILDREN + 1]):
            if not raw.strip():
                continue
            age = _age(raw)
            if age is None or age > 18:
                errors[f"child_age_{n}"] = _l(
                    "Child %(n)s: the age is a whole number of years from 0 to 18 (you wrote “%(value)s”).",
                    n=n + 1,
                    value=raw.strip()[:20],
                )
                errors.setdefault("child_age", errors[f"child_age_{n}"])
            elif len(profile.child_ages) < MAX_CHILDREN:
                profile.child_ages.append(age)
                school = schools[n].strip()[:80] if n < len(schools) else ""
                found = resolve_municipality(school)[0] if school else None
                if school and found is None:
                    errors[f"child_school_{n}"] = _l(
                        "Child %(n)s: no Lombardy municipality is called “%(value)s”.", n=n + 1, value=school
                    )
                    errors.setdefault("child_school", errors[f"child_school_{n}"])
                profile.child_schools.append(found)
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
        if "home" in profile.outside and profile.places:
            # Home is optional when a workplace or a school is given: the places in Lombardy are looked in.
            errors.pop("municipality", None)
    else:
        if size := (args.get("size") or "").strip():
            if size in COMPANY_SIZES:
                profile.size = size
            else:
                errors["size"] = _l("The size is one of: micro, small, medium, large.")
        # The sector is no longer asked: no listing says which sectors it is for, so it changed nothing.
        if (has_plan := (args.get("has_plan") or "").strip()) in ("yes", "no"):
            profile.has_plan = has_plan == "yes"
        elif has_plan and has_plan not in ("unknown", "dont_know"):
            errors["has_plan"] = _l("Answer yes or no.")
    return profile, errors
