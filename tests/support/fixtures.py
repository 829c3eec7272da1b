"""Builder fixtures (each returns a callable that makes one thing) and ``auth``, which signs a manager in.

They work on the test's app: ``demo_app`` when the test uses it, else ``app``.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.catalog import create_listing, row
from tests.support.manage import account, signed_in
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Organisation, Service

#: The e-mail address of each role's account made by ``make_user`` when the test names none.
EMAILS = {
    "admin": "admin@regione.example.org",
    "ats_manager": "anna@ats-montagna.example.org",
    "alliance_editor": "luca@alleanza.example.org",
}


@pytest.fixture
def the_app(request):
    """The app of the test: ``demo_app`` when the test uses it, else ``app``."""
    return request.getfixturevalue("demo_app" if "demo_app" in request.fixturenames else "app")


@pytest.fixture
def make_user(the_app):
    """Make (once) an account: ``make_user("ats_manager", ats="Montagna")``; returns its e-mail address.

    Its password is :data:`tests.support.manage.PASSWORD`. An alliance editor needs ``alliance=`` (a name).
    """

    def make(
        role: str = "ats_manager", *, email: str | None = None, ats: str | None = None, alliance=None
    ) -> str:
        if role == "ats_manager" and ats is None:
            ats = "Montagna"
        return account(the_app, email or EMAILS[role], role, ats=ats, alliance=alliance)

    return make


@pytest.fixture
def auth(the_app, make_user):
    """Sign a manager in: ``auth("admin")`` (the account made if needed) returns a signed-in test client."""

    def sign_in(role: str = "ats_manager", **account_of):
        return signed_in(the_app, make_user(role, **account_of))

    return sign_in


@pytest.fixture
def make_service():
    """Create a listing from a CSV-like row, with ``overrides`` (inside the app context the test opens)."""

    def make(**overrides) -> Service:
        return create_listing(row(**overrides), today=date(2026, 11, 25))

    return make


@pytest.fixture
def make_organisation():
    """Add an organisation (inside the app context the test opens): ``make_organisation("Cooperativa Sole")``."""

    def make(
        name: str = "Cooperativa sociale Il Sentiero", type: str = "non_profit", **details
    ) -> Organisation:
        return operations.create_organisation(name, type, **details)

    return make
