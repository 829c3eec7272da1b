"""What a message says: its templates rendered in the recipient's language, and the e-mail built from them."""

from __future__ import annotations

import re
from datetime import UTC
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from flask import current_app, has_request_context, render_template, request
from flask_babel import force_locale

from welfarepoint.mail.models import MailMessage

#: One plain address: no display name, no list, no spaces, no line breaks, a dot in the domain.
ADDRESS = re.compile(
    r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}"
    r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,63}$"
)
MAX_ADDRESS = 254


def clean_address(typed: str) -> str:
    """``typed`` as one address to send to (spaces around it dropped, the domain lower-cased), or ``ValueError``
    for anything else: a line break (a header injected), a name with the address, two addresses, no domain."""
    address = typed.strip()  # a tab or a line break pasted around it too
    if any(character in address for character in "\r\n\0"):
        raise ValueError("line break in an e-mail address")
    if len(address) > MAX_ADDRESS or not ADDRESS.match(address):
        raise ValueError("not one e-mail address")
    local, domain = address.rsplit("@", 1)
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise ValueError("not one e-mail address")
    return f"{local}@{domain.lower()}"


def one_line(text: str) -> str:
    """A header value: every run of spaces and line breaks made one space."""
    return " ".join(text.split())


def site_url() -> str:
    """The site's address for links in messages: ``SITE_URL``, else the address of the current request."""
    configured = current_app.config["SITE_URL"].rstrip("/")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://127.0.0.1:5000"


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint`` (extra values become the query), from a request, a job or the CLI alike."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return site_url() + path


def default_preferences_url() -> str:
    if "manage.account" in current_app.view_functions:
        return absolute_url("manage.account")
    return absolute_url("public.home")


def render(template: str, locale: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """The subject, the text and the HTML of ``template`` in ``locale``."""
    config = current_app.config
    values = {
        "site_name": config["MAIL_SITE_NAME"],
        "site_url": site_url(),
        "sender_name": config["MAIL_SENDER_NAME"],
        "owner_name": config["OWNER_NAME"],
        "unsubscribe_url": "",
        "locale": locale,
        **context,
    }
    if not values.get("preferences_url"):
        values["preferences_url"] = default_preferences_url()
    with force_locale(locale):
        subject = one_line(render_template(f"mail/{template}.subject.txt", **values))
        text = render_template(f"mail/{template}.txt", **values).strip() + "\n"
        html = render_template(f"mail/{template}.html", **values)
    return subject[:300], text, html


def build(message: MailMessage) -> EmailMessage:
    """The e-mail of a queued message, ready for SMTP or the outbox."""
    config = current_app.config
    sender = config["MAIL_SENDER"]
    email = EmailMessage()
    email["Subject"] = one_line(message.subject)
    email["From"] = Address(display_name=one_line(config["MAIL_SENDER_NAME"]), addr_spec=sender)
    email["To"] = Address(addr_spec=clean_address(message.to))
    created = message.created_at if message.created_at.tzinfo else message.created_at.replace(tzinfo=UTC)
    email["Date"] = format_datetime(created)
    # The same for every attempt and on the outbox page: one message, one identifier.
    email["Message-ID"] = f"<wp-{message.id}-{int(created.timestamp())}@{sender.rsplit('@', 1)[-1]}>"
    email["Auto-Submitted"] = "auto-generated"
    for name, value in (message.headers or {}).items():
        email[one_line(name)] = one_line(str(value))
    email.set_content(message.text)
    email.add_alternative(message.html, subtype="html")
    email["Content-Language"] = message.locale  # after the body: setting the content clears Content-* headers
    return email
