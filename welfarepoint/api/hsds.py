"""Catalog objects as Human Services Data Specification (HSDS) 3.0 dictionaries, ready for ``jsonify``.

Pure functions: no request, no database query (the caller passes what it loaded). The few generated texts use
``gettext``, so the caller chooses their language with ``flask_babel.force_locale``; listing texts come in
``language`` ("it" or "en": the English text where curators wrote one, else the Italian).

Decisions worth knowing:
- Every ``id`` is a UUID. Services, organisations and alliances (HSDS programs) keep their own ``uuid``;
  sub-objects (phones, areas, schedules, ...) get a name-based UUID (:func:`sub_id`) from their parent's UUID and
  a fixed suffix, and taxonomy terms one from their vocabulary and code, so responses are deterministic.
- Codes of the Welfare Point vocabularies (audience, category, need, period, ...) are ``attributes`` whose
  ``taxonomy_term`` belongs to the taxonomy ``welfarepoint``; the term ``code`` is ``<vocabulary>:<code>``
  (``category:P2``, ``need:after_school``) because some codes repeat across vocabularies. Values without a
  vocabulary (capacity, enrolment deadline, tags, ISTAT codes of service areas) are attributes with a ``value``.
- ``name`` is the title in ``language``; ``alternate_name`` is the title in the other language, when written.
- ``url`` is the service's own website, else its page on Welfare Point (``page_url``).
- HSDS requires ``postal_code`` on an address and listings have none: it is the five-digit CAP found in the
  address text, else an empty string.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from welfarepoint import territory
from welfarepoint.catalog import access, taxonomy

HSDS_VERSION = "3.0"
#: Namespace of every name-based UUID Welfare Point publishes. Never change it: ids would all change.
NAMESPACE = uuid.UUID("df0346a9-3b6b-4592-bc5b-2408c9948b51")
TAXONOMY_NAME = "welfarepoint"
STATUS_PUBLISHED = "active"
CURRENCY = "EUR"
REGION = "Lombardia"
COUNTRY = "IT"

#: Attribute kinds (HSDS ``link_type``) drawn from a vocabulary of :mod:`welfarepoint.catalog.taxonomy`.
VOCABULARIES = {
    "audience": ("audiences", _l("Audience")),
    "category": ("categories", _l("Service category")),
    "need": ("needs", _l("Need")),
    "period": ("periods", _l("Period")),
    "time_slot": ("time_slots", _l("Time slot")),
    "company_size": ("company_sizes", _l("Company size")),
    "availability": ("availability", _l("Availability")),
    "organisation_type": ("organisation_types", _l("Organisation type")),
    "age_of": ("age_of", _l("Whose age")),
    "residence": ("residence", _l("Residence or employment")),
    "channel": ("channels", _l("Only through")),
}

#: Attribute kinds that carry a free ``value``: their single term, with a name and a description.
VALUE_TERMS = {
    "tag": (_l("Keyword"), _l("A keyword curators gave the listing.")),
    "capacity": (_l("Capacity"), _l("How many places the service offers.")),
    "enrolment_deadline": (_l("Enrolment deadline"), _l("The last day to enrol, as an ISO 8601 date.")),
    "enrolment_opens": (_l("Enrolment opens"), _l("The first day to enrol, as an ISO 8601 date.")),
    "isee_max": (
        _l("Highest ISEE"),
        _l("The highest ISEE (Italian indicator of a household's economic situation) admitted, in euros."),
    ),
    "istat_code": (
        _l("ISTAT municipality code"),
        _l("The six-digit code ISTAT gives each Italian municipality (comune)."),
    ),
    "ats": (
        _l("ATS"),
        _l("Agenzia di Tutela della Salute: one of the eight health protection agencies of Lombardy."),
    ),
}

_POSTAL_CODE = re.compile(r"(?<!\d)\d{5}(?!\d)")


# --- identifiers and small helpers -----------------------------------------------------------------------


def sub_id(parent: str, suffix: str) -> str:
    """A stable UUID for the sub-object ``suffix`` of the object whose UUID is ``parent``."""
    return str(uuid.uuid5(NAMESPACE, f"{parent}/{suffix}"))


def taxonomy_id() -> str:
    """The UUID of the ``welfarepoint`` taxonomy."""
    return str(uuid.uuid5(NAMESPACE, f"taxonomy/{TAXONOMY_NAME}"))


def term_id(kind: str, code: str) -> str:
    """The UUID of the term ``code`` of the attribute kind ``kind`` (e.g. "category", "P2")."""
    return str(uuid.uuid5(NAMESPACE, f"taxonomy_term/{kind}/{code}"))


def _compact(data: dict[str, Any]) -> dict[str, Any]:
    """Drop the keys whose value is None or an empty string (HSDS fields are typed, never null)."""
    return {key: value for key, value in data.items() if value is not None and value != ""}


def _timestamp(moment: datetime | None) -> str | None:
    """An RFC 3339 UTC timestamp with milliseconds ("2023-03-15T10:30:45.123Z"); naive times are UTC."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


# --- taxonomy terms and attributes -----------------------------------------------------------------------


def taxonomy_detail() -> dict[str, Any]:
    """The HSDS ``taxonomy`` object of Welfare Point's vocabularies."""
    return {
        "id": taxonomy_id(),
        "name": TAXONOMY_NAME,
        "description": gettext(
            "The vocabularies of Welfare Point: audiences, service categories and needs of the Lombardy work-life conciliation networks (DGR 2398/2019), periods, time slots, company sizes and more."
        ),
    }


def taxonomy_term(kind: str, code: str, language: str) -> dict[str, Any]:
    """The HSDS ``taxonomy_term`` for ``code`` of the attribute kind ``kind``; a value term's code is its kind."""
    parent_id = None
    if kind in VOCABULARIES:
        vocabulary, title = VOCABULARIES[kind]
        name = taxonomy.label(vocabulary, code, language)
        description = f"{title}: {name}"
        if kind == "need" and (category := taxonomy.need_category(code)):
            parent_id = term_id("category", category)
        term_code = f"{kind}:{code}"
    else:
        title, text = VALUE_TERMS[kind]
        name, description, term_code = str(title), str(text), kind
    return _compact(
        {
            "id": term_id(kind, code),
            "code": term_code,
            "name": name,
            "description": description,
            "parent_id": parent_id,
            "taxonomy": TAXONOMY_NAME,
            "taxonomy_id": taxonomy_id(),
            "taxonomy_detail": taxonomy_detail(),
            "language": language,
        }
    )


def attribute(
    owner_id: str, entity: str, kind: str, code: str, language: str, value: str | None = None
) -> dict[str, Any]:
    """An HSDS ``attribute`` linking the ``entity`` ``owner_id`` to a term (a coded one, or one with a value)."""
    term_code = kind if value is not None else code
    term = taxonomy_term(kind, term_code, language)
    return _compact(
        {
            "id": sub_id(owner_id, f"attribute/{kind}/{code}"),
            "link_id": owner_id,
            "link_entity": entity,
            "link_type": kind,
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
            "value": value,
        }
    )


def service_attributes(service: Any, language: str) -> list[dict[str, Any]]:
    """The Welfare Point codes and extra values of a listing, as HSDS attributes."""
    coded = [
        ("audience", [service.audience]),
        ("category", [service.category]),
        ("need", service.needs or []),
        ("period", service.periods or []),
        ("time_slot", service.time_slots or []),
        ("company_size", service.company_sizes or []),
        ("availability", [service.availability]),
        ("age_of", [service.age_of]),
        ("residence", [service.residence]),
        ("channel", [service.channel]),
    ]
    items = [
        attribute(service.uuid, "service", kind, code, language)
        for kind, codes in coded
        for code in _unique(codes)
    ]
    for tag in _unique(service.tags or []):
        items.append(attribute(service.uuid, "service", "tag", tag, language, value=tag))
    if service.capacity is not None:
        items.append(
            attribute(service.uuid, "service", "capacity", "capacity", language, value=str(service.capacity))
        )
    if service.enrolment_deadline is not None:
        deadline = service.enrolment_deadline.isoformat()
        items.append(
            attribute(service.uuid, "service", "enrolment_deadline", "enrolment_deadline", language, deadline)
        )
    if service.enrolment_opens is not None:
        opens = service.enrolment_opens.isoformat()
        items.append(
            attribute(service.uuid, "service", "enrolment_opens", "enrolment_opens", language, opens)
        )
    if service.isee_max is not None:
        items.append(
            attribute(service.uuid, "service", "isee_max", "isee_max", language, value=str(service.isee_max))
        )
    return items


# --- organisations and alliances -------------------------------------------------------------------------


def _organisation_description(organisation: Any, language: str) -> str:
    kind = taxonomy.label("organisation_types", organisation.type, language)
    place = territory.by_istat(organisation.municipality_code or "")
    return f"{kind}, {place.name}" if place else kind


def organization_summary(organisation: Any, language: str) -> dict[str, Any]:
    """An organisation in the HSDS ``organization_list`` shape (one-to-one fields only)."""
    return _compact(
        {
            "id": organisation.uuid,
            "name": organisation.name,
            "description": _organisation_description(organisation, language),
            "email": organisation.email or None,
            "website": organisation.website or None,
            "legal_status": taxonomy.label("organisation_types", organisation.type, language),
        }
    )


def organization_full(organisation: Any, language: str) -> dict[str, Any]:
    """An organisation as the HSDS ``organization`` object, with its phone and type (no services)."""
    data = organization_summary(organisation, language)
    data["phones"] = (
        [
            {
                "id": sub_id(organisation.uuid, "phone"),
                "organization_id": organisation.uuid,
                "number": organisation.phone,
            }
        ]
        if organisation.phone
        else []
    )
    data["attributes"] = [
        attribute(organisation.uuid, "organization", "organisation_type", organisation.type, language)
    ]
    return data


def program(alliance: Any) -> dict[str, Any]:
    """An Alleanza locale as the HSDS ``program`` its services are delivered under."""
    return _compact(
        {
            "id": alliance.uuid,
            "organization_id": alliance.lead.uuid if alliance.lead else None,
            "name": alliance.name,
            "description": gettext(
                "Local alliance of the work-life conciliation network of ATS %(ats)s.", ats=alliance.ats
            ),
        }
    )


# --- services --------------------------------------------------------------------------------------------


def _description(service: Any, language: str) -> str | None:
    """Summary and description in ``language``; when some are translated, only the translated ones."""
    parts = [service.text("summary", language), service.text("description", language)]
    if language != "it" and any(lang == language and text for text, lang in parts):
        parts = [(text, lang) for text, lang in parts if lang == language]
    texts = [text.strip() for text, _ in parts if text and text.strip()]
    if len(texts) == 2 and texts[1].startswith(texts[0]):
        texts = texts[1:]
    return "\n\n".join(texts) or None


def _alternate_name(service: Any, language: str) -> str | None:
    """The title in the other language, when curators wrote an English one."""
    if not service.title_en:
        return None
    return service.title_en if language == "it" else service.title


def _eligibility(service: Any, language: str) -> str:
    """Who may use the service: audience, sizes, whose ages, residence, ISEE, channel and other conditions."""
    audience = taxonomy.label("audiences", service.audience, language)
    sizes = [taxonomy.label("company_sizes", size, language) for size in service.company_sizes or []]
    parts = [f"{audience}: {', '.join(sizes)}" if sizes else audience]
    if ages := access.eligibility_ages(service.age_min, service.age_max, service.age_of):
        parts.append(ages)
    if service.residence:
        parts.append(taxonomy.label("residence", service.residence, language))
    if service.isee_max is not None:
        parts.append(gettext("ISEE up to %(amount)s euros", amount=service.isee_max))
    if service.channel:
        parts.append(taxonomy.label("channels", service.channel, language))
    conditions = service.text("conditions", language)[0].strip()
    if conditions:
        parts.append(conditions.rstrip("."))
    return ". ".join(parts)


def _fees(service: Any, language: str) -> str:
    cost = taxonomy.label("costs", service.cost, language)
    if service.cost_amount is not None:
        cost = f"{cost}: {_amount_text(service, language)}"
    notes = service.text("cost_notes", language)[0].strip()
    return f"{cost}. {notes}" if notes else cost


def _amount_text(service: Any, language: str) -> str:
    amount = access.format_euros(service.cost_amount, language)
    if service.cost_period:
        return f"{amount} {taxonomy.label('cost_periods', service.cost_period, language)}"
    return amount


def _application_process(service: Any, language: str) -> str | None:
    """The numbered steps to apply, then the curators' text on access."""
    steps, _ = service.texts("steps", language)
    parts = [f"{number}. {step}" for number, step in enumerate(steps, start=1)]
    text = service.text("how_to_access", language)[0].strip()
    if text:
        parts.append(text)
    return "\n".join(parts) or None


def service_summary(service: Any, language: str, page_url: str | None = None) -> dict[str, Any]:
    """A published listing in the HSDS ``service_list`` shape (one-to-one fields, organization, program)."""
    data = _compact(
        {
            "id": service.uuid,
            "organization_id": service.provider.uuid,
            "program_id": service.alliance.uuid if service.alliance else None,
            "name": service.text("title", language)[0],
            "alternate_name": _alternate_name(service, language),
            "description": _description(service, language),
            "url": service.website or page_url,
            "email": service.email or None,
            "status": STATUS_PUBLISHED,
            "application_process": _application_process(service, language),
            "fees_description": _fees(service, language),
            "eligibility_description": _eligibility(service, language),
            "minimum_age": service.age_min,
            "maximum_age": service.age_max,
            "assured_date": service.last_verified.isoformat() if service.last_verified else None,
            "last_modified": _timestamp(service.updated_at),
        }
    )
    data["organization"] = organization_summary(service.provider, language)
    if service.alliance:
        data["program"] = program(service.alliance)
    return data


def service_phones(service: Any) -> list[dict[str, Any]]:
    """The listing's phone number, if any."""
    if not service.phone:
        return []
    return [{"id": sub_id(service.uuid, "phone"), "service_id": service.uuid, "number": service.phone}]


def service_contacts(service: Any) -> list[dict[str, Any]]:
    """One contact with the listing's e-mail and phone, if it has either."""
    if not (service.email or service.phone):
        return []
    contact_id = sub_id(service.uuid, "contact")
    phones = (
        [{"id": sub_id(service.uuid, "contact/phone"), "contact_id": contact_id, "number": service.phone}]
        if service.phone
        else []
    )
    return [
        _compact({"id": contact_id, "service_id": service.uuid, "email": service.email, "phones": phones})
    ]


def service_areas(service: Any, language: str) -> list[dict[str, Any]]:
    """The covered municipalities, each with its ISTAT code; or the whole ATS when none is listed."""
    areas = []
    for code in service.coverage_codes:
        area_id = sub_id(service.uuid, f"service_area/{code}")
        place = territory.by_istat(code)
        areas.append(
            {
                "id": area_id,
                "service_id": service.uuid,
                "name": place.name if place else code,
                "description": gettext(
                    "Municipality with ISTAT code %(code)s, ATS %(ats)s.",
                    code=code,
                    ats=place.ats if place else service.ats,
                ),
                "attributes": [attribute(area_id, "service_area", "istat_code", code, language, value=code)],
            }
        )
    if areas:
        return areas
    area_id = sub_id(service.uuid, "service_area/ats")
    count = len(territory.in_ats(service.ats))
    return [
        {
            "id": area_id,
            "service_id": service.uuid,
            "name": f"ATS {service.ats}",
            "description": gettext(
                "The whole territory of ATS %(ats)s (%(count)s municipalities).", ats=service.ats, count=count
            ),
            "attributes": [
                attribute(area_id, "service_area", "ats", service.ats, language, value=service.ats)
            ],
        }
    ]


def _location_name(address: str, city: str) -> str:
    """ "Via Roma 1, Sondrio": the address with its municipality, unless the address already names it."""
    if not address or not city or city.casefold() in address.casefold():
        return address or city
    return f"{address}, {city}"


def service_locations(service: Any) -> list[dict[str, Any]]:
    """Where the service is delivered, as HSDS ``service_at_location`` entries (none if unknown)."""
    place = territory.by_istat(service.municipality_code or "")
    if not service.address and place is None:
        return []
    location_id = sub_id(service.uuid, "location")
    addresses = []
    if service.address:
        postal_codes = _POSTAL_CODE.findall(service.address)
        addresses.append(
            {
                "id": sub_id(service.uuid, "location/address"),
                "location_id": location_id,
                "address_1": service.address,
                "city": place.name if place else "",
                "region": REGION,
                "state_province": place.province if place else "",
                "postal_code": postal_codes[-1] if postal_codes else "",
                "country": COUNTRY,
                "address_type": "physical",
            }
        )
    location = {
        "id": location_id,
        "location_type": "physical",
        "organization_id": service.provider.uuid,
        "name": _location_name(service.address, place.name if place else ""),
        "addresses": addresses,
    }
    return [
        {
            "id": sub_id(service.uuid, "service_at_location"),
            "service_id": service.uuid,
            "location_id": location_id,
            "location": location,
        }
    ]


def service_schedules(service: Any, language: str) -> list[dict[str, Any]]:
    """One schedule per period of the year (all year when none), with the time slots and the notes."""
    slots = ", ".join(taxonomy.label("time_slots", slot, language) for slot in service.time_slots or [])
    schedules = []
    for period in _unique(service.periods or []) or ["all_year"]:
        name = taxonomy.label("periods", period, language)
        schedules.append(
            _compact(
                {
                    "id": sub_id(service.uuid, f"schedule/{period}"),
                    "service_id": service.uuid,
                    "description": f"{name} ({slots})" if slots else name,
                    "notes": service.schedule_notes,
                }
            )
        )
    for index, rule in enumerate(access.parse_hours(service.hours) if service.hours else []):
        days, _times = access.describe_rule(rule, language)
        for opens, closes in rule.spans:
            schedules.append(
                {
                    "id": sub_id(service.uuid, f"schedule/hours/{index}/{opens}"),
                    "service_id": service.uuid,
                    "freq": "WEEKLY",
                    "byday": rule.byday,
                    "wkst": "MO",
                    "opens_at": opens,
                    "closes_at": closes,
                    "description": f"{days}, {opens}-{closes}",
                    "attending_type": gettext("In person"),
                }
            )
    return schedules


def service_required_documents(service: Any, language: str) -> list[dict[str, Any]]:
    """The documents needed to apply, one HSDS ``required_document`` each."""
    documents, _ = service.texts("documents", language)
    return [
        {
            "id": sub_id(service.uuid, f"required_document/{index}"),
            "service_id": service.uuid,
            "document": text,
        }
        for index, text in enumerate(documents)
    ]


def service_languages(service: Any, language: str) -> list[dict[str, Any]]:
    """The languages the service is delivered in, with ISO 639-1 codes."""
    return [
        {
            "id": sub_id(service.uuid, f"language/{code}"),
            "service_id": service.uuid,
            "name": taxonomy.language_name(code, language),
            "code": code,
        }
        for code in _unique(service.languages or [])
    ]


def service_cost_options(service: Any, language: str) -> list[dict[str, Any]]:
    """The cost as one HSDS cost option: 0 EUR when free, the amount and its period when curators gave one."""
    free = service.cost == "free"
    amount = 0 if free else float(service.cost_amount) if service.cost_amount is not None else None
    option = taxonomy.label("costs", service.cost, language)
    if service.cost_period and not free:
        option = f"{option} ({taxonomy.label('cost_periods', service.cost_period, language)})"
    return [
        _compact(
            {
                "id": sub_id(service.uuid, "cost_option"),
                "service_id": service.uuid,
                "option": option,
                "currency": CURRENCY if amount is not None else None,
                "amount": amount,
                "amount_description": service.text("cost_notes", language)[0].strip(),
            }
        )
    ]


def service_full(service: Any, language: str, page_url: str | None = None) -> dict[str, Any]:
    """A published listing as a fully nested HSDS ``service`` (``service_with_definitions`` shape)."""
    data = service_summary(service, language, page_url)
    data["organization"] = organization_full(service.provider, language)
    data.update(
        {
            "phones": service_phones(service),
            "schedules": service_schedules(service, language),
            "service_areas": service_areas(service, language),
            "service_at_locations": service_locations(service),
            "languages": service_languages(service, language),
            "cost_options": service_cost_options(service, language),
            "required_documents": service_required_documents(service, language),
            "contacts": service_contacts(service),
            "attributes": service_attributes(service, language),
        }
    )
    return data


# --- pages -----------------------------------------------------------------------------------------------


def page(contents: list[dict[str, Any]], *, total: int, page_number: int, per_page: int) -> dict[str, Any]:
    """The HSDS ``Page`` envelope; ``size`` is how many items this page holds, as HSDS describes it."""
    total_pages = -(-total // per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page_number,
        "size": len(contents),
        "first_page": page_number == 1,
        "last_page": page_number >= total_pages,
        "empty": not contents,
        "contents": contents,
    }
