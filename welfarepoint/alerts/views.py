"""Feeds and e-mail alerts of the results pages. Thin: parse, call :mod:`operations` or :mod:`fits`, render."""

from __future__ import annotations

from datetime import datetime, time

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext

from welfarepoint import mail
from welfarepoint.alerts import feeds, fits, operations, permalinks
from welfarepoint.alerts.forms import AlertForm
from welfarepoint.catalog.models import now_utc
from welfarepoint.extensions import csrf, db, limiter
from welfarepoint.i18n import current_language
from welfarepoint.mail.addresses import check_address

bp = Blueprint("alerts", __name__)

#: How often one address may ask for alerts (``ALERT_RATE_LIMIT``), on top of the general limits.


@bp.get("/search/feed")
@bp.get("/match/family/feed")
@bp.get("/match/company/feed")
def feed():
    """The Atom feed of a search's or a questionnaire's results: the listings that fit, the latest change first."""
    permalink = permalinks.from_parts(
        request.path.removesuffix(permalinks.FEED_SUFFIX), request.args.items(multi=True)
    )
    if permalink is None:
        abort(404)
    language = current_language()
    site = mail.absolute_url("public.home").rstrip("/")
    entries = [
        (
            service,
            service.text("title", language)[0],
            service.text("summary", language)[0],
            mail.absolute_url("public.service", slug=service.slug, lang=language),
        )
        for service in fits.latest(fits.fitting_ids(permalink, language))
    ]
    what = fits.describe(permalink, language)
    today = now_utc()
    body = feeds.build(
        title=gettext("Welfare Point: %(what)s", what=what)
        if what
        else gettext("Welfare Point: all services"),
        subtitle=gettext("Services published or changed that fit these results, the latest first."),
        self_url=f"{site}{permalink.feed_address}{'&' if permalink.pairs else '?'}lang={language}",
        page_url=site + permalink.address,
        site=site,
        site_name=current_app.config["MAIL_SITE_NAME"],
        language=language,
        entries=entries,
        now=datetime.combine(today.date(), time(), tzinfo=today.tzinfo),
    )
    response = Response(body, mimetype="application/atom+xml")
    response.set_etag(feeds.digest(body))
    return response.make_conditional(request)


@bp.route("/alerts/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ALERT_RATE_LIMIT"], methods=["POST"])
def new():
    """Ask for an e-mail alert of a results page (``?for=`` its permalink): the address only, confirmed by e-mail.

    The answer is the same whatever happened to the address (:func:`operations.subscribe`)."""
    form = AlertForm()
    if request.method == "GET":
        form.permalink.data = request.args.get("for", "")
    permalink = permalinks.parse(form.permalink.data)
    if permalink is None:
        abort(404)
    if request.method == "POST":
        address, problem = check_address(form.email.data)
        if address is not None:
            operations.subscribe(address, permalink, current_language())
            db.session.commit()
            return redirect(url_for("alerts.asked", **{"for": permalink.address}), code=303)
        form.email.errors = [problem]
    page = render_template(
        "alerts/new.html", form=form, permalink=permalink, what=fits.describe(permalink, current_language())
    )
    return page, 400 if form.email.errors else 200


@bp.get("/alerts/asked")
def asked():
    """What happens next: the same page whatever the address (nothing says whether it was subscribed)."""
    return render_template(
        "alerts/asked.html",
        permalink=permalinks.parse(request.args.get("for", "")),
        days=operations.CONFIRM_DAYS,
    )


def _problem(problem: operations.LinkProblem):
    """Why a link cannot act: used (410) or invalid, expired or of an alert deleted (404)."""
    db.session.rollback()
    status = 410 if problem.kind == "used" else 404
    return render_template("alerts/link_problem.html", problem=problem.kind), status


def _link_page(template: str, alert, **values):
    permalink = permalinks.parse(alert.permalink)
    return render_template(
        template,
        permalink=permalink,
        what=fits.describe(permalink, current_language()) if permalink else "",
        **values,
    )


@bp.route("/alerts/confirm/<token>", methods=["GET", "POST"])
def confirm(token: str):
    """Confirm an alert from its first message: GET shows the button (a mail scanner opening the link confirms
    nothing), POST confirms, once."""
    try:
        if request.method == "GET":
            return _link_page("alerts/confirm.html", operations.waiting_confirmation(token), token=token)
        alert = operations.confirm(token)
    except operations.LinkProblem as problem:
        return _problem(problem)
    db.session.commit()
    return _link_page("alerts/done.html", alert, done="confirmed")


@bp.route("/alerts/keep/<token>", methods=["GET", "POST"])
def keep(token: str):
    """Keep an alert 12 more months, or stop it: the page every alert message links to."""
    try:
        if request.method == "GET":
            alert = operations.to_keep(token)
            stop_url = url_for("alerts.stop", token=operations.token_for(operations.STOP, alert))
            return _link_page("alerts/keep.html", alert, token=token, stop_url=stop_url)
        alert = operations.keep(token)
    except operations.LinkProblem as problem:
        return _problem(problem)
    db.session.commit()
    return _link_page("alerts/done.html", alert, done="kept")


@bp.route("/alerts/stop/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: a mail client posts "List-Unsubscribe=One-Click" here, with no form token nor cookie
def stop(token: str):
    """Stop an alert in one click: GET shows one button (no JavaScript needed), POST deletes the alert."""
    try:
        if request.method == "GET":
            return _link_page("alerts/stop.html", operations.to_stop(token), token=token)
        operations.stop(token)
    except operations.LinkProblem as problem:
        if request.method == "GET":
            return _problem(problem)
        db.session.rollback()  # stopped already: the alert is not there, which is what was asked
    db.session.commit()
    return render_template("alerts/done.html", done="stopped", permalink=None)
