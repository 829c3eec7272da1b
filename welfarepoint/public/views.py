"""Views of the public site. Thin: parse the request, call one domain function, render."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l

bp = Blueprint("public", __name__)

#: The main menu, in order; an entry appears only once its page exists.
MENU = (
    ("public.home", _l("Home")),
    ("public.search", _l("Search services")),
    ("public.match_family", _l("For families")),
    ("public.match_company", _l("For companies")),
    ("public.welfare_points", _l("Welfare Points")),
)


def has_endpoint(endpoint: str) -> bool:
    """Whether a page exists, so that templates link only to what is there."""
    return endpoint in current_app.view_functions


@bp.app_context_processor
def navigation() -> dict:
    """Expose the menu and :func:`has_endpoint` to every template."""

    def main_menu() -> list[tuple[str, str]]:
        return [(endpoint, str(label)) for endpoint, label in MENU if has_endpoint(endpoint)]

    return {"main_menu": main_menu, "has_endpoint": has_endpoint}


@bp.get("/")
def home():
    """Say what Welfare Point is and offer search and the two questionnaires."""
    return render_template("public/home.html")


@bp.get("/accessibility")
def accessibility():
    """The accessibility statement."""
    return render_template("public/accessibility.html")


@bp.get("/privacy")
def privacy():
    """The privacy notice."""
    return render_template("public/privacy.html")


@bp.get("/report-a-problem")
def report_problem():
    """How to report a problem with the site or with a listing."""
    return render_template("public/report_problem.html", contact_email=current_app.config["CONTACT_EMAIL"])
