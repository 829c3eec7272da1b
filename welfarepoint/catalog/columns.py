"""The columns of the listings file as people write them: headers, vocabularies, dates and formulas.

Spreadsheets made by managers have Italian or English headers (the form's labels), the labels of a vocabulary
rather than its codes ("Famiglie", "Gratuito", "Estate"), dates as Excel writes them (dd/mm/yyyy, d/m/yy, real
dates) and Sì/No. This module turns one cell into the canonical text that
:func:`welfarepoint.catalog.validation.validate_listing` checks, or says why it cannot. Pure: no database.

The list of columns is data (:data:`COLUMN_SPECS`): a new listing field is one line here.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache
from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from welfarepoint.catalog import taxonomy
from welfarepoint.catalog.validation import CSV_COLUMNS, REQUIRED_COLUMNS

#: Characters that make a spreadsheet run a cell as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of the listings file: its machine name, its label (the form's), and how a cell is read.

    ``kind`` is ``text`` (free text, refused when it starts like a formula), ``words`` (free ``;`` list),
    ``code``/``codes`` (one or more items of ``vocabulary``, by code or label), ``date``, ``integer``,
    ``boolean`` (Sì/No), or ``checked`` (read as it is: the validation checks its shape, e.g. a phone number).
    """

    name: str
    label: Any
    kind: str = "text"
    vocabulary: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.name in REQUIRED_COLUMNS


#: Label, kind, vocabulary and extra header names of every column; a column missing here is free text.
COLUMN_SPECS: dict[str, dict[str, Any]] = {
    "external_id": {"label": _l("Identifier"), "aliases": ("id", "codice", "identificativo", "codice servizio")},
    "title": {"label": _l("Title (Italian)"), "aliases": ("titolo", "nome del servizio", "servizio")},
    "summary": {"label": _l("Summary (Italian)"), "aliases": ("sintesi", "riassunto", "sommario", "breve descrizione", "descrizione breve")},
    "description": {"label": _l("Description (Italian)"), "aliases": ("descrizione", "descrizione del servizio", "descrizione completa")},
    "title_en": {"label": _l("Title (English)"), "aliases": ("titolo inglese", "titolo en")},
    "summary_en": {"label": _l("Summary (English)"), "aliases": ("sintesi inglese",)},
    "description_en": {"label": _l("Description (English)"), "aliases": ("descrizione inglese",)},
    "audience": {
        "label": _l("Who it is for"), "kind": "code", "vocabulary": "audiences",
        "aliases": ("destinatari", "pubblico", "target", "audience"),
    },
    "category": {"label": _l("Category"), "kind": "code", "vocabulary": "categories", "aliases": ("categoria",)},
    "needs": {"label": _l("Needs it answers"), "kind": "codes", "vocabulary": "needs", "aliases": ("bisogni",)},
    "tags": {"label": _l("Keywords"), "kind": "words", "aliases": ("parole chiave", "etichette", "tag")},
    "ats": {"label": _l("ATS"), "kind": "checked"},
    "municipalities": {
        "label": _l("Municipalities covered"), "kind": "checked",
        "aliases": ("comuni", "comuni serviti", "comuni coperti", "territorio"),
    },
    "age_min": {"label": _l("From age"), "kind": "integer", "aliases": ("eta minima", "eta min", "eta da")},
    "age_max": {"label": _l("To age"), "kind": "integer", "aliases": ("eta massima", "eta max", "eta a")},
    "company_sizes": {
        "label": _l("Company sizes"), "kind": "codes", "vocabulary": "company_sizes",
        "aliases": ("dimensioni impresa", "dimensione impresa"),
    },
    "periods": {"label": _l("Periods"), "kind": "codes", "vocabulary": "periods", "aliases": ("periodo", "periodi")},
    "time_slots": {
        "label": _l("Times of day"), "kind": "codes", "vocabulary": "time_slots",
        "aliases": ("fasce orarie", "fascia oraria", "orari"),
    },
    "schedule_notes": {"label": _l("Days and hours"), "aliases": ("giorni e orari", "note orari")},
    "cost": {"label": _l("Cost"), "kind": "code", "vocabulary": "costs", "aliases": ("costo", "tariffa")},
    "cost_notes": {"label": _l("Cost details (Italian)"), "aliases": ("note costo", "note sul costo", "note sui costi", "dettagli costo")},
    "cost_notes_en": {"label": _l("Cost details (English)")},
    "how_to_access": {"label": _l("How to apply (Italian)"), "aliases": ("come accedere", "modalita di accesso")},
    "how_to_access_en": {"label": _l("How to apply (English)")},
    "provider": {
        "label": _l("Provider"),
        "aliases": ("ente", "ente gestore", "gestore", "ente erogatore", "erogatore", "organizzazione"),
    },
    "provider_type": {
        "label": _l("Type of provider"), "kind": "code", "vocabulary": "organisation_types",
        "aliases": ("tipo ente", "tipologia ente", "tipo di ente", "natura giuridica", "tipo gestore"),
    },
    "alliance": {"label": _l("Alliance"), "aliases": ("alleanza", "alleanza locale")},
    "address": {"label": _l("Address"), "aliases": ("indirizzo", "sede")},
    "municipality": {
        "label": _l("Municipality of the address"), "kind": "checked",
        "aliases": ("comune", "comune sede", "comune della sede"),
    },
    "phone": {"label": _l("Phone"), "kind": "checked", "aliases": ("telefono", "tel", "recapito telefonico")},
    "email": {"label": _l("E-mail"), "kind": "checked", "aliases": ("email", "mail", "posta elettronica")},
    "website": {"label": _l("Website"), "kind": "checked", "aliases": ("sito", "sito web", "sito internet", "web")},
    "languages": {
        "label": _l("Languages spoken"), "kind": "codes", "vocabulary": "languages",
        "aliases": ("lingue", "lingua"),
    },
    "capacity": {"label": _l("Number of places"), "kind": "integer", "aliases": ("posti", "capienza", "posti disponibili")},
    "availability": {
        "label": _l("Availability"), "kind": "code", "vocabulary": "availability", "aliases": ("disponibilita",),
    },
    "enrolment_deadline": {
        "label": _l("Enrolment deadline"), "kind": "date",
        "aliases": ("scadenza iscrizioni", "scadenza", "termine iscrizioni"),
    },
    "status": {"label": _l("Status"), "kind": "code", "vocabulary": "statuses", "aliases": ("stato",)},
    "last_verified": {
        "label": _l("Last checked"), "kind": "date",
        "aliases": ("ultima verifica", "verificato il", "data verifica"),
    },
    "review_interval_days": {
        "label": _l("Check again every (days)"), "kind": "integer",
        "aliases": ("intervallo di verifica", "giorni tra le verifiche"),
    },
    "age_of": {"label": _l("Whose age"), "kind": "code", "vocabulary": "age_of", "aliases": ("età di", "di chi è l'età")},
    "residence": {
        "label": _l("Residence or employment"), "kind": "code", "vocabulary": "residence",
        "aliases": ("residenza", "requisito di residenza", "residenza o lavoro"),
    },
    "conditions": {"label": _l("Other conditions (Italian)"), "aliases": ("altre condizioni", "condizioni", "requisiti")},
    "conditions_en": {"label": _l("Other conditions (English)"), "aliases": ("condizioni inglese",)},
    "isee_max": {"label": _l("Highest ISEE admitted (euros)"), "kind": "checked", "aliases": ("isee", "isee massimo", "soglia isee")},
    "documents": {"label": _l("Documents needed (Italian)"), "aliases": ("documenti", "documenti necessari")},
    "documents_en": {"label": _l("Documents needed (English)"), "aliases": ("documenti inglese",)},
    "steps": {"label": _l("How to apply, step by step (Italian)"), "aliases": ("come fare", "come iscriversi", "passi")},
    "steps_en": {"label": _l("How to apply, step by step (English)"), "aliases": ("come fare inglese",)},
    "cost_amount": {"label": _l("Amount (euros)"), "kind": "checked", "aliases": ("importo", "importo (€)", "costo (€)")},
    "cost_period": {
        "label": _l("Amount per"), "kind": "code", "vocabulary": "cost_periods",
        "aliases": ("periodo della quota", "quota per", "importo per"),
    },
    "hours": {"label": _l("Opening hours"), "kind": "checked", "aliases": ("orari", "orario", "orari di apertura")},
    "enrolment_opens": {
        "label": _l("Enrolment opens"), "kind": "date",
        "aliases": ("apertura iscrizioni", "iscrizioni dal", "inizio iscrizioni"),
    },
    "channel": {"label": _l("Only through"), "kind": "code", "vocabulary": "channels", "aliases": ("canale", "solo tramite")},
    "funded_action": {
        "label": _l("Funded action of the alliance"), "kind": "boolean",
        "aliases": ("azione finanziata", "finanziata", "azione dell'alleanza", "funded action"),
    },
    "programme_period": {
        "label": _l("Programme period"), "kind": "checked",
        "aliases": ("periodo del programma", "periodo di programmazione", "programmazione", "periodo programma"),
    },
}  # fmt: skip

#: Words people write for a vocabulary item besides its code and labels (compared folded, see :func:`fold`).
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "audiences": {
        "famiglie": "persons", "famiglia": "persons", "persone": "persons", "cittadini": "persons",
        "lavoratori": "persons", "people": "persons", "families": "persons", "imprese": "companies",
        "impresa": "companies", "aziende": "companies", "azienda": "companies", "enti": "companies",
        "companies": "companies", "rete": "network", "network": "network",
    },
    "organisation_types": {
        "associazione no profit": "non_profit", "associazione": "non_profit", "no profit": "non_profit",
        "non profit": "non_profit", "onlus": "non_profit", "ets": "non_profit", "terzo settore": "non_profit",
        "cooperativa sociale": "non_profit", "cooperativa": "non_profit", "fondazione": "non_profit",
        "comune": "public_body", "ente locale": "public_body", "pubblico": "public_body",
        "scuola": "school_or_training_institution", "istituto comprensivo": "school_or_training_institution",
        "sindacato": "trade_union", "associazione di categoria": "employers_association", "ambito": "social_district_or_special_company",
        "azienda speciale": "social_district_or_special_company", "ufficio di piano": "social_district_or_special_company",
    },
    "costs": {
        "gratis": "free", "gratuita": "free", "gratuito": "free",
        "contributo": "contribution", "tariffa ridotta": "contribution", "a pagamento": "fee", "pagamento": "fee",
    },
    "needs": {
        "pre scuola": "before_school", "prescuola": "before_school", "post scuola": "after_school",
        "postscuola": "after_school", "doposcuola": "after_school", "aiuto compiti": "homework_support",
        "spazio compiti": "homework_support", "chiusure estive": "summer_closure", "chiusura estiva": "summer_closure",
        "chiusure scolastiche festive": "holiday_closure", "vacanze di natale e pasqua": "holiday_closure",
        "attivita educative": "educational_activities", "laboratori educativi": "educational_activities",
        "costi di cura dei figli": "childcare_costs", "contributi rette": "childcare_costs",
        "accompagnamento": "care_accompaniment", "sollievo caregiver": "care_respite", "sollievo": "care_respite",
        "informazione caregiver": "care_information", "formazione caregiver": "care_training",
        "assistenza domiciliare": "care_at_home",
    },
    "time_slots": {"flessibile": "flexible", "flessibili": "flexible", "pomeriggio": "after_school", "mattina": "before_school"},
    "statuses": {"pubblicata": "published", "pubblicato": "published", "bozza": "draft", "archiviata": "archived"},
    "periods": {"tutto l anno": "all_year", "annuale": "all_year", "natale": "christmas", "pasqua": "easter"},
    "availability": {"disponibile": "open", "aperto": "open", "aperte": "open", "esaurito": "full", "completo": "full"},
}  # fmt: skip

TRUE_WORDS = frozenset({"si", "s", "vero", "true", "yes", "y", "x", "1"})
FALSE_WORDS = frozenset({"no", "n", "falso", "false", "0"})

_DATE_FORMS = (
    re.compile(r"^(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})$"),
    re.compile(r"^(?P<y>\d{4})[/\-](?P<m>\d{1,2})[/\-](?P<d>\d{1,2})$"),
)
_LIST_SPLIT = re.compile(r"[;\n]")


def fold(text: Any) -> str:
    """Text folded for matching: no accents, case or punctuation, spaces collapsed ("Sì" -> "si")."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def columns() -> list[Column]:
    """The columns of the listings file, in export order."""
    return [column(name) for name in CSV_COLUMNS]


@cache
def column(name: str) -> Column:
    """The column ``name``, with its label and kind (free text when it has no spec)."""
    spec = COLUMN_SPECS.get(name, {})
    return Column(
        name=name,
        label=spec.get("label", name),
        kind=spec.get("kind", "text"),
        vocabulary=spec.get("vocabulary", ""),
        aliases=tuple(spec.get("aliases", ())),
    )


@cache
def _header_lookup() -> dict[str, str]:
    """Folded header -> column name: the machine name, the Italian and English labels (with and without their
    parenthesis), and the aliases; the first column to claim a name keeps it (``title`` before ``title_en``)."""
    lookup: dict[str, str] = {}
    for name in CSV_COLUMNS:
        spec = column(name)
        names = [name, name.replace("_", " "), *spec.aliases]
        for language in ("it", "en"):
            with force_locale(language):
                text = str(spec.label)
            names += [text, re.sub(r"\(.*?\)", "", text)]
        for candidate in names:
            key = fold(candidate)
            if key:
                lookup.setdefault(key, name)
    return lookup


def column_for_header(header: Any) -> str | None:
    """The column a header names ("Titolo", "titolo (italiano)", "TITLE", "title"), or None."""
    key = fold(header if header is not None else "")
    return _header_lookup().get(key) if key else None


@cache
def _value_lookup(vocabulary: str) -> dict[str, str]:
    """Folded code, Italian and English label, and aliases -> code."""
    lookup: dict[str, str] = {}
    if vocabulary == "languages":
        for code, names in taxonomy.data()["languages"].items():
            for candidate in (code, *names):
                lookup.setdefault(fold(candidate), code)
        return lookup
    for code in taxonomy.codes(vocabulary):
        for candidate in (
            code,
            taxonomy.label(vocabulary, code, "it"),
            taxonomy.label(vocabulary, code, "en"),
        ):
            lookup.setdefault(fold(candidate), code)
    for alias, code in VALUE_ALIASES.get(vocabulary, {}).items():
        lookup.setdefault(fold(alias), code)
    return lookup


def code_for(vocabulary: str, value: Any) -> str | None:
    """The code of a vocabulary item given by code or label, in any case and with or without accents."""
    return _value_lookup(vocabulary).get(fold(value))


def allowed_labels(vocabulary: str, language: str = "it") -> list[str]:
    """The labels a manager may write for a vocabulary, in its order (for messages and drop-down lists)."""
    if vocabulary == "languages":
        return [names[0 if language == "it" else 1] for names in taxonomy.data()["languages"].values()]
    return [taxonomy.label(vocabulary, code, language) for code in taxonomy.codes(vocabulary)]


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would run this text as a formula (its first character, or first after spaces)."""
    return bool(text) and (text.startswith(FORMULA_STARTS) or text.lstrip(" ").startswith(FORMULA_STARTS))


def neutralise(text: str) -> str:
    """A cell made safe for a spreadsheet as OWASP advises: a leading ``'`` before a formula's first character."""
    return "'" + text if looks_like_formula(text) else text


@dataclass
class CellProblem:
    """Why a cell cannot be read: ``kind`` groups the same problem across rows; ``value`` is what was found."""

    kind: str
    value: str
    message: Any


def as_text(value: Any) -> str:
    """A spreadsheet value as text: whole numbers without ``.0``, dates in ISO form, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Sì" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_date(value: Any) -> date | None:
    """A date from a real spreadsheet date, ISO text, or dd/mm/yyyy, d/m/yy, dd-mm-yyyy, dd.mm.yyyy."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for form in _DATE_FORMS:
        match = form.match(text)
        if match:
            year = int(match["y"])
            if len(match["y"]) == 2:
                year += 2000 if year < 70 else 1900
            try:
                return date(year, int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def normalise(spec: Column, value: Any) -> tuple[str, CellProblem | None]:
    """One cell as the canonical text validation expects, or the text as found and why it cannot be read."""
    if isinstance(value, str) and value.startswith("'") and looks_like_formula(value[1:]):
        value = value[1:]  # neutralised by a spreadsheet export (OWASP): the quote is not part of the value
    if isinstance(value, str) and spec.kind not in ("text", "words"):
        value = value.strip()
    text = as_text(value)
    if text.strip() == "":
        return "", None
    if spec.kind in ("text", "words") or spec.name == "external_id":
        if looks_like_formula(text):
            return text, CellProblem(
                "formula",
                text,
                _l(
                    "“%(value)s” starts with “%(sign)s” as a spreadsheet formula does: write the text without it",
                    value=_short(text),
                    sign=text.lstrip(" ")[:1].replace("\t", "tab").replace("\r", "↵"),
                ),
            )
        return text, None
    if spec.kind == "date":
        day = read_date(value)
        if day is None:
            return text, CellProblem(
                "date", text, _l("“%(value)s” is not a date (write it as dd/mm/yyyy)", value=_short(text))
            )
        return day.isoformat(), None
    if spec.kind == "integer":
        folded = text.replace(" ", "").replace(".", "") if re.fullmatch(r"\d{1,3}(\.\d{3})+", text) else text
        return folded, None
    if spec.kind == "boolean":
        word = fold(text)
        if word in TRUE_WORDS:
            return "true", None
        if word in FALSE_WORDS:
            return "false", None
        return text, CellProblem("boolean", text, _l("“%(value)s” is not Sì or No", value=_short(text)))
    if spec.kind == "code":
        code = code_for(spec.vocabulary, text)
        if code is None:
            return text, _not_in_list(spec, [text])
        return code, None
    if spec.kind == "codes":
        items = [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]
        found, wrong = [], []
        for item in items:
            code = code_for(spec.vocabulary, item)
            if code is None and "," in item:  # "Estate, Natale": a comma where a ; was meant
                parts = [code_for(spec.vocabulary, part) for part in item.split(",") if part.strip()]
                if parts and all(parts):
                    found.extend(p for p in parts if p not in found)
                    continue
            if code is None:
                wrong.append(item)
            elif code not in found:
                found.append(code)
        if wrong:
            return text, _not_in_list(spec, wrong)
        return ";".join(found), None
    return text, None


def _not_in_list(spec: Column, wrong: list[str]) -> CellProblem:
    return CellProblem(
        "vocabulary",
        "; ".join(wrong),
        _l("“%(value)s” is not in the list", value=_short("; ".join(wrong))),
    )


def _short(text: str, limit: int = 60) -> str:
    text = text.replace("\t", " ").replace("\r", " ").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
