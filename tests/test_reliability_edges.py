"""Nothing a visitor or a manager sends ends in a database error (issue 26, point 4 and part of 5).

Characters PostgreSQL refuses stop at the edge; ids no row can have are a 404; a save that loses a race at the
database is the conflict page with what was typed; two imports at once never fail with a traceback; the search
counters cannot collide; the open-data CSV is built once per catalog change; a 413 arrives as a page.
"""

from __future__ import annotations

import base64
import csv
import io
import os
import re
import threading

import pytest
from sqlalchemy import event, update
from sqlalchemy.orm import Session

from tests.support.databases import on_postgresql
from tests.support.manage import account, form_data, listing, new_listing_data, signed_in, token
from welfarepoint.catalog.interchange import import_and_commit, import_listings
from welfarepoint.catalog.models import Feedback, Service
from welfarepoint.catalog.validation import CSV_COLUMNS
from welfarepoint.extensions import db
from welfarepoint.insights.counters import _add, flush_counts
from welfarepoint.insights.models import SearchCount


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "anna@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


# --- characters the database refuses ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("/search?q=asilo%00nido", "asilo\ufffdnido"),
        ("/welfare-points?municipality=Son%00drio", "Son\ufffddrio"),
        ("/match/family?municipality=Son%00drio&needs=after_school", "Son\ufffddrio"),
    ],
)
def test_a_nul_character_in_a_pages_address_is_replaced_and_the_page_says_so(demo_app, address, words):
    client = demo_app.test_client()
    english = client.get(address + "&lang=en")
    italian = client.get(address + "&lang=it")
    assert english.status_code == italian.status_code == 200
    assert "An invisible character that cannot be used was found in the address and replaced" in english.text
    assert "carattere invisibile che non si può usare" in italian.text
    if words.startswith("asilo"):  # the search shows the text it searched for, as it understood it
        assert words in english.text


@pytest.mark.parametrize(
    ("address", "parameter"),
    [
        ("/api/v1/services?search=asilo%00", "search"),
        ("/api/v1/match/family?municipality=%00", "municipality"),
    ],
)
def test_a_nul_character_in_an_api_parameter_is_a_400_naming_it(demo_app, address, parameter):
    client = demo_app.test_client()
    english = client.get(address, headers={"Accept-Language": "en"})
    italian = client.get(address, headers={"Accept-Language": "it"})
    assert english.status_code == italian.status_code == 400
    assert "invisible character" in english.json["error"]["parameters"][parameter]
    assert "carattere invisibile" in italian.json["error"]["parameters"][parameter]


def test_a_nul_character_in_a_form_is_removed_and_the_field_says_so(demo_app):
    client = demo_app.test_client()
    page = client.get("/manage/login?lang=en")
    response = client.post(
        "/manage/login?lang=en",
        data={"csrf_token": token(page.text), "email": "anna\x00@example.org", "password": "pass\x00word"},
    )
    assert response.status_code == 401  # the sign-in is refused as any wrong password is
    assert 'value="anna@example.org"' in response.text  # what was typed is kept, without the character
    assert "An invisible character that cannot be saved was removed from this field." in response.text


def test_a_suggestion_with_a_nul_character_is_saved_without_it(demo_app):
    with demo_app.app_context():
        slug = db.session.execute(db.select(Service.slug).filter_by(status="published")).scalars().first()
    client = demo_app.test_client()
    page = client.get(f"/services/{slug}?lang=it")
    response = client.post(
        f"/services/{slug}/feedback?lang=it",
        data={"csrf_token": token(page.text), "kind": "hours", "message": "Orari\x00 cambiati da settembre."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "carattere invisibile" in response.text  # the visitor is told, in their language
    with demo_app.app_context():
        messages = db.session.execute(db.select(Feedback.message)).scalars().all()
    assert "Orari cambiati da settembre." in messages


@pytest.mark.parametrize("address", ["/services/asilo%00nido", "/api/v1/organizations/%00", "/manage/%00"])
def test_a_nul_character_in_a_path_is_a_404(demo_app, address):
    assert demo_app.test_client().get(address).status_code == 404


# --- ids out of range -------------------------------------------------------------------------------------

HUGE = "9" * 30


@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("POST", f"/manage/feedback/{HUGE}"),
        ("POST", "/manage/services/{service}/history/" + HUGE + "/restore"),
        ("GET", f"/manage/services/{HUGE}"),
        ("GET", f"/api/v1/services/{HUGE}"),
        ("GET", f"/services/{HUGE}"),
    ],
)
def test_an_id_no_row_can_have_is_a_404(demo_app, manager, method, address):
    service = listing(demo_app, ats="Montagna")
    page = manager.get("/manage/services")
    response = manager.open(
        address.format(service=service.uuid), method=method, data={"csrf_token": token(page.text)}
    )
    assert response.status_code == 404


# --- a save lost at the database --------------------------------------------------------------------------


def test_a_save_that_loses_the_race_at_the_database_is_the_conflict_page_with_the_typing_kept(
    demo_app, manager
):
    """The version check passes, then another manager's save commits before ours reaches the database."""
    target = listing(demo_app, ats="Montagna", status="published")
    page = manager.get(f"/manage/services/{target.uuid}?lang=en")
    typed = form_data(
        demo_app, target.uuid, page.text, title="Versione di Anna", schedule_notes="Dalle 8 alle 17"
    )
    raced = []

    def other_manager_saves_first(session, flush_context, instances):
        if raced:
            return
        raced.append(True)
        with db.engine.connect() as other:  # another connection, committing on its own
            other.execute(update(Service).where(Service.id == target.id).values(version=Service.version + 1))
            other.commit()

    with demo_app.app_context():
        event.listen(Session, "before_flush", other_manager_saves_first)
        try:
            response = manager.post(f"/manage/services/{target.uuid}?lang=en", data=typed)
        finally:
            event.remove(Session, "before_flush", other_manager_saves_first)
    assert raced
    # The other save changed no field (only the version moved): the three-way merge (issue 24) saves ours in a
    # second, version-checked attempt, with everything typed; nothing was half-saved by the first.
    assert response.status_code == 302
    with demo_app.app_context():
        from welfarepoint.catalog import workflow

        service = db.session.execute(db.select(Service).filter_by(uuid=target.uuid)).unique().scalar_one()
        cells = workflow.current_cells(service)
    assert cells["title"] == "Versione di Anna" and cells["schedule_notes"] == "Dalle 8 alle 17"


# --- two imports at once ----------------------------------------------------------------------------------


def _file(rows: int) -> bytes:
    output = io.StringIO()
    writer = csv.DictWriter(output, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for number in range(1, rows + 1):
        writer.writerow(
            dict.fromkeys(CSV_COLUMNS, "")
            | {
                "external_id": f"PV-RACE-{number:02d}",
                "title": f"Ludoteca del rione {number}",
                "audience": "persons",
                "category": "P2",
                "ats": "Pavia",
                "cost": "free",
                "provider": "Associazione Rioni Pavesi",
                "provider_type": "non_profit",
                "status": "published",
            }
        )
    return output.getvalue().encode()


BUSY = "another import was writing the same listings at the same moment"


def test_two_imports_of_the_same_file_at_once_neither_fails(demo_app):
    data = _file(12)
    reports, failures = [], []
    start = threading.Barrier(2)

    def run() -> None:
        try:
            with demo_app.app_context():
                start.wait()
                reports.append(import_and_commit(data, author="import"))
                db.session.remove()
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert all(report.ok or BUSY in str(report.errors[0].message) for report in reports)
    assert any(report.ok for report in reports)
    with demo_app.app_context():
        imported = db.session.execute(
            db.select(db.func.count(Service.id)).where(Service.external_id.like("PV-RACE-%"))
        ).scalar_one()
    assert imported == 12


@pytest.mark.skipif(on_postgresql(), reason="PostgreSQL queues the second import behind the first instead")
def test_an_import_that_cannot_get_the_database_says_so_on_the_command_line(demo_app, tmp_path):
    path = tmp_path / "rioni.csv"
    path.write_bytes(_file(2))
    with demo_app.app_context(), db.engine.connect() as other:
        other.exec_driver_sql("BEGIN IMMEDIATE")  # another import holds the write lock
        try:
            result = demo_app.test_cli_runner().invoke(args=["catalog", "import", str(path), "--lang", "en"])
        finally:
            other.rollback()
    assert result.exit_code == 1
    assert BUSY in result.output and "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_header_of_hundreds_of_thousands_of_columns_is_refused_with_a_clear_message(demo_app):
    header = ",".join(f"c{number}" for number in range(230_000)).encode() + b"\r\n1,2\r\n"
    with demo_app.app_context():
        report = import_listings(header, author="import", dry_run=True)
    assert not report.ok and len(report.errors) == 1
    assert "the header has 230000 columns, a listings file has at most" in str(report.errors[0].message)


def test_repeated_columns_are_still_named(demo_app):
    data = _file(1).replace(b"external_id,", b"external_id,title,", 1)
    with demo_app.app_context():
        report = import_listings(data, author="import", dry_run=True)
    assert any(
        error.kind == "repeated_column" and "“title” and “title” both hold" in str(error.message)
        for error in report.errors
    )


def test_an_import_confirmed_in_the_browser_that_loses_is_told_not_a_500(demo_app):
    manager = signed_in(demo_app, account(demo_app, "anna@ats-pavia.example.org", "ats_manager", ats="Pavia"))
    page = manager.get("/manage/import?lang=en")
    payload = base64.b64encode(_file(3)).decode()
    if on_postgresql():  # the second import waits for the first: here, the first is already done
        response = manager.post(
            "/manage/import/confirm?lang=en", data={"csrf_token": token(page.text), "payload": payload}
        )
        assert response.status_code == 302
        return
    with demo_app.app_context(), db.engine.connect() as other:
        other.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            response = manager.post(
                "/manage/import/confirm?lang=en", data={"csrf_token": token(page.text), "payload": payload}
            )
        finally:
            other.rollback()
    assert response.status_code == 400
    assert BUSY in response.text


# --- the search counters ----------------------------------------------------------------------------------


def test_counters_created_by_two_workers_at_once_keep_every_count(demo_app):
    """Two processes' flushes creating the same weekly counters: no IntegrityError, no count lost."""
    keys = [({"week": "2026-W49", "query": f"nido {number}", "had_results": True}, 1) for number in range(20)]
    failures = []
    start = threading.Barrier(4)

    def flush() -> None:
        try:
            with demo_app.app_context():
                start.wait()
                for _ in range(5):
                    _add(SearchCount, keys)
                db.session.remove()
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=flush) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    with demo_app.app_context():
        counts = db.session.execute(db.select(SearchCount.count).where(SearchCount.week == "2026-W49")).all()
    assert len(counts) == 20 and {count for (count,) in counts} == {20}


def test_a_search_counted_on_an_existing_row_adds_to_it(demo_app):
    demo_app.config["COUNTER_FLUSH_SECONDS"] = 3600
    client = demo_app.test_client()
    client.get("/search?q=ludoteca")
    with demo_app.app_context():
        flush_counts()
    client.get("/search?q=ludoteca")
    client.get("/search?q=ludoteca")
    with demo_app.app_context():
        flush_counts()
        assert db.session.execute(db.select(SearchCount.count).filter_by(query="ludoteca")).scalar_one() == 3


# --- the open-data CSV ------------------------------------------------------------------------------------


def test_the_open_data_csv_is_built_once_per_catalog_change(demo_app, manager):
    client = demo_app.test_client()
    folder = demo_app.instance_path + "/open-data"
    first = client.get("/open-data/listings.csv")
    assert first.status_code == 200 and first.headers["Content-Disposition"].startswith("attachment")
    built = os.listdir(folder)
    assert len(built) == 1 and built[0].endswith(".csv")
    assert client.get("/open-data/listings.csv").data == first.data
    assert os.listdir(folder) == built  # the same file, not rebuilt
    # A listing is published: the next download has it, from a new file; the old one is gone.
    page = manager.get("/manage/services/new")
    published = manager.post(
        "/manage/services/new",
        data=new_listing_data(page.text, title="Ludoteca d'alta quota a Livigno", action="publish"),
    )
    assert published.status_code == 302
    second = client.get("/open-data/listings.csv")
    assert "Ludoteca d'alta quota a Livigno" in second.text and "Ludoteca d'alta quota" not in first.text
    assert len(os.listdir(folder)) == 1 and os.listdir(folder) != built
    rows = list(csv.DictReader(io.StringIO(second.text)))
    assert {row["status"] for row in rows} == {"published"}


# --- answers of the edge ----------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_the_413_page_in_the_visitors_language(demo_app):
    demo_app.config["MAX_CONTENT_LENGTH"] = 1024
    client = demo_app.test_client()
    for language, words in (("en", "The file is too large"), ("it", "troppo grande")):
        response = client.post(
            f"/manage/login?lang={language}",
            data={"email": "x" * 4096, "password": "y"},
        )
        assert response.status_code == 413
        assert words in response.text


def test_every_405_names_the_methods_allowed(demo_app):
    client = demo_app.test_client()
    for address in ("/search", "/api/v1/services", "/manage/logout", "/services/any/feedback"):
        response = client.open(address, method="DELETE")
        assert response.status_code == 405
        assert response.headers["Allow"]
    assert set(client.put("/api/v1/services").headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}


def test_a_30_digit_page_number_is_an_ordinary_page(demo_app):
    client = demo_app.test_client()
    assert client.get(f"/welfare-points?page={HUGE}").status_code == 200
    assert client.get(f"/search?q=nido&page={HUGE}").status_code in (200, 400)
    assert re.search(r"^4\d\d$", str(client.get(f"/api/v1/services?page={HUGE}").status_code))


@pytest.mark.multiprocess
def test_a_10_mb_upload_to_gunicorn_gets_the_413_page_not_a_reset(tmp_path, template_instance):
    """Gunicorn as production runs it: the whole body is read (and dropped) before the 413 page is sent."""
    import http.client

    from tests.support.databases import copy_instance, database_uri
    from tests.support.servers import start, stop

    folder = tmp_path / "instance"
    copy_instance(template_instance, folder)
    server, port = start(folder, database_uri(folder), tmp_path / "gunicorn.log")
    try:
        for language, words in (("en", "The file is too large"), ("it", "troppo grande")):
            body = b'--edge\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            body += b"x" * (10 * 1024 * 1024) + b"\r\n--edge--\r\n"
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request(
                "POST",
                f"/manage/import?lang={language}",
                body=body,
                headers={"Content-Type": "multipart/form-data; boundary=edge"},
            )
            answer = connection.getresponse()
            page = answer.read().decode()
            connection.close()
            assert answer.status == 413
            assert words in page
    finally:
        stop(server)
