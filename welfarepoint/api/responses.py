"""What every view of the API shares: reading ``lang`` and the filters not offered, and answering (JSON in a
language, a 400 naming each bad parameter, a 404 saying what was not found)."""

from __future__ import annotations

import uuid
from typing import Any

from flask import Response, current_app, jsonify, request, url_for
from flask_babel import lazy_gettext as _l

from welfarepoint.errors import ERROR_TEXTS

#: HSDS filters this API does not offer: refused rather than ignored, so nobody gets unfiltered data unawares.
UNSUPPORTED_FILTERS = {
    "services": (
        "taxonomy_term_id",
        "taxonomy_id",
        "organization_id",
        "modified_after",
        "postcode",
        "proximity",
    ),
    "organizations": ("search",),
}


def bad_request(errors: dict[str, Any], suggestions: dict[str, Any] | None = None):
    """A 400 naming every parameter not understood, with a message in the request language."""
    body: dict[str, Any] = {
        "status": 400,
        "title": str(ERROR_TEXTS[400][0]),
        "detail": str(_l("Some parameters of the request are not valid: see “parameters” for each one.")),
        "parameters": {name: str(message) for name, message in errors.items()},
    }
    if suggestions:
        body["suggestions"] = suggestions
    return jsonify({"error": body}), 400


def not_found(detail: Any):
    """A 404 that says what was not found (the site's generic text speaks of pages and links)."""
    body = {"status": 404, "title": str(ERROR_TEXTS[404][0]), "detail": str(detail)}
    return jsonify({"error": body}), 404


def common_errors(endpoint: str) -> dict[str, Any]:
    """Problems with the parameters every data endpoint shares: ``lang`` and the HSDS filters not offered."""
    errors: dict[str, Any] = {}
    language = request.args.get("lang")
    if language is not None and language not in current_app.config["LANGUAGES"]:
        errors["lang"] = _l("The language must be “it” or “en”.")
    for name in UNSUPPORTED_FILTERS.get(endpoint, ()):
        if request.args.get(name):
            errors[name] = _l("This API does not offer the “%(name)s” parameter.", name=name)
    return errors


def content_language() -> str:
    """The language of listing texts: English only when ``?lang=en`` asks for it, else Italian."""
    language = request.args.get("lang")
    return language if language in current_app.config["LANGUAGES"] else "it"


def json_in(language: str, data: Any) -> Response:
    """``data`` as JSON, saying which language its texts are in."""
    response = jsonify(data)
    response.headers["Content-Language"] = language
    return response


def page_url(service) -> str:
    """The listing's page on Welfare Point."""
    return url_for("public.service", slug=service.slug, _external=True)


def public_uuid(value: str) -> str | None:
    """The canonical form of the UUID in an address, or None for anything else (never sent to the database)."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
