"""Listings in the backend: the filtered list, create, edit, preview, the workflow buttons, history, export.

Every route looks the listing up through :mod:`welfarepoint.accounts.scope`, so a listing outside the account's
territory answers 404 whatever the role; actions a role may not take answer 403.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from welfarepoint.accounts import scope
from welfarepoint.catalog import taxonomy, workflow
from welfarepoint.catalog.interchange import export_listings
from welfarepoint.catalog.models import Revision, Service
from welfarepoint.catalog.operations import CatalogError, create_service
from welfarepoint.catalog.validation import CSV_COLUMNS, validate_listing
from welfarepoint.catalog.workbook import listings_workbook
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import ActionForm, ListingForm
from welfarepoint.manage.helpers import commit_or_flash, ensure_may, scoped_service

PAGE_SIZE = 50

#: What each kind of revision is called in the history.
REVISION_ACTIONS = {
    "create": _l("Created"),
    "import": _l("Imported"),
    "update": _l("Edited"),
    "submit": _l("Submitted for review"),
    "publish": _l("Published"),
    "send_back": _l("Sent back to the editor"),
    "discard": _l("Waiting changes discarded"),
    "archive": _l("Archived"),
    "restore": _l("Restored"),
    "verify": _l("Checked with the provider"),
    "merge": _l("Merged into another listing"),
    "unmerge": _l("Merge undone"),
    "provider_merged": _l("Provider merged into another organisation"),
}
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
    listings = scope.listings_for_export(current_user, filters.wanted())
    excel = request.args.get("excel") == "1"
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
    listings = scope.listings_for_export(current_user, filters.wanted())
    return Response(
        listings_workbook(listings),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="welfarepoint-listings.xlsx"'},
    )


def _form(cells: dict[str, str] | None = None, version: int | None = None) -> ListingForm:
    form = (
        ListingForm()
        if cells is None
        else ListingForm(data=ListingForm.data_from_cells(cells) | {"version": version})
    )
    form.set_choices(str(get_locale()), scope.ats_choices(current_user), scope.alliance_names(current_user))
    return form


def _render_edit(form: ListingForm, service: Service | None, status: int = 200, conflict=None):
    return (
        render_template(
            "manage/service_edit.html",
            form=form,
            service=service,
            actions=ActionForm(),
            organisation_names=scope.organisation_names(current_user),
            may=lambda action: scope.may(current_user, action),
            conflict=conflict,
        ),
        status,
    )


def _checked_listing(form: ListingForm, base: dict[str, str]):
    """Validate the submitted form against the catalog's rules and the account's territory."""
    cells = base | form.cells()
    if not cells.get("external_id"):
        cells["external_id"] = f"WP-{uuid_module.uuid4().hex[:10].upper()}"
        form.external_id.data = cells["external_id"]
    if not form.validate():
        return None
    listing, problems = validate_listing(cells)
    if listing is not None:
        problems = scope.listing_problems(current_user, listing)
    if problems:
        form.add_errors(problems)
        return None
    return listing


@bp.route("/services/new", methods=["GET", "POST"])
@login_required
def new_service():
    """Add a listing (as a draft, or published at once by a manager)."""
    if request.method == "GET":
        defaults = {"ats": scope.ats_choices(current_user)[0] if current_user.role != "admin" else ""}
        if current_user.role == "alliance_editor":
            defaults["alliance"] = current_user.alliance.name
        defaults |= {"periods": "all_year", "languages": "it", "review_interval_days": "180"}
        return _render_edit(_form(defaults), None)[0]
    form = _form()
    listing = _checked_listing(form, {"status": "draft"})
    if listing is None:
        return _render_edit(form, None, 400)
    action = request.form.get("action", "save")
    if action == "publish":
        ensure_may("publish")
    created: list[Service] = []

    def create() -> None:
        created.append(create_service(listing, author=current_user.email))
        if action == "submit":
            workflow.submit(created[0], None, author=current_user.email)
        elif action == "publish":
            workflow.publish(created[0], None, author=current_user.email)

    if not commit_or_flash(create, category="danger"):
        return _render_edit(form, None, 400)
    flash(_saved_message(action, created[0]), "success")
    return redirect(url_for("manage.edit_service", uuid=created[0].uuid))


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


@bp.route("/services/<uuid>", methods=["GET", "POST"])
@login_required
def edit_service(uuid: str):
    """Show a listing's form (GET) or save it, submit it, or publish it (POST)."""
    service = scoped_service(uuid)
    if request.method == "GET":
        return _render_edit(_form(workflow.current_cells(service), service.version), service)[0]
    form = _form()
    action = request.form.get("action", "save")
    if action not in ("save", "submit", "publish"):
        abort(400)
    if action == "publish":
        ensure_may("publish")
    base = {
        name: value for name, value in workflow.current_cells(service).items() if name in workflow.NOT_IN_FORM
    }
    listing = _checked_listing(form, base)
    if listing is None:
        return _render_edit(form, service, 400)
    expected = _expected_version(form)
    change = {"save": workflow.save, "submit": workflow.submit, "publish": workflow.publish}[action]
    conflicts: list[object] = []
    if commit_or_flash(
        lambda: change(service, listing, author=current_user.email, expected_version=expected),
        category="danger",
        on_conflict=conflicts.append,
    ):
        flash(_saved_message(action, service), "success")
        return redirect(url_for("manage.edit_service", uuid=service.uuid))
    return _conflict(form, service) if conflicts else _render_edit(form, service, 400)


def _conflict(form: ListingForm, service: Service):
    """The second of two editors: show their version beside the saved one; nothing is lost or overwritten."""
    db.session.refresh(service)
    theirs = workflow.current_cells(service)
    mine = form.cells()
    differences = [
        (name, getattr(form, name).label.text, theirs.get(name, ""), mine.get(name, ""))
        for name in CSV_COLUMNS
        if hasattr(form, name) and theirs.get(name, "") != mine.get(name, "")
    ]
    form.version.data = str(service.version)  # saving again, knowingly, overwrites the newer version
    last = service.revisions[-1] if service.revisions else None
    return _render_edit(form, service, 409, conflict={"differences": differences, "revision": last})


WORKFLOW_ACTIONS = {
    "submit": lambda service, **kw: workflow.submit(service, None, **kw),
    "publish": lambda service, **kw: workflow.publish(service, None, **kw),
    "send_back": workflow.send_back,
    "discard": workflow.discard,
    "archive": workflow.archive,
    "restore": workflow.restore,
}


@bp.post("/services/<uuid>/status")
@login_required
def service_status(uuid: str):
    """Submit, publish, send back, discard the waiting changes, archive or restore a listing."""
    service = scoped_service(uuid)
    form = ActionForm()
    action = request.form.get("action", "")
    if action not in WORKFLOW_ACTIONS:
        abort(400)
    ensure_may(action)
    if not form.validate():
        abort(400)
    expected = _expected_version(form)
    if commit_or_flash(
        lambda: WORKFLOW_ACTIONS[action](service, author=current_user.email, expected_version=expected),
        on_conflict=lambda error: flash(
            str(error.message) + " " + gettext("Here is the latest version."), "warning"
        ),
    ):
        flash(_status_message(action, service), "success")
    return redirect(url_for("manage.edit_service", uuid=uuid))


def _status_message(action: str, service: Service) -> str:
    return {
        "submit": gettext("“%(title)s” is submitted for review.", title=service.title),
        "publish": gettext("“%(title)s” is published: the public can find it now.", title=service.title),
        "send_back": gettext("“%(title)s” is sent back to its editor.", title=service.title),
        "discard": gettext("The waiting changes are discarded: the published version stays."),
        "archive": gettext(
            "“%(title)s” is archived: it is no longer in the public search.", title=service.title
        ),
        "restore": gettext("“%(title)s” is restored as a draft.", title=service.title),
    }[action]


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


@bp.get("/services/<uuid>/history")
@login_required
def service_history(uuid: str):
    """Every recorded change of the listing: who, when, what; each version can be put back."""
    service = scoped_service(uuid)
    revisions = list(reversed(service.revisions))
    return render_template(
        "manage/service_history.html", service=service, revisions=revisions, action_names=REVISION_ACTIONS
    )


@bp.post("/services/<uuid>/history/<int:revision_id>/restore")
@login_required
def restore_revision(uuid: str, revision_id: int):
    """Put back the content of one recorded version (held for review when the listing is published)."""
    service = scoped_service(uuid)
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.service_id != service.id:
        abort(404)
    form = ActionForm()
    if not form.validate():
        abort(400)
    expected = _expected_version(form)
    if not commit_or_flash(
        lambda: workflow.restore_revision(
            service,
            revision,
            author=current_user.email,
            expected_version=expected,
            allowed=lambda listing: scope.listing_problems(current_user, listing),
        )
    ):
        return redirect(url_for("manage.service_history", uuid=uuid))
    flash(gettext("The version of %(date)s is back.", date=revision.at.strftime("%Y-%m-%d %H:%M")), "success")
    return redirect(url_for("manage.edit_service", uuid=uuid))
