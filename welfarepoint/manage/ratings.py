"""The page ratings of a territory's service pages, for its managers, with small counts hidden."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, request
from flask_login import current_user

from welfarepoint import territory
from welfarepoint.insights import ratings
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import requires
from welfarepoint.manage.insights import PERIODS


def _territory() -> str | None:
    """The manager's ATS, or the one an administrator chose (None: the region)."""
    if current_user.role != "admin":
        return current_user.ats
    return territory.ats_by_name(request.args.get("ats", "")) if request.args.get("ats") else None


@bp.get("/ratings")
@requires("insights")
def page_ratings():
    """How clear visitors found each service page of the territory, over the last weeks chosen."""
    weeks = request.args.get("weeks", "52")
    weeks = int(weeks) if weeks.isdecimal() and int(weeks) in PERIODS else 52
    ats = _territory()
    report = ratings.service_ratings(ats, date.today() - timedelta(weeks=weeks))
    return render_template(
        "manage/ratings.html",
        report=report,
        ats=ats,
        period={"weeks": weeks},
        periods=PERIODS,
        ats_names=territory.ATS_NAMES,
    )
