"""The managers' desk: the inbox of each role, its bulk actions, and what the edit form shows beside a listing.

The sections are asked of :mod:`welfarepoint.accounts.desk`; a listing is always looked up through
:mod:`welfarepoint.accounts.scope` (outside the territory: skipped in bulk, 404 alone).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required

from welfarepoint.accounts import desk, scope
from welfarepoint.catalog import operations, workflow
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.operations import CatalogError
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ActionForm
from welfarepoint.manage.helpers import commit_or_flash, ensure_may, scoped_service
from welfarepoint.public.forms import FEEDBACK_LABELS

#: The actions the inbox takes on many listings at once, and the permission each needs.
BULK_ACTIONS = {"verify": "verify", "archive": "archive"}
#: The most listings one bulk action takes (a page of the verification list).
BULK_MAX = 200
#: How many repeated titles the suspected duplicates page lists.
DUPLICATES_SHOWN = 100


@bp.get("/")
@login_required
def dashboard():
    """The account's inbox: what waits for it in its territory, item by item."""
    today = date.today()
    counts = scope.dashboard(current_user, today=today)
    return render_template(
        "manage/dashboard.html",
        inbox=desk.inbox(current_user, today, overdue_total=counts.overdue),
        counts=counts,
        today=today,
        kinds=FEEDBACK_LABELS,
        actions=ActionForm(),
    )


@bp.get("/duplicates")
@login_required
def duplicates():
    """Suspected duplicates: titles more than one listing of an ATS has (the most repeated first)."""
    return render_template(
        "manage/duplicates.html", found=desk.duplicates(current_user, limit=DUPLICATES_SHOWN)
    )


@bp.post("/inbox/bulk")
@login_required
def bulk_action():
    """Verify or archive the chosen listings of the territory; those outside it are left alone."""
    action = request.form.get("action", "")
    if action not in BULK_ACTIONS:
        flash(gettext("Choose what to do with the chosen listings."), "warning")
        return redirect(_back())
    ensure_may(BULK_ACTIONS[action])
    if not ActionForm().validate():
        flash(gettext("The form has expired: choose the listings again."), "warning")
        return redirect(_back())
    chosen = list(dict.fromkeys(request.form.getlist("uuid")))[:BULK_MAX]
    if not chosen:
        flash(gettext("Tick at least one listing first."), "warning")
        return redirect(_back())
    done: list[Service] = []

    def change() -> None:
        for uuid in chosen:
            service = scope.service(current_user, uuid)
            if service is None:
                continue
            try:
                with db.session.begin_nested():
                    if action == "verify":
                        operations.mark_verified(service, author=current_user.email)
                    else:
                        workflow.archive(service, author=current_user.email)
            except CatalogError:
                continue
            done.append(service)

    if commit_or_flash(change):
        _flash_bulk(action, len(done), len(chosen))
    return redirect(_back())


def _flash_bulk(action: str, done: int, chosen: int) -> None:
    if action == "verify":
        message = ngettext(
            "%(num)s listing is marked as verified today.",
            "%(num)s listings are marked as verified today.",
            done,
        )
    else:
        message = ngettext(
            "%(num)s listing is archived: it is no longer in the public search.",
            "%(num)s listings are archived: they are no longer in the public search.",
            done,
        )
    flash(message, "success" if done else "warning")
    if done < chosen:
        flash(
            ngettext(
                "%(num)s listing was left as it was (already done, or not of your territory).",
                "%(num)s listings were left as they were (already done, or not of your territory).",
                chosen - done,
            ),
            "warning",
        )


def _back() -> str:
    """Where a form of the desk returns: the page named by ``next`` (the inbox or the verification list)."""
    return {"verify": url_for("manage.verify_queue"), "feedback": url_for("manage.feedback_queue")}.get(
        request.form.get("next", ""), url_for("manage.dashboard")
    )


def verify_if_ticked(service: Service) -> None:
    """Record the check with the provider when the edit form's "verified with the provider today" is ticked
    (and the account may verify); the caller commits with the save."""
    if request.form.get("verified_today") == "1" and scope.may(current_user, "verify"):
        operations.mark_verified(service, author=current_user.email)


@bp.app_context_processor
def listing_desk_helpers():
    """What the edit form shows beside a listing: its open corrections and whether it is overdue."""

    def listing_desk(service: Service | None) -> dict:
        if service is None or not current_user.is_authenticated:
            return {"corrections": [], "overdue_days": None, "overdue": False}
        today = date.today()
        due = service.review_due()
        return {
            "corrections": desk.corrections_of(service),
            "overdue": service.status == "published" and service.is_overdue(today),
            "overdue_days": None if due is None else (today - due).days,
            "kinds": FEEDBACK_LABELS,
        }

    return {"listing_desk": listing_desk}


@bp.route("/services/<uuid>/send-back", methods=["GET", "POST"])
@login_required
def send_back(uuid: str):
    """Send a submission back to its editor, with the reason they will read ("Rimanda al redattore")."""
    ensure_may("send_back")
    service = scoped_service(uuid)
    form = ActionForm()
    reason = (request.form.get("reason") or "").strip()
    problem = SimpleNamespace(errors=[])
    if request.method == "POST" and "reason" in request.form:
        if not form.validate():
            problem.errors = [gettext("The form has expired: send the reason again.")]
        else:
            expected = int(form.version.data) if (form.version.data or "").isdecimal() else -1
            conflicts: list[object] = []
            if commit_or_flash(
                lambda: workflow.send_back(
                    service, author=current_user.email, reason=reason, expected_version=expected
                ),
                field=problem,
                on_conflict=conflicts.append,
            ):
                flash(gettext("“%(title)s” is sent back to its editor.", title=service.title), "success")
                return redirect(url_for("manage.edit_service", uuid=uuid))
            if conflicts:
                flash(str(conflicts[0].message) + " " + gettext("Here is the latest version."), "warning")
                return redirect(url_for("manage.edit_service", uuid=uuid))
    editor = service.draft.get("author", "") if service.draft else workflow.submitter(service)
    return (
        render_template(
            "manage/send_back.html",
            service=service,
            editor=editor,
            reason=reason,
            errors=problem.errors,
            version=request.form.get("version") or service.version,
            actions=ActionForm(),
        ),
        400 if problem.errors else 200,
    )
