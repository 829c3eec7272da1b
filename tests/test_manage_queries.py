"""The backend's lists and counts, asked of the database: the listings page (filtered, counted, paged), the
dashboard, and the verification queue, for an admin, an ATS manager and an alliance editor."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from welfarepoint.accounts import scope
from welfarepoint.accounts.models import User
from welfarepoint.catalog import operations, workflow
from welfarepoint.catalog.models import Feedback, Service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.extensions import db

TODAY = date(2026, 11, 25)


def cells(number: int, **overrides) -> dict[str, str]:
    """A valid listings-CSV row numbered ``number``, with ``overrides``."""
    row = {
        "external_id": f"Q-{number:03d}",
        "title": f"Doposcuola numero {number}",
        "summary": "Compiti e gioco dopo le lezioni.",
        "audience": "persons",
        "category": "P2",
        "needs": "after_school",
        "ats": "Montagna",
        "cost": "free",
        "provider": "Cooperativa Il Sentiero",
        "provider_type": "non_profit",
        "alliance": "Alleanza Valtellina",
        "status": "published",
        "last_verified": "2026-09-01",
    }
    return row | overrides


@pytest.fixture
def catalog(app):
    """A small catalog: 12 Montagna listings (two alliances) and 3 of Pavia, each changed a minute apart.

    Returns ``make(number, **cells)`` to add more; listings are made and committed in an app context
    that stays open for the test.
    """
    with app.app_context():

        def make(number: int, minute: int | None = None, **overrides) -> Service:
            listing, problems = validate_listing(cells(number, **overrides), today=TODAY)
            assert not problems, [(p.column, str(p.message)) for p in problems]
            service = operations.create_service(listing, author="test@example.org")
            service.updated_at = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=minute or number)
            db.session.commit()
            return service

        for number in range(1, 9):
            make(number)
        for number in range(9, 13):
            make(number, alliance="Alleanza Tirano")
        for number in range(13, 16):
            make(number, ats="Pavia", alliance="Alleanza Pavese")
        yield make


def admin() -> User:
    return User(email="admin@example.org", role="admin")


def montagna_manager() -> User:
    return User(email="anna@example.org", role="ats_manager", ats="Montagna")


def tirano_editor() -> User:
    alliance_id = db.session.execute(
        db.select(Service.alliance_id).where(Service.external_id == "Q-009")
    ).scalar_one()
    return User(email="luca@example.org", role="alliance_editor", alliance_id=alliance_id)


def ids(found: scope.ListingsPage) -> list[str]:
    return [service.external_id for service in found.listings]


def test_pages_hold_every_listing_once_most_recently_changed_first(catalog):
    pages = [scope.listings_page(admin(), scope.ListingFilter(), number, 4) for number in (1, 2, 3, 4)]
    assert [found.total for found in pages] == [15, 15, 15, 15]
    assert [found.pages for found in pages] == [4, 4, 4, 4]
    assert ids(pages[0]) == ["Q-015", "Q-014", "Q-013", "Q-012"]
    assert ids(pages[3]) == ["Q-003", "Q-002", "Q-001"]  # the last page holds what is left
    shown = [external_id for found in pages for external_id in ids(found)]
    assert shown == [f"Q-{number:03d}" for number in range(15, 0, -1)]


def test_a_page_past_the_end_shows_the_last_and_an_empty_list_one_empty_page(catalog):
    past = scope.listings_page(admin(), scope.ListingFilter(), 99, 4)
    assert past.page == 4 and ids(past) == ["Q-003", "Q-002", "Q-001"]
    assert scope.listings_page(admin(), scope.ListingFilter(), 0, 4).page == 1
    nothing = scope.listings_page(admin(), scope.ListingFilter(text="nessun servizio"), 3, 4)
    assert (nothing.total, nothing.page, nothing.pages, nothing.listings) == (0, 1, 1, [])
    exact = scope.listings_page(admin(), scope.ListingFilter(), 5, 3)  # 15 listings: five full pages
    assert (exact.page, exact.pages, ids(exact)) == (5, 5, ["Q-003", "Q-002", "Q-001"])


def test_listings_changed_at_the_same_moment_keep_one_order_across_pages(catalog):
    for number in (16, 17, 18):
        catalog(number, minute=100)  # three listings changed at the same minute, the newest of all
    first = scope.listings_page(admin(), scope.ListingFilter(), 1, 2)
    second = scope.listings_page(admin(), scope.ListingFilter(), 2, 2)
    assert ids(first) + ids(second)[:1] == ["Q-018", "Q-017", "Q-016"]


def test_each_role_counts_and_pages_only_its_territory(catalog):
    manager = scope.listings_page(montagna_manager(), scope.ListingFilter(), 3, 5)
    assert (manager.total, manager.pages, manager.page) == (12, 3, 3)
    assert ids(manager) == ["Q-002", "Q-001"]
    editor = scope.listings_page(tirano_editor(), scope.ListingFilter(), 1, 50)
    assert (editor.total, ids(editor)) == (4, ["Q-012", "Q-011", "Q-010", "Q-009"])
    assert scope.listings_page(tirano_editor(), scope.ListingFilter(text="Q-001"), 1, 50).total == 0


def test_filters_narrow_the_count_and_the_page_alike(catalog):
    catalog(20, status="draft", category="P1")
    catalog(21, status="archived")
    in_review = catalog(22, status="draft")
    workflow.submit(in_review, None, author="luca@example.org")
    held = db.session.execute(db.select(Service).filter_by(external_id="Q-003")).unique().scalar_one()
    workflow.save(held, validate_listing(cells(3, title="Doposcuola rinnovato"), today=TODAY)[0], author="x")
    db.session.commit()

    def found(**wanted) -> list[str]:
        page = scope.listings_page(montagna_manager(), scope.ListingFilter(**wanted), 1, 50)
        assert page.total == len(page.listings)
        return sorted(ids(page))

    assert found(status="draft") == ["Q-020"]
    assert found(status="archived") == ["Q-021"]
    assert found(category="P1") == ["Q-020"]
    assert found(waiting=True) == ["Q-003", "Q-022"]  # in review, and published with changes waiting
    assert found(text="NUMERO 2") == ["Q-002", "Q-020", "Q-021", "Q-022"]  # any case, in the title
    assert found(text="q-01") == [f"Q-{n:03d}" for n in range(10, 13)]  # in the identifier
    assert found(status="published", category="P1") == []


def test_overdue_in_sql_is_the_listing_s_own_rule_on_every_day(catalog):
    # Each listing has its own interval: due on the day of the last check plus the interval, overdue after.
    catalog(30, last_verified="2026-10-26", review_interval_days="30")  # due 2026-11-25: not yet
    catalog(31, last_verified="2026-10-25", review_interval_days="30")  # due 2026-11-24: overdue
    catalog(32, last_verified="2024-02-29", review_interval_days="365")  # a leap day: due 2025-02-28
    catalog(33, last_verified="", review_interval_days="7")  # never verified: always overdue
    catalog(34, last_verified="2025-11-26", review_interval_days="365")  # due 2026-11-26: not yet
    services = list(db.session.execute(db.select(Service)).unique().scalars())
    for today in (TODAY, date(2025, 2, 28), date(2025, 3, 1), date(2027, 1, 1), date(2026, 11, 26)):
        stale = scope.listings_page(admin(), scope.ListingFilter(stale=True), 1, 100, today=today)
        expected = sorted(service.external_id for service in services if service.is_overdue(today))
        assert sorted(ids(stale)) == expected and stale.total == len(expected), today
    overdue_today = sorted(
        ids(scope.listings_page(admin(), scope.ListingFilter(stale=True), 1, 100, today=TODAY))
    )
    assert overdue_today == ["Q-031", "Q-032", "Q-033"]


def test_the_verification_queue_is_published_overdue_listings_never_checked_first_then_oldest(catalog):
    catalog(40, last_verified="2025-01-10")  # due 2025-07-09
    catalog(41, last_verified="2025-03-01", review_interval_days="30")  # due 2025-03-31: the oldest due
    catalog(42, last_verified="")
    catalog(43, last_verified="", status="draft")  # not published: not in the queue
    catalog(44, last_verified="2024-01-01", ats="Pavia", alliance="Alleanza Pavese")
    queue = [service.external_id for service in scope.overdue_listings(montagna_manager(), today=TODAY)]
    assert queue == ["Q-042", "Q-041", "Q-040"]
    everywhere = [service.external_id for service in scope.overdue_listings(admin(), today=TODAY)]
    assert everywhere == ["Q-042", "Q-044", "Q-041", "Q-040"]
    assert scope.overdue_listings(tirano_editor(), today=TODAY) == []


def test_the_dashboard_counts_each_territory(catalog):
    catalog(50, status="draft", last_verified="")
    catalog(51, status="draft", alliance="Alleanza Tirano")
    in_review = catalog(52, status="draft", alliance="Alleanza Tirano")
    workflow.submit(in_review, None, author="luca@example.org")
    catalog(53, last_verified="2025-01-01")  # published and overdue
    catalog(54, last_verified="2024-01-01", ats="Pavia", alliance="Alleanza Pavese")
    pavia = db.session.execute(db.select(Service).filter_by(external_id="Q-054")).unique().scalar_one()
    montagna = db.session.execute(db.select(Service).filter_by(external_id="Q-009")).unique().scalar_one()
    db.session.add_all(
        [
            Feedback(service=pavia, kind="hours", message="Orari sbagliati il giovedì."),
            Feedback(service=montagna, kind="cost", message="Il costo è cambiato da settembre."),
            Feedback(service=montagna, kind="other", message="Già risolto.", status="resolved"),
        ]
    )
    db.session.commit()

    region = scope.dashboard(admin(), today=TODAY)
    assert region.by_status == {"published": 17, "draft": 2, "in_review": 1}
    assert (region.waiting, region.overdue, region.feedback) == (1, 2, 2)
    montagna_counts = scope.dashboard(montagna_manager(), today=TODAY)
    assert montagna_counts.by_status == {"published": 13, "draft": 2, "in_review": 1}
    assert (montagna_counts.waiting, montagna_counts.overdue, montagna_counts.feedback) == (1, 1, 1)
    tirano = scope.dashboard(tirano_editor(), today=TODAY)
    assert tirano.by_status == {"published": 4, "draft": 1, "in_review": 1}
    assert (tirano.waiting, tirano.overdue, tirano.feedback) == (1, 0, 1)
    assert len(scope.open_feedback(admin())) == 2
    assert [item.message for item in scope.open_feedback(tirano_editor())] == [
        "Il costo è cambiato da settembre."
    ]
