"""Typed work is never lost: a listing form sent after the session or its token expired is kept.

The form's fields are kept server-side (:mod:`welfarepoint.kept_forms`), the editor signs in again, and the
form comes back with every typed value in it, for the editor to check and save (it is not saved by itself: the
request that brought it had no valid token, and a person should look at what is saved in their name).
"""

from __future__ import annotations

from functools import wraps

from flask import redirect, request, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError

from welfarepoint.errors import render_csrf_error
from welfarepoint.extensions import db
from welfarepoint.kept_forms import keep, sent_from_here
from welfarepoint.manage.blueprint import bp

#: The views whose forms are kept (the listing forms).
KEPT_VIEWS = ("manage.new_service", "manage.edit_service")


def keep_and_ask_to_sign_in():
    """Keep the form just sent and send the editor to sign in, then back to the form filled with it.

    Answers None when the request is not one whose form is kept.
    """
    if request.method != "POST" or request.endpoint not in KEPT_VIEWS or not sent_from_here():
        return None
    token = keep(request.path, request.form)
    db.session.commit()
    back = url_for(request.endpoint, **(request.view_args or {}), kept=token)
    if current_user.is_authenticated:
        return redirect(back, 303)
    return redirect(url_for("manage.login", next=back, expired=1), 303)


def login_required_keeping_form(view):
    """Like ``login_required``, but a form sent after the sign-in ended is kept (see the module)."""
    guarded = login_required(view)

    @wraps(view)
    def keeping(*args, **kwargs):
        if not current_user.is_authenticated:
            answer = keep_and_ask_to_sign_in()
            if answer is not None:
                return answer
        return guarded(*args, **kwargs)

    return keeping


@bp.errorhandler(CSRFError)
def form_expired(error: CSRFError):
    """A listing form whose token expired is kept (see the module); any other form gets the usual page."""
    return keep_and_ask_to_sign_in() or render_csrf_error(error)
