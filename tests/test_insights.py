"""Insights in the backend and the public open data: scope, suppression, gaps, overlaps, retention, commands."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from tests.support.manage import account, montagna_alliances, signed_in, token
from welfarepoint.catalog.models import Service
from welfarepoint.extensions import db
from welfarepoint.insights.counters import count_questionnaire, count_search, iso_week
from welfarepoint.insights.models import DemandCount, SearchCount


def ask(app, ats: str, needs: dict[str, str], times: int, day: date | None = None) -> None:
    with app.app_context():
        for _ in range(times):
            count_questionnaire("persons", ats, needs, day=day)


def visible_numbers(html: str) -> list[int]:
    """Every number shown in a table cell of the page."""
    return [int(value) for value in re.findall(r"<td>(\d+)</td>", html)]


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def test_valcamonica_asked_for_after_school_care_and_found_nothing(demo_app, manager):
    ask(demo_app, "Montagna", {"after_school": "unmet"}, 40)
    ask(demo_app, "Montagna", {"summer_closure": "matched", "care_respite": "unmet"}, 3)
    ask(demo_app, "Pavia", {"before_school": "unmet"}, 30)  # another territory: not in Marta's page
    page = manager.get("/manage/insights?lang=en")
    assert page.status_code == 200
    assert manager.get("/manage/insights?weeks=%C2%B2&lang=en").status_code == 200  # "²": not a number
    text = page.text
    gaps = text[text.index('id="gaps-title"') : text.index('id="municipalities-title"')]
    assert re.search(r"<td>Montagna</td><th scope=\"row\">After school ends</th><td>40</td><td>40</td>", gaps)
    assert "Before school starts" not in gaps and "Pavia" not in gaps
    # Small counts never appear: 3 summer requests show as <5, 3 respite requests (a care need) as <10.
    assert "&lt;5" in text and "&lt;10" in text
    needs_table = text[text.index('id="needs-title"') : text.index('id="gaps-title"')]
    people = [
        int(n)
        for row in re.findall(
            r"</th><td>(\d+|&lt;\d+|\*)</td><td>(\d+|&lt;\d+|\*)</td><td>(\d+|&lt;\d+|\*)</td>", needs_table
        )
        for n in row
        if n.isdigit()
    ]
    assert 40 in people and not [n for n in people if 0 < n < 5]
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="wp-chart"' in text and 'role="img"' in text
    gaps_csv = list(csv.DictReader(io.StringIO(manager.get("/manage/insights/gaps.csv").text)))
    assert [(row["ats"], row["need"], row["found_nothing"]) for row in gaps_csv] == [
        ("Montagna", "after_school", "40"),
        ("Montagna", "care_respite", "<10"),  # a small count is labelled, never left out (issue 24 point 6)
    ]


def test_an_administrator_sees_the_region_or_chooses_an_ats(demo_app):
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    ask(demo_app, "Pavia", {"before_school": "unmet"}, 12)
    ask(demo_app, "Montagna", {"after_school": "unmet"}, 9)
    region = admin.get("/manage/insights?lang=en").text
    assert "the whole region" in region and "<td>Pavia</td>" in region and "<td>Montagna</td>" in region
    assert "The eight ATS side by side" in region and "Published listings by ATS and category" in region
    montagna = admin.get("/manage/insights?lang=en&ats=Montagna").text
    assert "<td>Pavia</td>" not in montagna and "<td>Montagna</td>" in montagna
    for page in (montagna, admin.get("/manage/insights/monitoring?lang=en&ats=Montagna").text):
        chooser = page[page.index('<select class="form-select" id="ats"') :]
        chooser = chooser[: chooser.index("</select>")]
        assert '<option value="">The whole region</option>' in chooser  # the ATS chosen is the one shown
        assert (
            '<option value="Montagna" selected>Montagna</option>' in chooser and '"Pavia">Pavia<' in chooser
        )


def test_alliance_editors_do_not_see_insights(demo_app):
    editor = signed_in(
        demo_app,
        account(demo_app, "ed@example.org", "alliance_editor", alliance=montagna_alliances(demo_app)[0]),
    )
    for path in (
        "/manage/insights",
        "/manage/insights/monitoring",
        "/manage/insights/overlaps",
        "/manage/insights/gaps.csv",
    ):
        assert editor.get(path).status_code == 403


def test_searches_that_found_nothing_are_shown_only_from_five(demo_app, manager):
    with demo_app.app_context():
        for _ in range(6):
            count_search("babysitter notturna", False)
        for _ in range(4):
            count_search("tata condominiale", False)
        count_search("doposcuola", True)
    text = manager.get("/manage/insights?lang=en").text
    assert "babysitter notturna" in text and "tata condominiale" not in text and ">doposcuola<" not in text


def test_monitoring_page_csv_and_command(demo_app, manager):
    page = manager.get("/manage/insights/monitoring?lang=en")
    assert page.status_code == 200 and "Monitoring table: ATS Montagna" in page.text
    assert "Pavia" not in page.text.split("<h1>")[1].split("</main>")[0].replace("ats_names", "")
    rows = list(csv.DictReader(io.StringIO(manager.get("/manage/insights/monitoring?format=csv").text)))
    montagna = next(row for row in rows if row["level"] == "ats")
    assert (montagna["alliances"], montagna["actions"], montagna["partners"]) == ("5", "7", "29")
    runner = demo_app.test_cli_runner()
    table = runner.invoke(args=["insights", "monitoring", "--format", "table", "--lang", "en"])
    assert table.exit_code == 0 and "Val Padana" in table.output
    total = re.search(r"^Lombard\w+\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)", table.output, re.MULTILINE)
    assert total and total.groups() == ("40", "290", "135", "155", "567")
    exported = runner.invoke(args=["insights", "monitoring", "--format", "csv"])
    assert exported.exit_code == 0 and len(list(csv.DictReader(io.StringIO(exported.output)))) == 8 + 1 + 40
    wrong = runner.invoke(args=["insights", "monitoring", "--ats", "Atlantide"])
    assert wrong.exit_code != 0 and "Atlantide" in wrong.output


def test_purge_keeps_only_the_retention_period(demo_app):
    old = date.today() - timedelta(weeks=110)
    ask(demo_app, "Montagna", {"after_school": "unmet"}, 1, day=old)
    ask(demo_app, "Montagna", {"after_school": "unmet"}, 1)
    with demo_app.app_context():
        count_search("vecchia ricerca", False, day=date.today() - timedelta(weeks=60))
        count_search("nuova ricerca", False)
    result = demo_app.test_cli_runner().invoke(args=["insights", "purge"])
    assert result.exit_code == 0 and "Removed 1 questionnaire counters" in result.output
    with demo_app.app_context():
        assert [row.week for row in db.session.execute(db.select(DemandCount)).scalars()] == [
            iso_week(date.today())
        ]
        assert [row.query for row in db.session.execute(db.select(SearchCount)).scalars()] == [
            "nuova ricerca"
        ]


def two_summer_camps_in_sondrio(app) -> tuple[SimpleNamespace, SimpleNamespace]:
    """Two listings of Sondrio that repeat each other almost word for word."""
    from welfarepoint.catalog import operations
    from welfarepoint.catalog.validation import validate_listing

    with app.app_context():
        made = []
        for number, provider in ((1, "Cooperativa Sondrio Estate"), (2, "Associazione Sondrio Ragazzi")):
            listing, problems = validate_listing(
                {
                    "external_id": f"SO-CAMP-{number}",
                    "title": f"Centro estivo comunale per ragazzi a Sondrio {number}",
                    "summary": "Centro estivo per ragazzi dai 6 agli 11 anni con giochi, piscina, gite e laboratori.",
                    "description": "Settimane di centro estivo a Sondrio: giochi, piscina, gite in montagna, laboratori creativi e compiti.",
                    "audience": "persons",
                    "category": "P2",
                    "needs": "summer_closure",
                    "ats": "Montagna",
                    "municipalities": "Sondrio",
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
            made.append(operations.create_service(listing, author="test"))
        db.session.commit()
        plain = [SimpleNamespace(id=service.id, title=service.title, slug=service.slug) for service in made]
        return plain[0], plain[1]


def test_overlapping_listings_are_found_and_marked_distinct(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    page = manager.get("/manage/insights/overlaps?lang=en")
    assert page.status_code == 200
    group = next(
        part
        for part in page.text.split('class="card card-bg mb-4"')
        if "SO-CAMP" in part or first.title in part
    )
    assert first.title in group and second.title in group
    ids = re.findall(r'name="ids" value="(\d+)"', group)
    response = manager.post(
        "/manage/insights/overlaps", data={"csrf_token": token(page.text), "ids": ids, "decision": "distinct"}
    )
    assert response.status_code == 302
    assert first.title not in manager.get("/manage/insights/overlaps").text


def test_merging_keeps_one_listing_and_redirects_the_other_address(demo_app, manager):
    first, second = two_summer_camps_in_sondrio(demo_app)
    page = manager.get(f"/manage/insights/overlaps/compare?ids={first.id}&ids={second.id}&lang=en")
    response = manager.post(
        "/manage/insights/overlaps",
        data={
            "csrf_token": token(page.text),
            "ids": [first.id, second.id],
            "decision": "merge",
            "keep": first.id,
            "providers_checked": "1",
        },
    )
    assert response.status_code == 302
    with demo_app.app_context():
        merged = db.session.get(Service, second.id)
        assert merged.status == "archived" and merged.merged_into_id == first.id
    public = demo_app.test_client().get(f"/services/{second.slug}")
    assert public.status_code == 301 and public.headers["Location"].endswith(f"/services/{first.slug}")


def test_a_manager_cannot_decide_on_listings_of_another_territory(demo_app, manager):
    with demo_app.app_context():
        pavia = db.session.execute(db.select(Service.id).filter_by(ats="Pavia").limit(2)).scalars().all()
    page = manager.get("/manage/insights/overlaps")
    response = manager.post(
        "/manage/insights/overlaps",
        data={"csrf_token": token(page.text), "ids": pavia, "decision": "merge", "keep": pavia[0]},
    )
    assert response.status_code == 404
    with demo_app.app_context():
        assert db.session.get(Service, pavia[1]).merged_into_id is None


def test_open_data_never_publishes_a_small_count(demo_app):
    ask(demo_app, "Montagna", {"after_school": "unmet"}, 7)
    ask(demo_app, "Pavia", {"after_school": "unmet"}, 2)
    ask(demo_app, "Bergamo", {"care_at_home": "unmet"}, 8)  # a care need: below 10, hidden
    client = demo_app.test_client()
    page = client.get("/open-data?lang=en")
    assert page.status_code == 200
    assert (
        "CC BY 4.0" in page.text
        and "/open-data/listings.csv" in page.text
        and "/api/v1/services" in page.text
    )
    numbers = visible_numbers(page.text)
    assert not [n for n in numbers if 0 < n < 5] and 8 not in numbers and 7 not in numbers
    rows = list(csv.reader(io.StringIO(client.get("/open-data/needs.csv").text)))
    cells = [cell for row in rows[1:] for cell in row[4:]]
    assert not [cell for cell in cells if cell.isdigit() and 0 < int(cell) < 5]
    assert "<10" in cells and "<5" in cells
    listings = list(csv.DictReader(io.StringIO(client.get("/open-data/listings.csv").text)))
    assert listings and {row["status"] for row in listings} == {"published"}


def test_search_counts_are_buffered_and_written_together(demo_app):
    from welfarepoint.insights.counters import flush_counts

    demo_app.config["COUNTER_FLUSH_SECONDS"] = 3600
    client = demo_app.test_client()
    for _ in range(3):
        client.get("/search?q=ludoteca")
    client.get("/search?q=astronauta+marziano")
    with demo_app.app_context():
        assert db.session.execute(db.select(SearchCount)).first() is None  # nothing written per request
        assert flush_counts() == 2
        rows = {
            row.query: (row.count, row.had_results)
            for row in db.session.execute(db.select(SearchCount)).scalars()
        }
    assert rows["ludoteca"][0] == 3 and rows["astronauta marziano"] == (1, False)
