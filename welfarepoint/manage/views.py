"""Views of the backend. Every one but the sign-in page needs a signed-in account."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_

from welfarepoint.accounts import operations as accounts
from welfarepoint.accounts.models import User
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Feedback, Service
from welfarepoint.extensions import db, login_manager
from welfarepoint.manage import scope
from welfarepoint.manage.forms import LoginForm

bp = Blueprint("manage", __name__, url_prefix="/manage")

# Flask-Login flashes this when a page needs a signed-in account; str() renders it in the page's language.
login_manager.login_message = _l("Sign in to see this page.")
login_manager.login_message_category = "warning"
login_manager.localize_callback = str


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in account, if it still exists and is active."""
    user = db.session.get(User, int(user_id)) if user_id.isdecimal() else None
    return user if user is not None and user.active else None


def _safe_next(target: str | None) -> str:
    return (
        target
        if target and target.startswith("/manage") and not target.startswith("//")
        else url_for("manage.dashboard")
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; after a few failures per account or per address, 429 with a clear message."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except accounts.AccountError as error:
            return render_template("manage/login.html", form=form, error=error.message), error.status
        session.clear()  # a new session at every sign-in
        session.permanent = True
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("manage/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out and end the session."""
    accounts.record(current_user.email, "logout", request.remote_addr or "")
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("manage.login"))


@bp.get("/")
@login_required
def dashboard():
    """What needs the manager's attention in their territory: listings by status, overdue checks, suggestions."""
    scoped = scope.services(current_user).subquery()
    by_status = dict(
        db.session.execute(db.select(scoped.c.status, func.count()).group_by(scoped.c.status)).all()
    )
    listings = (
        db.session.execute(scope.services(current_user).where(Service.status == "published"))
        .unique()
        .scalars()
    )
    today = date.today()
    overdue = sum(1 for service in listings if service.is_overdue(today))
    feedback = db.session.execute(
        db.select(func.count(Feedback.id)).where(
            Feedback.status == "open", Feedback.service_id.in_(db.select(scoped.c.id))
        )
    ).scalar_one()
    waiting = db.session.execute(
        db.select(func.count()).where(or_(scoped.c.status == "in_review", scoped.c.draft.is_not(None)))
    ).scalar_one()
    return render_template(
        "manage/dashboard.html", by_status=by_status, overdue=overdue, feedback=feedback, waiting=waiting
    )


def service_in_scope(service_id: int) -> Service:
    """The listing if the signed-in account may act on it; 404 otherwise (its existence is not revealed)."""
    service = (
        db.session.execute(scope.services(current_user).where(Service.id == service_id))
        .unique()
        .scalar_one_or_none()
    )
    if service is None:
        abort(404)
    return service


@bp.get("/verify")
@login_required
def verify_queue():
    """Published listings of the territory whose review interval has passed, oldest check first."""
    if not scope.may(current_user, "verify"):
        abort(403)
    today = date.today()
    listings = (
        db.session.execute(scope.services(current_user).where(Service.status == "published"))
        .unique()
        .scalars()
    )
    overdue = sorted((s for s in listings if s.is_overdue(today)), key=lambda s: s.review_due() or date.min)
    return render_template("manage/verify.html", listings=overdue, today=today)


@bp.post("/services/<uuid>/verified")
@login_required
def mark_verified(uuid: str):
    """Record that the manager checked the listing with its provider today."""
    if not scope.may(current_user, "verify"):
        abort(403)
    service = scope.service(current_user, uuid)
    if service is None:
        abort(404)
    operations.mark_verified(service, author=current_user.email)
    db.session.commit()
    flash(gettext("“%(title)s” is marked as verified today.", title=service.title), "success")
    return redirect(url_for("manage.verify_queue"))


@bp.get("/feedback")
@login_required
def feedback_queue():
    """Open corrections suggested by the public for the territory's listings, newest first."""
    if not scope.may(current_user, "feedback"):
        abort(403)
    scoped = scope.services(current_user).with_only_columns(Service.id)
    items = db.session.execute(
        db.select(Feedback)
        .where(Feedback.status == "open", Feedback.service_id.in_(scoped))
        .order_by(Feedback.created_at.desc())
    ).scalars()
    return render_template("manage/feedback.html", items=list(items))


@bp.post("/feedback/<int:feedback_id>")
@login_required
def close_feedback(feedback_id: int):
    """Resolve or dismiss one suggestion of the territory."""
    if not scope.may(current_user, "feedback"):
        abort(403)
    item = db.session.get(Feedback, feedback_id)
    if item is None:
        abort(404)
    service_in_scope(item.service_id)
    try:
        operations.close_feedback(item, request.form.get("outcome", ""), author=current_user.email)
    except operations.CatalogError as error:
        flash(str(error.message), "warning")
        return redirect(url_for("manage.feedback_queue"))
    db.session.commit()
    flash(gettext("The suggestion is closed."), "success")
    return redirect(url_for("manage.feedback_queue"))


# The other pages of the backend register themselves on ``bp``.
from welfarepoint.manage import insights as insight_routes  # noqa: E402, F401
from welfarepoint.manage import listings as listing_routes  # noqa: E402, F401
from welfarepoint.manage import network as network_routes  # noqa: E402, F401
from welfarepoint.manage import transfer as transfer_routes  # noqa: E402, F401
