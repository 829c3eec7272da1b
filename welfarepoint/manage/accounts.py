"""Accounts in the backend: invitations, roles, disabling, the record of acts, forgotten passwords, and each
account's own preferences page (``/manage/account``, the ``preferences_url`` of every e-mail).

Who may do what is :mod:`welfarepoint.accounts.scope`; the changes are :mod:`welfarepoint.accounts.people`.
An account outside the territory answers 404; an act the role may never take, 403. The forms that send e-mail
are rate limited per address (``ACCOUNT_MAIL_RATE_LIMIT``).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from welfarepoint.accounts import people, scope
from welfarepoint.accounts.operations import AccountError
from welfarepoint.accounts.operations import record as record_sign_in
from welfarepoint.catalog.validation import FieldError
from welfarepoint.extensions import db, limiter
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import add_errors
from welfarepoint.manage.helpers import requires

ROLE_LABELS = {
    "admin": _l("Regional administrator"),
    "ats_manager": _l("ATS manager"),
    "alliance_editor": _l("Alliance editor"),
    "provider": _l("Provider (one organisation)"),
}
STATE_LABELS = {"active": _l("Active"), "invited": _l("Invited"), "disabled": _l("Disabled")}
ACT_LABELS = {
    "invite": _l("Invited"),
    "accept": _l("Accepted the invitation"),
    "role": _l("Role changed"),
    "disable": _l("Disabled"),
    "enable": _l("Enabled again"),
    "reset_requested": _l("Asked for a password reset"),
    "reset": _l("Set a new password from a reset link"),
    "password": _l("Changed the password"),
    "preferences": _l("Changed the preferences"),
}
LANGUAGES = [SelectChoice("it", _l("Italian")), SelectChoice("en", _l("English"))]
#: The longest password a form takes (what a pasted passphrase may need).
PASSWORD_MAX = 200


def mail_rate_limit() -> str:
    """How often one address may send a form that sends e-mail (an invitation, a reset)."""
    return current_app.config["ACCOUNT_MAIL_RATE_LIMIT"]


class InviteForm(FlaskForm):
    """Invite a person: address, name, role with its territory, language of the e-mail."""

    email = StringField(_l("E-mail address"), validators=[Length(max=1000)])
    name = StringField(_l("Name"), validators=[Length(max=1000)])
    role = SelectField(_l("Role"), validate_choice=False)
    ats = SelectField(_l("ATS"), validate_choice=False)
    alliance = SelectField(_l("Alliance"), validate_choice=False)
    organisation = StringField(
        _l("Organisation"),
        validators=[Length(max=300)],
        description=_l("Only for a provider: its exact name."),
    )
    locale = SelectField(
        _l("Language of the e-mail"),
        choices=LANGUAGES,
        validate_choice=False,
        description=_l("The invitation and the later messages are written in this language."),
    )


class ProviderInviteForm(FlaskForm):
    """Invite a person of one organisation as its provider."""

    email = StringField(_l("E-mail address"), validators=[Length(max=1000)])
    name = StringField(_l("Name"), validators=[Length(max=1000)])
    locale = SelectField(_l("Language of the e-mail"), choices=LANGUAGES, validate_choice=False)


class RoleForm(FlaskForm):
    """Change an account's role and territory."""

    role = SelectField(_l("Role"), validate_choice=False)
    ats = SelectField(_l("ATS"), validate_choice=False)
    alliance = SelectField(_l("Alliance"), validate_choice=False)
    organisation = StringField(
        _l("Organisation"),
        validators=[Length(max=300)],
        description=_l("Only for a provider: its exact name."),
    )


class ForgotForm(FlaskForm):
    """Ask for a password-reset link."""

    email = StringField(_l("E-mail address"), validators=[Length(max=1000)])


class NewPasswordForm(FlaskForm):
    """Choose a password (twice)."""

    password = PasswordField(
        _l("New password"),
        validators=[Length(max=PASSWORD_MAX)],
        description=_l(
            "At least 12 characters: a phrase of a few words is easy to remember and hard to guess."
        ),
    )
    confirm = PasswordField(_l("The new password again"), validators=[Length(max=PASSWORD_MAX)])


class PreferencesForm(FlaskForm):
    """The account's name and the language of its e-mails."""

    name = StringField(_l("Name"), validators=[Length(max=1000)])
    locale = SelectField(_l("Language of the e-mails"), choices=LANGUAGES, validate_choice=False)


class PasswordChangeForm(NewPasswordForm):
    """Change the password: the current one, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[Length(max=PASSWORD_MAX)])


#: Said next to the second password field when the two differ.
NOT_THE_SAME = _l("The two passwords are not the same: type the new one again in both fields.")


def _page_language() -> str:
    language = str(get_locale() or "it")
    return language if language in ("it", "en") else "it"


def _roles(user) -> list[tuple[str, object]]:
    return [SelectChoice(role, ROLE_LABELS[role]) for role in scope.grantable_roles(user)]


def _territory_choices(form) -> None:
    form.ats.choices = [SelectChoice(name, name) for name in scope.ats_choices(current_user) if name]
    form.alliance.choices = [SelectChoice("", "—")] + [
        SelectChoice(name, name) for name in scope.alliance_names(current_user)
    ]


def _invite_form() -> InviteForm:
    form = InviteForm()
    form.role.choices = _roles(current_user)
    _territory_choices(form)
    if request.method == "GET":
        form.locale.data = _page_language()
    return form


def _problems_on(form, problems: list[FieldError]) -> None:
    add_errors(form, problems)
    if not form.errors:  # a problem of no field of this form: said above the form
        flash(str(problems[0].message), "danger")


# --- the accounts of the territory --------------------------------------------------------------------------


@bp.get("/accounts")
@requires("invite")
def accounts():
    """The accounts of the territory, with the invitation form."""
    return _accounts_page(_invite_form())


def _accounts_page(form: InviteForm, status: int = 200):
    rows = list(db.session.execute(scope.accounts(current_user)).scalars())
    return (
        render_template(
            "manage/accounts.html",
            accounts=rows,
            form=form,
            organisation_names=scope.organisation_names(current_user),
            roles=ROLE_LABELS,
            states=STATE_LABELS,
            territory_name=people.territory_name,
            may_manage=scope.may(current_user, "accounts"),
            organisations=[]
            if scope.may(current_user, "accounts")
            else scope.organisation_list(current_user),
        ),
        status,
    )


@bp.post("/accounts/invite")
@requires("invite")
@limiter.limit(mail_rate_limit)
def invite():
    """Invite a person by e-mail: the account is made, invited, and the link sent."""
    form = _invite_form()
    if not form.validate():
        return _accounts_page(form, 400)
    invitation = people.Invitation(
        email=form.email.data or "",
        name=form.name.data or "",
        role=form.role.data or "",
        locale=form.locale.data or "",
        ats=form.ats.data or "",
        alliance=form.alliance.data or "",
        organisation=form.organisation.data or "",
    )
    try:
        user = people.invite(current_user, invitation)
        db.session.commit()
    except people.FormProblems as error:
        db.session.rollback()
        _problems_on(form, error.problems)
        return _accounts_page(form, 400)
    flash(
        gettext("%(email)s is invited: the e-mail with the link is on its way.", email=user.email), "success"
    )
    return redirect(url_for("manage.accounts"))


def _scoped_account(account_id: int):
    user = scope.account(current_user, account_id)
    if user is None:
        abort(404)
    return user


def _role_form(user) -> RoleForm:
    form = RoleForm() if request.method == "POST" else RoleForm(formdata=None)
    form.role.choices = _roles(current_user)
    _territory_choices(form)
    if request.method == "GET":
        form.role.data = user.role
        form.ats.data = user.ats or ""
        form.alliance.data = user.alliance.name if user.alliance else ""
        form.organisation.data = user.organisation.name if user.organisation else ""
    return form


@bp.route("/accounts/<int:account_id>", methods=["GET", "POST"])
@requires("accounts")
def account_detail(account_id: int):
    """One account of the territory: its role (to change), its state (to disable or enable), its record."""
    user = _scoped_account(account_id)
    form = _role_form(user)
    if request.method == "POST":
        if not scope.may_manage_account(current_user, user):
            abort(403)
        if form.validate():
            try:
                changed = people.change_role(
                    current_user,
                    user,
                    form.role.data or "",
                    ats=form.ats.data or "",
                    alliance=form.alliance.data or "",
                    organisation=form.organisation.data or "",
                )
                db.session.commit()
            except people.FormProblems as error:
                db.session.rollback()
                _problems_on(form, error.problems)
            else:
                flash(
                    gettext("The role is changed; the account's sessions have ended.")
                    if changed
                    else gettext("Nothing to change."),
                    "success" if changed else "info",
                )
                return redirect(url_for("manage.account_detail", account_id=account_id))
    acts, _total, _page, _pages = people.acts_page(current_user, 1, user_id=user.id)
    return (
        render_template(
            "manage/account_detail.html",
            user=user,
            form=form,
            acts=acts,
            roles=ROLE_LABELS,
            states=STATE_LABELS,
            act_labels=ACT_LABELS,
            territory_name=people.territory_name,
            organisation_names=scope.organisation_names(current_user),
            may_manage=scope.may_manage_account(current_user, user),
        ),
        400 if form.errors else 200,
    )


@bp.post("/accounts/<int:account_id>/enabled")
@requires("accounts")
def account_enabled(account_id: int):
    """Disable an account (its sessions end at once) or enable it again."""
    user = _scoped_account(account_id)
    if not FlaskForm().validate():
        abort(400)
    enabled = request.form.get("enabled") == "1"
    try:
        people.set_enabled(current_user, user, enabled)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        abort(error.status if error.status in (403, 404) else 400)
    flash(
        gettext("%(email)s is enabled again.", email=user.email)
        if enabled
        else gettext(
            "%(email)s is disabled: it can no longer sign in, and its sessions have ended.", email=user.email
        ),
        "success",
    )
    return redirect(url_for("manage.account_detail", account_id=account_id))


@bp.post("/accounts/<int:account_id>/invite-again")
@requires("accounts")
@limiter.limit(mail_rate_limit)
def invite_again(account_id: int):
    """Send a new invitation link (the older one stops working)."""
    user = _scoped_account(account_id)
    if not scope.may_manage_account(current_user, user):
        abort(403)
    if not FlaskForm().validate():
        abort(400)
    try:
        people.invite_again(current_user, user)
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(str(error.message), "warning")
    else:
        flash(gettext("A new invitation is on its way to %(email)s.", email=user.email), "success")
    return redirect(url_for("manage.account_detail", account_id=account_id))


@bp.get("/accounts/record")
@requires("accounts")
def account_record():
    """Who did what to which account, and when, in the territory; newest first."""
    raw = request.args.get("page", "1")
    page = int(raw) if raw.isdecimal() and 0 < int(raw) < 10_000 else 1
    acts, total, page, pages = people.acts_page(current_user, page)
    return render_template(
        "manage/account_record.html",
        acts=acts,
        total=total,
        page=page,
        pages=pages,
        act_labels=ACT_LABELS,
        roles=ROLE_LABELS,
    )


# --- a provider invited from its organisation's page ---------------------------------------------------------


@bp.route("/organisations/<uuid>/people", methods=["GET", "POST"])
@requires("invite")
@limiter.limit(mail_rate_limit, exempt_when=lambda: request.method != "POST")
def organisation_people(uuid: str):
    """The provider accounts of an organisation, and the form to invite a person of it."""
    organisation = scope.organisation(current_user, uuid)
    if organisation is None:
        abort(404)
    form = ProviderInviteForm(prefix="invite")
    if request.method == "GET":
        form.locale.data = _page_language()
    elif form.validate():
        invitation = people.Invitation(
            email=form.email.data or "",
            name=form.name.data or "",
            role="provider",
            locale=form.locale.data or "",
            organisation=organisation.name,
        )
        try:
            user = people.invite(current_user, invitation)
            db.session.commit()
        except people.FormProblems as error:
            db.session.rollback()
            _problems_on(form, error.problems)
        else:
            flash(
                gettext("%(email)s is invited: the e-mail with the link is on its way.", email=user.email),
                "success",
            )
            if request.form.get("next") == "organisation" and scope.may(current_user, "network"):
                return redirect(url_for("manage.edit_organisation", uuid=uuid))
            return redirect(url_for("manage.organisation_people", uuid=uuid))
    return (
        render_template(
            "manage/account_people.html",
            organisation=organisation,
            people=people.organisation_people(organisation),
            invite_form=form,
            states=STATE_LABELS,
        ),
        400 if form.errors else 200,
    )


@bp.app_context_processor
def provider_invite_form():
    """The small invitation form of an organisation's page (``templates/manage/invite_provider.html``)."""

    def invite_provider_form() -> ProviderInviteForm:
        form = ProviderInviteForm(prefix="invite", formdata=None)
        form.locale.data = _page_language()
        return form

    return {"invite_provider_form": invite_provider_form}


# --- signed links: an invitation, a forgotten password ---------------------------------------------------------


LINK_PROBLEMS = {
    "expired": _l("This link has expired."),
    "used": _l("This link has already been used, or a newer one was sent since."),
    "invalid": _l("This link does not work: it may have been copied only in part."),
}


def _link_refused(reason: str, purpose: str):
    status = 404 if reason == "invalid" else 410
    return render_template(
        "manage/password_link.html", problem=LINK_PROBLEMS[reason], purpose=purpose
    ), status


def _set_password_page(purpose: str, token: str):
    try:
        user = people.account_of_link(purpose, token)
    except people.LinkRefused as refused:
        return _link_refused(refused.reason, purpose)
    form = NewPasswordForm()
    if request.method == "POST" and form.validate():
        if form.password.data != form.confirm.data:
            form.confirm.errors = [*form.confirm.errors, NOT_THE_SAME]
        else:
            change = people.accept_invitation if purpose == people.INVITE else people.reset_password
            try:
                user = change(token, form.password.data or "")
                record_sign_in(user.email, "login", request.remote_addr or "")
                db.session.commit()
            except people.LinkRefused as refused:
                db.session.rollback()
                return _link_refused(refused.reason, purpose)
            except IntegrityError:  # the same link used at the same moment by another request
                db.session.rollback()
                return _link_refused("used", purpose)
            except AccountError as error:
                db.session.rollback()
                form.password.errors = [*form.password.errors, error.message]
            else:
                session.clear()  # a new session, the only one of the account
                session.permanent = True
                login_user(user)
                flash(
                    gettext("Welcome: your password is set and you are signed in.")
                    if purpose == people.INVITE
                    else gettext(
                        "Your new password is set and you are signed in; every other session has ended."
                    ),
                    "success",
                )
                return redirect(url_for("manage.dashboard"))
    return (
        render_template(
            "manage/password_set.html",
            form=form,
            user=user,
            purpose=purpose,
            roles=ROLE_LABELS,
            territory=people.territory_name(user),
        ),
        400 if form.errors else 200,
    )


@bp.route("/welcome/<token>", methods=["GET", "POST"])
def accept_invitation(token: str):
    """An invitation's link: choose a password, and the account is ready."""
    return _set_password_page(people.INVITE, token)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """A reset link: choose a new password; every other session of the account ends."""
    return _set_password_page(people.RESET, token)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(mail_rate_limit, exempt_when=lambda: request.method != "POST")
def forgot_password():
    """Ask for a reset link by e-mail; the answer is the same whether the address has an account or not."""
    form = ForgotForm()
    if request.method == "POST" and form.validate():
        problems = people.address_problems(form.email.data or "")
        if problems:
            add_errors(form, problems)
        else:
            people.request_reset(form.email.data or "")
            db.session.commit()
            return render_template("manage/password_forgot.html", form=None, sent=True)
    return render_template("manage/password_forgot.html", form=form, sent=False), 400 if form.errors else 200


# --- the account's own page ----------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The signed-in account's preferences: name, language of the e-mails, password."""
    which = request.form.get("form", "")
    preferences = (
        PreferencesForm(prefix="pref")
        if which == "preferences"
        else PreferencesForm(
            prefix="pref", formdata=None, name=current_user.name, locale=current_user.locale or "it"
        )
    )
    password = (
        PasswordChangeForm(prefix="pw")
        if which == "password"
        else PasswordChangeForm(prefix="pw", formdata=None)
    )
    if which == "preferences" and preferences.validate():
        try:
            people.update_preferences(
                current_user, preferences.name.data or "", preferences.locale.data or ""
            )
            db.session.commit()
        except people.FormProblems as error:
            db.session.rollback()
            add_errors(preferences, error.problems)
        else:
            flash(gettext("Your preferences are saved."), "success")
            return redirect(url_for("manage.account"))
    elif which == "password" and password.validate():
        if password.password.data != password.confirm.data:
            password.confirm.errors = [*password.confirm.errors, NOT_THE_SAME]
        else:
            try:
                people.change_password(
                    current_user, password.current.data or "", password.password.data or ""
                )
                db.session.commit()
            except people.FormProblems as error:
                db.session.rollback()
                add_errors(password, error.problems)
            else:
                user = current_user._get_current_object()
                session.clear()  # the other sessions ended with the new password; this one starts again
                session.permanent = True
                login_user(user)
                flash(gettext("Your password is changed; your other sessions have ended."), "success")
                return redirect(url_for("manage.account"))
    status = 400 if preferences.errors or password.errors else 200
    return (
        render_template(
            "manage/account.html",
            preferences=preferences,
            password=password,
            roles=ROLE_LABELS,
            territory=people.territory_name(current_user),
        ),
        status,
    )
