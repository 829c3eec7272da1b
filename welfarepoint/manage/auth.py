"""Signing in and out of the backend."""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from welfarepoint.accounts import operations as accounts
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.forms import LoginForm

#: From how many attempts left the sign-in page says how many remain before the lock-out.
WARN_WHEN_LEFT = 3


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
            left = (
                accounts.attempts_left(form.email.data, request.remote_addr or "")
                if error.status == 401
                else 0
            )
            warning = (
                ngettext(
                    "%(num)s attempt left: after that, signing in from here is locked for %(minutes)s minutes.",
                    "%(num)s attempts left: after that, signing in from here is locked for %(minutes)s minutes.",
                    left,
                    minutes=int(accounts.FAILURE_WINDOW.total_seconds() // 60),
                )
                if 0 < left <= WARN_WHEN_LEFT
                else ""
            )
            return (
                render_template("manage/login.html", form=form, error=error.message, warning=warning),
                error.status,
                headers,
            )
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


@bp.get("/session")
def session_state():
    """For the page's script (``static/js/keepalive.js``): whether the session is alive, how long it lasts, and
    a fresh form token. Asking keeps the session alive: the script asks only while a form has unsaved changes."""
    if not current_user.is_authenticated:
        response = jsonify(signed_in=False)
        response.status_code = 401
    else:
        lifetime = current_app.permanent_session_lifetime.total_seconds()
        response = jsonify(signed_in=True, seconds_left=int(lifetime), csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response
