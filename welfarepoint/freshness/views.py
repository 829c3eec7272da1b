"""The pages a provider reaches from a freshness e-mail without signing in ("still correct", "needs changes",
the answer to a correction), and the managers' switch that lets reminders go to a contact address."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from welfarepoint import signed
from welfarepoint.accounts import scope
from welfarepoint.catalog.models import Feedback, Service
from welfarepoint.catalog.operations import CatalogError
from welfarepoint.extensions import db, limiter
from welfarepoint.freshness import answers, desk, links
from welfarepoint.freshness.forms import AnswerForm, ChangesForm, ConfirmForm
from welfarepoint.freshness.forwarding import forward_to_curators
from welfarepoint.manage.forms import ActionForm
from welfarepoint.manage.helpers import ensure_may, scoped_service
from welfarepoint.public.forms import FEEDBACK_LABELS

bp = Blueprint("freshness", __name__)

#: The answer's status for each reason a link is refused.
REFUSED_STATUS = {"expired": 410, "invalid": 400, "other": 404, "unpublished": 409}


def _refused(reason: str):
    return render_template("freshness/refused.html", reason=reason), REFUSED_STATUS[reason]


def _listing(uuid: str) -> Service | None:
    return db.session.execute(db.select(Service).where(Service.uuid == uuid)).unique().scalar_one_or_none()


def _form_limit() -> str:
    return current_app.config["FRESH_FORM_RATE_LIMIT"]


@bp.route("/provider/services/<uuid>/still-correct/<token>", methods=["GET", "POST"])
def check(uuid: str, token: str):
    """ "It is all still correct": the page names the listing, its one button records the check."""
    service = _listing(uuid)
    try:
        link = links.read_listing_link(links.CHECK, token, service)
    except links.Refused as refused:
        return _refused(refused.reason)
    if answers.already_checked(service, link):
        return render_template("freshness/checked.html", service=service, already=True)
    if service.status != "published":
        return _refused("unpublished")
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate():
            return render_template("freshness/check.html", service=service, form=form, expired_form=True), 400
        try:
            if signed.use_once(links.CHECK, token):
                answers.confirm(service, link)
            db.session.commit()
        except (CatalogError, IntegrityError):  # two clicks at once: the other one recorded it
            db.session.rollback()
        return redirect(url_for("freshness.check", uuid=uuid, token=token))
    return render_template("freshness/check.html", service=service, form=form, expired_form=False)


@bp.route("/provider/services/<uuid>/changes/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def changes(uuid: str, token: str):
    """ "It needs changes": a short form whose answer reaches the managers as a correction from the provider."""
    service = _listing(uuid)
    try:
        link = links.read_listing_link(links.CHANGES, token, service)
    except links.Refused as refused:
        return _refused(refused.reason)
    if service.status != "published":
        return _refused("unpublished")
    check_url = url_for("freshness.check", uuid=uuid, token=links.check_token(link))
    if signed.was_used(token):
        return render_template("freshness/changes_sent.html", service=service)
    form = ChangesForm()
    if request.method == "POST" and form.validate():
        try:
            if signed.use_once(links.CHANGES, token):
                feedback = answers.ask_changes(service, link, form.kind.data, form.message.data)
                forward_to_curators(feedback)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        except CatalogError as error:
            db.session.rollback()
            form.message.errors = [*form.message.errors, error.message]
            return render_template(
                "freshness/changes.html", service=service, form=form, check_url=check_url
            ), 400
        return redirect(url_for("freshness.changes", uuid=uuid, token=token))
    status = 400 if request.method == "POST" else 200
    return render_template("freshness/changes.html", service=service, form=form, check_url=check_url), status


@bp.route("/provider/corrections/<int:feedback_id>/answer/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def answer(feedback_id: int, token: str):
    """The provider's answer to a correction the public sent about its listing."""
    feedback = db.session.get(Feedback, feedback_id)
    try:
        link = links.read_correction_link(token, feedback)
    except links.Refused as refused:
        return _refused(refused.reason)
    kind = FEEDBACK_LABELS.get(feedback.kind, feedback.kind)
    if feedback.answer:
        return render_template("freshness/answered.html", feedback=feedback, kind=kind)
    form = AnswerForm()
    if request.method == "POST" and form.validate():
        try:
            answers.answer_correction(feedback, link.recipient, form.answer.data)
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
        except CatalogError as error:
            db.session.rollback()
            form.answer.errors = [*form.answer.errors, error.message]
            return render_template("freshness/answer.html", feedback=feedback, kind=kind, form=form), 400
        return redirect(url_for("freshness.answer", feedback_id=feedback_id, token=token))
    status = 400 if request.method == "POST" else 200
    return render_template("freshness/answer.html", feedback=feedback, kind=kind, form=form), status


@bp.post("/manage/services/<uuid>/contact-reminders")
@login_required
def listing_contact(uuid: str):
    """A manager lets (or stops) reminders and corrections going to the listing's contact address."""
    ensure_may("publish")
    service = scoped_service(uuid)
    if ActionForm().validate():
        desk.allow_contact(service, request.form.get("allow") == "1")
        db.session.commit()
        flash(desk.contact_message(service.contact_reminders), "success")
    else:
        flash(gettext("The form has expired: choose again."), "warning")
    return redirect(url_for("manage.edit_service", uuid=uuid, _anchor="reminders"))


@bp.post("/manage/organisations/<uuid>/contact-reminders")
@login_required
def organisation_contact(uuid: str):
    """A manager lets (or stops) reminders going to the contact address of every listing of an organisation."""
    ensure_may("network")
    organisation = scope.organisation(current_user, uuid)
    if organisation is None or not scope.may_edit_organisation(current_user, organisation):
        abort(404)
    if ActionForm().validate():
        desk.allow_contact(organisation, request.form.get("allow") == "1")
        db.session.commit()
        flash(desk.contact_message(organisation.contact_reminders), "success")
    else:
        flash(gettext("The form has expired: choose again."), "warning")
    return redirect(url_for("manage.edit_organisation", uuid=uuid, _anchor="reminders"))
