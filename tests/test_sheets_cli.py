"""Issue 23 from the command line: an ``.xlsx`` imported, the catalog exported to ``.xlsx`` and read back,
unknown headers mapped with ``--map``, and an import that fails after rows were written leaves the catalog as
it was."""

from __future__ import annotations

import openpyxl

from tests.support.sheets import HEADER, excel_csv, italian_rows, workbook
from welfarepoint.catalog import columns
from welfarepoint.catalog.models import Alliance, Organisation, Revision, Service
from welfarepoint.extensions import db


def services() -> dict[str, Service]:
    return {s.external_id: s for s in db.session.execute(db.select(Service)).scalars()}


def counts() -> tuple[int, int, int, int]:
    return tuple(
        db.session.execute(db.select(db.func.count(model.id))).scalar_one()
        for model in (Service, Organisation, Alliance, Revision)
    )


def test_a_workbook_imports_from_the_command_line(app, runner, tmp_path):
    rows = italian_rows(12, prefix="CLI")
    path = tmp_path / "schede.xlsx"
    path.write_bytes(workbook(rows))
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Imported: 12 created, 0 updated, 0 unchanged." in result.output
    with app.app_context():
        imported = services()
        first = imported["CLI-00001"]
        assert first.title == rows[0][1]
        assert first.audience == "persons" and first.cost == "contribution"
        assert (first.age_min, first.age_max) == (rows[0][9], rows[0][10])
        assert first.enrolment_deadline == rows[0][23] and first.last_verified == rows[0][25]
        assert first.capacity == rows[0][21]


def test_the_catalog_exported_to_a_workbook_is_typed_and_comes_back_changed_only_where_edited(
    app, runner, tmp_path
):
    source = tmp_path / "schede.xlsx"
    source.write_bytes(workbook(italian_rows(12, prefix="CLI")))
    assert runner.invoke(args=["catalog", "import", str(source)]).exit_code == 0
    out = tmp_path / "catalogo.xlsx"
    result = runner.invoke(args=["catalog", "export", str(out), "--lang", "it"])
    assert result.exit_code == 0, result.output

    book = openpyxl.load_workbook(out)
    sheet, legend = book.worksheets
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    with app.test_request_context("/?lang=it"):
        label_of = {column.name: str(column.label) for column in columns.columns()}
    labels = list(label_of.values())
    assert header == labels and "Titolo (italiano)" in header
    legend_text = " ".join(str(cell.value) for row in legend.iter_rows() for cell in row if cell.value)
    assert all(label in legend_text for label in labels)
    body = list(sheet.iter_rows(min_row=2))
    assert len(body) == 12

    def cells(name: str):
        return [row[header.index(label_of[name])] for row in body]

    for name in ("age_min", "capacity", "review_interval_days"):
        filled = [cell for cell in cells(name) if cell.value not in (None, "")]
        assert len(filled) >= 10, name
        assert all(cell.data_type == "n" and isinstance(cell.value, int) for cell in filled), name
    for name in ("last_verified", "enrolment_deadline"):
        assert all(cell.is_date and cell.value is not None for cell in cells(name)), name

    title = header.index("Titolo (italiano)")
    edited_id = body[4][header.index("Codice")].value
    body[4][title].value = "Titolo cambiato in Excel"
    book.save(out)
    result = runner.invoke(args=["catalog", "import", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Imported: 0 created, 1 updated, 11 unchanged." in result.output
    with app.app_context():
        imported = services()
        assert imported[edited_id].title == "Titolo cambiato in Excel"
        assert sum(s.title == "Titolo cambiato in Excel" for s in imported.values()) == 1


def test_map_says_what_an_unknown_header_holds(app, runner, tmp_path):
    rows = italian_rows(6, prefix="MAP")
    data = excel_csv(rows).replace(b"Telefono", b"Tel. segreteria", 1)
    path = tmp_path / "schede.csv"
    path.write_bytes(data)

    refused = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert refused.exit_code != 0
    assert "Tel. segreteria" in refused.output and "nothing was imported" in refused.output
    with app.app_context():
        assert not [i for i in services() if i.startswith("MAP-")]

    mapped = runner.invoke(
        args=["catalog", "import", str(path), "--map", "Tel. segreteria=phone", "--lang", "en"]
    )
    assert mapped.exit_code == 0, mapped.output
    assert "Imported: 6 created" in mapped.output
    with app.app_context():
        imported = services()
        assert [imported[f"MAP-{n:05d}"].phone for n in range(1, 7)] == [row[17] for row in rows]


def test_an_import_that_fails_after_rows_were_written_leaves_the_catalog_as_it_was(app, runner, tmp_path):
    # A first import: twelve listings, two of them in an alliance of ATS Bergamo.
    rows = italian_rows(12, prefix="HALF")
    header = [*HEADER, "Alleanza"]
    bergamo = [n for n, row in enumerate(rows) if row[7] == "ATS Bergamo"]
    first = [[*row, "Rete Bergamo Concilia" if n == bergamo[0] else ""] for n, row in enumerate(rows)]
    path = tmp_path / "prima.xlsx"
    path.write_bytes(workbook(first, header))
    assert runner.invoke(args=["catalog", "import", str(path), "--lang", "en"]).exit_code == 0, "first import"
    with app.app_context():
        before = counts()
        titles = {i: s.title for i, s in services().items()}

    # The second file changes every title, adds twelve listings and a new alliance, then its last row puts a
    # listing of another ATS in the Bergamo alliance: every row is valid on its own, the refusal comes only
    # when that row is written, after all the others were.
    second = [[*row[:1], row[1] + " (nuovo titolo)", *row[2:], ""] for row in rows]
    second += [[*row, "Rete Nuova Insieme"] for row in italian_rows(12, prefix="HALF2", seed=5)]
    other = next(n for n, row in enumerate(second) if row[7] != "ATS Bergamo" and n > 12)
    second.append(second.pop(other))
    second[-1][-1] = "Rete Bergamo Concilia"
    path = tmp_path / "seconda.xlsx"
    path.write_bytes(workbook(second, header))
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert result.exit_code != 0
    assert "belongs to ATS Bergamo" in result.output and "nothing was imported" in result.output
    with app.app_context():
        assert counts() == before
        assert {i: s.title for i, s in services().items()} == titles
        assert (
            db.session.execute(db.select(Alliance).where(Alliance.name == "Rete Nuova Insieme")).first()
            is None
        )
