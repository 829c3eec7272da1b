"""Organisations and alliances in the backend, for managers, scoped like the listings."""

from __future__ import annotations

from datetime import date
from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from welfarepoint.accounts import scope
from welfarepoint.catalog import operations, taxonomy
from welfarepoint.catalog.models import Organisation
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import AllianceForm, MemberForm, OrganisationForm, add_errors
from welfarepoint.manage.helpers import commit_or_flash, requires
from welfarepoint.security import row_id

# --- organisations -------------------------------------------------------------------------------------


@bp.get("/organisations")
@requires("network")
def organisations():
    """The organisations of the territory, with a name filter."""
    q = (request.args.get("q") or "").strip()[:100]
    rows = scope.organisation_list(current_user, q)
    return render_template("manage/organisations.html", organisations=rows, q=q)


def _organisation_form(organisation: Organisation | None = None) -> OrganisationForm:
    form = (
        OrganisationForm(obj=organisation) if request.method == "GET" and organisation else OrganisationForm()
    )
    if request.method == "GET" and organisation and organisation.municipality:
        form.municipality.data = organisation.municipality.name
    form.type.choices = [("", "—"), *taxonomy.choices("organisation_types", str(get_locale()))]
    return form


def _organisation_values(form: OrganisationForm):
    if not form.validate():
        return None
    ats = None if current_user.role == "admin" else current_user.ats
    values, problems = operations.validate_organisation(
        {
            name: form[name].data or ""
            for name in ("name", "type", "municipality", "website", "email", "phone")
        },
        ats=ats,
    )
    if problems:
        add_errors(form, problems)
        return None
    return values


@bp.route("/organisations/new", methods=["GET", "POST"])
@requires("network")
def new_organisation():
    """Add an organisation (a manager's must be based in their ATS)."""
    form = _organisation_form()
    if request.method == "POST":
        values = _organisation_values(form)
        created: list[Organisation] = []
        if values is not None and commit_or_flash(
            lambda: created.append(
                operations.create_organisation(values.pop("name"), values.pop("type"), **values)
            ),
            field=form.name,
        ):
            flash(gettext("“%(name)s” is added.", name=created[0].name), "success")
            return redirect(url_for("manage.edit_organisation", uuid=created[0].uuid))
    status = 400 if form.errors else 200
    return render_template("manage/organisation_edit.html", form=form, organisation=None), status


@bp.route("/organisations/<uuid>", methods=["GET", "POST"])
@requires("network")
def edit_organisation(uuid: str):
    """Show (GET) or change (POST) an organisation of the territory."""
    organisation = scope.organisation(current_user, uuid)
    if organisation is None:
        merged_into = operations.redirect_of(uuid)
        if merged_into is not None and scope.organisation(current_user, merged_into.uuid) is not None:
            return redirect(url_for("manage.edit_organisation", uuid=merged_into.uuid), 301)
        abort(404)
    form = _organisation_form(organisation)
    refusal = scope.organisation_edit_refusal(current_user, organisation)
    if request.method == "POST" and refusal is None:
        values = _organisation_values(form)
        if values is not None and commit_or_flash(
            lambda: operations.update_organisation(organisation, values), field=form.name
        ):
            flash(gettext("Your changes are saved."), "success")
            return redirect(url_for("manage.edit_organisation", uuid=uuid))
    # Seen in the territory but changed only by its owner: a POST is refused and nothing is saved.
    status = 403 if request.method == "POST" and refusal is not None else 400 if form.errors else 200
    return (
        render_template(
            "manage/organisation_edit.html",
            form=form,
            organisation=organisation,
            refusal=refusal,
            merge_choices=_merge_choices(organisation) if refusal is None else [],
        ),
        status,
    )


def _merge_choices(organisation: Organisation) -> list[Organisation]:
    """The organisations ``organisation`` may be merged into: the others the manager may change."""
    return [
        other
        for other in scope.organisation_list(current_user, "")
        if other.id != organisation.id and scope.may_edit_organisation(current_user, other)
    ]


@bp.post("/organisations/<uuid>/merge")
@requires("network")
def merge_organisation(uuid: str):
    """Merge this organisation into another one of the territory: listings and memberships move, the old
    address leads to the one kept, each moved listing records it in its history."""
    merged = scope.organisation(current_user, uuid)
    if merged is None:
        abort(404)
    kept = scope.organisation(current_user, (request.form.get("into") or "")[:36])
    if scope.organisation_edit_refusal(current_user, merged) is not None:
        abort(403)
    if (
        kept is None
        or kept.id == merged.id
        or scope.organisation_edit_refusal(current_user, kept) is not None
    ):
        flash(gettext("Choose the organisation to keep."), "danger")
        return redirect(url_for("manage.edit_organisation", uuid=uuid))
    name, kept_uuid = merged.name, kept.uuid
    moved: list[int] = []
    if commit_or_flash(
        lambda: moved.append(operations.merge_organisations(merged, kept, author=current_user.email))
    ):
        flash(
            ngettext(
                "“%(name)s” is merged into this organisation: %(num)s listing moved.",
                "“%(name)s” is merged into this organisation: %(num)s listings moved.",
                moved[0],
                name=name,
            ),
            "success",
        )
        return redirect(url_for("manage.edit_organisation", uuid=kept_uuid))
    return redirect(url_for("manage.edit_organisation", uuid=uuid))


# --- alliances -------------------------------------------------------------------------------------------


@bp.get("/alliances")
@requires("network")
def alliances():
    """The alliances of the territory."""
    rows = scope.alliance_list(current_user)
    return render_template("manage/alliances.html", alliances=rows)


def _alliance_form(alliance=None, *, shown: bool = False) -> AllianceForm:
    """The alliance's form: what was posted, or (on a GET, or ``shown`` again after another form's POST) the
    alliance's values."""
    shown = shown or request.method == "GET"
    form = AllianceForm(formdata=None) if shown else AllianceForm()
    if shown and alliance is not None:
        form.name.data = alliance.name
        form.ats.data = alliance.ats
        form.period_start.data = alliance.period_start.isoformat() if alliance.period_start else ""
        form.period_end.data = alliance.period_end.isoformat() if alliance.period_end else ""
        form.lead.data = alliance.lead.name if alliance.lead else ""
    elif shown:
        form.ats.data = scope.ats_choices(current_user)[0]
    form.ats.choices = [(name, name) for name in scope.ats_choices(current_user)]
    return form


def _day(form, name: str) -> date | None:
    text = (form[name].data or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        form[name].errors = [
            *form[name].errors,
            _l("“%(value)s” is not a date in the form YYYY-MM-DD", value=text),
        ]
        return None


def _alliance_values(form: AllianceForm):
    if not form.validate():
        return None
    values = {"name": form.name.data.strip(), "ats": form.ats.data}
    if values["ats"] not in scope.ats_choices(current_user):
        form.ats.errors = [
            *form.ats.errors,
            _l("is outside your territory (ATS %(ats)s)", ats=current_user.ats),
        ]
    values["period_start"], values["period_end"] = _day(form, "period_start"), _day(form, "period_end")
    values["lead"] = None
    if form.lead.data:
        values["lead"], problem = scope.referable_organisation(current_user, form.lead.data)
        if problem is not None:
            form.lead.errors = [*form.lead.errors, problem]
    return None if form.errors else values


@bp.route("/alliances/new", methods=["GET", "POST"])
@requires("network")
def new_alliance():
    """Add an alliance of the territory."""
    form = _alliance_form()
    created: list = []
    if (
        request.method == "POST"
        and (values := _alliance_values(form)) is not None
        and commit_or_flash(
            lambda: created.append(
                operations.create_alliance(
                    values["name"],
                    values["ats"],
                    lead=values["lead"],
                    period_start=values["period_start"],
                    period_end=values["period_end"],
                )
            ),
            field=form.name,
        )
    ):
        flash(gettext("“%(name)s” is added.", name=created[0].name), "success")
        return redirect(url_for("manage.edit_alliance", uuid=created[0].uuid))
    status = 400 if form.errors else 200
    return render_template("manage/alliance_edit.html", form=form, alliance=None, member_form=None), status


def _scoped_alliance(uuid: str):
    alliance = scope.alliance(current_user, uuid)
    if alliance is None:
        abort(404)
    return alliance


def _member_form() -> MemberForm:
    form = MemberForm(prefix="member")
    form.role.choices = taxonomy.choices("member_roles", str(get_locale()))
    return form


@bp.route("/alliances/<uuid>", methods=["GET", "POST"])
@requires("network")
def edit_alliance(uuid: str):
    """Show (GET) or change (POST) an alliance: name, ATS, period, lead; members below."""
    alliance = _scoped_alliance(uuid)
    form = _alliance_form(alliance)
    if (
        request.method == "POST"
        and (values := _alliance_values(form)) is not None
        and commit_or_flash(lambda: operations.update_alliance(alliance, **values), field=form.name)
    ):
        flash(gettext("Your changes are saved."), "success")
        return redirect(url_for("manage.edit_alliance", uuid=uuid))
    status = 400 if form.errors else 200
    return (
        render_template(
            "manage/alliance_edit.html", form=form, alliance=alliance, member_form=_member_form()
        ),
        status,
    )


@bp.post("/alliances/<uuid>/members")
@requires("network")
def alliance_member(uuid: str):
    """Add a member to the alliance (or change its role), or remove one."""
    alliance = _scoped_alliance(uuid)
    form = _member_form()
    remove = request.form.get("remove", "")
    if remove.isdecimal():  # CSRFProtect has checked the token of every POST already
        if (member_id := row_id(remove)) is None:
            abort(404)
        change = partial(operations.remove_member, alliance, member_id)
    elif not form.validate():
        flash(gettext("Write the name of the organisation to add."), "warning")
        return redirect(url_for("manage.edit_alliance", uuid=uuid) + "#members")
    elif (organisation := operations.find_organisation(form.organisation.data)) is None:
        flash(gettext("No organisation has this name: add it first."), "warning")
        return redirect(url_for("manage.edit_alliance", uuid=uuid) + "#members")
    elif not scope.may_reference(current_user, organisation):
        # Outside the territory: refused next to the field, with the name typed kept, and nothing saved.
        form.organisation.errors = [*form.organisation.errors, scope.reference_refusal(organisation)]
        return _alliance_page(alliance, form)
    else:
        change = partial(operations.set_member, alliance, organisation, form.role.data)
    if commit_or_flash(change):
        flash(gettext("The members are updated."), "success")
    return redirect(url_for("manage.edit_alliance", uuid=uuid) + "#members")


def _alliance_page(alliance, member_form: MemberForm):
    """The alliance's page again, with the member typed in and why it was not added (nothing is saved)."""
    return (
        render_template(
            "manage/alliance_edit.html",
            form=_alliance_form(alliance, shown=True),
            alliance=alliance,
            member_form=member_form,
        ),
        400,
    )
