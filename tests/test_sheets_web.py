"""The web import of a manager's workbook: one grouped report, mapping unknown columns, the file back with its
problems, the organisations to be created with their look-alikes; and the workbooks the backend gives out."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal
from html import unescape

import openpyxl
import pytest

from tests.support.manage import account, signed_in, token
from tests.test_sheets_import import LEAVE_OUT, fixed_montagna, sheet
from welfarepoint import territory
from welfarepoint.catalog import columns, operations
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.extensions import db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def montagna(demo_app):
    with demo_app.app_context():
        for name, town in (
            ("Comune di Albosaggia", "Albosaggia"),
            ("Comunità Montana Valtellina di Sondrio", "Sondrio"),
        ):
            if operations.find_organisation(name) is None:
                operations.create_organisation(
                    name, "public_body", municipality_code=territory.find(town).istat_code
                )
        db.session.commit()
    return signed_in(
        demo_app, account(demo_app, "lucia@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def hidden(text: str, name: str) -> str:
    return unescape(re.search(rf'name="{name}" value="([^"]*)"', text).group(1))


def upload(client, data: bytes, name: str, mapping: dict | None = None, lang: str = "it"):
    page = client.get(f"/manage/import?lang={lang}")
    return client.post(
        f"/manage/import?lang={lang}",
        data={
            "csrf_token": token(page.text),
            "mapping": json.dumps(mapping or {}),
            "file": (io.BytesIO(data), name, XLSX),
        },
        content_type="multipart/form-data",
    )


def test_a_managers_workbook_from_grouped_report_to_import(demo_app, montagna):
    response = upload(montagna, sheet("manager_montagna.xlsx"), "servizi.xlsx")
    assert response.status_code == 400
    text = unescape(response.text)
    assert "Il file ha 11 problemi: non è stato importato nulla." in text
    assert "3 comuni non riconosciuti: Albosagia, Chiavena, Tiranno" in text
    assert "4 colonne non riconosciute: “Dal”, “Al”, “Quota (€)”, “Note interne”" in text
    assert re.findall(r'name="map_header" value="([^"]+)"', response.text) == [
        "Dal",
        "Al",
        "Quota (€)",
        "Note interne",
    ]

    # The manager says the fee holds the amount and leaves the three others out: the report keeps the other
    # problems, no column is asked again.
    form = {
        "csrf_token": token(response.text),
        "payload": hidden(response.text, "payload"),
        "filename": "servizi.xlsx",
    }
    mapped = montagna.post(
        "/manage/import/check?lang=it",
        data={
            **form,
            "mapping": "{}",
            "map_header": list(LEAVE_OUT),
            "map_column": ["-", "-", "cost_amount", "-"],
        },
    )
    assert mapped.status_code == 400 and "map_header" not in mapped.text
    assert "Il file ha 7 problemi" in unescape(mapped.text)
    mapping = json.loads(hidden(mapped.text, "mapping"))
    assert mapping == {**LEAVE_OUT, "Quota (€)": "cost_amount"}

    # The file comes back with a column of problems.
    back = montagna.post("/manage/import/problems?lang=it", data={**form, "mapping": json.dumps(mapping)})
    assert back.status_code == 200 and back.mimetype == XLSX
    rows = list(
        openpyxl.load_workbook(io.BytesIO(back.data), read_only=True)
        .worksheets[0]
        .iter_rows(values_only=True)
    )
    assert rows[0][-1] == "Problemi" and rows[7][-1] == "Da età: “6-99” non è un numero intero"

    # Fixed, uploaded again with the mapping it carries: the preview lists the organisations to be created.
    preview = upload(montagna, fixed_montagna(), "servizi.xlsx", mapping)
    assert preview.status_code == 200, unescape(preview.text)[:3000]
    text = unescape(preview.text)
    assert "Tutte le righe sono valide. L'importazione aggiungerà 25 schede" in text
    assert "Somiglia a: Comune di Albosaggia" in text
    assert "Somiglia a: Comunità Montana Valtellina di Sondrio" in text
    names = re.findall(r'name="org_name" value="([^"]+)"', preview.text)
    assert "Comune di Albosaggia (SO)" in names and "C.M. Valtellina di Sondrio" in [
        unescape(n) for n in names
    ]
    choices = [
        "Comune di Albosaggia" if unescape(name) == "Comune di Albosaggia (SO)" else
        "Comunità Montana Valtellina di Sondrio" if "Valtellina di Sondrio" in unescape(name) else ""
        for name in names
    ]  # fmt: skip
    confirmed = montagna.post(
        "/manage/import/confirm?lang=it",
        data={
            "csrf_token": token(preview.text),
            "payload": hidden(preview.text, "payload"),
            "filename": "servizi.xlsx",
            "mapping": json.dumps(mapping),
            "providers": "{}",
            "org_name": [unescape(name) for name in names],
            "org_choice": choices,
        },
    )
    assert confirmed.status_code == 302
    with demo_app.app_context():
        created = (
            db.session.execute(db.select(Service).where(Service.external_id.like("SO-CONC-%")))
            .scalars()
            .all()
        )
        assert len(created) == 25
        amounts = {s.external_id: s.cost_amount for s in created}
        assert amounts["SO-CONC-001"] == Decimal("65.50") and amounts["SO-CONC-002"] == Decimal("120")
        assert amounts["SO-CONC-004"] is None  # free, no fee in the sheet
        albosaggia = [s for s in created if s.external_id == "SO-CONC-023"][
            0
        ]  # row 24, "Comune di Albosaggia (SO)"
        assert albosaggia.provider.name == "Comune di Albosaggia"
        variants = db.session.execute(
            db.select(Organisation.name).where(Organisation.name.like("%Valtellina di Sondrio%"))
        ).scalars()
        assert list(variants) == ["Comunità Montana Valtellina di Sondrio"]


def test_the_empty_model_has_a_drop_down_for_every_vocabulary_and_a_legend(demo_app, montagna):
    response = montagna.get("/manage/import/model.xlsx?lang=it")
    assert response.status_code == 200 and response.mimetype == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["Schede", "Legenda", "Elenchi"]
    listings = workbook["Schede"]
    header = [cell.value for cell in listings[1]]
    assert header[:3] == ["Codice", "Titolo (italiano)", "Sintesi (italiano)"]
    assert listings.freeze_panes == "A2"
    lists = {
        str(v.sqref).split(":")[0]: v for v in listings.data_validations.dataValidation if v.type == "list"
    }
    letters = {name: openpyxl.utils.get_column_letter(index) for index, name in enumerate(header, start=1)}
    for label in (
        "A chi è rivolto",
        "Categoria",
        "Costo",
        "Periodi",
        "Stato",
        "ATS",
        "Tipo di ente erogatore",
    ):
        assert f"{letters[label]}2" in lists, label
    costs = [row[header.index("Costo")] for row in workbook["Elenchi"].iter_rows(min_row=2, values_only=True)]
    assert costs[:3] == ["Gratuito", "Con contributo o tariffa ridotta", "A pagamento"]
    legend = {row[1]: row for row in workbook["Legenda"].iter_rows(min_row=2, values_only=True)}
    assert legend["cost"][2] == "sì" and "Gratuito (free)" in legend["cost"][4]


def test_the_excel_export_round_trip_changes_only_what_was_edited(demo_app, montagna):
    exported = montagna.get("/manage/services/export.xlsx?lang=it")
    assert exported.status_code == 200 and exported.mimetype == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(exported.data))
    assert workbook.sheetnames == ["Schede", "Legenda"]
    rows = workbook["Schede"]
    header = [cell.value for cell in rows[1]]
    assert rows.freeze_panes == "A2"
    with demo_app.test_request_context("/?lang=it"):
        label_of = {column.name: str(column.label) for column in columns.columns()}
    assert header == list(label_of.values())
    legend = " ".join(
        str(cell.value) for row in workbook["Legenda"].iter_rows() for cell in row if cell.value
    )
    assert all(label in legend for label in header)
    body = list(rows.iter_rows(min_row=2))

    def filled(name: str):
        return [row[header.index(label_of[name])] for row in body if row[header.index(label_of[name])].value]

    verified = filled("last_verified")
    assert len(verified) == len(body) and all(cell.is_date for cell in verified)
    for name in ("age_min", "age_max", "review_interval_days"):
        numbers = filled(name)
        assert numbers and all(cell.data_type == "n" and isinstance(cell.value, int) for cell in numbers), (
            name
        )

    title = header.index(label_of["title"])
    edited_id = body[0][header.index(label_of["external_id"])].value
    body[0][title].value = "Titolo cambiato in Excel"
    edited = io.BytesIO()
    workbook.save(edited)
    listings = len(body)
    with demo_app.app_context():
        before = {
            s.external_id: (s.title, s.updated_at) for s in db.session.execute(db.select(Service)).scalars()
        }
    response = upload(montagna, edited.getvalue(), "export.xlsx", lang="en")
    assert response.status_code == 200, unescape(response.text)[:3000]
    assert f"Importing will add 0 listings, change 1 and leave {listings - 1} as they are." in response.text
    assert re.search(r"<td>changed</td><td>Title \(Italian\)</td>", response.text)

    confirmed = montagna.post(
        "/manage/import/confirm?lang=en",
        data={
            "csrf_token": token(response.text),
            "payload": hidden(response.text, "payload"),
            "filename": "export.xlsx",
            "mapping": hidden(response.text, "mapping"),
            "providers": "{}",
        },
    )
    assert confirmed.status_code == 302
    assert f"Imported: 0 new, 1 changed, {listings - 1} unchanged." in unescape(
        montagna.get(confirmed.location).text
    )
    with demo_app.app_context():
        after = {
            s.external_id: (s.title, s.updated_at) for s in db.session.execute(db.select(Service)).scalars()
        }
    assert after[edited_id][0] == "Titolo cambiato in Excel"
    assert {key: value for key, value in after.items() if key != edited_id} == {
        key: value for key, value in before.items() if key != edited_id
    }


@pytest.mark.parametrize(
    "data,message",
    [
        (b"PK\x03\x04 not really a workbook", "the file is not an Excel workbook that can be read (.xlsx)"),
        ("Codice;Titolo\r\n=1+1;x\r\n".encode("cp1252"), "required columns are missing"),
    ],
)
def test_a_broken_or_strange_file_is_a_clear_report_never_a_500(demo_app, montagna, data, message):
    response = upload(montagna, data, "servizi.xlsx", lang="en")
    assert response.status_code == 400 and message in unescape(response.text)
    bad = montagna.post(
        "/manage/import/check",
        data={"csrf_token": token(response.text), "payload": "@@@", "mapping": "[1]"},
    )
    assert bad.status_code == 400
