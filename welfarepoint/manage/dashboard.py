"""The backend's home and its queues: what needs attention, listings to verify, suggestions to read."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from welfarepoint.accounts import scope
from welfarepoint.catalog import operations
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import commit_or_flash, requires, scoped_service


@bp.get("/")
@login_required
def dashboard():
    """What needs the manager's attention in their territory: listings by status, overdue checks, suggestions."""
    counts = scope.dashboard(current_user)
    return render_template(
        "manage/dashboard.html",
        by_status=counts.by_status,
        overdue=counts.overdue,
        feedback=counts.feedback,
        waiting=counts.waiting,
    )


@bp.get("/verify")
@requires("verify")
def verify_queue():
    """Published listings of the territory whose review interval has passed, oldest check first."""
    today = date.today()
    listings = scope.overdue_listings(current_user, today=today)
    return render_template("manage/verify.html", listings=listings, today=today)


@bp.post("/services/<uuid>/verified")
@requires("verify")
def mark_verified(uuid: str):
    """Record that the manager checked the listing with its provider today."""
    service = scoped_service(uuid)
    if commit_or_flash(lambda: operations.mark_verified(service, author=current_user.email)):
        flash(gettext("“%(title)s” is marked as verified today.", title=service.title), "success")
    return redirect(url_for("manage.verify_queue"))


@bp.get("/feedback")
@requires("feedback")
def feedback_queue():
    """Open corrections suggested by the public for the territory's listings, newest first."""
    return render_template("manage/feedback.html", items=scope.open_feedback(current_user))


@bp.post("/feedback/<int:feedback_id>")
@requires("feedback")
def close_feedback(feedback_id: int):
    """Resolve or dismiss one suggestion of the territory."""
    item = scope.feedback(current_user, feedback_id)
    if item is None:
        abort(404)
    outcome = request.form.get("outcome", "")
    if commit_or_flash(lambda: operations.close_feedback(item, outcome, author=current_user.email)):
        flash(gettext("The suggestion is closed."), "success")
    return redirect(url_for("manage.feedback_queue"))
