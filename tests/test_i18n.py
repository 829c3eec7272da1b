"""Dates in the page's language: the public pages' own formatting writes what Babel writes, without its data."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import flask_babel
import pytest

from welfarepoint.config import PROJECT_ROOT
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


def test_the_service_page_dates_do_not_load_babels_locale_data(app):
    """Babel's locale and global data weigh about 5 MB in every worker; the public pages' dates need none."""
    script = """
import sys
from datetime import date
from tests.conftest import make_config
from welfarepoint import create_app
from welfarepoint.config import PROJECT_ROOT
from welfarepoint.i18n import format_date
import babel.localedata
loaded = []
real = babel.localedata.load
babel.localedata.load = lambda name, *args: loaded.append(name) or real(name, *args)
app = create_app(make_config(__import__("pathlib").Path(sys.argv[1])))
for language in ("it", "en"):
    with app.test_request_context("/?lang=" + language):
        format_date(date(2026, 3, 5), "long"), format_date(date(2026, 3, 5), "medium")
        app.jinja_env.from_string("{{ format_date(day, 'long') }}").render(day=date(2026, 3, 5))
print(loaded)
"""
    folder = app.instance_path
    result = subprocess.run(
        [sys.executable, "-c", script, folder], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT
    )
    assert result.stdout.strip() == "[]"
