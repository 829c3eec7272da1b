"""The blueprint of the open data API, ``/api/v1``, open to every web page (read-only open data)."""

from flask import Blueprint, Response, request

bp = Blueprint("api", __name__, url_prefix="/api/v1")


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
