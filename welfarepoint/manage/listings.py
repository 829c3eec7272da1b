"""Listings in the backend: the filtered list, create, edit, preview, export.

The workflow buttons and the history are in :mod:`welfarepoint.manage.history`.

Every route looks the listing up through :mod:`welfarepoint.accounts.scope`, so a listing outside the account's
territory answers 404 whatever the role; actions a role may not take answer 403.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import date

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from welfarepoint import kept_forms
from welfarepoint.accounts import scope
from welfarepoint.catalog import edit_merge, taxonomy, workflow
from welfarepoint.catalog.interchange import export_listings
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.operations import CatalogError, create_service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.catalog.workbook import listings_workbook
from welfarepoint.extensions import db
from welfarepoint.freshness import answers
from welfarepoint.manage import inbox, job_pages
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ActionForm, ListingForm
from welfarepoint.manage.helpers import commit_or_flash, ensure_may, scoped_service
from welfarepoint.manage.kept import login_required_keeping_form

PAGE_SIZE = 50

STATUSES = ("draft", "in_review", "published", "archived")


@dataclass
class ListFilters:
    """The filters of the listings list, read from the query string (unknown values are ignored)."""

    status: str = ""
    category: str = ""
    stale: bool = False
    waiting: bool = False
    q: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> ListFilters:
        status = args.get("status", "")
        category = args.get("category", "")
        page = args.get("page", "1")
        return cls(
            status=status if status in STATUSES else "",
            category=category if category in taxonomy.codes("categories") else "",
            stale=args.get("stale") == "1",
            waiting=args.get("waiting") == "1",
            q=(args.get("q") or "").strip()[:100],
            page=int(page) if page.isdecimal() and 0 < int(page) < 10_000 else 1,
        )

    def args(self, **changes) -> dict[str, object]:
        """The filters as query-string arguments (for links that keep them)."""
        values = {
            "status": self.status,
            "category": self.category,
            "stale": "1" if self.stale else "",
            "waiting": "1" if self.waiting else "",
            "q": self.q,
        } | changes
        return {
            key: value
            for key, value in values.items()
            if value not in ("", None) and (key, value) != ("page", 1)
        }

    def wanted(self) -> scope.ListingFilter:
        """The filters as the domain's query takes them."""
        return scope.ListingFilter(
            status=self.status, category=self.category, stale=self.stale, waiting=self.waiting, text=self.q
        )


@bp.get("/services")
@login_required
def services():
    """The account's listings, with filters by status, category, staleness and text."""
    filters = ListFilters.from_args(request.args)
    found = scope.listings_page(current_user, filters.wanted(), filters.page, PAGE_SIZE)
    return render_template(
        "manage/services.html",
        listings=found.listings,
        filters=filters,
        total=found.total,
        page=found.page,
        pages=found.pages,
        statuses=STATUSES,
        categories=taxonomy.choices("categories", str(get_locale())),
        today=date.today(),
    )


@bp.get("/services/export.csv")
@login_required
def export_services():
    """The filtered list as a listings CSV (the import format); ``excel=1`` for Italian Excel."""
    filters = ListFilters.from_args(request.args)
    excel = request.args.get("excel") == "1"
    if large := job_pages.queue_export_if_large(
        filters.wanted(), "excel" if excel else "csv", "welfarepoint-listings.csv"
    ):
        return large  # many listings: written by the job runner (issue 26, jobs helper)
    listings = scope.listings_for_export(current_user, filters.wanted())
    return Response(
        export_listings(listings, excel=excel),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="welfarepoint-listings.csv"'},
    )


@bp.get("/services/export.xlsx")
@login_required
def export_services_workbook():
    """The filtered list as an Excel workbook: typed cells, the labels of the fields and values, a legend."""
    filters = ListFilters.from_args(request.args)
    if large := job_pages.queue_export_if_large(filters.wanted(), "xlsx", "welfarepoint-listings.xlsx"):
        return large  # many listings: written by the job runner (issue 26, jobs helper)
    listings = scope.listings_for_export(current_user, filters.wanted())
    return Response(
        listings_workbook(listings),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="welfarepoint-listings.xlsx"'},
    )


def _form(cells: dict[str, str] | None = None, version: int | None = None, formdata=None) -> ListingForm:
    if formdata is not None:
        form = ListingForm(formdata=formdata)
    elif cells is None:
        form = ListingForm()
    else:
        form = ListingForm(data=ListingForm.data_from_cells(cells) | {"version": version})
    form.set_choices(str(get_locale()), scope.ats_choices(current_user), scope.alliance_names(current_user))
    return form


def _render_edit(form: ListingForm, service: Service | None, status: int = 200, conflict=None, kept=""):
    return (
        render_template(
            "manage/service_edit.html",
            form=form,
            service=service,
            actions=ActionForm(),
            organisation_names=scope.organisation_names(current_user),
            conflict=conflict,
            kept=kept,
            session_seconds=int(current_app.permanent_session_lifetime.total_seconds()),
        ),
        status,
    )


#: Asked of a new listing's form, which ticks no period by itself.
NO_PERIOD = _l("Tick when it runs: the seasons, or “All year”.")


def _checked_listing(form: ListingForm, base: dict[str, str], action: str = "save"):
    """Validate the submitted form against the catalog's rules, the account's territory and, to publish,
    what publishing needs. A code is made up for a listing without one only once it is valid (so a form sent
    back with errors keeps the field as the editor left it)."""
    cells = base | form.cells()
    if not cells.get("external_id"):
        cells["external_id"] = f"WP-{uuid_module.uuid4().hex[:10].upper()}"
    valid = form.validate()
    if not cells.get("periods"):
        form.periods.errors = [*form.periods.errors, NO_PERIOD]
        valid = False
    if not valid:
        return None
    listing, problems = validate_listing(cells)
    if listing is not None:
        problems = scope.listing_problems(current_user, listing)
    if listing is not None and action == "publish":
        problems = problems or workflow.publishing_problems(listing)
    if problems:
        form.add_errors(problems)
        return None
    form.external_id.data = listing.external_id
    return listing


@bp.route("/services/new", methods=["GET", "POST"])
@login_required_keeping_form
def new_service():
    """Add a listing (as a draft, or published at once by a manager)."""
    if request.method == "GET":
        kept = kept_forms.kept_fields(request.args.get("kept"), request.path)
        if kept is not None:
            return _render_edit(_form(formdata=kept), None, kept=request.args["kept"])[0]
        defaults = {"ats": scope.ats_choices(current_user)[0] if current_user.role != "admin" else ""}
        if current_user.role == "alliance_editor":
            defaults["alliance"] = current_user.alliance.name
        if current_user.role == "provider" and current_user.organisation is not None:  # issue 25, "accounts"
            defaults |= {
                "provider": current_user.organisation.name,
                "provider_type": current_user.organisation.type,
            }
        # No period is ticked: a summer camp must not go public as "Summer, All year" (issue 24).
        defaults |= {"languages": "it", "review_interval_days": "180"}
        return _render_edit(_form(defaults), None)[0]
    form = _form()
    action = request.form.get("action", "save")
    listing = _checked_listing(form, {"status": "draft"}, action)
    if listing is None:
        return _render_edit(form, None, 400, kept=_kept_token())
    if action == "publish":
        ensure_may("publish")
    created: list[Service] = []

    def create() -> None:
        created.append(create_service(listing, author=current_user.email))
        if action == "submit":
            workflow.submit(created[0], None, author=current_user.email)
        elif action == "publish":
            workflow.publish(created[0], None, author=current_user.email)
        inbox.verify_if_ticked(created[0])  # "verified with the provider today"
        kept_forms.forget(_kept_token())

    if not commit_or_flash(create, category="danger"):
        return _render_edit(form, None, 400, kept=_kept_token())
    flash(_saved_message(action, created[0]), "success")
    return redirect(url_for("manage.edit_service", uuid=created[0].uuid))


def _kept_token() -> str:
    """The token of the kept copy this form was filled from (deleted once the form is saved)."""
    token = request.form.get("kept", "")
    return token if len(token) <= 64 else ""


def _saved_message(action: str, service: Service) -> str:
    if action == "publish":
        return gettext("“%(title)s” is published: the public can find it now.", title=service.title)
    if action == "submit":
        return gettext("“%(title)s” is submitted for review.", title=service.title)
    if service.status == "published":
        return gettext(
            "Your changes are saved: the public keeps seeing the published version until they are published."
        )
    return gettext("Your changes are saved.")


def _expected_version(form) -> int:
    """The version the page was showing (-1, which never matches, when the field is missing or garbled)."""
    return int(form.version.data) if (form.version.data or "").isdecimal() else -1


CHANGES = {"save": workflow.save, "submit": workflow.submit, "publish": workflow.publish}


@bp.route("/services/<uuid>", methods=["GET", "POST"])
@login_required_keeping_form
def edit_service(uuid: str):
    """Show a listing's form (GET) or save it, submit it, or publish it (POST).

    When somebody saved the listing since the form was opened, the two versions are merged field by field
    (:mod:`welfarepoint.catalog.edit_merge`): without a question when no field was changed by both, else the
    page asks, for each such field, whose version to keep.
    """
    service = scoped_service(uuid)
    if request.method == "GET":
        kept = kept_forms.kept_fields(request.args.get("kept"), request.path)
        if kept is not None:
            return _render_edit(_form(formdata=kept), service, kept=request.args["kept"])[0]
        return _render_edit(_form(workflow.current_cells(service), service.version), service)[0]
    form = _form()
    action = request.form.get("action", "save")
    if action not in CHANGES:
        abort(400)
    open_conflicts = [name for name in request.form.getlist("conflict") if name in _form_names(form)]
    if open_conflicts:
        action = "save"  # no status action while a conflict is open
        unchosen = _apply_choices(form, service, open_conflicts)
        if unchosen:
            return _ask(form, service, unchosen, _merge_base(), [])
    if action == "publish":
        ensure_may("publish")
    listing = _checked_listing(form, _not_in_form(service), action)
    if listing is None:
        return _render_edit(form, service, 400, kept=_kept_token())
    expected = _expected_version(form)
    if expected != service.version:
        return _merge(form, service, listing, expected, action)
    return _change(form, service, listing, action, expected)


def _change(
    form: ListingForm, service: Service, listing, action: str, expected: int, *, merged: str | None = None
):
    """Make the change (the version checked once more). A change that lost a race is merged in turn;
    ``merged`` (what a merge took from the other editor) is said when it is saved."""
    conflicts: list[object] = []

    def change() -> None:
        CHANGES[action](service, listing, author=current_user.email, expected_version=expected)
        inbox.verify_if_ticked(service)  # "verified with the provider today"
        answers.answered_by_editing(service, current_user)  # a provider's change answers its reminders
        kept_forms.forget(_kept_token())

    if commit_or_flash(change, category="danger", on_conflict=conflicts.append):
        flash(" ".join(filter(None, [_saved_message(action, service), merged])), "success")
        return redirect(url_for("manage.edit_service", uuid=service.uuid))
    if conflicts and merged is None:
        db.session.refresh(service)
        return _merge(form, service, listing, expected, action)
    return _render_edit(form, service, 400, kept=_kept_token())


def _not_in_form(service: Service) -> dict[str, str]:
    """The current cells of the columns the form does not show (carried over)."""
    return {
        name: value for name, value in workflow.current_cells(service).items() if name in workflow.NOT_IN_FORM
    }


def _form_names(form: ListingForm) -> list[str]:
    return [field.name for field in form.listing_fields()]


def _merge_base() -> int:
    base = request.form.get("merge_base", "")
    return int(base) if base.isdecimal() else -1


def _fill(form: ListingForm, cells: dict[str, str], names) -> None:
    """Put ``cells``' values of the fields ``names`` in the form (as the form shows them)."""
    data = ListingForm.data_from_cells({name: cells.get(name, "") for name in names})
    for name in names:
        getattr(form, name).data = data[name]


def _apply_choices(form: ListingForm, service: Service, names: list[str]) -> list[str]:
    """Take the saved value of each open conflict the editor chose to give up; return the ones not chosen."""
    choices = {name: request.form.get(f"keep-{name}", "") for name in names}
    resolved = edit_merge.resolve(form.cells(), workflow.current_cells(service), choices)
    _fill(form, resolved, [name for name in names if choices[name] == edit_merge.THEIRS])
    unchosen = [name for name in names if choices[name] not in (edit_merge.MINE, edit_merge.THEIRS)]
    for name in unchosen:
        field = getattr(form, name)
        field.errors = [*field.errors, CHOOSE]
    return unchosen


#: Said next to a field both editors changed, when the editor saves without choosing.
CHOOSE = _l("Choose whose version of this field to keep.")
#: Fields holding a set of values, merged item by item; "all year" cannot go with another period.
SET_FIELDS = {name: None for name in (*ListingForm.MULTI, "municipalities", "tags")} | {"periods": "all_year"}
#: A base that matches no value: without a revision to start from, every difference is asked about.
UNKNOWN_BASE = "\x00"


def _merge(form: ListingForm, service: Service, listing, expected: int, action: str):
    """The editor started from an older version: merge theirs and ours; save, or ask about real conflicts."""
    names = _form_names(form)
    theirs = workflow.current_cells(service)
    base = workflow.cells_at_version(service, expected) or dict.fromkeys(names, UNKNOWN_BASE)
    result = edit_merge.merge(base, workflow.cells_of(listing), theirs, names, sets=SET_FIELDS)
    _fill(form, theirs, result.from_theirs)
    form.version.data = str(service.version)
    if not result.clean:
        return _ask(form, service, [c.name for c in result.conflicts], expected, result.from_theirs)
    merged_listing = _checked_listing(form, _not_in_form(service), action)
    if merged_listing is None:
        return _render_edit(form, service, 400, kept=_kept_token())
    status = (
        gettext(
            "Meanwhile its status changed to “%(status)s”.",
            status=taxonomy.label("statuses", theirs.get("status", ""), str(get_locale())),
        )
        if base.get("status") not in (None, UNKNOWN_BASE, theirs.get("status"))
        else ""
    )
    said = (
        gettext(
            "%(author)s had changed other fields meanwhile (%(fields)s): their changes are kept with yours.",
            author=service.updated_by or gettext("someone else"),
            fields=", ".join(str(getattr(form, name).label.text) for name in result.from_theirs),
        )
        if result.from_theirs
        else ""
    )
    return _change(
        form, service, merged_listing, action, service.version, merged=" ".join(filter(None, [said, status]))
    )


def _ask(form: ListingForm, service: Service, names: list[str], base_version: int, from_theirs: list[str]):
    """The conflict page: for each field both changed, theirs beside mine (which stays in the form)."""
    theirs = workflow.current_cells(service)
    mine = form.cells()
    last = service.revisions[-1] if service.revisions else None
    conflict = {
        "fields": [
            (
                name,
                getattr(form, name),
                form.shown(name, theirs.get(name, "")),
                form.shown(name, mine.get(name, "")),
            )
            for name in names
        ],
        "from_theirs": [getattr(form, name).label.text for name in from_theirs],
        "revision": last,
        "base": base_version,
        "choices": {name: request.form.get(f"keep-{name}", "") for name in names},
    }
    return _render_edit(form, service, 409, conflict=conflict, kept=_kept_token())


@bp.get("/services/<uuid>/preview")
@login_required
def preview_service(uuid: str):
    """The listing as the public will see it, with the changes waiting for review."""
    service = scoped_service(uuid)
    if not service.draft:
        return render_template("manage/service_preview.html", service=service, original=service)
    try:
        shown = workflow.preview(service)
    except CatalogError as error:
        flash(str(error.message), "warning")
        return redirect(url_for("manage.edit_service", uuid=uuid))
    try:
        return render_template("manage/service_preview.html", service=shown, original=service)
    finally:
        if shown in db.session:
            db.session.expunge(shown)
