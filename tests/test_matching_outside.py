"""Places outside Lombardy and places as people type them in the questionnaires (issue 21, point 4)."""

from __future__ import annotations

import html

from werkzeug.datastructures import MultiDict

from welfarepoint.matching import profile_from
from welfarepoint.matching.profile import resolve_municipality


def test_a_town_outside_lombardy_is_named_never_a_lombard_look_alike(app):
    with app.test_request_context("/?lang=en"):
        municipality, outside, suggestions = resolve_municipality("Piacenza")
        assert municipality is None and outside == "Piacenza" and suggestions == []
        profile, errors = profile_from(
            MultiDict([("municipality", "Piacenza"), ("needs", "after_school")]), "persons"
        )
        assert str(errors["municipality"]) == (
            "Piacenza is not in Lombardy: give where you work or where the children go to school."
        )
        assert profile.places == [] and profile.outside == {"home": "Piacenza"}


def test_home_is_optional_when_a_workplace_or_a_school_is_given(app):
    with app.test_request_context("/?lang=en"):
        profile, errors = profile_from(
            MultiDict(
                [("municipality", "Piacenza"), ("work_municipality", "Lodi"), ("needs", "summer_closure")]
            ),
            "persons",
        )
        assert not errors
        assert [(p.role, p.municipality.name) for p in profile.places] == [("work", "Lodi")]
        profile, errors = profile_from(MultiDict([("school_municipality", "Codogno")]), "persons")
        assert not errors and profile.places[0].role == "school"


def test_places_as_people_type_them():
    assert resolve_municipality("alzano")[0].name == "Alzano Lombardo"  # a whole word of the name
    assert resolve_municipality("Milan")[0].name == "Milano"
    assert resolve_municipality("014061")[0].name == "Sondrio"
    found, outside, suggestions = resolve_municipality("Sondr")  # a bare prefix is only suggested
    assert found is None and not outside and [m.name for m in suggestions] == ["Sondrio"]
    assert resolve_municipality("Bergamo (BG)")[0].name == "Bergamo"


def test_the_piacenza_commuter_on_the_page_and_in_the_api(demo_app):
    client = demo_app.test_client()
    text = client.get("/match/family?municipality=Piacenza&from_step=place&step=people&lang=en").text
    assert "Step 1 of 4" in text
    assert (
        html.escape("Piacenza is not in Lombardy: give where you work or where the children go to school.")
        in text
    )
    assert "Piadena" not in text and "Piateda" not in text
    assert 'value="Piacenza"' in text  # what was typed is kept
    page = client.get(
        "/match/family?municipality=Piacenza&work_municipality=Lodi&child_age=6&needs=summer_closure&lang=en"
    ).text
    assert "Piacenza is not in Lombardy: we looked where you work" in page
    answer = client.get("/api/v1/match/family?municipality=Piacenza&needs=after_school&lang=en")
    assert answer.status_code == 400 and "Piacenza is not in Lombardy" in answer.get_data(as_text=True)
    answer = client.get(
        "/api/v1/match/family?municipality=Piacenza&work_municipality=Lodi&needs=after_school"
    )
    assert answer.status_code == 200
    assert answer.json["profile"]["outside_lombardy"] == {"home": "Piacenza"}
    assert [p["role"] for p in answer.json["profile"]["places"]] == ["work"]


def test_what_people_add_around_a_town_and_names_that_are_many_towns():
    """From the blind profiles (f26, f22, f39, f45, f14, f27)."""
    assert resolve_municipality("20900 Monza (MB)")[0].name == "Monza"
    assert resolve_municipality("Sesto S. Giovanni")[0].name == "Sesto San Giovanni"
    assert resolve_municipality("Lugano (CH)")[:2] == (None, "Lugano")
    found, outside, suggestions = resolve_municipality("Sesto")  # not Sesto in South Tyrol, nor one picked
    assert found is None and not outside and "Sesto San Giovanni" in [m.name for m in suggestions]
    assert resolve_municipality("Trevilgio")[2][0].name == "Treviglio"
    assert {m.name for m in resolve_municipality("Castione")[2]} >= {
        "Castione della Presolana",
        "Castione Andevenno",
    }
    assert [m.name for m in resolve_municipality("Ospedale San Gerardo Monza")[2]] == ["Monza"]
