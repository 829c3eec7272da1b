"""La mia lista: the services a visitor keeps, from any card or service page, kept only in the address.

The list is the ``keep`` parameters of the address (at most :data:`MAX_KEPT` listings by their address name) and
``back``, the results page it was made from. Nothing is stored on the server and nobody signs in: the address
is the list. Pages that show cards carry the ``keep`` parameters on their links to the list and to service pages;
the list page prints as a dossier (the answers given, the date, its own address as text and as a QR code drawn
on the server) and gives the enrolment deadlines as a calendar file.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import segno
from flask import Response, render_template, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict

from welfarepoint.catalog import queries
from welfarepoint.i18n import current_language
from welfarepoint.matching.profile import profile_from
from welfarepoint.public.blueprint import bp

MAX_KEPT = 30
#: The pages a list can lead back to (results, questionnaires, service pages).
BACK_PREFIXES = ("/search", "/match/family", "/match/company", "/services/")
QUESTIONNAIRES = {"/match/family": "persons", "/match/company": "companies"}


def kept_slugs(args: Any | None = None) -> list[str]:
    """The listings kept in the address, in the order they were added, without repeats."""
    args = request.args if args is None else args
    slugs = [slug.strip()[:160] for slug in args.getlist("keep") if slug.strip()]
    return list(dict.fromkeys(slugs))[:MAX_KEPT]


def safe_back(value: str | None) -> str:
    """``value`` when it is a path of this site a list may lead back to, else ""."""
    value = (value or "")[:2000]
    if not value.startswith("/") or value.startswith("//") or not value.startswith(BACK_PREFIXES):
        return ""
    return value


def _without_keep(path_and_query: str) -> str:
    parts = urlsplit(path_and_query)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("keep", "lang")]
    return parts.path + ("?" + urlencode(query) if query else "")


def current_back() -> str:
    """The page a list made here leads back to: the list's own ``back`` on the list page, else this page."""
    if request.path == url_for("public.my_list"):
        return safe_back(request.args.get("back"))
    return safe_back(_without_keep(request.full_path.rstrip("?")))


def list_url(slugs: list[str], back: str | None = None) -> str:
    """The address of the list of ``slugs`` (with ``back``, the page it leads back to)."""
    pairs = [("keep", slug) for slug in slugs[:MAX_KEPT]]
    if back:
        pairs.append(("back", back))
    return url_for("public.my_list") + ("?" + urlencode(pairs) if pairs else "")


def with_list(url: str, slugs: list[str] | None = None) -> str:
    """``url`` carrying the list kept in the current address, so that the next page can add to it."""
    slugs = kept_slugs() if slugs is None else slugs
    if not slugs:
        return url
    joiner = "&" if "?" in url else "?"
    return url + joiner + urlencode([("keep", slug) for slug in slugs])


@bp.app_context_processor
def list_helpers() -> dict[str, Any]:
    """What templates need to keep the list on their links and remove from it ("add to my list" is a card's:
    :func:`welfarepoint.public.cards.list_link`)."""

    def remove_from_list(slug: str) -> str:
        return list_url([s for s in kept_slugs() if s != slug], safe_back(request.args.get("back")))

    return {
        "kept_slugs": kept_slugs,
        "remove_from_list": remove_from_list,
        "with_list": with_list,
    }


def qr_svg(text: str, title: str) -> Markup:
    """A QR code of ``text`` as inline SVG (drawn here: no image from another host, nothing to load)."""
    code = segno.make(text, error="m")
    return Markup(code.svg_inline(scale=3, title=title, svgclass="wp-qr", lineclass="wp-qr-line"))


def _answers(back: str):
    """The questionnaire profile behind ``back`` when it is a questionnaire's results, else None."""
    parts = urlsplit(back)
    audience = QUESTIONNAIRES.get(parts.path)
    if audience is None:
        return None
    profile, _errors = profile_from(MultiDict(parse_qsl(parts.query)), audience)
    return profile if (profile.needs or profile.places) else None


@bp.get("/list")
def my_list():
    """The list: every service kept, with what is needed to act on it; printable as a dossier."""
    slugs = kept_slugs()
    services = [service for slug in slugs if (service := queries.service_by_slug(slug))]
    back = safe_back(request.args.get("back"))
    address = request.host_url.rstrip("/") + list_url([s.slug for s in services], back)
    return render_template(
        "public/my_list.html",
        services=services,
        back=with_list(back, [s.slug for s in services]) if back else "",
        profile=_answers(back) if back else None,
        today=date.today(),
        address=address,
        qr=qr_svg(address, "QR") if services else None,
        ics_url=url_for("public.my_list_calendar", keep=[s.slug for s in services]),
        has_deadlines=any(s.enrolment_deadline for s in services),
    )


def _ics_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """A content line folded at 75 octets, as RFC 5545 asks."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, current = [], b""
    for char in line:
        encoded = char.encode("utf-8")
        if len(current) + len(encoded) > (75 if not parts else 74):
            parts.append(current.decode("utf-8"))
            current = b""
        current += encoded
    parts.append(current.decode("utf-8"))
    return "\r\n ".join(parts)


def calendar(services: list[Any], language: str, host: str, stamp: datetime) -> str:
    """The enrolment windows of ``services`` as an iCalendar file: one all-day event per deadline (and per
    opening day, when enrolment has not opened yet)."""
    from flask_babel import gettext

    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Welfare Point//La mia lista//IT",
        "CALSCALE:GREGORIAN",
    ]
    for service in services:
        title = service.text("title", language)[0]
        page = f"{host}{url_for('public.service', slug=service.slug)}"
        events = []
        if service.enrolment_deadline:
            events.append(
                (
                    "deadline",
                    service.enrolment_deadline,
                    gettext("Enrolment deadline: %(title)s", title=title),
                )
            )
        if service.enrolment_opens and service.enrolment_opens > stamp.date():
            events.append(
                ("opens", service.enrolment_opens, gettext("Enrolment opens: %(title)s", title=title))
            )
        for kind, day, summary in events:
            description = f"{service.provider.name}. {page}"
            lines += [
                "BEGIN:VEVENT",
                f"UID:{service.uuid}-{kind}@welfarepoint",
                f"DTSTAMP:{stamp.strftime('%Y%m%dT%H%M%SZ')}",
                f"DTSTART;VALUE=DATE:{day.strftime('%Y%m%d')}",
                f"DTEND;VALUE=DATE:{(day + timedelta(days=1)).strftime('%Y%m%d')}",
                f"SUMMARY:{_ics_text(summary)}",
                f"DESCRIPTION:{_ics_text(description)}",
                f"URL:{page}",
                "END:VEVENT",
            ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


@bp.get("/list/calendar.ics")
def my_list_calendar():
    """The enrolment deadlines of the listings kept, as a calendar file to import in a phone or computer."""
    services = [service for slug in kept_slugs() if (service := queries.service_by_slug(slug))]
    text = calendar(services, current_language(), request.host_url.rstrip("/"), datetime.now(UTC))
    return Response(
        text,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="welfare-point-iscrizioni.ics"'},
    )
