"""Questionnaire errors in the public-sector design system's pattern (issue 21, point 6)."""

from __future__ import annotations

import html
import re


def title(page: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", page, re.S).group(1)).strip()


def test_a_wrong_age_stays_on_its_step_keeps_what_was_typed_and_names_the_child(demo_app):
    client = demo_app.test_client()
    page = client.get(
        "/match/family?municipality=014061&child_age=7&child_age=dodici+e+mezzo&child_age=&child_age="
        "&from_step=people&step=needs&lang=it"
    ).text
    assert "Passo 2 di 4" in page
    assert title(page).startswith("Errore:")
    assert 'value="7"' in page and 'value="dodici e mezzo"' in page  # nothing typed is wiped
    field = re.search(r'<input[^>]*id="child_age_1"[^>]*>', page).group(0)
    assert 'aria-invalid="true"' in field and "child_age_1-errors" in field
    assert "aria-invalid" not in re.search(r'<input[^>]*id="child_age_0"[^>]*>', page).group(0)
    message = html.unescape(
        re.search(r'<ul class="wp-field-errors" id="child_age_1-errors">(.*?)</ul>', page, re.S).group(1)
    )
    assert "Figlio 2" in message and "dodici e mezzo" in message
    summary = re.search(r'<div class="alert alert-danger wp-error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary and 'tabindex="-1"' in summary.group(0) and 'href="#child_age_1"' in summary.group(1)


def test_no_need_ticked_is_said_on_the_needs_step_not_skipped(demo_app):
    client = demo_app.test_client()
    page = client.get(
        "/match/family?municipality=014061&child_age=8&from_step=needs&step=options&lang=en"
    ).text
    assert "Step 3 of 4" in page and title(page).startswith("Error:")
    assert "Tick at least one need." in page and 'href="#need-before_school"' in page
    # Sent from the last step without needs: back to the needs step, saying why.
    page = client.get("/match/family?municipality=014061&from_step=options&done=1&lang=en").text
    assert "Step 3 of 4" in page and "Tick at least one need." in page
    # A first visit is not an error.
    first = client.get("/match/family?lang=en").text
    assert not title(first).startswith("Error:") and "wp-error-summary" not in first


def test_arriving_at_the_needs_step_shows_no_error_before_anything_is_ticked(demo_app):
    """A mother gives her children's ages and presses Continue: the needs step opens clean, in both languages,
    and so does a company's after its first step. The message comes only once the step is sent empty."""
    client = demo_app.test_client()
    family = "/match/family?municipality=016005&child_age=7&child_age=12&from_step=people&step=needs"
    company = "/match/company?municipality=019036&size=small&has_plan=no&from_step=company&step=needs"
    for address, heading in (
        (family + "&lang=it", "Passo 3 di 4"),
        (family + "&lang=en", "Step 3 of 4"),
        (company + "&lang=it", "Passo 2 di 2"),
        (company + "&lang=en", "Step 2 of 2"),
    ):
        page = client.get(address).text
        assert heading in page
        assert not title(page).startswith(("Errore:", "Error:"))
        assert "wp-error-summary" not in page and "aria-invalid" not in page
        assert "Seleziona almeno" not in page and "Tick at least" not in page
    sent = client.get("/match/company?municipality=019036&size=small&from_step=needs&lang=en").text
    assert title(sent).startswith("Error:") and "Tick at least one interest." in sent


def test_no_place_is_said_on_the_place_step_for_families_and_companies(demo_app):
    client = demo_app.test_client()
    page = client.get("/match/family?from_step=place&step=people&lang=en").text
    assert "Step 1 of 4" in page
    assert "Give where you live, where you work or where the children go to school." in page
    page = client.get("/match/company?size=small&from_step=company&step=needs&lang=it").text
    assert title(page).startswith("Errore:") and "Indica il comune dove ha sede l&#39;impresa." in page
