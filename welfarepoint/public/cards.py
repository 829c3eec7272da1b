"""A listing's card, in the page's language: what the results pages print of each listing, worded once in Python.

A results page draws ten cards of a dozen facts each (labels, coverage, cost, hours, the next step, the link to
the list), worded by the helpers of :mod:`welfarepoint.public.sheets`. Making a card here, in one call, leaves the
macros of ``macros/cards.html`` to print it: called from a template, every helper goes through Jinja's call
machinery, and nested macros called several of them twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from flask import current_app, g, url_for
from markupsafe import Markup

from welfarepoint.bounded import Bounded
from welfarepoint.catalog import taxonomy
from welfarepoint.i18n import current_language
from welfarepoint.public import sheets
from welfarepoint.public.blueprint import bp
from welfarepoint.public.lists import current_back, kept_slugs, list_url, with_list


@dataclass(frozen=True, slots=True)
class ListLink:
    """ "Add to my list" (``kept`` false), or "In your list" with the list's ``size``: where the link leads."""

    kept: bool
    url: str
    size: int


@dataclass(frozen=True, slots=True)
class Facts:
    """What a card says to act on a listing (``card_facts`` in ``macros/cards.html`` prints it)."""

    #: The label of the only way in ("Tramite il datore di lavoro"), or "".
    channel: str
    coverage: str
    ages: str
    cost: str
    hours: str
    schedule_notes: str
    provider: str
    next_step: str
    #: The language of the next step when it is not the page's (steps written in Italian only), else "".
    next_step_lang: str
    phone: str
    email: str
    list_link: ListLink
    #: The code of the only way in ("employer"), or "": a company's results say it to the company.
    channel_code: str = ""
    #: Whether :attr:`next_step` is the enrolment window (dates that count for anyone who reads the card).
    dated: bool = False

    @property
    def tel(self) -> str:
        """The ``tel:`` address of :attr:`phone`."""
        return sheets.tel_href(self.phone)


@dataclass(frozen=True, slots=True)
class Card:
    """A listing on a results page: its headline, in the page's language or marked up with a search's words,
    and its :class:`Facts`."""

    category: str
    #: The listing's page, carrying the visitor's list.
    url: str
    #: The title and the summary (safe HTML when a search marked its words in them).
    title: str | Markup
    #: The language of the title, and of the summary, when it is not the page's (not translated), else "".
    title_lang: str
    summary: str | Markup
    summary_lang: str
    #: On a page in another language: the listing was written in Italian only.
    italian_only: bool
    availability: str
    facts: Facts


#: Cards' facts kept per app and process, by (index generation, day, listing, language): the same listings come
#: up on many results pages.
FACTS_KEPT = 1024


def card(service: Any, hit: Any = None, generation: tuple | None = None) -> Card:
    """The card of ``service`` (a Service, or anything with its columns, ``text`` and ``coverage_codes``),
    with the words a search ``hit`` marked in its title and summary. Given the index's ``generation`` (which
    changes with any listing or its provider), its facts are kept for the day; the list link is made each time."""
    language = current_language()
    if generation is None:
        made = facts(service, language)
    else:
        kept = current_app.extensions.setdefault("welfarepoint.public.facts", Bounded(FACTS_KEPT))
        key = (generation, date.today(), service.id, language)
        made = kept.get_or_make(key, lambda: facts(service, language))
        made = replace(made, list_link=list_link(service.slug))
    title, title_lang = service.text("title", language)
    summary, summary_lang = service.text("summary", language)
    highlights = hit.highlights if hit is not None else {}
    if marked := highlights.get("title" if title_lang == "it" else "title_en"):
        title = marked
    if summary and (marked := highlights.get("summary" if summary_lang == "it" else "summary_en")):
        summary = marked
    return Card(
        category=taxonomy.label("categories", service.category, language),
        url=with_list(url_for("public.service", slug=service.slug), _list_state()[0]),
        title=title,
        title_lang=title_lang if title_lang != language else "",
        summary=summary,
        summary_lang=summary_lang if summary_lang != language else "",
        italian_only=language != "it"
        and not (service.title_en or service.summary_en or service.description_en),
        availability=service.availability,
        facts=made,
    )


def facts(service: Any, language: str) -> Facts:
    """The :class:`Facts` of ``service`` in ``language`` (the page's)."""
    step_lang = ""
    if not service.enrolment_deadline:
        written_in = sheets.steps_language(service)
        step_lang = written_in if written_in != language else ""
    return Facts(
        channel=taxonomy.label("channels", service.channel, language) if service.channel else "",
        coverage=sheets.coverage_text(service),
        ages=sheets.ages_text(service),
        cost=sheets.cost_parts(service)[0],
        hours=sheets.hours_line(service),
        schedule_notes=service.schedule_notes,
        provider=service.provider.name,
        next_step=sheets.next_step(service),
        next_step_lang=step_lang,
        phone=service.phone,
        email=service.email,
        list_link=list_link(service.slug),
        channel_code=service.channel or "",
        dated=bool(service.enrolment_deadline),
    )


def list_link(slug: str) -> ListLink:
    """The link to "La mia lista" a card or a service page offers for the listing ``slug``."""
    kept, back = _list_state()
    if slug in kept:
        return ListLink(kept=True, url=list_url(kept, back), size=len(kept))
    return ListLink(kept=False, url=list_url([*kept, slug], back), size=len(kept))


def _list_state() -> tuple[list[str], str]:
    """The visitor's list and the page it leads back to: the same for every card of a request."""
    state = g.get("wp_list_state")
    if state is None:
        state = g.wp_list_state = (kept_slugs(), current_back())
    return state


@bp.app_context_processor
def card_helpers() -> dict[str, Any]:
    """:func:`card` and :func:`list_link`, for the templates that draw cards without a view that made them."""
    return {"card_of": card, "list_link_of": list_link}
