"""A gap for each person and need, in words and in the API; money apart (issue 21, point 3)."""

from __future__ import annotations

import html


def test_a_gap_for_each_child_nothing_fits(demo_app):
    client = demo_app.test_client()
    # Sondrio: one before-school service, for ages 6-11. The child of 8 has it; the one of 13 does not.
    address = "/match/family?municipality=Sondrio&child_age=8&child_age=13&needs=before_school"
    answer = client.get("/api/v1/match/family?" + address.split("?")[1] + "&lang=en").json
    assert [(g["need"], g["who"], g["age"], g["why"]) for g in answer["gaps"]] == [
        ("before_school", "child", 13, "age")
    ]
    assert answer["gaps"][0]["text"] == (
        "For your child aged 13 we found no before-school care. What there is in Sondrio is for other ages."
    )
    assert answer["gaps"][0]["turn_to"] == ["school", "comune", "welfare_point"]
    assert answer["matches"] and answer["unmet_needs"] == []
    italian = client.get(address + "&lang=it").text
    assert "Per tuo figlio di 13 anni non abbiamo trovato un pre-scuola." in html.unescape(italian)
    assert "Dove chiedere: la scuola, il tuo Comune, un Welfare Point." in html.unescape(italian)


def test_a_gap_for_the_person_cared_for(demo_app):
    client = demo_app.test_client()
    # Breno's accompaniment service is for 60 and over: nothing for a person of 50.
    answer = client.get(
        "/api/v1/match/family?municipality=Breno&cared_age=50&needs=care_accompaniment&lang=en"
    ).json
    assert [(g["who"], g["age"], g["why"]) for g in answer["gaps"]] == [("cared", 50, "age")]
    page = client.get("/match/family?municipality=Breno&cared_age=50&needs=care_accompaniment&lang=en").text
    assert (
        "For the person you care for, aged 50, we found no accompaniment to medical visits"
        in html.unescape(page)
    )


def test_vouchers_are_shown_apart_and_do_not_close_the_summer_gap(demo_app):
    client = demo_app.test_client()
    # In Milano a child of 5 finds only the ATS's summer vouchers: money, apart; no camp for her.
    address = "/match/family?municipality=Milano&child_age=5&needs=summer_closure"
    answer = client.get("/api/v1/match/family?" + address.split("?")[1] + "&lang=en").json
    assert answer["money"] and all(item["money"] for item in answer["money"])
    assert answer["matches"] == [] and answer["unmet_needs"] == ["summer_closure"]
    assert [(g["age"], g["why"]) for g in answer["gaps"]] == [(5, "only_money")]
    page = html.unescape(client.get(address + "&lang=en").text)
    assert "No service fits what you told us." in page and "Help with the costs" in page
    assert page.index("Help with the costs") < page.index("What we could not find")
    assert "For your child aged 5 we found no summer camp." in page


def test_a_care_gap_names_the_public_offices_of_the_cared_for_persons_ats(demo_app):
    client = demo_app.test_client()
    # Breno is in ATS Montagna: its managers' public offices (the demo's: the ASSTs, the Comune, INPS) are named.
    page = html.unescape(
        client.get("/match/family?municipality=Breno&cared_age=50&needs=care_accompaniment&lang=en").text
    )
    gaps = page[page.index("What we could not find") :]
    assert "Other public routes" in gaps
    assert "ASST della Valcamonica" in gaps and "INPS" in gaps and 'href="tel:803164"' in gaps
    assert "ASST di Pavia" not in gaps  # another ATS's offices are not
    # A child's gap is not a care need: no public offices.
    child = html.unescape(
        client.get("/match/family?municipality=Sondrio&child_age=13&needs=before_school&lang=en").text
    )
    assert "Other public routes" not in child
