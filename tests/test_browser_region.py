"""Issue 24 points 4 and 5 in a real browser: a merge is compared, confirmed and undone; importing municipal
listings leaves the monitoring table as it was."""

from __future__ import annotations

import re

import pytest

from tests.support.browser import assert_accessible, goto, tick
from tests.support.catalog import municipal_file
from welfarepoint.accounts.operations import create_user, find_user
from welfarepoint.catalog import operations
from welfarepoint.catalog.models import Alliance, Service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "mirtilli-e-lamponi-2026"


@pytest.fixture
def manager(live_server):
    with live_server.app.app_context():
        if find_user("marta@ats-montagna.example.org") is None:
            create_user("marta@ats-montagna.example.org", PASSWORD, "ats_manager", ats="Montagna")
            db.session.commit()
    return "marta@ats-montagna.example.org"


def sign_in(page, email: str, lang: str) -> None:
    goto(page, f"/manage/login?lang={lang}")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()


def two_camps(app, tag: str) -> tuple[str, str]:
    """Two published listings of Bormio that repeat each other, run by two organisations."""
    titles = []
    with app.app_context():
        for number, provider in (
            (1, f"Cooperativa Alta Valle {tag}"),
            (2, f"Associazione Bormio Ragazzi {tag}"),
        ):
            listing, problems = validate_listing(
                {
                    "external_id": f"BO-CAMP-{tag}-{number}",
                    "title": f"Centro estivo a Bormio {tag} {number}",
                    "summary": "Centro estivo per ragazzi dai 6 agli 11 anni con giochi, piscina, gite e laboratori.",
                    "description": "Settimane di centro estivo a Bormio: giochi, piscina, gite in montagna e compiti.",
                    "audience": "persons",
                    "category": "P2",
                    "needs": "summer_closure",
                    "ats": "Montagna",
                    "municipalities": "Bormio",
                    "age_min": "6",
                    "age_max": "11",
                    "periods": "summer",
                    "cost": "fee",
                    "provider": provider,
                    "provider_type": "non_profit",
                    "status": "published",
                }
            )
            assert not problems, problems
            titles.append(operations.create_service(listing, author="test").title)
        db.session.commit()
    return titles[0], titles[1]


def test_a_merge_is_compared_confirmed_and_undone(page, manager, live_server):
    tag = f"{page.viewport_size['width']}"
    first, second = two_camps(live_server.app, tag)
    sign_in(page, manager, "en")
    goto(page, "/manage/insights/overlaps?lang=en")
    group = page.locator("section.card").filter(has_text=first)
    assert "Different providers." in group.inner_text()
    group.get_by_role("link", name="Compare side by side and merge").click()
    assert page.locator("h1").inner_text() == "Compare before merging"
    assert page.get_by_role("note").filter(has_text="The providers differ").is_visible()
    assert page.locator("tr.wp-differs").filter(has_text="Provider").count() == 1
    assert_accessible(page)
    tick(page.get_by_label(re.compile(f"Keep “{re.escape(first)}”")))
    page.get_by_role("button", name="Confirm the merge").click()  # not confirmed yet: refused, choice kept
    assert "The providers differ: confirm that you checked" in page.get_by_role("alert").inner_text()
    assert page.get_by_label(re.compile(f"Keep “{re.escape(first)}”")).is_checked()
    assert_accessible(page)
    tick(page.get_by_label("I checked with the providers: it is one service, listed twice."))
    page.get_by_role("button", name="Confirm the merge").click()
    page.wait_for_load_state()
    assert f"Merged into “{first}”" in page.locator("main").inner_text()
    merges = page.locator("section[aria-labelledby=merges-title]")
    assert f"merged into “{first}”" in merges.inner_text()
    assert_accessible(page)

    merges.get_by_role("link", name=second).click()  # the archived listing says where it leads
    page.wait_for_load_state()
    page.goto(page.url.split("?")[0] + "?lang=it")
    assert f"Unita in «{first}»" in page.locator(".wp-workflow").inner_text()
    page.get_by_role("button", name="Annulla l’unione").click()
    page.wait_for_load_state()
    assert f"Unione annullata: «{second}»" in page.locator("main").inner_text()
    assert page.locator(".wp-workflow h2").inner_text() == "Stato: Pubblicato"
    with live_server.app.app_context():
        service = db.session.execute(db.select(Service).filter_by(title=second)).unique().scalar_one()
        assert service.merged_into_id is None and service.status == "published"
        slug = service.slug
    response = goto(page, f"/services/{slug}")
    assert response.status == 200 and page.locator("h1").inner_text() == second


def test_the_monitoring_table_after_an_import_is_unchanged(page, manager, live_server, tmp_path):
    sign_in(page, manager, "it")
    goto(page, "/manage/insights/monitoring?lang=it")
    assert_accessible(page)
    before = page.locator("table").first.inner_text()
    assert re.search(r"Dati al \d{1,2} \w+ \d{4}, \d\d:\d\d", page.locator("main").inner_text())
    with live_server.app.app_context():
        alliance = db.session.execute(db.select(Alliance.name).filter_by(ats="Montagna")).scalars().first()
        done = db.session.execute(db.select(Service.id).where(Service.external_id == "MO-COMUNE-01")).first()
    if done is None:  # the phone run finds the desktop run's import in place: the table is checked again
        upload = tmp_path / "comuni.csv"
        upload.write_bytes(municipal_file(alliance))
        goto(page, "/manage/import?lang=it")
        page.locator("input[type=file]").set_input_files(str(upload))
        page.locator("input[type=file]").locator("xpath=ancestor::form").locator(
            "button[type=submit]"
        ).click()
        page.wait_for_load_state()
        assert "22" in page.locator("main").inner_text(), page.locator("main").inner_text()
        page.get_by_role("button", name="Importa queste schede").click()
        page.wait_for_load_state()
    with live_server.app.app_context():
        imported = db.session.execute(
            db.select(db.func.count(Service.id)).where(Service.external_id.like("MO-COMUNE-%"))
        ).scalar_one()
    assert imported == 22
    goto(page, "/manage/insights/monitoring?lang=it")
    # The same table as before the import (the demo's own figures, Tabella 6.1, are checked in test_monitoring;
    # the live server is shared, and other journeys may have added an alliance before this one).
    assert page.locator("table").first.inner_text() == before
    assert "Montagna" in before
