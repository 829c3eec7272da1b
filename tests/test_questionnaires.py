"""The questionnaire pages: steps in the address, answers kept, errors explained, demand counted once."""

from __future__ import annotations

import html
import re

from welfarepoint.extensions import db
from welfarepoint.insights.models import DemandCount

FAMILY = "/match/family?municipality=014061&child_age=8&needs=before_school&needs=summer_closure"


def counters(app) -> dict:
    with app.app_context():
        rows = db.session.execute(db.select(DemandCount)).scalars()
        return {(r.ats, r.audience, r.need, r.outcome, r.channel): r.count for r in rows}


def test_steps_carry_the_answers_and_go_back_without_losing_them(demo_app):
    client = demo_app.test_client()
    first = client.get("/match/family?lang=en")
    assert "Step 1 of 4" in first.text and "Where do you live and work?" in first.text
    second = client.get("/match/family?municipality=Sondrio&from_step=place&step=people&lang=en")
    assert "Who needs care?" in second.text
    assert '<input type="hidden" name="municipality" value="014061">' in second.text
    back = client.get("/match/family?municipality=014061&child_age=8&step=place&lang=en")
    assert 'value="Sondrio"' in back.text and '<input type="hidden" name="child_age" value="8">' in back.text


def test_an_unknown_place_is_explained_with_suggestions(demo_app):
    text = (
        demo_app.test_client()
        .get("/match/family?municipality=Sondr&from_step=place&step=people&lang=en")
        .text
    )
    assert "Step 1 of 4" in text
    assert "No Lombardy municipality is called “Sondr”." in text
    assert 'value="014061"' in text and "Sondrio (SO)" in text
    assert 'aria-invalid="true"' in text


def test_completing_counts_once_then_redirects_to_a_clean_permalink(demo_app):
    client = demo_app.test_client()
    response = client.get(FAMILY + "&from_step=options&done=1")
    assert response.status_code == 303 and response.headers["Location"].endswith(FAMILY)
    assert counters(demo_app) == {
        ("Montagna", "persons", "before_school", "matched", "web"): 1,
        ("Montagna", "persons", "summer_closure", "matched", "web"): 1,
    }
    page = client.get(FAMILY + "&lang=en")
    assert "3 services fit what you told us." in page.text
    client.get(FAMILY)  # reloading or sharing the permalink does not count again
    assert sum(counters(demo_app).values()) == 2


def test_unmet_needs_are_counted_as_unmet_and_the_desk_channel_is_kept(demo_app):
    client = demo_app.test_client()
    client.get("/match/family?municipality=017028&child_age=9&needs=after_school&channel=desk&done=1")
    assert counters(demo_app) == {("Montagna", "persons", "after_school", "unmet", "desk"): 1}
    text = client.get("/match/family?municipality=017028&child_age=9&needs=after_school&lang=en").text
    assert "What we could not find" in text and "The nearest alternatives" in text
    assert "Welfare Point di Breno" in text


def test_company_results_and_plan_outline(demo_app):
    client = demo_app.test_client()
    text = client.get("/match/company?municipality=019036&size=small&needs=C3&needs=C6&lang=en").text
    assert "Help building a company welfare plan" in text and "Pilot smart working in your company" in text
    slugs = [part.split('"')[0] for part in text.split('name="keep" value="')[1:3]]
    outline = client.get("/match/shortlist?plan=1&lang=en&" + "&".join(f"keep={s}" for s in slugs)).text
    assert "Outline of a company welfare plan" in outline
    assert "Next steps" in outline


def test_bad_answers_never_break_the_page(demo_app):
    client = demo_app.test_client()
    for query in [
        "child_age=-1",
        "child_age=abc",
        "child_age=%C2%B2",  # "²" is a digit to Python, not a number
        "cared_age=%E2%91%A0",
        "needs=flying",
        "cared_age=999",
        "municipality=%00",
        "size=huge",
    ]:
        for path in ("/match/family", "/match/company"):
            response = client.get(f"{path}?municipality=014061&needs=before_school&{query}")
            assert response.status_code == 200, (path, query)
    assert (
        client.get("/match/shortlist?keep=nope&keep=" + "x" * 5000, follow_redirects=True).status_code == 200
    )


def test_a_listing_published_now_is_matched_on_the_next_questionnaire(demo_app):
    from datetime import date

    from tests.support.catalog import create_listing, row

    client = demo_app.test_client()
    url = "/match/family?municipality=017028&child_age=9&needs=after_school&lang=en"
    assert "What we could not find" in client.get(url).text  # and the matching cache is now warm
    with demo_app.app_context():
        create_listing(
            row(
                external_id="new-breno",
                title="Doposcuola a Breno",
                needs="after_school",
                municipalities="Breno",
                time_slots="after_school",
            ),
            today=date.today(),
        )
        db.session.commit()
    text = client.get(url).text
    assert "Doposcuola a Breno" in text and "What we could not find" not in text


def test_a_results_page_names_the_nearest_welfare_points_of_each_territory_and_links_to_all(demo_app):
    """Five Welfare Points in the family's ATS: the page names the three nearest to home, nearest first."""
    from tests.support.catalog import create_listing, row

    with demo_app.app_context():
        for number, town in enumerate(["Livigno", "Tirano", "Chiavenna"]):
            create_listing(
                row(
                    external_id=f"wp-{number}", title=f"Sportello Welfare Point di {town}", category="W1",
                    needs="care_information", municipalities="", address="Via Roma 1", municipality=town,
                    age_min="", age_max="", periods="all_year", time_slots="", cost="free",
                )
            )  # fmt: skip
        db.session.commit()
    # 014061 is Sondrio: Chiavenna and Tirano are nearer to it than Livigno; Montagna's own two desks too.
    text = demo_app.test_client().get(FAMILY + "&lang=en").text
    desks = text.split('id="desks"')[1].split("</ul>")[0]
    assert desks.count("<li>") == 3
    assert "Livigno" not in desks
    assert 'href="/welfare-points"' in text.split('id="desks"')[1]


def test_a_need_with_more_matches_than_a_page_holds_shows_the_best_and_pages_through_the_rest(
    demo_app, monkeypatch
):
    from welfarepoint.public import questionnaires

    monkeypatch.setattr(questionnaires, "MATCHES_PER_NEED", 1)
    client = demo_app.test_client()
    address = "/match/family?municipality=014061&child_age=8&needs=summer_closure&lang=en"
    everything = client.get(address).text
    assert "services fit what you told us." in everything
    total = int(re.search(r"(\d+) services fit what you told us", everything).group(1))
    assert total >= 2
    assert len(cards(everything)) == 1  # the best one only
    more = re.search(r'<a href="([^"]+)">See all (\d+) services for this need</a>', everything)
    assert more and int(more.group(2)) == total
    link = html.unescape(more.group(1))
    assert "need=summer_closure" in link
    first = client.get(link + "&lang=en").text
    assert f"Services 1 to 1 of {total} for this need." in first
    assert "Back to all your results" in first and 'aria-label="Pages of services for this need"' in first
    seen = [cards(client.get(f"{link}&page={number}&lang=en").text)[0] for number in range(1, total + 1)]
    assert len(set(seen)) == total and seen[0] == cards(everything)[0]
    last = client.get(f"{link}&page=999&lang=en").text  # past the end: the last page
    assert f"Services {total} to {total} of {total} for this need." in last
    assert cards(client.get(f"{link}&page=abc&lang=en").text) == [seen[0]]
    italian = client.get(link + "&page=2&lang=it").text
    assert f"Servizi da 2 a 2 di {total} per questo bisogno." in italian
    unknown = client.get(address + "&need=nonsense")  # not a need asked: the whole results
    assert unknown.status_code == 200 and len(cards(unknown.text)) == 1


def cards(page: str) -> list[str]:
    """The listings a results page shows, in order (each card links to its service page once by its title)."""
    return list(dict.fromkeys(re.findall(r'<h3[^>]*>\s*<a href="(/services/[^"?]+)"', page)))


def test_ages_written_as_people_write_them_are_understood_and_carried_on_as_numbers(demo_app):
    """ "8 anni", "otto", "twelve years old", "ottantacinque": a tired parent or a carer need not retype them."""
    client = demo_app.test_client()
    page = client.get(
        "/match/family?municipality=014061&child_age=8+anni&child_age=twelve+years+old&cared_age=ottantacinque"
        "&from_step=people&step=needs&lang=en"
    ).text
    assert "Step 3 of 4" in page and "wp-error-summary" not in page
    for name, value in (("child_age", "8"), ("child_age", "12"), ("cared_age", "85")):
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    results = client.get(
        "/match/family?municipality=014061&child_age=otto&needs=before_school&from_step=options&lang=en"
    ).text
    assert "aged 8" in results and "whole number" not in results
    wrong = client.get(
        "/match/family?municipality=014061&child_age=8+e+mezzo&from_step=people&step=needs&lang=it"
    ).text
    assert "Passo 2 di 4" in wrong and 'value="8 e mezzo"' in wrong


def test_an_age_is_read_from_digits_or_words_and_nothing_else():
    from welfarepoint.vocabulary.text import age_from_text

    understood = {"8": 8, " 8 ": 8, "8 anni": 8, "1 anno": 1, "12 years old": 12, "8yrs": 8, "otto": 8,
                  "Otto": 8, "dodici anni": 12, "eight": 8, "ventitré": 23, "ventuno": 21, "ottantotto": 88,
                  "eighty-five": 85, "eighty five": 85, "cento": 100, "centodue": 102, "0": 0}  # fmt: skip
    for text, age in understood.items():
        assert age_from_text(text) == age, text
    for text in (
        "",
        "a",
        "anni",
        "8,5",
        "8.5",
        "8-10",
        "-3",
        "\u22124",
        "²",
        "1e9",
        "tre anni e mezzo",
        "tanti",
    ):
        assert age_from_text(text) is None, text
