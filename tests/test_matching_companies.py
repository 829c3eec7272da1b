"""Companies: what "already has a plan" changes, the sector no longer asked, results by area with an index
(issue 21, point 5)."""

from __future__ import annotations

import html
import re

CREMONA = "/match/company?municipality=019036&size=small&needs=C3&needs=C6&needs=C5"


def sections(page: str) -> list[str]:
    return re.findall(r'<h2 id="need-(C\d)"', page)


def test_already_having_a_plan_changes_the_order_and_the_page_says_how(demo_app):
    client = demo_app.test_client()
    without = client.get(CREMONA + "&has_plan=no&lang=en").text
    with_plan = client.get(CREMONA + "&has_plan=yes&lang=en").text
    assert sections(without)[0] == "C3" and sections(with_plan)[-1] == "C3"
    assert sections(without) != sections(with_plan)
    assert "the help to build one comes first" in html.unescape(without)
    assert "the services that add to it come first" in html.unescape(with_plan)
    api = client.get(
        "/api/v1/match/company?municipality=019036&size=small&needs=C3&needs=C6&has_plan=yes"
    ).json
    assert api["need_order"] == ["C6", "C3"]
    assert api["profile"]["has_plan"] is True  # the answer is echoed as understood
    assert client.get(CREMONA + "&has_plan=unknown&lang=en").status_code == 200
    unknown = client.get("/api/v1/match/company?municipality=019036&needs=C3&has_plan=unknown").json
    assert unknown["profile"]["has_plan"] is None and unknown["need_order"] == ["C3"]


def test_the_sector_is_no_longer_asked(demo_app):
    step = demo_app.test_client().get("/match/company?lang=en").text
    assert 'name="sector"' not in step and 'name="has_plan"' in step
    # An old link that still carries a sector works, and the sector changes nothing.
    client = demo_app.test_client()
    old = client.get("/api/v1/match/company?municipality=019036&needs=C3&needs=C6&sector=manifattura")
    assert old.status_code == 200
    assert old.json == client.get("/api/v1/match/company?municipality=019036&needs=C3&needs=C6").json
    assert client.get(CREMONA + "&sector=manifattura&lang=en").status_code == 200


def test_company_results_are_grouped_by_area_with_an_index(demo_app):
    page = demo_app.test_client().get(CREMONA + "&lang=en").text
    index = re.search(r'<nav class="wp-area-index".*?</nav>', page, re.S).group(0)
    for need in sections(page):
        assert f'href="#need-{need}"' in index
    assert page.count('<details class="wp-area" open data-phone-closed>') == len(sections(page))


def test_results_found_only_by_looking_further_afield_say_so_above_them(demo_app):
    """An HR office in Cremona asks for training and a concierge, leaving "only the places that count": what
    fits is in nearby towns, and each interest's list says above it that none is in Cremona itself."""
    client = demo_app.test_client()
    page = html.unescape(
        client.get("/match/company?municipality=019036&size=small&has_plan=no&needs=C5&needs=C7&lang=en").text
    )
    assert (
        "None of these is in Cremona itself: they are the nearest, found by looking further afield." in page
    )
    italian = html.unescape(
        client.get("/match/company?municipality=019036&size=small&has_plan=no&needs=C5&needs=C7&lang=it").text
    )
    assert "Nessuno di questi è nel comune di Cremona: sono i più vicini" in italian
    # Where something covers the place itself, nothing is said.
    family = client.get("/match/family?municipality=014061&child_age=8&needs=before_school&lang=en").text
    assert "found by looking further afield" not in family and "Sondrio" in family


def test_a_listing_reached_through_the_employer_is_described_to_the_company_on_its_results(demo_app):
    """The HR office reads "for the employees of the companies that join" and "ask how your company can join",
    not the employee's "only through your employer" and "ask your HR office"; a family's search still reads
    the employee's words."""
    client = demo_app.test_client()
    for language, channel, step, employee in (
        ("en", "For the employees of the companies that join", "Ask how your company can join.", "HR office"),
        (
            "it",
            "Per i dipendenti delle imprese che aderiscono",
            "Chiedi come può aderire la tua impresa.",
            "ufficio del personale",
        ),
    ):
        page = html.unescape(
            client.get(
                f"/match/company?municipality=019036&size=medium&has_plan=no&needs=C2&lang={language}"
            ).text
        )
        assert channel in page and step in page and employee not in page
    search = html.unescape(client.get("/search?q=nido+aziendale&lang=it").text)
    assert (
        "Solo tramite il proprio datore di lavoro" in search
        and "Per i dipendenti delle imprese" not in search
    )
