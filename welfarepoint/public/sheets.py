"""What a person needs to act on a listing, in the page's language: for whom, cost, hours, next step, contacts.

Shared by the cards (search, questionnaire results, alternatives), the service page and "La mia lista", so that
each says the same thing the same way. Small functions of a listing; the templates call them through
:func:`template_helpers`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import abort, flash, redirect, url_for
from flask_babel import gettext, ngettext

from welfarepoint import territory
from welfarepoint.catalog import access, queries, taxonomy
from welfarepoint.i18n import current_language, format_date
from welfarepoint.insights import ratings
from welfarepoint.public.blueprint import bp
from welfarepoint.public.forms import RatingForm


def ages_text(service: Any) -> str:
    """ "Età del bambino: da 6 a 10 anni" (whose age, then the range); "" when the listing has no ages."""
    if service.age_min is None and service.age_max is None:
        return ""
    return access.eligibility_ages(service.age_min, service.age_max, service.age_of)


def amount_text(service: Any) -> str:
    """ "40 € al mese": the amount and its period; "" when curators gave no amount."""
    if service.cost_amount is None:
        return ""
    language = current_language()
    amount = access.format_euros(service.cost_amount, language)
    if service.cost_period:
        return f"{amount} {taxonomy.label('cost_periods', service.cost_period, language)}"
    return amount


def _folded(text: str) -> str:
    return re.sub(r"[\s.:;,!]+$", "", text.strip()).casefold()


def cost_parts(service: Any) -> tuple[str, str]:
    """The cost's headline ("Gratuito", "A pagamento: 40 € al mese") and the curators' notes, without the notes
    repeating the headline ("Gratuito: Gratuito.")."""
    language = current_language()
    kind = taxonomy.label("costs", service.cost, language)
    amount = amount_text(service)
    headline = f"{kind}: {amount}" if amount else kind
    notes = service.text("cost_notes", language)[0].strip()
    if _folded(notes) == _folded(kind):
        notes = ""
    elif notes and not amount and _folded(notes).startswith(_folded(kind)):
        headline, notes = notes, ""  # "Gratuito grazie ai volontari", not "Gratuito. Gratuito grazie ai..."
    return headline, notes


def hours_text(service: Any) -> list[tuple[str, str]]:
    """The opening hours as (days, times) pairs in words; nothing when the listing has none as data."""
    return access.describe_hours(service.hours, current_language()) if service.hours else []


def hours_line(service: Any) -> str:
    """The opening hours in one line ("Da lunedì a venerdì 7:30–8:30; sabato 9:00–12:00")."""
    rules = hours_text(service)
    return "; ".join(
        f"{days if index == 0 else days[:1].lower() + days[1:]} {times}"
        for index, (days, times) in enumerate(rules)
    )


def coverage_names(service: Any) -> list[str]:
    """The covered municipalities' names, the service's own town first; empty when it covers its whole ATS."""
    codes = list(service.coverage_codes)
    own = service.municipality_code
    if own in codes:
        codes.remove(own)
        codes.insert(0, own)
    return [place.name if (place := territory.by_istat(code)) else code for code in codes]


def coverage_text(service: Any, limit: int = 4) -> str:
    """Where the service is for, in one line: "Sondrio, Albosaggia, Castione e altri 5 comuni"."""
    names = coverage_names(service)
    if not names:
        return gettext("all of ATS %(ats)s", ats=service.ats)
    if len(names) <= limit + 1:  # "and 1 more" hides a name in as much room as the name itself
        return ", ".join(names)
    more = len(names) - limit
    return ngettext(
        "%(names)s and %(num)s other municipality",
        "%(names)s and %(num)s other municipalities",
        more,
        names=", ".join(names[:limit]),
    )


def next_step(service: Any, today: date | None = None) -> str:
    """What to do next: the enrolment window when there is one, else the first step to apply."""
    today = today or date.today()
    language = current_language()
    if service.enrolment_deadline and service.enrolment_deadline >= today:
        if service.enrolment_opens and service.enrolment_opens > today:
            return gettext(
                "Enrolment from %(start)s to %(end)s",
                start=format_date(service.enrolment_opens, "long"),
                end=format_date(service.enrolment_deadline, "long"),
            )
        return gettext("Enrol by %(date)s", date=format_date(service.enrolment_deadline, "long"))
    if service.enrolment_deadline and service.enrolment_deadline < today:
        return gettext("Enrolment closed on %(date)s", date=format_date(service.enrolment_deadline, "long"))
    steps, _ = service.texts("steps", language)
    return steps[0] if steps else ""


def steps_language(service: Any) -> str:
    """The language the steps are written in (Italian when there is no translation)."""
    return service.texts("steps", current_language())[1]


def tel_href(phone: str) -> str:
    """A ``tel:`` address a phone can call: digits and a leading +; Italian landlines (0...) and mobiles (3...)
    with +39, while toll-free and short numbers (800 ..., INPS 803 164, 1522) are dialled as they are, since they
    cannot be called with the country code."""
    digits = re.sub(r"[^\d+]", "", phone or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    elif digits[:1] in {"0", "3"}:
        digits = "+39" + digits
    return f"tel:{digits}"


@bp.app_context_processor
def template_helpers() -> dict[str, Any]:
    """The helpers above, for every template."""
    return {
        "ages_text": ages_text,
        "amount_text": amount_text,
        "cost_parts": cost_parts,
        "hours_text": hours_text,
        "hours_line": hours_line,
        "coverage_names": coverage_names,
        "coverage_text": coverage_text,
        "next_step": next_step,
        "steps_language": steps_language,
        "tel_href": tel_href,
    }


#: The pages of results a service page can lead back to.
RESULT_PATHS = ("/search", "/match/family", "/match/company", "/list")


def results_link(referrer: str | None, host_url: str) -> str | None:
    """The results page the visitor came from (a search, a questionnaire, their list), when the browser said so.

    Only an address of this site, on one of :data:`RESULT_PATHS`, is given back, as a path: nothing the
    referrer says can lead elsewhere.
    """
    if not referrer or not referrer.startswith(host_url):
        return None
    path = "/" + referrer[len(host_url) :].lstrip("/")
    if path.split("?", 1)[0] not in RESULT_PATHS or len(path) > 2000:
        return None
    return path


@bp.post("/services/<slug>/rating")
def rate_page(slug: str):
    """Count one answer to "how clear is the information on this page?" and thank the visitor."""
    item = queries.service_by_slug(slug)
    if item is None:
        abort(404)
    form = RatingForm()
    if form.validate():
        ratings.count_rating(f"/services/{item.slug}", int(form.score.data))
        flash(gettext("Thank you for your answer: it helps us make the page clearer."), "success")
        return redirect(url_for("public.service", slug=item.slug) + "#rating")
    flash(gettext("Choose how clear the page is, from 1 to 5, then send."), "warning")
    return redirect(url_for("public.service", slug=item.slug) + "#rating")
