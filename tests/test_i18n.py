"""Dates in the page's language: the public pages' own formatting writes what Babel writes, without its data."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, date, datetime

import flask_babel
import pytest

from welfarepoint.catalog.models import Service
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.extensions import db
from welfarepoint.i18n import format_date


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("style", ["medium", "long"])
def test_every_month_is_written_as_babel_writes_it(app, language, style):
    days = [date(2026, month, day) for month in range(1, 13) for day in (1, 9, 28)]
    # Late evening in UTC is already the next day in Rome (the site's time zone), in winter and in summer.
    moments = [datetime(2026, month, 28, 23, 30, tzinfo=UTC) for month in range(1, 13)]
    moments += [datetime(2025, 12, 31, 23, 30), datetime(2026, 6, 30, 21, 59, tzinfo=UTC)]  # naive is UTC
    with app.test_request_context(f"/?lang={language}"):
        for value in days + moments:
            assert format_date(value, style) == flask_babel.format_date(value, style), (value, style)


def test_a_date_reads_in_the_language_of_the_page(app):
    with app.test_request_context("/?lang=it"):
        assert format_date(date(2026, 3, 5), "long") == "5 marzo 2026"
        assert format_date(datetime(2026, 3, 5, 23, 30, tzinfo=UTC), "medium") == "6 mar 2026"
    with app.test_request_context("/?lang=en"):
        assert format_date(date(2026, 3, 5), "long") == "March 5, 2026"
        assert format_date(date(2026, 3, 5)) == "Mar 5, 2026"
        assert format_date(date(2026, 3, 5), "short") == "3/5/26"  # other styles: Babel's


@pytest.mark.multiprocess
def test_public_pages_load_none_of_babels_locale_data(demo_app):
    """Babel's locale and global data would be loaded into every worker for a dozen month names: the public
    pages, dates included, need none of it (a fresh process, as a worker is)."""
    with demo_app.app_context():
        dated = db.session.execute(
            db.select(Service.slug).where(
                Service.status == "published",
                Service.enrolment_deadline.is_not(None),
                Service.last_verified.is_not(None),
            )
        ).scalar()
    assert dated, "the demo network has a listing with an enrolment deadline and a check date"
    script = """
import json, sys
from pathlib import Path
import babel.localedata
from tests.support.apps import make_config
from welfarepoint import create_app
loaded = []
real = babel.localedata.load
babel.localedata.load = lambda name, *args: loaded.append(name) or real(name, *args)
client = create_app(make_config(Path(sys.argv[1]))).test_client()
answers = "municipality=014061&child_age=8&needs=before_school&needs=summer_closure"
pages = {}
for language in ("it", "en"):
    for path in ("/", "/search?q=centro+estivo", "/services/" + sys.argv[2], "/match/family?" + answers,
                 "/welfare-points"):
        response = client.get(path + ("&" if "?" in path else "?") + "lang=" + language)
        pages[language + " " + path] = [response.status_code, response.get_data(as_text=True)]
print(json.dumps({"loaded": loaded, "pages": pages}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script, demo_app.instance_path, dated],
        capture_output=True,
        text=True,
        check=True,
        cwd=PROJECT_ROOT,
    )
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert {path: status for path, (status, _text) in answer["pages"].items() if status != 200} == {}
    assert "Ultimo aggiornamento" in answer["pages"][f"it /services/{dated}"][1]
    assert "Last updated on" in answer["pages"][f"en /services/{dated}"][1]
    assert answer["loaded"] == []
