"""Signing in and out of the backend."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user

from welfarepoint.accounts import operations as accounts
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import LoginForm


def _safe_next(target: str | None) -> str:
    return (
        target
        if target and target.startswith("/manage") and not target.startswith("//")
        else url_for("manage.dashboard")
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign in; after a few failures of this account from this address, 429 with a clear message."""
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, request.remote_addr or "")
        except accounts.AccountError as error:
            headers = {"Retry-After": str(error.retry_after)} if error.retry_after else {}
            return render_template("manage/login.html", form=form, error=error.message), error.status, headers
        session.clear()  # a new session at every sign-in
        session.permanent = True
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    return render_template("manage/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
@login_required
def logout():
    """Sign out and end the session, and every copy of it (the account's session version goes up)."""
    accounts.record(current_user.email, "logout", request.remote_addr or "")
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(gettext("You have signed out."), "info")
    return redirect(url_for("manage.login"))
