"""The footer and legal pages of an Italian public service: owning body, contacts, legal notes, and the
accessibility statement in the form of AgID's model with its feedback link."""

from __future__ import annotations

import re
from html import unescape

import pytest


@pytest.mark.parametrize(
    ("lang", "owner_heading", "legal", "pec"),
    [
        ("it", "Chi gestisce il sito", "Note legali", "Posta elettronica certificata (PEC):"),
        ("en", "Who runs this site", "Legal notes", "Certified e-mail (PEC):"),
    ],
)
def test_every_page_ends_with_the_owning_body_its_contacts_and_the_legal_links(
    client, lang, owner_heading, legal, pec
):
    for path in ("/", "/search", "/privacy"):
        page = client.get(f"{path}?lang={lang}").text
        footer = re.sub(r"\s+", " ", page[page.index('<footer class="it-footer"') :])
        assert (
            owner_heading in footer
            and "Regione Lombardia" in footer
            and "Piazza Città di Lombardia 1" in footer
        )
        assert pec in footer and 'href="mailto:segnalazioni@welfarepoint.example.org"' in footer
        for href in ("/legal-notes", "/privacy", "/accessibility", "/open-data", "/report-a-problem"):
            assert f'href="{href}"' in footer
        assert f">{legal}</a>" in footer


def test_the_footer_drawn_once_follows_the_language_and_the_address_of_each_page(client):
    """The footer is drawn once for each language and address the app is served at, never sent to another."""

    def footer(path: str, **environ) -> str:
        page = client.get(path, environ_overrides=environ).text
        return re.sub(r"\s+", " ", page[page.index('<footer class="it-footer"') :])

    for _ in range(2):
        assert "Chi gestisce il sito" in footer("/privacy?lang=it")
        english = footer("/search?lang=en")
        assert "Who runs this site" in english and "Chi gestisce il sito" not in english
    assert 'href="/wp/privacy"' in footer("/privacy?lang=it", SCRIPT_NAME="/wp")
    assert 'href="/privacy"' in footer("/?lang=it") and "/wp/" not in footer("/?lang=it")


def test_the_owning_body_is_a_setting(app):
    app.config.update(OWNER_NAME="Comune di Sondrio", OWNER_PEC="protocollo@pec.sondrio.example.org")
    page = app.test_client().get("/legal-notes?lang=it").text
    assert "Welfare Point è gestito da Comune di Sondrio" in page
    assert 'href="mailto:protocollo@pec.sondrio.example.org"' in page


@pytest.mark.parametrize(
    ("lang", "headings", "feedback"),
    [
        (
            "it",
            [
                "Stato di conformità",
                "Contenuti che potrebbero non essere accessibili",
                "Redazione della dichiarazione di accessibilità",
                "Feedback e recapiti",
                "Procedura di attuazione",
                "Informazioni sul sito",
                "Informazioni sull'amministrazione",
            ],
            "Invia una segnalazione sull'accessibilità",
        ),
        (
            "en",
            [
                "Compliance status",
                "Content that may not be accessible",
                "Preparation of this statement",
                "Feedback and contact",
                "Enforcement procedure",
                "Information about the site",
                "Information about the organisation",
            ],
            "Send accessibility feedback",
        ),
    ],
)
def test_the_accessibility_statement_follows_agids_model_with_a_feedback_link(
    client, lang, headings, feedback
):
    page = unescape(client.get(f"/accessibility?lang={lang}").text)
    positions = [page.index(f">{heading}</h2>") for heading in headings]
    assert positions == sorted(positions)
    assert re.search(
        r'href="mailto:segnalazioni@welfarepoint\.example\.org\?subject=[^"]+">' + feedback, page
    )
    assert 'href="https://form.agid.gov.it"' in page
    assert "2 dicembre 2026" in page or "December 2, 2026" in page
