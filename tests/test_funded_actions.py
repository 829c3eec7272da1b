"""Issue 24 point 5: a listing is a funded action of an alliance only when a manager says so, with its programme
period; the monitoring counts those, per programme period, stamped with the date of its figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from tests.support.catalog import municipal_file
from tests.support.manage import account, listing, montagna_alliances, signed_in, token
from tests.support.manage import form_data as edit_form
from tests.support.monitoring_figures import TABLE_6_1
from welfarepoint.catalog import interchange
from welfarepoint.catalog.models import Service
from welfarepoint.catalog.validation import validate_listing
from welfarepoint.extensions import db
from welfarepoint.insights.monitoring import monitoring_report, programme_periods


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def _table(app, period: str = "") -> dict[str, tuple[int, int, int, int]]:
    with app.app_context():
        report = monitoring_report(None, period)
    rows = {row.name: row for row in (*report.by_ats, report.total)}
    return {
        name: (row.alliances, row.actions, row.actions_for_persons, row.actions_for_companies)
        for name, row in rows.items()
    }


def test_importing_22_municipal_listings_leaves_table_6_1_unchanged(demo_app, manager):
    before = _table(demo_app)
    assert before["Montagna"] == (5, 7, *TABLE_6_1["Montagna"][2:4]) and before["Lombardia"][1] == 290
    page = manager.get("/manage/import?lang=en")
    checked = manager.post(
        "/manage/import?lang=en",
        data={
            "csrf_token": token(page.text),
            "file": (io.BytesIO(municipal_file(montagna_alliances(demo_app)[0])), "comuni.csv", "text/csv"),
        },
        content_type="multipart/form-data",
    )
    assert checked.status_code == 200, checked.text
    assert "Importing will add 22 listings" in checked.text
    payload = re.search(r'name="payload" value="([^"]+)"', checked.text).group(1)
    done = manager.post(
        "/manage/import/confirm?lang=en", data={"csrf_token": token(checked.text), "payload": payload}
    )
    assert done.status_code == 302
    with demo_app.app_context():
        imported = (
            db.session.execute(
                db.select(Service.funded_action).where(Service.external_id.like("MO-COMUNE-%"))
            )
            .scalars()
            .all()
        )
    assert len(imported) == 22 and not any(imported)
    assert _table(demo_app) == before  # Montagna keeps 7 actions, Lombardy 290
    page = manager.get("/manage/insights/monitoring?lang=it").text
    montagna = re.search(r'<th scope="row">Montagna</th>((?:<td>\d+</td>)+)', page).group(1)
    assert re.findall(r"\d+", montagna)[:2] == ["5", "7"]


def test_a_manager_marks_a_funded_action_and_the_table_counts_it_in_its_period(demo_app, manager):
    target = listing(demo_app, ats="Montagna", category="W1")  # a Welfare Point: never counted until said so
    page = manager.get(f"/manage/services/{target.uuid}?lang=en")
    assert 'name="funded_action"' in page.text and "Only a manager says so." in page.text
    saved = manager.post(
        f"/manage/services/{target.uuid}?lang=en",
        data=edit_form(
            demo_app, target.uuid, page.text, funded_action="true", programme_period="2023 – 2025",
            action="publish",
        ),
    )  # fmt: skip
    assert saved.status_code == 302, saved.text
    after = listing(demo_app, uuid=target.uuid)
    assert after.funded_action and after.programme_period == "2023-2025"
    with demo_app.app_context():
        assert programme_periods() == ["2023-2025", "2020-2023"]
        assert programme_periods("Pavia") == ["2020-2023"]
    assert _table(demo_app, "2020-2023")["Montagna"][1] == 7  # the Region's table of 2020-2023 is as it was
    assert _table(demo_app, "2023-2025")["Montagna"][:2] == (5, 1)
    assert _table(demo_app)["Lombardia"][1] == 291  # every period together
    newest = manager.get("/manage/insights/monitoring?lang=en").text  # the most recent period unless asked
    assert "Programme period 2023-2025" in newest and '<option value="2023-2025" selected>' in newest
    assert re.search(r"Figures at \d{1,2} December \d{4}, \d\d:\d\d", newest)
    old = manager.get("/manage/insights/monitoring?period=2020-2023&lang=it").text
    assert "Periodo del programma 2020-2023" in old and re.search(r"Dati al \d{1,2} \w+ \d{4}", old)
    bogus = manager.get("/manage/insights/monitoring?period=%3Cscript%3E&lang=en")
    assert bogus.status_code == 200 and "Programme period 2023-2025" in bogus.text
    workbook = manager.get("/manage/insights/monitoring?period=2023-2025&format=xlsx&lang=it")
    assert "monitoraggio-montagna-2023-2025-al-" in workbook.headers["Content-Disposition"]


def test_wrong_periods_are_explained_next_to_the_field_and_the_typed_value_kept(demo_app, manager):
    target = listing(demo_app, ats="Montagna", category="W1")
    page = manager.get(f"/manage/services/{target.uuid}?lang=en")
    for typed, message in (
        ("", "give the programme period the funded action belongs to"),
        ("il prossimo", "“il prossimo” is not a programme period: write the years, e.g. 2023-2025"),
        ("2025-2023", "“2025-2023” is not a programme period"),
    ):
        answer = manager.post(
            f"/manage/services/{target.uuid}?lang=en",
            data=edit_form(demo_app, target.uuid, page.text, funded_action="true", programme_period=typed),
        )
        assert answer.status_code in (400, 422), typed
        assert message in answer.text and f'value="{typed}"' in answer.text
    alone = manager.post(
        f"/manage/services/{target.uuid}?lang=it",
        data=edit_form(demo_app, target.uuid, page.text, funded_action="false", programme_period="2023-2025"),
    )
    assert "solo un’azione finanziata di un’alleanza ha un periodo del programma" in alone.text
    assert not listing(demo_app, uuid=target.uuid).funded_action


def test_only_a_manager_says_what_is_a_funded_action(demo_app):
    alliance = montagna_alliances(demo_app)[0]
    editor = signed_in(
        demo_app, account(demo_app, "ed@alleanza.example.org", "alliance_editor", alliance=alliance)
    )
    with demo_app.app_context():
        funded = (
            db.session.execute(
                db.select(Service).where(Service.alliance.has(name=alliance), Service.funded_action.is_(True))
            )
            .unique()
            .scalars()
            .first()
        )
        uuid = funded.uuid
    page = editor.get(f"/manage/services/{uuid}?lang=en")
    assert "A funded action of the alliance, programme period 2020-2023." in page.text
    assert '<select class="form-select" id="funded_action"' not in page.text  # shown, not offered
    kept = editor.post(
        f"/manage/services/{uuid}?lang=en", data=edit_form(demo_app, uuid, page.text, summary="Aggiornata.")
    )
    assert kept.status_code == 302  # an editor's save carries the flag as it was
    page = editor.get(f"/manage/services/{uuid}?lang=en")
    refused = editor.post(
        f"/manage/services/{uuid}?lang=en",
        data=edit_form(demo_app, uuid, page.text, funded_action="false", programme_period=""),
    )
    assert (
        refused.status_code in (400, 422)
        and "only a manager can say whether it is a funded action" in refused.text
    )
    assert listing(demo_app, uuid=uuid).funded_action


def test_the_flag_is_exported_and_an_older_file_does_not_take_it_away(demo_app, manager):
    exported = manager.get("/manage/services/export.csv").text
    rows = list(csv.DictReader(io.StringIO(exported.removeprefix("\ufeff"))))
    assert {"funded_action", "programme_period"} <= set(rows[0])
    actions = [row for row in rows if row["category"] != "W1"]
    assert actions and {(row["funded_action"], row["programme_period"]) for row in actions} == {
        ("true", "2020-2023")
    }
    assert {row["funded_action"] for row in rows if row["category"] == "W1"} == {"false"}
    older = [
        {key: value for key, value in row.items() if key not in ("funded_action", "programme_period")}
        for row in actions
    ]
    with demo_app.app_context():
        report = interchange.import_rows(list(enumerate(older, start=2)), author="test", today=date.today())
        assert report.ok, report.errors
        db.session.commit()
    assert _table(demo_app)["Montagna"][1] == 7
    # Sì / No and a period written loosely, as a spreadsheet has them.
    listing_input, problems = validate_listing(
        older[0] | {"funded_action": "true", "programme_period": "2023/2025"}
    )
    assert not problems and listing_input.programme_period == "2023-2025"
