"""The listings CSV: import with every bad row reported, Excel files, dry runs, and a lossless export."""

from __future__ import annotations

import csv
import io

from tests.support.catalog import row
from welfarepoint.catalog.interchange import export_listings, import_listings, services_for_export
from welfarepoint.catalog.models import Organisation, Service
from welfarepoint.catalog.validation import CSV_COLUMNS
from welfarepoint.extensions import db


def to_csv(rows: list[dict[str, str]], delimiter: str = ",", columns=CSV_COLUMNS) -> str:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=columns, delimiter=delimiter, extrasaction="ignore")
    writer.writeheader()
    for cells in rows:
        writer.writerow({name: cells.get(name, "") for name in columns})
    return output.getvalue()


def count_services() -> int:
    return db.session.execute(db.select(db.func.count(Service.id))).scalar_one()


def pavia_rows(n: int = 25) -> list[dict[str, str]]:
    towns = ["Pavia", "Vigevano", "Voghera", "Mortara", "Stradella"]
    return [
        row(
            external_id=f"pv-{i:03d}",
            title=f"Centro estivo {towns[i % 5]} {i}",
            ats="Pavia",
            municipalities=towns[i % 5],
            needs="summer_closure",
            periods="summer",
            time_slots="full_day",
            provider=f"Associazione Estate Insieme {i % 3}",
        )
        for i in range(n)
    ]


def test_import_creates_then_reimport_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "pavia.csv"
    path.write_text(to_csv(pavia_rows()), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "25 created, 0 updated, 0 unchanged" in result.output
    again = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert "0 created, 0 updated, 25 unchanged" in again.output
    with app.app_context():
        assert count_services() == 25
        assert db.session.execute(db.select(db.func.count(Organisation.id))).scalar_one() == 3


def test_a_file_with_bad_rows_imports_nothing_and_names_every_problem(app, runner, tmp_path):
    rows = pavia_rows()
    rows[3]["municipalities"] = "Paviaa"  # unknown municipality (line 5)
    rows[10]["category"] = ""  # missing category (line 12)
    rows[17]["age_min"], rows[17]["age_max"] = "14", "6"  # upside down (line 19)
    path = tmp_path / "bad.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "en"])
    assert result.exit_code != 0
    assert "Municipalities covered: 1 municipality not recognised: Paviaa" in result.output
    assert "  line 5: unknown municipality “Paviaa”; did you mean Pavia" in result.output
    assert "Category: is required\n  line 12: is required" in result.output
    assert "To age: the age range is upside down: 14 is more than 6\n  line 19:" in result.output
    assert "3 problems found: nothing was imported." in result.output
    with app.app_context():
        assert count_services() == 0
        assert db.session.execute(db.select(db.func.count(Organisation.id))).scalar_one() == 0


def test_problems_are_reported_in_italian(runner, tmp_path):
    rows = pavia_rows(2)
    rows[1]["cost"] = "offerta libera"
    path = tmp_path / "bad.csv"
    path.write_text(to_csv(rows), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path), "--lang", "it"])
    assert (
        "Costo: 1 valore non è nell'elenco; l'elenco: Gratuito, Con contributo o tariffa ridotta, A pagamento"
        in result.output
    )
    assert "  riga 3: “offerta libera” non è nell'elenco" in result.output
    assert "nessun servizio è stato importato" in result.output


def test_every_kind_of_bad_value_is_caught(app):
    bad = row(
        audience="anziani",
        email="not-an-address",
        website="www.example.org",
        phone="call me",
        languages="it;xx",
        enrolment_deadline="31/13/2026",
        capacity="-3",
        ats="Lombardia",
        needs="babysitting",
        municipality="Atlantide",
    )
    with app.app_context():
        report = import_listings(to_csv([bad]).encode(), author="t")
    columns = {error.column for error in report.errors}
    assert columns >= {
        "audience", "email", "website", "phone", "languages", "enrolment_deadline", "capacity", "ats", "needs",
        "municipality",
    }  # fmt: skip
    assert all(error.line == 2 for error in report.errors)


def test_municipality_outside_the_ats_is_refused(app):
    with app.app_context():
        report = import_listings(to_csv([row(municipalities="Breno;Bergamo")]).encode(), author="t")
    [error] = report.errors
    assert (
        error.column == "municipalities"
        and "Bergamo" in str(error.message)
        and "Montagna" in str(error.message)
    )


def test_header_problems_are_reported(app):
    with app.app_context():
        columns = [c for c in CSV_COLUMNS if c != "category"] + ["titel"]
        report = import_listings(to_csv([row()], columns=columns).encode(), author="t")
    messages = [str(e) for e in report.errors]
    assert "line 1: required columns are missing: “Category”" in messages
    assert "line 1: the column “titel” is not known: say what it holds, or leave it out" in messages
    assert report.unknown_columns == ["titel"]


def test_repeated_external_id_and_short_rows_are_reported(app):
    text = to_csv([row(), row(title="Altro")]) + "x,y\r\n"
    with app.app_context():
        report = import_listings(text.encode(), author="t")
    messages = [str(e) for e in report.errors]
    assert "line 4, Who it is for: is required" in messages  # a short row is read as ending in empty cells
    with app.app_context():
        report = import_listings(
            (to_csv([row()]) + "x" + "," * len(CSV_COLUMNS) + "z\r\n").encode(), author="t"
        )
    assert f"line 3: has {len(CSV_COLUMNS) + 1} cells, the header has {len(CSV_COLUMNS)}" in [
        str(e) for e in report.errors
    ]
    with app.app_context():
        report = import_listings(to_csv([row(), row(title="Altro")]).encode(), author="t")
    assert [str(e) for e in report.errors] == ["line 3, Identifier: “test-001” is repeated (first on line 2)"]


def test_a_new_provider_without_a_type_is_created_to_be_classified(app):
    with app.app_context():
        report = import_listings(to_csv([row(provider_type="")]).encode(), author="t")
        assert report.ok, [str(e) for e in report.errors]
        assert [(item.name, item.type) for item in report.new_organisations] == [
            ("Cooperativa sociale Il Sentiero", "")
        ]
        db.session.commit()
        assert db.session.execute(db.select(Organisation.type)).scalar_one() == ""
        assert count_services() == 1


def test_excel_files_with_bom_semicolons_and_windows_encoding(app):
    text = to_csv(
        [row(title="Centro estivo a Tirano: attività e giochi", municipalities="Tirano;Sondrio")],
        delimiter=";",
    )
    with app.app_context():
        report = import_listings(b"\xef\xbb\xbf" + text.encode("utf-8"), author="t")
        assert report.ok, [str(e) for e in report.errors]
        db.session.commit()
        assert db.session.execute(db.select(Service)).scalar_one().title.endswith("attività e giochi")
        old_excel = to_csv([row(external_id="test-002", title="Doposcuola però più lungo")], delimiter=";")
        report = import_listings(old_excel.encode("cp1252"), author="t")
        assert report.ok
        db.session.commit()
        assert (
            db.session.execute(db.select(Service).where(Service.external_id == "test-002")).scalar_one().title
            == "Doposcuola però più lungo"
        )


def test_dry_run_reports_changes_and_writes_nothing(app, runner, tmp_path):
    path = tmp_path / "one.csv"
    path.write_text(to_csv([row()]), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path), "--dry-run", "--lang", "en"])
    assert result.exit_code == 0 and "Dry run, nothing written: 1 created" in result.output
    with app.app_context():
        assert count_services() == 0
    runner.invoke(args=["catalog", "import", str(path)])
    path.write_text(to_csv([row(age_max="12")]), encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(path), "--dry-run", "--lang", "en"])
    assert "test-001: age_max" in result.output and "0 created, 1 updated" in result.output
    with app.app_context():
        assert db.session.execute(db.select(Service)).scalar_one().age_max == 11


def test_export_then_import_changes_nothing(app, runner, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(
        to_csv([*pavia_rows(5), row(title_en="Before-school care", municipalities="")]), encoding="utf-8"
    )
    assert runner.invoke(args=["catalog", "import", str(path)]).exit_code == 0
    exported = runner.invoke(args=["catalog", "export"]).output
    out = tmp_path / "out.csv"
    out.write_text(exported, encoding="utf-8")
    result = runner.invoke(args=["catalog", "import", str(out), "--lang", "en"])
    assert "0 created, 0 updated, 6 unchanged" in result.output
    assert runner.invoke(args=["catalog", "export"]).output == exported
    with app.app_context():
        excel = export_listings(services_for_export(), excel=True)
        assert excel.startswith("\ufeffexternal_id;title;")
        assert import_listings(excel.encode("utf-8"), author="t").count("unchanged") == 6
