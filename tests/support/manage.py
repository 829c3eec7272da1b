"""Helpers for the backend's tests: accounts of each role, signed-in clients, form tokens."""

from __future__ import annotations

import re

from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog.models import Alliance, Service
from welfarepoint.extensions import db
from welfarepoint.manage.forms import ListingForm

PASSWORD = "lamponi-e-mirtilli-2026"


def token(text: str) -> str:
    """The CSRF token of the first form of a page."""
    match = re.search(r'name="(?:[a-z]+-)?csrf_token" (?:type="hidden" )?value="([^"]+)"', text)
    assert match, "no form token on the page"
    return match.group(1)


def account(app, email: str, role: str, *, ats: str | None = None, alliance: str | None = None) -> str:
    """Create (once) an account of ``role`` and return its e-mail address."""
    with app.app_context():
        if find_user(email) is None:
            create_user(email, PASSWORD, role, ats=ats, alliance=alliance)
            db.session.commit()
    return email


def sign_in(client, email: str, password: str = PASSWORD, lang: str = "en"):
    """Fill in and send the sign-in form with ``client``; return the response."""
    page = client.get(f"/manage/login?lang={lang}")
    return client.post(
        f"/manage/login?lang={lang}",
        data={"csrf_token": token(page.text), "email": email, "password": password},
    )


def signed_in(app, email: str):
    """A test client signed in as ``email``."""
    client = app.test_client()
    response = sign_in(client, email)
    assert response.status_code == 302, response.text
    return client


def montagna_alliances(app) -> list[str]:
    """The names of ATS Montagna's alliances in the demo."""
    with app.app_context():
        return list(db.session.execute(db.select(Alliance.name).where(Alliance.ats == "Montagna")).scalars())


def listing(app, **where) -> Service:
    """The first listing matching ``where`` (loaded in its own context: read plain attributes only)."""
    with app.app_context():
        query = db.select(Service).filter_by(**where).order_by(Service.id)
        service = db.session.execute(query).unique().scalars().first()
        db.session.expunge_all()
        return service


MULTI = ListingForm.MULTI


def form_data(app, uuid: str, page: str, **changes) -> dict[str, object]:
    """What the edit form of listing ``uuid`` posts back, with ``changes`` typed in."""
    from welfarepoint.catalog import workflow

    with app.app_context():
        service = db.session.execute(db.select(Service).filter_by(uuid=uuid)).unique().scalar_one()
        cells = workflow.current_cells(service)
        version = service.version
    data: dict[str, object] = {
        name: [part for part in value.split(";") if part] if name in MULTI else value
        for name, value in cells.items()
        if name not in workflow.NOT_IN_FORM
    }
    data.update(changes)
    data["csrf_token"] = token(page)
    data.setdefault("version", str(version))
    return data


def new_listing_data(page: str, **changes) -> dict[str, object]:
    """A complete new listing as the form posts it."""
    data: dict[str, object] = {
        "csrf_token": token(page),
        "title": "Centro estivo in quota a Ponte di Legno",
        "summary": "Settimane estive in montagna per bambini dai 6 agli 11 anni.",
        "description": "Giochi, escursioni e laboratori, dal lunedì al venerdì.",
        "audience": "persons",
        "category": "P2",
        "needs": ["summer_closure"],
        "ats": "Montagna",
        "municipalities": "Ponte di Legno; Temù",
        "age_min": "6",
        "age_max": "11",
        "periods": ["summer"],
        "time_slots": ["full_day"],
        "cost": "contribution",
        "provider": "Cooperativa Sociale Alta Valle Test",
        "provider_type": "non_profit",
        "languages": ["it"],
        "availability": "open",
        "review_interval_days": "180",
    }
    data.update(changes)
    return data
