"""Issue 24 point 6: insights for a network's meeting: demand and unmet needs by municipality, by alliance and by
month with real dates; zero-result searches per ATS; small counts labelled "<5" / "<10", never dropped; chart
labels whole."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.support.manage import account, signed_in
from welfarepoint import territory
from welfarepoint.extensions import db
from welfarepoint.insights import demand
from welfarepoint.insights.charts import Bar, horizontal_bars, wrap
from welfarepoint.insights.counters import count_questionnaire, count_search, flush_counts
from welfarepoint.insights.models import SearchCount


def code(name: str) -> str:
    return territory.find(name).istat_code


def ask(app, needs: dict[str, str], times: int, place: str, day: date | None = None) -> None:
    with app.app_context():
        for _ in range(times):
            count_questionnaire("persons", "Montagna", needs, municipality=code(place), day=day)


@pytest.fixture
def manager(demo_app):
    return signed_in(
        demo_app, account(demo_app, "marta@ats-montagna.example.org", "ats_manager", ats="Montagna")
    )


def section(text: str, name: str) -> str:
    start = text.index(f'id="{name}-title"')
    return text[start : text.index("</section>", start)]


def test_demand_by_municipality_and_alliance_with_small_counts_labelled(demo_app, manager):
    ask(demo_app, {"after_school": "unmet"}, 12, "Edolo")
    ask(demo_app, {"after_school": "matched"}, 3, "Sondrio")  # a small count: "<5", not left out
    ask(demo_app, {"care_respite": "unmet"}, 4, "Tirano")  # a care need: "<10"
    text = manager.get("/manage/insights?lang=en").text
    places = section(text, "municipalities")
    for name in ("Edolo", "Sondrio", "Tirano"):
        assert f'<th scope="row">{name}</th>' in places
    assert re.search(r'<th scope="row">Edolo</th><td>0</td><td>12</td><td>12</td>', places)
    sondrio = re.search(r'<th scope="row">Sondrio</th>(.*?)</tr>', places).group(1)
    assert "&lt;" in sondrio and ">3<" not in sondrio
    tirano = re.search(r'<th scope="row">Tirano</th>(.*?)</tr>', places).group(1)
    assert "&lt;10" in tirano and ">4<" not in tirano  # every need together: the strictest threshold
    after_school = section(manager.get("/manage/insights?need=after_school&lang=en").text, "municipalities")
    assert '<th scope="row">Tirano</th>' not in after_school and '<th scope="row">Edolo</th>' in after_school
    assert "&lt;5" in re.search(r'<th scope="row">Sondrio</th>(.*?)</tr>', after_school).group(1)

    alliances = section(text, "alliances")
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', alliances)
    with demo_app.app_context():
        areas = demand.alliance_areas("Montagna")
    assert set(rows) - {"Total"} == set(areas) and len(areas) == 5
    serving_edolo = [name for name, area in areas.items() if area is None or code("Edolo") in area]
    assert serving_edolo
    for name in serving_edolo:
        assert re.search(
            rf'<th scope="row">{re.escape(name)}</th><td>[^<]*</td><td>(12|\*|\d+)</td>', alliances
        )


def test_months_have_real_names_not_week_numbers(demo_app, manager):
    today = date.today()
    ask(demo_app, {"after_school": "unmet"}, 6, "Edolo", day=today)
    text = manager.get("/manage/insights?weeks=12&lang=it").text
    months = section(text, "months")
    assert "-W" not in months and "-W" not in section(text, "gaps")
    this_month = demand.month_of_week(f"{today.isocalendar()[0]}-W{today.isocalendar()[1]:02d}")
    italian = [
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ]
    assert f"{italian[this_month.month - 1]} {this_month.year}" in months
    assert re.search(
        rf"{italian[this_month.month - 1]} {this_month.year}</th><td>&lt;10</td>", months
    )  # all needs
    one_need = section(manager.get("/manage/insights?weeks=12&need=after_school&lang=it").text, "months")
    assert re.search(rf"{italian[this_month.month - 1]} {this_month.year}</th><td>6</td>", one_need)
    assert re.search(r"dal \d{1,2} \w+ \d{4} al \d{1,2} \w+ \d{4}", text)  # the period in real dates
    assert demand.month_of_week("2026-W49") == date(2026, 12, 1)  # Thursday 3 December
    assert demand.month_of_week("2026-W01") == date(2026, 1, 1)  # Thursday 1 January


def test_zero_result_searches_per_ats(demo_app, manager):
    client = demo_app.test_client()
    demo_app.config["COUNTER_FLUSH_SECONDS"] = 3600
    for _ in range(5):
        client.get("/search?q=ippoterapia+serale&municipality=Sondrio")
        client.get("/search?q=canile+comunale&municipality=Pavia")
    for _ in range(2):
        client.get("/search?q=rara+parola&municipality=Sondrio")
    with demo_app.app_context():
        flush_counts()
        by_ats = {
            (row.query, row.ats)
            for row in db.session.execute(
                db.select(SearchCount).where(SearchCount.had_results.is_(False))
            ).scalars()
        }
        for _ in range(7):
            count_search("babysitter notturna", False)  # no place: shown to every territory
        flush_counts()
    assert ("ippoterapia serale", "Montagna") in by_ats and ("canile comunale", "Pavia") in by_ats
    searches = section(manager.get("/manage/insights?lang=en").text, "searches")
    assert "ippoterapia serale" in searches and "canile comunale" not in searches  # Pavia's are not Marta's
    assert (
        "rara parola" not in searches and "1 other search found nothing, made fewer than 5 times." in searches
    )
    assert "Searches without a place" in searches and "babysitter notturna" in searches
    admin = signed_in(demo_app, account(demo_app, "regione@example.org", "admin"))
    region = section(admin.get("/manage/insights?lang=en").text, "searches")
    assert "ATS Montagna" in region and "ATS Pavia" in region and "canile comunale" in region


def test_chart_labels_are_drawn_whole():
    label = "Assistenza domiciliare per una persona anziana o con disabilità"
    chart = str(horizontal_bars("c", "t", "d", [Bar(label, (12,), ("12",))], ("requests",)))
    drawn = " ".join(re.findall(r"<tspan[^>]*>([^<]*)</tspan>", chart))
    assert drawn == label and "…" not in chart
    assert all(len(line) <= 30 for line in wrap(label, 30)) and " ".join(wrap(label, 30)) == label
    assert wrap("Supercalifragilistichespiralidoso e altro", 10)[0] == "Supercalifragilistichespiralidoso"
