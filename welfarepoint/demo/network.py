"""The demo network: organisations, alliances and listings that match the Region's 2020-2023 monitoring.

:func:`build_demo_network` invents a plausible Lombard conciliation network, reproducibly (``random.Random(seed)``
only, so the same ``today`` and ``seed`` give the same network). Its figures match ``rtc_monitoring_2020_2023``
exactly: per ATS the number of alliances and of actions for people (P1, P2) and for companies (C1-C7) of
Tabella 6.1, and the organisations per ATS and type of Figura 6.2. Welfare Points (W1) come on top and are not
actions. The listings are CSV rows (``CSV_COLUMNS``), so :mod:`welfarepoint.demo.loader` loads them through
the validating import like any file a manager uploads. Every contact is on a reserved example domain and every
phone number uses an unassigned 000 block.

Standard library only. The phrases, names and places it draws from are data, in ``data/*.toml`` beside this
module (read by :mod:`welfarepoint.demo.phrases`); the figures of the monitoring and the listings the user
journeys rely on are here.
"""

from __future__ import annotations

import csv
import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources

from welfarepoint.catalog.validation import CSV_COLUMNS
from welfarepoint.demo.phrases import phrases

ORGANISATION_TYPES = (
    "public_body",
    "social_district_or_special_company",
    "school_or_training_institution",
    "trade_union",
    "employers_association",
    "non_profit",
    "large_enterprise",
    "medium_enterprise",
    "small_enterprise",
    "micro_enterprise",
)

#: Tabella 6.1 per ATS: (alliances, actions for persons, actions for companies).
MONITORING: dict[str, tuple[int, int, int]] = {
    "Bergamo": (5, 7, 4),
    "Brescia": (3, 2, 46),
    "Brianza": (2, 5, 6),
    "Insubria": (4, 5, 9),
    "Milano Città Metropolitana": (6, 31, 45),
    "Montagna": (5, 7, 0),
    "Pavia": (8, 29, 5),
    "Val Padana": (7, 49, 40),
}
#: Figura 6.2 per ATS: organisations per type, in ORGANISATION_TYPES order.
COMPOSITION: dict[str, tuple[int, ...]] = {
    "Bergamo": (7, 6, 17, 11, 2, 70, 5, 7, 3, 2),
    "Brescia": (5, 12, 3, 0, 4, 58, 1, 8, 15, 1),
    "Brianza": (5, 7, 3, 4, 5, 26, 0, 1, 0, 0),
    "Insubria": (15, 9, 0, 0, 0, 15, 1, 6, 2, 0),
    "Milano Città Metropolitana": (15, 9, 2, 9, 7, 31, 0, 0, 2, 0),
    "Montagna": (11, 1, 1, 2, 0, 14, 0, 0, 0, 0),
    "Pavia": (12, 1, 3, 0, 0, 19, 1, 2, 3, 0),
    "Val Padana": (18, 9, 0, 0, 10, 33, 5, 6, 3, 2),
}
PERIOD_START = date(2020, 1, 1)
PERIOD_END = date(2023, 12, 31)

PERSON_KINDS = (
    "pre_school", "after_school", "before_after_school", "homework", "summer_camp", "sport_campus",
    "christmas_camp", "easter_camp", "stem_lab", "music_lab", "nature_lab", "sport_lab", "voucher",
    "summer_voucher", "transport", "respite_group", "respite_weekend", "caregiver_desk", "carer_training",
    "home_care", "badante",
)  # fmt: skip
COMPANY_KINDS = (
    "c1",
    "c2",
    "c2_nursery",
    "c3",
    "c3_small",
    "c4",
    "c4_territorial",
    "c5",
    "c6",
    "c6_small",
    "c7",
)

#: Listings overdue for verification, outside Montagna (whose six are pinned below).
OVERDUE_ELSEWHERE = {
    "Bergamo": 1,
    "Brescia": 2,
    "Brianza": 0,
    "Insubria": 1,
    "Milano Città Metropolitana": 2,
    "Pavia": 1,
    "Val Padana": 2,
}
#: Montagna's Welfare Points that are overdue (by index in the data file territory.toml).
MONTAGNA_OVERDUE_POINTS = (1,)

_CARE = ("caregiver_desk", "transport", "respite_group")
#: Actions the user journeys rely on (docs/journeys.md); the rest of each ATS is generated.
PINNED: dict[str, tuple[dict, ...]] = {
    "Montagna": (
        {"kind": "pre_school", "alliance": 0, "municipalities": ("Sondrio",), "ages": (6, 11),
         "availability": "full", "cost": "contribution", "overdue": False},
        {"kind": "summer_camp", "alliance": 0, "municipalities": ("Sondrio",), "ages": (6, 12),
         "availability": "open", "cost": "fee", "twin": "sondrio-summer", "overdue": True},
        {"kind": "summer_camp", "alliance": 0, "municipalities": ("Sondrio",), "ages": (6, 12),
         "availability": "open", "cost": "fee", "twin": "sondrio-summer", "overdue": True},
        {"kind": "after_school", "alliance": 1, "municipalities": ("Morbegno", "Talamona", "Cosio Valtellino"),
         "overdue": True},
        {"kind": "christmas_camp", "alliance": 2, "municipalities": ("Bormio", "Valdisotto", "Livigno"),
         "overdue": True},
        {"kind": "transport", "alliance": 4,
         "municipalities": ("Breno", "Darfo Boario Terme", "Esine", "Pian Camuno", "Edolo"), "overdue": True},
        {"kind": "caregiver_desk", "alliance": 3,
         "municipalities": ("Chiavenna", "Dongo", "Gravedona ed Uniti", "Domaso", "Sorico"), "overdue": False},
    ),
    "Insubria": tuple(
        {"kind": kind, "alliance": 0, "municipalities": ("Como", "Cernobbio", "Cantù"), "ages": (60, 120),
         "availability": "open", "overdue": False}
        for kind in _CARE
    ),
    "Milano Città Metropolitana": tuple(
        {"kind": kind, "alliance": 0, "municipalities": ("Milano", "Sesto San Giovanni", "Bresso"),
         "ages": (65, 120), "availability": "open", "overdue": False}
        for kind in _CARE
    ),
    "Val Padana": (
        {"kind": "c3_small", "alliance": 0, "municipalities": ("Cremona", "Vescovato", "Castelverde"),
         "sizes": "micro;small", "cost": "free", "overdue": False},
        {"kind": "c6_small", "alliance": 0, "municipalities": ("Cremona", "Pizzighettone", "Vescovato"),
         "sizes": "small", "cost": "free", "overdue": False},
        {"kind": "c4_territorial", "alliance": 0, "municipalities": (), "venue": "Cremona",
         "sizes": "micro;small;medium", "overdue": False},
    ),
    "Brescia": (
        {"kind": "c7", "alliance": 0, "municipalities": ("Brescia", "Rezzato", "Castenedolo"),
         "sizes": "medium;large", "cost": "fee", "overdue": False},
        {"kind": "c2_nursery", "alliance": 0, "municipalities": (), "venue": "Brescia",
         "sizes": "small;medium;large", "overdue": False},
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DemoOrganisation:
    key: str
    name: str
    type: str
    ats: str
    municipality: str
    website: str
    email: str
    phone: str


@dataclass(frozen=True)
class DemoAlliance:
    name: str
    ats: str
    lead: str
    members: tuple[tuple[str, str], ...]
    period_start: date
    period_end: date


@dataclass(frozen=True)
class DemoNetwork:
    organisations: tuple[DemoOrganisation, ...]
    alliances: tuple[DemoAlliance, ...]
    services: tuple[dict[str, str], ...]


def build_demo_network(today: date, seed: int = 2023) -> DemoNetwork:
    """The demo network as of ``today``; the same ``today`` and ``seed`` always give the same network."""
    builder = _Builder(today, random.Random(seed))
    for ats in phrases().areas:
        builder.build_ats(ats)
    return DemoNetwork(
        organisations=tuple(builder.organisations),
        alliances=tuple(builder.alliances),
        services=tuple(builder.rows),
    )


@cache
def _provinces() -> dict[str, str]:
    """Official municipality name -> province code, from the territory data file."""
    source = resources.files("welfarepoint.territory").joinpath("municipalities.csv")
    with source.open("r", encoding="utf-8", newline="") as handle:
        return {row["name"]: row["province"] for row in csv.DictReader(handle)}


_SLUG_STOP = {
    "di",
    "del",
    "della",
    "dei",
    "delle",
    "e",
    "il",
    "la",
    "lo",
    "le",
    "gli",
    "per",
    "i",
    "sede",
    "l",
}
_LEGAL = re.compile(r"\b(S\.p\.A\.|S\.r\.l\.|S\.n\.c\.|S\.a\.s\.|onlus)", re.IGNORECASE)


def _slug(name: str) -> str:
    text = unicodedata.normalize("NFKD", _LEGAL.sub("", name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    words = [w for w in re.findall(r"[a-z0-9]+", text) if w not in _SLUG_STOP]
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 40:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug or "ente"


def _from(n: int) -> str:
    return "dagli" if n in (8, 11, 18) or 80 <= n <= 89 else "dai"


def _to(n: int) -> str:
    return "agli" if n in (8, 11, 18) or 80 <= n <= 89 else "ai"


def _ages_text(ages: tuple[int, int] | None) -> tuple[str, str]:
    """Italian and English words for an age range ("dai 6 agli 11 anni", "aged 6 to 11")."""
    if ages is None:
        return "", ""
    low, high = ages
    if high >= 100:
        return f"{_from(low)} {low} anni in su", f"aged {low} and over"
    if low == 0:
        return f"fino a {high} anni", f"up to {high} years old"
    return f"{_from(low)} {low} {_to(high)} {high} anni", f"aged {low} to {high}"


def _words(text: str) -> int:
    return len(text.split())


#: The article an organisation name takes in Italian, by its first word (firms go without).
_ARTICLES = {
    "Comune": "il", "Centro": "il", "Sindacato": "il", "Coordinamento": "il", "Collegio": "il", "Consorzio": "il",
    "Gruppo": "il", "Laboratorio": "il", "Istituto": "l'", "Associazione": "l'", "Ambito": "l'", "Azienda": "l'",
    "Ufficio": "l'", "Unione": "l'", "Cooperativa": "la", "Fondazione": "la", "Polisportiva": "la",
    "Federazione": "la", "Lega": "la", "Bottega": "la", "Studio": "lo", "Officine": "le",
}  # fmt: skip
_CONTRACTED = {
    "di": {"il": "del", "l'": "dell'", "la": "della", "lo": "dello", "le": "delle"},
    "a": {"il": "al", "l'": "all'", "la": "alla", "lo": "allo", "le": "alle"},
    "da": {"il": "dal", "l'": "dall'", "la": "dalla", "lo": "dallo", "le": "dalle"},
}
#: Name beginnings that do not fit a category of services (C: every company category).
_UNSUITED = {
    "P1": ("Associazione genitori", "Polisportiva"),
    "P2": (),
    "C": ("Associazione genitori", "Polisportiva", "Associazione di volontariato"),
    "W1": (),
}
_PROVIDER_AFTER = re.compile(r"\b(di|da|a) \{provider\}")
_EUPHONY = re.compile(r"\b([Aa]) (?=A[a-zà-ù])")


def _provider_words(name: str) -> dict[str, str]:
    """An organisation's name with its article, alone and after di/a/da ("del Comune di Sondrio")."""
    article = _ARTICLES.get(name.split(" ", 1)[0], "")

    def join(word: str) -> str:
        return f"{word}{name}" if word.endswith("'") else f"{word} {name}" if word else name

    words = {"provider": join(article), "Provider": join(article.capitalize())}
    for preposition, key in (("di", "of_provider"), ("a", "to_provider"), ("da", "by_provider")):
        words[key] = join(_CONTRACTED[preposition][article]) if article else f"{preposition} {name}"
    return words


def _it(template: str, fmt: dict) -> str:
    """Fill an Italian template: articles before the provider's name, "ad" before a place starting with A."""
    template = _PROVIDER_AFTER.sub(
        lambda m: {"di": "{of_provider}", "da": "{by_provider}", "a": "{to_provider}"}[m[1]], template
    )
    if template.startswith("{provider}"):
        template = "{Provider}" + template[len("{provider}") :]
    return _EUPHONY.sub(r"\1d ", template.format(**fmt))


@dataclass
class _Org:
    key: str
    name: str
    type: str
    municipality: str
    domain: str


class _Builder:
    """Builds the network one ATS at a time, drawing every choice from one seeded generator."""

    def __init__(self, today: date, rng: random.Random):
        self.today = today
        self.rng = rng
        self.texts = phrases()
        self.organisations: list[DemoOrganisation] = []
        self.alliances: list[DemoAlliance] = []
        self.rows: list[dict[str, str]] = []
        self.names: set[str] = set()
        self.domains: set[str] = set()
        self.titles: set[str] = set()
        self.usage: dict[str, int] = {}
        self.phone_counter = 1000
        self.row_counter = 0
        self.number = 0  # listings of the current ATS, for external ids
        self.current: list[tuple[str, _Org, list[_Org]]] = []  # the current ATS's alliances
        pairs = [(form, name) for form in self.texts.non_profit_forms for name in self.texts.non_profit_names]
        rng.shuffle(pairs)
        self.non_profit_names = pairs

    # --- contacts -------------------------------------------------------------------------------------------
    def phone(self, municipality: str) -> str:
        self.phone_counter += 1
        code = self.texts.area_codes[_provinces()[municipality]]
        return f"+39 {code} 000 {self.phone_counter:04d}"

    def domain(self, name: str, type_: str) -> str:
        tld = "example.com" if type_.endswith("_enterprise") else "example.org"
        base = _slug(name)
        candidate, n = base, 1
        while f"{candidate}.{tld}" in self.domains:
            n += 1
            candidate = f"{base}-{n}"
        self.domains.add(f"{candidate}.{tld}")
        return f"{candidate}.{tld}"

    # --- organisations and alliances ------------------------------------------------------------------------
    def _place_name(self, templates, munis, area, i, rotate=True):
        """The first unused name among the templates and the area's municipalities, and its municipality."""
        for k in range(len(templates)):
            template = templates[(i + k) % len(templates)] if rotate else templates[k]
            for j in range(len(munis)):
                place = munis[(i + j) % len(munis)]
                name = template.format(place=place, area=area)
                if name not in self.names:
                    return name, place
        raise RuntimeError(f"no free organisation name for {templates[0]} in {area}")

    def _org_name(self, type_: str, munis, area: str, i: int) -> tuple[str, str]:
        place = munis[i % len(munis)]
        if type_ == "public_body":
            return self._place_name(("Comune di {place}", "Unione dei Comuni {area}"), munis, area, i, False)
        if type_ == "social_district_or_special_company":
            return self._place_name(self.texts.social_district_names, munis, area, i)
        if type_ == "school_or_training_institution":
            return self._place_name(self.texts.school_names, munis, area, i, False)
        if type_ == "trade_union":
            return self._place_name(self.texts.union_names, munis, area, i)
        if type_ == "employers_association":
            return self._place_name(self.texts.employer_names, munis, area, i)
        if type_ == "non_profit":
            while True:
                form, word = self.non_profit_names.pop()
                name = f"{form} {word}"
                if name in self.names:
                    name = f"{name} di {place}"
                if name not in self.names:
                    return name, place
        while True:
            template = self.rng.choice(self.texts.enterprise_forms[type_])
            name = template.format(
                surname=self.rng.choice(self.texts.surnames),
                sector=self.rng.choice(self.texts.enterprise_sectors),
            )
            if name not in self.names:
                return name, place

    def build_organisations(self, ats: str) -> list[list[_Org]]:
        areas = self.texts.areas[ats]
        groups: list[list[_Org]] = [[] for _ in areas]
        slot = 0
        abbrev = self.texts.ats_abbreviations[ats]
        for type_, count in zip(ORGANISATION_TYPES, COMPOSITION[ats], strict=True):
            per_alliance = [0] * len(areas)
            for _ in range(count):
                a = slot % len(areas)
                slot += 1
                area, _where, _where_en, munis = areas[a]
                name, place = self._org_name(type_, munis, area, per_alliance[a])
                per_alliance[a] += 1
                self.names.add(name)
                key = f"{abbrev}-org-{len(self.organisations) + 1:03d}"
                domain = self.domain(name, type_)
                mailbox = {"public_body": "protocollo", "school_or_training_institution": "segreteria"}
                org = _Org(key, name, type_, place, domain)
                groups[a].append(org)
                self.organisations.append(
                    DemoOrganisation(
                        key=key,
                        name=name,
                        type=type_,
                        ats=ats,
                        municipality=place,
                        website=f"https://www.{domain}",
                        email=f"{mailbox.get(type_, 'info')}@{domain}",
                        phone=self.phone(place),
                    )
                )
        return groups

    def build_alliances(self, ats: str, groups: list[list[_Org]]) -> list[tuple[str, _Org, list[_Org]]]:
        result = []
        for a, (area, _where, _where_en, munis) in enumerate(self.texts.areas[ats]):
            members = groups[a]
            hub = next((o for o in members if o.type == "public_body" and o.municipality == munis[0]), None)
            district = next((o for o in members if o.type == "social_district_or_special_company"), None)
            public = next(o for o in members if o.type == "public_body")
            lead = (district or hub or public) if a % 2 else (hub or district or public)
            roles = []
            for org in [lead] + [o for o in members if o is not lead]:
                if org is lead:
                    role = "lead"
                elif org.type.endswith("_enterprise") or org.type in ("trade_union", "employers_association"):
                    role = "supporter" if self.rng.random() < 0.5 else "partner"
                elif org.type == "non_profit":
                    role = "supporter" if self.rng.random() < 0.15 else "partner"
                else:
                    role = "partner"
                roles.append((org.key, role))
            name = self.texts.alliance_names[a % len(self.texts.alliance_names)].format(area=area)
            self.alliances.append(DemoAlliance(name, ats, lead.key, tuple(roles), PERIOD_START, PERIOD_END))
            result.append((name, lead, members))
        return result

    # --- listings -------------------------------------------------------------------------------------------
    def build_ats(self, ats: str) -> None:
        alliances, persons, companies = MONITORING[ats]
        if len(self.texts.areas[ats]) != alliances:
            raise RuntimeError(f"ATS {ats}: {len(self.texts.areas[ats])} areas for {alliances} alliances")
        groups = self.build_organisations(ats)
        self.current = self.build_alliances(ats, groups)
        pinned = [dict(spec) for spec in PINNED.get(ats, ())]
        pinned_companies = sum(self.texts.kinds[s["kind"]]["category"].startswith("C") for s in pinned)
        generic = self.generic_specs(persons - (len(pinned) - pinned_companies), PERSON_KINDS, alliances)
        generic += self.generic_specs(companies - pinned_companies, COMPANY_KINDS, alliances)
        for index in self.rng.sample(range(len(generic)), OVERDUE_ELSEWHERE.get(ats, 0)):
            generic[index]["overdue"] = True
        self.number = 0
        twins: dict[str, tuple[int, str]] = {}
        for spec in pinned + generic:
            seed = self.rng.getrandbits(64)
            exclude = ()
            twin = spec.get("twin")
            if twin and twin in twins:
                seed, first_provider = twins[twin]
                exclude = (first_provider,)
                spec["title_shift"] = 1
            row = self.action_row(ats, spec, seed, exclude)
            if twin and twin not in twins:
                twins[twin] = (seed, row["provider"])
        for index, point in enumerate(self.texts.welfare_points[ats]):
            overdue = ats == "Montagna" and index in MONTAGNA_OVERDUE_POINTS
            self.welfare_point_row(ats, point, index, self.rng.getrandbits(64), overdue)

    def generic_specs(self, count: int, kinds: tuple[str, ...], alliances: int) -> list[dict]:
        order = list(kinds)
        self.rng.shuffle(order)
        start = self.rng.randrange(alliances)
        return [
            {"kind": order[i % len(order)], "alliance": (start + i) % alliances, "overdue": False}
            for i in range(max(count, 0))
        ]

    def pick_provider(self, members: list[_Org], kind: dict, exclude=()) -> _Org:
        """The least busy suitable member: a preferred type, a name that fits the service (no parents'
        association runs home care), the kind's favoured names first."""
        preferred = kind["providers"]
        unsuited = _UNSUITED["C" if kind["category"].startswith("C") else kind["category"]]
        favoured = kind.get("favour", ())

        def score(org: _Org) -> int:
            points = self.usage.get(org.key, 0) * 3 + preferred.index(org.type)
            return points - 4 if org.name.startswith(favoured) and favoured else points

        candidates = [
            o
            for o in members
            if o.type in preferred and o.name not in exclude and not o.name.startswith(unsuited)
        ]
        if not candidates:
            candidates = [o for o in members if not o.type.endswith("_enterprise") and o.name not in exclude]
            preferred = preferred + tuple(o.type for o in candidates if o.type not in preferred)
        org = min(candidates, key=lambda o: (score(o), self.rng.random()))
        self.usage[org.key] = self.usage.get(org.key, 0) + 1
        return org

    def next_id(self, ats: str) -> str:
        self.number += 1
        return f"demo-{self.texts.ats_abbreviations[ats]}-{self.number:04d}"

    def english(self, kind: dict) -> bool:
        self.row_counter += 1
        return "after_school" in kind.get("needs", ()) or self.row_counter % 5 in (0, 2)

    def coverage(
        self, ats: str, kind: dict, munis: tuple[str, ...], r: random.Random, home: str
    ) -> list[str]:
        mode = kind["coverage"]
        if mode == "local":
            venue = home if home in munis and r.random() < 0.75 else r.choice(munis)
            others = [m for m in munis if m != venue]
            return [venue] + r.sample(others, min(len(others), r.choice((0, 1, 1, 2))))
        if mode == "area" or r.random() < 0.5:
            chosen = list(munis) if r.random() < 0.6 else r.sample(munis, min(len(munis), 3))
        else:
            chosen = []
        if ats == "Montagna" and "after_school" in kind.get("needs", ()):
            # Valcamonica (province of Brescia) has no after-school service: the gap the insights must show.
            chosen = [m for m in chosen if _provinces()[m] == "SO"] or ["Sondrio"]
        return chosen

    def verification(self, r: random.Random, overdue: bool) -> tuple[str, str]:
        roll = r.random()
        interval = 180 if roll < 0.75 else 90 if roll < 0.88 else 365
        if overdue:
            verified = self.today - timedelta(days=interval + r.randint(5, 75))
        else:
            verified = self.today - timedelta(days=r.randint(2, interval - 10))
        return verified.isoformat(), str(interval)

    def unique_title(
        self, options: list[tuple[str, str]], fmt_it: dict, fmt: dict, shift: int
    ) -> tuple[str, str]:
        options = options[shift:] + options[:shift]
        for title, title_en in options:
            text = _it(title, fmt_it)
            if text not in self.titles:
                self.titles.add(text)
                return text, title_en.format(**fmt)
        title, title_en = options[0]
        text = f"{_it(title, fmt_it)} – {fmt['provider']}"
        self.titles.add(text)
        return text, title_en.format(**fmt)

    def description(self, kind: dict, fmt: dict, r: random.Random, schedule: str, cost_note: str) -> str:
        group = (
            "C" if kind["category"].startswith("C") else "P1" if kind["category"] in ("P1", "W1") else "P2"
        )
        bodies = r.sample(kind["bodies"], len(kind["bodies"]))
        when = r.choice(self.texts.schedule_lead_ins)
        parts = [r.choice(kind["openers"]), bodies[0]]
        optional = [
            when.format(s=schedule[0].lower() + schedule[1:]),
            r.choice(self.texts.staff[group]),
            *bodies[1:],
            cost_note,
            r.choice(self.texts.closing),
        ]
        target = r.randint(70, 135)
        text = " ".join(_it(part, fmt) for part in parts)
        for sentence in optional:
            candidate = f"{text} {_it(sentence, fmt)}"
            if _words(candidate) > 150:
                continue
            if _words(text) < 60 or _words(text) < target:
                text = candidate
        return text

    def base_row(self, ats: str, r: random.Random) -> dict[str, str]:
        row = dict.fromkeys(CSV_COLUMNS, "")
        row["ats"] = ats
        row["status"] = "published"
        roll = r.random()
        row["languages"] = (
            "it"
            if roll < 0.7
            else "it;en"
            if roll < 0.85
            else "it;en;fr"
            if roll < 0.9
            else "it;ar"
            if roll < 0.95
            else "it;uk"
        )
        return row

    def action_row(self, ats: str, spec: dict, seed: int, exclude=()) -> dict[str, str]:
        r = random.Random(seed)
        kind = self.texts.kinds[spec["kind"]]
        category = kind["category"]
        company = category.startswith("C")
        group = "C" if company else category
        alliance_name, _lead, members = self.current[spec["alliance"]]
        area, where_it, where_en, area_munis = self.texts.areas[ats][spec["alliance"]]
        provider = self.pick_provider(members, kind, exclude)
        if "municipalities" in spec:
            munis = list(spec["municipalities"])
        else:
            munis = self.coverage(ats, kind, area_munis, r, provider.municipality)
        if spec.get("venue"):
            venue = spec["venue"]
        elif provider.municipality in munis or not munis:
            venue = provider.municipality
        else:
            venue = munis[0]
        if not munis:
            where_it, where_en = f"in tutto il territorio dell'ATS {ats}", f"across the ATS {ats} area"
        elif len(munis) == 1:
            where_it, where_en = f"a {venue}", f"in {venue}"
        ages = spec.get("ages") or (r.choice(kind["ages"]) if "ages" in kind else None)
        ages_it, ages_en = _ages_text(ages)
        cost = spec.get("cost") or r.choice(kind["costs"])
        low, high = kind["amount"]
        amount = r.randint(low, high)
        amount = amount - amount % 5 if amount >= 20 else amount
        unit, unit_en = kind.get("unit", ("", ""))
        fmt = {
            "place": venue, "provider": provider.name, "ages": ages_it, "ages_en": ages_en, "where": where_it,
            "where_en": where_en, "area": area, "ats": ats, "amount": amount, "alliance": alliance_name,
            "unit": unit, "unit_en": unit_en,
        }  # fmt: skip
        fmt_it = fmt | _provider_words(provider.name)
        cost_it, cost_en = r.choice(kind.get("cost_notes", self.texts.cost_notes[group])[cost])
        schedule = r.choice(kind["schedules"])
        row = self.base_row(ats, r)
        row["external_id"] = self.next_id(ats)
        row["title"], title_en = self.unique_title(
            list(kind["titles"]), fmt_it, fmt, spec.get("title_shift", 0)
        )
        summary_it, summary_en = r.choice(kind["summaries"])
        row["summary"] = _it(summary_it, fmt_it)
        row["description"] = self.description(kind, fmt_it, r, schedule, cost_it)
        if self.english(kind):
            row["title_en"] = title_en
            row["summary_en"] = summary_en.format(**fmt)
            row["description_en"] = f"{r.choice(kind['en_bodies']).format(**fmt)} {cost_en.format(**fmt)}"
        row["audience"] = "companies" if company else "persons"
        row["category"] = category
        row["needs"] = category if company else ";".join(kind["needs"])
        row["tags"] = ";".join(r.sample(kind["tags"], min(len(kind["tags"]), r.randint(3, 5))))
        row["municipalities"] = ";".join(munis)
        if ages:
            row["age_min"], row["age_max"] = str(ages[0]), str(ages[1])
        if company:
            row["company_sizes"] = spec.get("sizes") or r.choice(kind["sizes"])
            row["periods"] = "all_year"
        else:
            row["periods"] = ";".join(kind["periods"])
            row["time_slots"] = ";".join(kind["slots"])
        row["schedule_notes"] = schedule
        row["cost"] = cost
        row["cost_notes"] = _it(cost_it, fmt_it)
        row["cost_notes_en"] = cost_en.format(**fmt)
        access_it, access_en = r.choice(kind.get("access", self.texts.access[group]))
        row["how_to_access"] = _it(access_it, fmt_it)
        row["how_to_access_en"] = access_en.format(**fmt)
        row["provider"] = provider.name
        row["provider_type"] = provider.type
        row["alliance"] = alliance_name
        street = f"{r.choice(self.texts.streets)} {r.randint(1, 120)}"
        if kind.get("venue") and r.random() < 0.6:
            street = f"{r.choice(kind['venue'])}, {street}"
        row["address"] = street
        row["municipality"] = venue
        row["phone"] = self.phone(venue)
        mailbox = {"P1": "caregiver", "P2": "famiglie", "C": "imprese"}[group]
        row["email"] = f"{mailbox}@{provider.domain}"
        row["website"] = f"https://www.{provider.domain}"
        if company and row["languages"] not in ("it", "it;en"):
            row["languages"] = "it;en"
        if kind.get("capacity"):
            row["capacity"] = str(r.randint(*kind["capacity"]))
        roll = r.random()
        if company:
            availability = "open" if roll < 0.9 else "waiting_list"
        else:
            availability = "open" if roll < 0.72 else "waiting_list" if roll < 0.9 else "full"
        row["availability"] = spec.get("availability") or availability
        if kind.get("deadline") and r.random() < 0.7:
            row["enrolment_deadline"] = (self.today + timedelta(days=r.randint(14, 150))).isoformat()
        row["last_verified"], row["review_interval_days"] = self.verification(r, spec.get("overdue", False))
        self.add_access(row, spec["kind"], group, amount, bool(ages))
        # Every action of the demo is a funded action of its alliance, in the 2020-2023 programme (Tabella 6.1).
        row["funded_action"] = "true"
        row["programme_period"] = f"{PERIOD_START.year}-{PERIOD_END.year}"
        self.rows.append(row)
        return row

    def add_access(self, row: dict[str, str], kind_name: str, group: str, amount: int, ages: bool) -> None:
        """Fill the structured eligibility and access of ``row`` from access.toml (no random draw: the rest of
        the network stays as it was)."""
        sheets = self.texts.sheets
        facts = dict(sheets["groups"].get(group, {})) | dict(sheets["kinds"].get(kind_name, {}))
        row["age_of"] = facts.get("age_of", "") if ages else ""
        row["residence"] = facts.get("residence", "")
        row["channel"] = facts.get("channel", "")
        row["isee_max"] = str(facts["isee_max"]) if "isee_max" in facts else ""
        if "conditions" in facts:
            row["conditions"], row["conditions_en"] = facts["conditions"]
        for name in ("documents", "steps"):
            pairs = facts.get(name, ())
            row[name] = ";".join(it for it, _en in pairs)
            row[f"{name}_en"] = ";".join(en for _it, en in pairs)
        if row["cost"] != "free" and facts.get("cost_period"):
            row["cost_amount"], row["cost_period"] = str(amount), facts["cost_period"]
        row["hours"] = sheets["hours"].get(row["schedule_notes"], "")
        if row["enrolment_deadline"] and "enrolment_weeks" in facts:
            deadline = date.fromisoformat(row["enrolment_deadline"])
            opens = max(deadline - timedelta(weeks=facts["enrolment_weeks"]), self.today - timedelta(days=7))
            row["enrolment_opens"] = opens.isoformat()

    def welfare_point_row(self, ats: str, point, index: int, seed: int, overdue: bool) -> None:
        r = random.Random(seed)
        alliance_index, municipality, address, hours = point
        kind = self.texts.kinds["welfare_point"]
        alliance_name, lead, _members = self.current[alliance_index]
        area, where_it, where_en, munis = self.texts.areas[ats][alliance_index]
        fmt = {
            "place": municipality, "provider": lead.name, "where": where_it, "where_en": where_en, "area": area,
            "ats": ats, "alliance": alliance_name,
        }  # fmt: skip
        fmt_it = fmt | _provider_words(lead.name)
        row = self.base_row(ats, r)
        row["external_id"] = self.next_id(ats)
        row["title"], row["title_en"] = self.unique_title(list(kind["titles"]), fmt_it, fmt, 0)
        row["summary"] = _it(kind["summaries"][0][0], fmt_it)
        row["summary_en"] = kind["summaries"][0][1].format(**fmt)
        row["description"] = " ".join(
            _it(part, fmt_it)
            for part in (
                kind["openers"][0],
                kind["bodies"][0],
                kind["opening_hours"].format(hours=hours[0].lower() + hours[1:]),
                r.choice(self.texts.closing),
            )
        )
        row["description_en"] = kind["en_bodies"][0].format(**fmt)
        row["audience"] = "persons"
        row["category"] = "W1"
        row["needs"] = "care_information" if index % 2 == 0 else ""
        row["tags"] = ";".join(kind["tags"])
        row["municipalities"] = ";".join(munis)
        row["periods"] = "all_year"
        row["time_slots"] = "flexible"
        row["schedule_notes"] = hours
        row["cost"] = "free"
        row["cost_notes"], row["cost_notes_en"] = kind["cost_note"]
        row["how_to_access"], row["how_to_access_en"] = kind["access"][0]
        row["provider"] = lead.name
        row["provider_type"] = lead.type
        row["alliance"] = alliance_name
        row["address"] = address
        row["municipality"] = municipality
        row["phone"] = self.phone(municipality)
        row["email"] = f"welfarepoint@{lead.domain}"
        row["website"] = f"https://www.{lead.domain}"
        row["availability"] = "open"
        row["last_verified"], row["review_interval_days"] = self.verification(r, overdue)
        self.add_access(row, "welfare_point", "W1", 0, False)
        self.rows.append(row)
