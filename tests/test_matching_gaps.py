"""A gap for each person and need, in words and in the API; money apart (issue 21, point 3)."""

from __future__ import annotations

import html
import re


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


def _gaps(client, query: str) -> list[tuple]:
    answer = client.get(f"/api/v1/match/family?{query}&lang=en").json
    return [(g["need"], g["who"], g["age"], g["why"], g["text"]) for g in answer["gaps"]]


def test_nothing_there_says_so_for_the_place_that_counts(demo_app):
    client = demo_app.test_client()
    # A family in Livigno: no homework help covers it; the nearest is far away, and the page says how far.
    query = "municipality=Livigno&child_age=9&needs=homework_support"
    assert _gaps(client, query) == [
        (
            "homework_support",
            "child",
            9,
            "nothing_there",
            "For your child aged 9 we found no homework help. There is none in Livigno.",
        )
    ]
    page = html.unescape(client.get(f"/match/family?{query}&lang=it").text)
    assert (
        "Per tuo figlio di 9 anni non abbiamo trovato un aiuto per i compiti. Non ce n'è a Livigno." in page
    )
    assert "Le alternative più vicine" in page and "km da Livigno" in page


def test_wishes_the_service_there_is_not_free(demo_app):
    client = demo_app.test_client()
    # Sondrio's before-school service fits the child of 8 but has a fee: with "free only" it is a gap of wishes,
    # and the service comes back as an alternative saying what does not fit.
    query = "municipality=Sondrio&child_age=8&needs=before_school&free_only=1"
    assert _gaps(client, query) == [
        (
            "before_school",
            "child",
            8,
            "wishes",
            "For your child aged 8 we found no before-school care. What there is does not meet your other "
            "answers (free only, language, company size).",
        )
    ]
    answer = client.get(f"/api/v1/match/family?{query}&lang=en").json
    assert [(a["distance_km"], a["does_not_fit"]) for a in answer["alternatives"]] == [(0.0, ["not free"])]
    page = html.unescape(client.get(f"/match/family?{query}&lang=it").text)
    assert "Quello che c'è non corrisponde alle altre risposte" in page and "non gratuito" in page


def test_no_place_asks_for_the_place_that_counts(demo_app):
    client = demo_app.test_client()
    # The Piacenza commuter working in Milano gives no school: before-school care counts where the children go to
    # school (home is outside Lombardy, so it cannot stand in), and the gap asks for that place.
    query = "municipality=Piacenza&work_municipality=Milano&child_age=8&needs=before_school"
    assert _gaps(client, query) == [
        (
            "before_school",
            "child",
            8,
            "no_place",
            "For your child aged 8 we found no before-school care. For this, what counts is where the children "
            "go to school: tell us that place.",
        )
    ]
    answer = client.get(f"/api/v1/match/family?{query}&lang=en").json
    assert answer["matches"] == [] and answer["alternatives"] == []  # Milano's before-school is no use to her
    # Help with the costs goes to residents: given only a workplace, the gap asks where the family lives.
    assert [g[3:] for g in _gaps(client, "work_municipality=Milano&child_age=8&needs=childcare_costs")] == [
        (
            "no_place",
            "For your child aged 8 we found no help with the costs. For this, what counts is where you live: "
            "tell us that place.",
        )
    ]
    page = html.unescape(client.get(f"/match/family?{query}&lang=it").text)
    assert "Per questo conta dove i figli vanno a scuola: indicaci quel luogo." in page


def test_a_cared_for_person_outside_lombardy(demo_app):
    client = demo_app.test_client()
    # A man in Lodi whose father lives in Piacenza: care at home counts where the father lives, outside Lombardy;
    # never a Lombard service in Lodi instead.
    query = "municipality=Lodi&cared_municipality=Piacenza&cared_age=84&needs=care_at_home"
    assert _gaps(client, query) == [
        (
            "care_at_home",
            "cared",
            84,
            "outside",
            "For the person you care for, aged 84, we found no care at home. Piacenza is not in Lombardy: the "
            "services of these networks do not reach it.",
        )
    ]
    answer = client.get(f"/api/v1/match/family?{query}&lang=en").json
    assert answer["matches"] == [] and answer["alternatives"] == []
    assert answer["profile"]["outside_lombardy"] == {"cared": "Piacenza"}
    page = client.get(f"/match/family?{query}&lang=it")
    assert page.status_code == 200
    assert (
        "Per la persona di cui ti prendi cura, di 84 anni, non abbiamo trovato un servizio di assistenza a "
        "domicilio. Piacenza non è in Lombardia: i servizi di queste reti non arrivano lì."
    ) in html.unescape(page.text)


def test_a_contribution_for_the_residents_of_another_place_is_never_an_alternative(demo_app):
    """The Alzano mother (home Alzano, work Milano, children 7 and 12): among the nearest alternatives there is no
    voucher of another ATS she could not claim, though it answers her need; real alternatives still come."""
    from werkzeug.datastructures import MultiDict

    from welfarepoint.matching.runner import run_questionnaire

    answers = MultiDict(
        [("municipality", "016008"), ("work_municipality", "015146"), ("child_age", "7"), ("child_age", "12"),
         ("needs", "before_school"), ("needs", "summer_closure")]
    )  # fmt: skip
    with demo_app.test_request_context("/match/family"):
        _profile, _errors, result = run_questionnaire(answers, "persons", "it")
    assert result.alternatives
    assert not [item.offer.id for item in result.alternatives if item.money and "place" in item.misfit_kinds]


def test_italian_says_ad_before_a_place_that_begins_with_a(demo_app):
    """ "Nessuno ad Alzano Lombardo", "Non ce n'è ad Alzano Lombardo": not "a Alzano"; "a Sondrio" stays."""
    client = demo_app.test_client()
    search = html.unescape(client.get("/search?q=ippoterapia&place=Alzano+Lombardo&lang=it").text)
    assert "Nessuno ad Alzano Lombardo." in search and not re.search(r"\ba Alzano", search)
    gaps = html.unescape(
        client.get("/match/family?municipality=016008&child_age=8&needs=before_school&lang=it").text
    )
    assert "Non ce n'è ad Alzano Lombardo" in gaps and not re.search(r"\ba Alzano", gaps)
    assert "Nessuno a Sondrio." in html.unescape(
        client.get("/search?q=ippoterapia&place=Sondrio&lang=it").text
    )
    raw = client.get("/search?q=ippoterapia&place=Sant%27Angelo+Lomellina&lang=it").text  # escaped once
    assert "Nessuno a Sant&#39;Angelo Lomellina." in raw and "&amp;#39;" not in raw
    english = html.unescape(client.get("/search?q=ippoterapia&place=Alzano+Lombardo&lang=en").text)
    assert "None in Alzano Lombardo." in english
