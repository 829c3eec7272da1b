"""What the backend's views share: the permission check, the listing lookup, and commit-or-flash."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, flash
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from welfarepoint.accounts import scope
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.operations import CatalogError, ConflictError
from welfarepoint.extensions import db
from welfarepoint.manage.blueprint import bp

#: A change that lost a race at the database (the version check had passed a moment before).
CONCURRENT_CHANGE = _l("This was changed by someone else at the same moment: nothing of yours was saved yet.")


def ensure_may(action: str) -> None:
    """Refuse (403) the request when the signed-in account's role may not take ``action``."""
    if not scope.may(current_user, action):
        abort(403)


@bp.app_context_processor
def permissions() -> dict[str, Callable[[str], bool]]:
    """``may(action)`` in every template: whether the signed-in account's role allows ``action``."""
    return {"may": lambda action: current_user.is_authenticated and scope.may(current_user, action)}


def requires(action: str):
    """Make a view need a signed-in account whose role may take ``action`` (else 403)."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            ensure_may(action)
            return view(*args, **kwargs)

        return login_required(guarded)

    return decorate


def scoped_service(uuid: str) -> Service:
    """The listing if the signed-in account may act on it; 404 otherwise (its existence is not revealed)."""
    service = scope.service(current_user, uuid)
    if service is None:
        abort(404)
    return service


def commit_or_flash(
    change: Callable[[], Any],
    *,
    category: str = "warning",
    field=None,
    on_conflict: Callable[[ConflictError], Any] | None = None,
) -> bool:
    """Make ``change`` and commit it (True); if the catalog refuses it, roll back and say why (False).

    The reason is flashed with ``category``, or added to the errors of the form ``field`` when one is given.
    A conflict (somebody saved the listing in between) goes to ``on_conflict`` when one is given.
    """
    try:
        change()
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # Another request changed the same rows between our version check and our commit: the database kept
        # theirs. The same answer as a conflict seen by the check.
        db.session.rollback()
        error = ConflictError(CONCURRENT_CHANGE)
        if on_conflict is not None:
            on_conflict(error)
        else:
            flash(str(error.message), category)
        return False
    except CatalogError as error:
        db.session.rollback()
        if on_conflict is not None and isinstance(error, ConflictError):
            on_conflict(error)
        elif field is not None:
            field.errors = [*field.errors, error.message]
        else:
            flash(str(error.message), category)
        return False
    return True
