"""schema.org JSON-LD of a listing, so that search engines and assistants understand the service page."""

from __future__ import annotations

from typing import Any

from flask import url_for

from welfarepoint import territory
from welfarepoint.catalog import taxonomy


def service_json_ld(service: Any) -> dict[str, Any]:
    """A schema.org ``Service`` for a published listing (Italian texts, with the English name when written)."""
    places = [m.name for code in service.coverage_codes if (m := territory.by_istat(code))]
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Service",
        "name": service.title,
        "description": service.summary or service.description[:300],
        "url": url_for("public.service", slug=service.slug, _external=True),
        "serviceType": taxonomy.label("categories", service.category, "it"),
        "provider": {"@type": "Organization", "name": service.provider.name},
        "areaServed": [{"@type": "City", "name": name} for name in places]
        or [{"@type": "AdministrativeArea", "name": f"ATS {service.ats}"}],
        "availableLanguage": service.languages,
        "audience": {
            "@type": "Audience",
            "audienceType": taxonomy.label("audiences", service.audience, "it"),
        },
        "isAccessibleForFree": service.cost == "free",
    }
    if service.title_en:
        data["alternateName"] = service.title_en
    if service.website:
        data["provider"]["url"] = service.website
    channel: dict[str, Any] = {"@type": "ServiceChannel"}
    if service.phone:
        channel["servicePhone"] = {"@type": "ContactPoint", "telephone": service.phone}
    if service.address:
        location = territory.by_istat(service.municipality_code or "")
        channel["serviceLocation"] = {
            "@type": "Place",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": service.address,
                "addressLocality": location.name if location else "",
                "addressRegion": "Lombardia",
                "addressCountry": "IT",
            },
        }
    if len(channel) > 1:
        data["availableChannel"] = channel
    return data
