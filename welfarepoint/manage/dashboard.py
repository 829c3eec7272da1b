"""The desk's full lists: listings to verify and the public's corrections, a page at a time.

The inbox (the backend's home) shows their first items: :mod:`welfarepoint.manage.inbox`.
"""

from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from welfarepoint.accounts import desk, scope
from welfarepoint.catalog import operations
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ActionForm
from welfarepoint.manage.helpers import commit_or_flash, requires, scoped_service
from welfarepoint.public.forms import FEEDBACK_LABELS

PAGE_SIZE = 50


def _page() -> int:
    page = request.args.get("page", "1")
    return int(page) if page.isdecimal() and 0 < int(page) < 10_000 else 1


@bp.get("/verify")
@requires("verify")
def verify_queue():
    """Published listings of the territory whose review interval has passed, never checked first."""
    today = date.today()
    items, total, page, pages = desk.overdue_page(current_user, today, _page(), PAGE_SIZE)
    return render_template(
        "manage/verify.html",
        items=items,
        total=total,
        page=page,
        pages=pages,
        today=today,
        actions=ActionForm(),
    )


@bp.post("/services/<uuid>/verified")
@requires("verify")
def mark_verified(uuid: str):
    """Record that the account checked the listing with its provider today."""
    service = scoped_service(uuid)
    if commit_or_flash(lambda: operations.mark_verified(service, author=current_user.email)):
        flash(gettext("“%(title)s” is marked as verified today.", title=service.title), "success")
    if request.form.get("next") == "edit":
        return redirect(url_for("manage.edit_service", uuid=uuid))
    return redirect(url_for("manage.verify_queue"))


@bp.get("/feedback")
@requires("feedback")
def feedback_queue():
    """Open corrections suggested by the public for the territory's listings, newest first."""
    items, total, page, pages = desk.corrections_page(current_user, _page(), PAGE_SIZE)
    return render_template(
        "manage/feedback.html", items=items, total=total, page=page, pages=pages, kinds=FEEDBACK_LABELS
    )


@bp.post("/feedback/<int:feedback_id>")
@requires("feedback")
def close_feedback(feedback_id: int):
    """Resolve or dismiss one suggestion of the territory, with a note that goes into the listing's history."""
    item = scope.feedback(current_user, feedback_id)
    if item is None:
        abort(404)
    outcome = request.form.get("outcome", "")
    note = request.form.get("note", "")
    if commit_or_flash(
        lambda: operations.close_feedback(item, outcome, author=current_user.email, note=note)
    ):
        flash(gettext("The suggestion is closed; your note is in the listing's history."), "success")
        return redirect(_after(item))
    if request.form.get("next") == "edit":  # the note is asked again beside the form
        return redirect(url_for("manage.edit_service", uuid=item.service.uuid, _anchor="corrections"))
    return redirect(_after(item))


def _after(item) -> str:
    return {
        "edit": url_for("manage.dashboard"),
        "feedback": url_for("manage.feedback_queue"),
    }.get(request.form.get("next", ""), url_for("manage.dashboard"))
