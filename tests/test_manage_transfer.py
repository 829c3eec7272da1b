"""Import in the browser (report, preview, confirm, limits, territory) and organisations and alliances."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest

from tests.support.catalog import pavia_sheet
from tests.support.manage import account, signed_in, token
from welfarepoint.catalog.models import Alliance, Organisation, Service
from welfarepoint.catalog.validation import CSV_COLUMNS
from welfarepoint.extensions import db


@pytest.fixture
def manager(demo_app):
    return signed_in(demo_app, account(demo_app, "anna@ats-pavia.example.org", "ats_manager", ats="Pavia"))


def upload(client, data: bytes, name: str = "alleanza.csv", mimetype: str = "text/csv"):
    page = client.get("/manage/import?lang=en")
    return client.post(
        "/manage/import?lang=en",
        data={"csrf_token": token(page.text), "file": (io.BytesIO(data), name, mimetype)},
        content_type="multipart/form-data",
    )


def count(app, **where) -> int:
    with app.app_context():
        return db.session.execute(db.select(db.func.count(Service.id)).filter_by(**where)).scalar_one()


def test_a_file_with_three_bad_rows_names_each_and_imports_nothing(demo_app, manager):
    data = pavia_sheet(
        row3={"municipalities": "Vigevanno"},
        row10={"category": ""},
        row17={"age_min": "14", "age_max": "6"},
    )
    response = upload(manager, data)
    assert response.status_code == 400
    text = response.text
    assert "The file has 3 problems: nothing was imported." in text
    groups = re.findall(r'<h3 id="group-\d+" class="h5 card-title">([^<]+)</h3>', text)
    assert groups == [
        "Category",
        "Municipalities covered",
        "To age",
    ]  # the fields' labels, in the form's order
    lines = re.findall(r'<span class="wp-lines">([^<]+)</span>', text)
    assert lines == ["line 11", "line 4", "line 18"]
    assert "Vigevano" in text  # the suggestion for the misspelt municipality
    assert count(demo_app, ats="Pavia") == count(demo_app, ats="Pavia")  # nothing written
    assert "PV-NEW" not in manager.get("/manage/services/export.csv").text


def test_a_good_file_is_previewed_then_imported_all_at_once(demo_app, manager):
    before = count(demo_app, ats="Pavia")
    response = upload(manager, pavia_sheet())
    assert response.status_code == 200
    assert "Importing will add 25 listings, change 0 and leave 0 as they are." in response.text
    assert count(demo_app, ats="Pavia") == before  # a preview writes nothing
    payload = re.search(r'name="payload" value="([^"]+)"', response.text).group(1)
    confirmed = manager.post(
        "/manage/import/confirm?lang=en", data={"csrf_token": token(response.text), "payload": payload}
    )
    assert confirmed.status_code == 302
    assert count(demo_app, ats="Pavia") == before + 25
    listed = manager.get("/manage/services?q=PV-NEW&lang=en")
    assert "25 listings" in listed.text
    found = demo_app.test_client().get("/search?q=doposcuola+quartiere").text
    assert 'href="/services/doposcuola-di-quartiere-numero-' in found


def test_rows_of_another_territory_are_refused(demo_app, manager):
    response = upload(manager, pavia_sheet(rows=2, row2={"ats": "Montagna", "municipalities": "Sondrio"}))
    assert response.status_code == 400 and "outside your territory" in response.text
    with demo_app.app_context():
        sondrio = db.session.execute(db.select(Service).filter_by(ats="Montagna")).unique().scalars().first()
        row = {name: "" for name in CSV_COLUMNS} | {
            "external_id": sondrio.external_id,
            "title": "Preso in prestito",
            "audience": "persons",
            "category": "P2",
            "ats": "Pavia",
            "cost": "free",
            "provider": sondrio.provider.name,
        }
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    writer.writerow(row)
    response = upload(manager, output.getvalue().encode())
    assert response.status_code == 400 and "another territory" in response.text


def test_a_tampered_confirmation_is_checked_again(demo_app, manager):
    bad = base64.b64encode(
        pavia_sheet(rows=1, row1={"ats": "Montagna", "municipalities": "Sondrio"})
    ).decode()
    page = manager.get("/manage/import")
    response = manager.post(
        "/manage/import/confirm?lang=en", data={"csrf_token": token(page.text), "payload": bad}
    )
    assert response.status_code == 400 and "outside your territory" in response.text
    assert (
        manager.post(
            "/manage/import/confirm", data={"csrf_token": token(page.text), "payload": "@@@"}
        ).status_code
        == 400
    )


@pytest.mark.parametrize(
    "data,name,mimetype,message",
    [
        (b"", "vuoto.csv", "text/csv", "The file is empty."),
        (
            b"%PDF-1.4",
            "servizi.pdf",
            "application/pdf",
            "The file must be an Excel workbook (.xlsx) or a CSV file.",
        ),
        (b"a" * 2000, "grande.csv", "text/csv", "larger than 1 KB"),
    ],
)
def test_upload_limits(demo_app, manager, data, name, mimetype, message):
    demo_app.config["IMPORT_MAX_BYTES"] = 1024  # a small limit keeps the test's upload in memory
    response = upload(manager, data, name, mimetype)
    assert response.status_code == 400 and message in response.text


def test_no_file_chosen(demo_app, manager):
    page = manager.get("/manage/import?lang=en")
    response = manager.post(
        "/manage/import?lang=en", data={"csrf_token": token(page.text)}, content_type="multipart/form-data"
    )
    assert response.status_code == 400 and "Choose a file." in response.text


def test_organisations_are_added_and_corrected_with_clear_messages(demo_app, manager):
    page = manager.get("/manage/organisations/new?lang=en")
    bad = manager.post(
        "/manage/organisations/new?lang=en",
        data={
            "csrf_token": token(page.text),
            "name": "Cooperativa Il Ponte Pavese",
            "type": "",
            "municipality": "Sondrio",
            "email": "not-an-email",
        },
    )
    assert bad.status_code == 400
    assert "Choose the type of organisation." in bad.text and "not in ATS Pavia" in bad.text
    assert "Cooperativa Il Ponte Pavese" in bad.text  # what was typed stays
    good = manager.post(
        "/manage/organisations/new?lang=en",
        data={
            "csrf_token": token(page.text),
            "name": "Cooperativa Il Ponte Pavese",
            "type": "non_profit",
            "municipality": "Vigevano",
        },
    )
    assert good.status_code == 302
    with demo_app.app_context():
        organisation = db.session.execute(
            db.select(Organisation).filter_by(name="Cooperativa Il Ponte Pavese")
        ).scalar_one()
        assert organisation.municipality_code is not None
        existing = (
            db.session.execute(db.select(Organisation).where(Organisation.id != organisation.id))
            .scalars()
            .first()
            .name
        )
    page = manager.get(good.headers["Location"])
    duplicate = manager.post(
        good.headers["Location"] + "?lang=en",
        data={
            "csrf_token": token(page.text),
            "name": existing,
            "type": "non_profit",
            "municipality": "Vigevano",
        },
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.text


def test_alliance_members_are_added_and_removed(demo_app, manager):
    with demo_app.app_context():
        alliance = db.session.execute(db.select(Alliance).filter_by(ats="Pavia")).scalars().first()
        uuid, members = alliance.uuid, len(alliance.members)
        outsider = Organisation(name="Associazione Nuovi Genitori Pavia", type="non_profit")
        db.session.add(outsider)
        db.session.commit()
        outsider_id = outsider.id
    page = manager.get(f"/manage/alliances/{uuid}?lang=en")
    assert page.status_code == 200
    added = manager.post(
        f"/manage/alliances/{uuid}/members",
        data={
            "member-csrf_token": token(page.text),
            "member-organisation": "Associazione Nuovi Genitori Pavia",
            "member-role": "partner",
        },
    )
    assert added.status_code == 302
    with demo_app.app_context():
        assert (
            len(db.session.execute(db.select(Alliance).filter_by(uuid=uuid)).scalar_one().members)
            == members + 1
        )
    page = manager.get(f"/manage/alliances/{uuid}?lang=en")
    assert "Associazione Nuovi Genitori Pavia" in page.text
    manager.post(
        f"/manage/alliances/{uuid}/members", data={"csrf_token": token(page.text), "remove": str(outsider_id)}
    )
    with demo_app.app_context():
        assert (
            len(db.session.execute(db.select(Alliance).filter_by(uuid=uuid)).scalar_one().members) == members
        )
    bad = manager.post(
        f"/manage/alliances/{uuid}?lang=en",
        data={
            "csrf_token": token(page.text),
            "name": "Alleanza",
            "ats": "Pavia",
            "period_start": "2023-13-01",
            "period_end": "",
        },
    )
    assert bad.status_code == 400 and "is not a date in the form YYYY-MM-DD" in bad.text
