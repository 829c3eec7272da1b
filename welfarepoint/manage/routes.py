"""Public routes in the backend: each ATS's managers curate the public entry points for needs outside the
networks (social services, ASST, INPS, regional measures) that search shows (issue 20, point 5)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from welfarepoint.accounts import scope
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import requires
from welfarepoint.territory.models import PublicRoute


class PublicRouteForm(FlaskForm):
    """A public route of an ATS."""

    ats = SelectField(_l("ATS"), validators=[DataRequired()])
    name = StringField(_l("Office"), validators=[DataRequired(), Length(max=200)])
    handles = TextAreaField(_l("What people can ask there"), validators=[Optional(), Length(max=500)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    website = StringField(
        _l("Website"),
        validators=[
            Optional(),
            Length(max=300),
            Regexp(r"^https?://\S+$", message=_l("Write the whole address, starting with https://")),
        ],
    )


def _form(route: PublicRoute | None = None) -> PublicRouteForm:
    form = PublicRouteForm(obj=route) if request.method == "GET" and route else PublicRouteForm()
    form.ats.choices = [(name, name) for name in scope.ats_choices(current_user)]
    return form


def _scoped(route_id: int) -> PublicRoute:
    """The route if the account's territory holds it; 404 otherwise (its existence is not revealed)."""
    route = db.session.get(PublicRoute, route_id)
    if route is None or route.ats not in scope.ats_choices(current_user):
        abort(404)
    return route


def _save(route: PublicRoute, form: PublicRouteForm) -> None:
    for name in ("ats", "name", "handles", "phone", "website"):
        setattr(route, name, (form[name].data or "").strip())
    db.session.add(route)
    db.session.commit()


@bp.route("/routes", methods=["GET", "POST"])
@requires("network")
def public_routes():
    """The public routes of the territory, and a form to add one."""
    form = _form()
    if request.method == "POST" and form.validate():
        route = PublicRoute()
        _save(route, form)
        flash(gettext("“%(name)s” is added.", name=route.name), "success")
        return redirect(url_for("manage.public_routes"))
    atses = scope.ats_choices(current_user)
    routes = db.session.execute(
        db.select(PublicRoute).where(PublicRoute.ats.in_(atses)).order_by(PublicRoute.ats, PublicRoute.name)
    ).scalars()
    status = 400 if form.errors else 200
    return render_template("manage/public_routes.html", form=form, routes=list(routes), route=None), status


@bp.route("/routes/<int:route_id>", methods=["GET", "POST"])
@requires("network")
def edit_public_route(route_id: int):
    """Change or remove one public route."""
    route = _scoped(route_id)
    if (
        request.method == "POST" and request.form.get("action") == "delete"
    ):  # the form token is checked for all
        db.session.delete(route)
        db.session.commit()
        flash(gettext("“%(name)s” is removed.", name=route.name), "success")
        return redirect(url_for("manage.public_routes"))
    form = _form(route)
    if request.method == "POST" and form.validate():
        _save(route, form)
        flash(gettext("“%(name)s” is saved.", name=route.name), "success")
        return redirect(url_for("manage.public_routes"))
    status = 400 if form.errors else 200
    return render_template("manage/public_routes.html", form=form, routes=[], route=route), status
