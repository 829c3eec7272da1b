"""A public correction forwarded: to the listing's provider, who may answer it from the e-mail, and to its
curators (the ATS managers and the alliance's editors). The messages say the kind and the text the visitor wrote
and nothing about the visitor (nothing is kept of them: no name, address, browser or network address)."""

from __future__ import annotations

import hashlib

from flask_babel import force_locale

from welfarepoint import mail
from welfarepoint.catalog.models import Feedback
from welfarepoint.freshness import links
from welfarepoint.freshness.recipients import curators_of, providers_of
from welfarepoint.public.forms import FEEDBACK_LABELS


def _kind(kind: str, locale: str) -> str:
    with force_locale(locale):
        return str(FEEDBACK_LABELS.get(kind, kind))


def _common(feedback: Feedback) -> dict:
    service = feedback.service
    return {
        "title": service.title,
        "message": feedback.message,
        "page_url": mail.absolute_url("public.service", slug=service.slug),
    }


def forward_correction(feedback: Feedback) -> int:
    """Queue the messages about a new public correction (in the caller's transaction): to the provider, with a
    link to answer it, and to the curators. How many were queued."""
    service = feedback.service
    queued = 0
    providers = providers_of(service)
    for recipient in providers:
        context = {
            **_common(feedback),
            "kind": _kind(feedback.kind, recipient.locale),
            "answer_url": links.answer_url(feedback, recipient.address, recipient.locale),
            "edit_url": mail.absolute_url(
                "manage.edit_service", uuid=service.uuid, **links.language(recipient.locale)
            )
            if recipient.has_account
            else "",
        }
        queued += _send(recipient.address, "correction_forward", recipient.locale, context, feedback)
    return queued + forward_to_curators(feedback, forwarded=bool(providers))


def forward_to_curators(feedback: Feedback, forwarded: bool = False) -> int:
    """Queue the message to the listing's curators about a correction (the public's, or the provider's own:
    ``feedback.from_provider``); ``forwarded``: the provider was sent it too."""
    service = feedback.service
    queued = 0
    for recipient in curators_of(service):
        context = {
            **_common(feedback),
            "kind": _kind(feedback.kind, recipient.locale),
            "edit_url": mail.absolute_url("manage.edit_service", uuid=service.uuid, lang=recipient.locale)
            + "#corrections",
            "provider": service.provider.name if service.provider else "",
            "from_provider": feedback.from_provider,
            "forwarded": forwarded,
        }
        queued += _send(recipient.address, "correction_curator", recipient.locale, context, feedback)
    return queued


def _send(address: str, template: str, locale: str, context: dict, feedback: Feedback) -> int:
    digest = hashlib.sha256(address.encode()).hexdigest()[:40]
    try:
        message = mail.send(
            to=address,
            template=template,
            locale=locale,
            context=context,
            key=f"{template}:{feedback.id}:{digest}",
        )
    except ValueError:  # a contact address that is not one plain address: nobody to write to
        return 0
    return 0 if message is None else 1
