"""The outbox in the backend: admins read every message the site queued, sent or gave up, and send a failed one
again. Without an SMTP server (``make run``) it is where the site's e-mail can be read."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func, select

from welfarepoint.extensions import db
from welfarepoint.mail.compose import build
from welfarepoint.mail.delivery import send_again
from welfarepoint.mail.models import STATUSES, MailMessage
from welfarepoint.manage.blueprint import bp
from welfarepoint.manage.helpers import requires
from welfarepoint.paging import page_count, page_within

PER_PAGE = 50


@bp.route("/outbox")
@requires("outbox")
def outbox():
    """The messages, newest first, by status."""
    status = request.args.get("status", "")
    query = select(MailMessage)
    if status in STATUSES:
        query = query.where(MailMessage.status == status)
    else:
        status = ""
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = page_within(request.args.get("page", 1, type=int) or 1, total, PER_PAGE)
    messages = db.session.execute(
        query.order_by(MailMessage.id.desc()).limit(PER_PAGE).offset((page - 1) * PER_PAGE)
    ).scalars()
    counts = dict(
        db.session.execute(select(MailMessage.status, func.count()).group_by(MailMessage.status)).all()
    )
    return render_template(
        "manage/outbox.html",
        messages=list(messages),
        status=status,
        counts=counts,
        statuses=STATUSES,
        page=page,
        pages=page_count(total, PER_PAGE),
        total=total,
    )


@bp.route("/outbox/<int:message_id>")
@requires("outbox")
def outbox_message(message_id: int):
    """One message as its recipient reads it (the text part), with its headers and what became of it."""
    message = db.get_or_404(MailMessage, message_id)
    email = build(message)
    headers = [(name, value) for name, value in email.items() if name not in ("Content-Type", "MIME-Version")]
    return render_template("manage/outbox_message.html", message=message, headers=headers)


@bp.route("/outbox/<int:message_id>/again", methods=["POST"])
@requires("outbox")
def outbox_send_again(message_id: int):
    """Queue a failed message again (the admin checked it did not reach its recipient)."""
    message = db.get_or_404(MailMessage, message_id)
    if message.status != "failed":
        flash(gettext("Only a message that failed can be sent again."), "warning")
    else:
        send_again(message)
        db.session.commit()
        flash(gettext("The message is queued again."), "success")
    return redirect(url_for("manage.outbox_message", message_id=message.id))
