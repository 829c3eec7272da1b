"""The open data API (DESIGN §10): published listings and their providers as HSDS 3.0 JSON, read-only.

Thin views: check the parameters, ask the catalog or the search index, turn the answer into HSDS with
:mod:`welfarepoint.api.hsds`. Listing texts are Italian unless ``?lang=en`` asks for the English ones (so that
one address always gives the same data); error messages follow the request language like every page.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from importlib import resources
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from welfarepoint import search, territory
from welfarepoint.api import hsds
from welfarepoint.catalog import queries
from welfarepoint.errors import ERROR_TEXTS
from welfarepoint.search_params import parse_search_args

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_PER_PAGE = 20
DATA_LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"
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


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI description shipped beside this module."""
    return json.loads(resources.files(__package__).joinpath("openapi.json").read_text(encoding="utf-8"))


@bp.after_app_request
def allow_cross_origin(response: Response) -> Response:
    """Let any web page read the API (GET only, no credentials): it is open data."""
    if request.path == bp.url_prefix or request.path.startswith(f"{bp.url_prefix}/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
            response.headers["Access-Control-Max-Age"] = "86400"
    return response


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
    if language and language not in current_app.config["LANGUAGES"]:
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


@bp.get("/")
def index():
    """Say what this API is, where its parts are, and under which licence the data is."""
    return jsonify(
        {
            "name": "Welfare Point open data API",
            "version": hsds.HSDS_VERSION,
            "profile": HSDS_PROFILE,
            "openapi_url": url_for("api.openapi", _external=True),
            "license": DATA_LICENCE,
            "links": {
                "services": url_for("api.services", _external=True),
                "organizations": url_for("api.organizations", _external=True),
                "openapi": url_for("api.openapi", _external=True),
            },
        }
    )


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(openapi_document())


@bp.get("/services")
def services():
    """Search the published listings; an HSDS page of services in the list shape."""
    parsed = parse_search_args(
        request.args, text_param="search", per_page_param="per_page", default_per_page=DEFAULT_PER_PAGE
    )
    errors = {**parsed.errors, **common_errors("services")}
    if errors:
        suggestions = [{"istat_code": m.istat_code, "name": m.name} for m in parsed.municipality_suggestions]
        return bad_request(errors, {"municipality": suggestions} if suggestions else None)
    result = search.query(parsed.text, parsed.filters, page=parsed.page, per_page=parsed.per_page)
    # The search shows the last page for a page past the end; an API answers the page asked, empty.
    found = (
        queries.published_services(hit.service_id for hit in result.hits)
        if result.page == parsed.page
        else []
    )
    language = content_language()
    with force_locale(language):
        contents = [hsds.service_summary(item, language, page_url(item)) for item in found]
    return json_in(
        language, hsds.page(contents, total=result.total, page_number=parsed.page, per_page=parsed.per_page)
    )


@bp.get("/services/<service_id>")
def service(service_id: str):
    """One published listing, fully nested."""
    if errors := common_errors("service"):
        return bad_request(errors)
    public_id = public_uuid(service_id)
    item = queries.published_service_by_uuid(public_id) if public_id else None
    if item is None:
        return not_found(_l("No published service has this id."))
    language = content_language()
    with force_locale(language):
        return json_in(language, hsds.service_full(item, language, page_url(item)))


@bp.get("/organizations")
def organizations():
    """The organisations that provide published listings, by name; an HSDS page."""
    paging = MultiDict(
        [(key, value) for key, value in request.args.items(multi=True) if key in {"page", "per_page"}]
    )
    parsed = parse_search_args(paging, per_page_param="per_page", default_per_page=DEFAULT_PER_PAGE)
    errors = {**parsed.errors, **common_errors("organizations")}
    if errors:
        return bad_request(errors)
    found, total = queries.organisations_with_published_services(parsed.page, parsed.per_page)
    language = content_language()
    with force_locale(language):
        contents = [hsds.organization_summary(item, language) for item in found]
    return json_in(
        language, hsds.page(contents, total=total, page_number=parsed.page, per_page=parsed.per_page)
    )


@bp.get("/organizations/<organization_id>")
def organization(organization_id: str):
    """One organisation with its published listings (in the service list shape)."""
    if errors := common_errors("organization"):
        return bad_request(errors)
    public_id = public_uuid(organization_id)
    item = queries.organisation_by_uuid(public_id) if public_id else None
    if item is None:
        return not_found(_l("No organisation with published services has this id."))
    language = content_language()
    with force_locale(language):
        data = hsds.organization_full(item, language)
        data["services"] = [
            hsds.service_summary(listing, language, page_url(listing))
            for listing in queries.published_services_of(item)
        ]
    return json_in(language, data)


# The questionnaires' JSON twins register themselves on ``bp``.
from welfarepoint.api import match_views  # noqa: E402, F401


@bp.get("/municipalities")
def municipalities():
    """Lombardy municipalities whose name starts like ``q`` (or is close to it): for autocompletion."""
    text = (request.args.get("q") or "").strip()[:80]
    if len(text) < 2:
        return bad_request({"q": _l("Type at least two letters.")})
    found = territory.suggest(text, limit=8)
    return jsonify(
        {
            "municipalities": [
                {"istat_code": m.istat_code, "name": m.name, "province": m.province, "ats": m.ats}
                for m in found
            ]
        }
    )
