"""The open data API's listings, organisations and municipalities (docs/features.md): HSDS 3.0 JSON, read-only.

Thin views: check the parameters, ask the catalog or the search index, turn the answer into HSDS with
:mod:`welfarepoint.api.hsds` and answer with :mod:`welfarepoint.api.responses`. Listing texts are Italian unless ``?lang=en`` asks for the English ones (so that
one address always gives the same data); error messages follow the request language like every page.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from flask import jsonify, redirect, request, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict

from welfarepoint import search, territory
from welfarepoint.api import hsds
from welfarepoint.api.blueprint import bp
from welfarepoint.api.responses import (
    bad_request,
    common_errors,
    content_language,
    json_in,
    not_found,
    page_url,
    public_uuid,
)
from welfarepoint.catalog import operations, queries
from welfarepoint.search_params import parse_search_args

DEFAULT_PER_PAGE = 20
#: The longest ``search`` text (as the OpenAPI document says): a longer one is a 400, not silently cut.
MAX_SEARCH_LENGTH = 200
DATA_LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI description shipped beside this module."""
    return json.loads(resources.files(__package__).joinpath("openapi.json").read_text(encoding="utf-8"))


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
    if parsed.set_aside:  # a page sets such a filter aside and says so; an API refuses the contradiction
        errors["ats"] = _l("The place given is not in ATS %(ats)s.", ats=request.args.get("ats", "")[:40])
    if len(request.args.get("search") or "") > MAX_SEARCH_LENGTH:
        errors["search"] = _l(
            "The search text can be at most %(max)s characters long.", max=MAX_SEARCH_LENGTH
        )
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
        merged_into = operations.redirect_of(public_id) if public_id else None
        if merged_into is not None and queries.organisation_by_uuid(merged_into.uuid) is not None:
            address = url_for(".organization", organization_id=merged_into.uuid)
            query = request.query_string.decode("latin-1")  # as it came: any parameter, any bytes
            return redirect(f"{address}?{query}" if query else address, 301)
        return not_found(_l("No organisation with published services has this id."))
    language = content_language()
    with force_locale(language):
        data = hsds.organization_full(item, language)
        data["services"] = [
            hsds.service_summary(listing, language, page_url(listing))
            for listing in queries.published_services_of(item)
        ]
    return json_in(language, data)


@bp.get("/municipalities")
def municipalities():
    """Lombardy municipalities whose name starts like ``q`` (or is close to it): for autocompletion."""
    text = (request.args.get("q") or "").strip()[:80]
    errors = common_errors("municipalities")
    if len(text) < 2:
        errors["q"] = _l("Type at least two letters.")
    if errors:
        return bad_request(errors)
    found = territory.suggest(text, limit=8)
    return jsonify(
        {
            "municipalities": [
                {"istat_code": m.istat_code, "name": m.name, "province": m.province, "ats": m.ats}
                for m in found
            ]
        }
    )
