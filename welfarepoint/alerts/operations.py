"""E-mail alerts: ask, confirm, keep, stop; and the job that sends them and deletes the old ones.

Double opt-in: a new alert gets one message, asking to confirm it with a signed single-use link valid
:data:`CONFIRM_DAYS` days; nothing else is sent before. Once confirmed, :func:`send_alerts` (``flask mail alerts``
and the job runner, daily) tells its person of the listings that fit its permalink and were published or changed
since its last message, once per change (a message's key names the alert and the stretch of changes it covers).
Every message can stop the alert in one click, which deletes it; an alert not confirmed within
:data:`CONFIRM_DAYS` days, or not renewed for :data:`KEEP_DAYS`, is deleted by the same job.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, or_, select, update

from welfarepoint import mail, signed
from welfarepoint.alerts import fits, permalinks
from welfarepoint.alerts.models import Alert, aware, stamp
from welfarepoint.catalog.models import Service, now_utc
from welfarepoint.extensions import db
from welfarepoint.mail.models import MailMessage

log = logging.getLogger(__name__)

CONFIRM_DAYS = 7
KEEP_DAYS = 365
#: A stop or keep link works this long after its message (an alert lives at most a year without renewal).
LINK_DAYS = 400
#: Alerts waiting for confirmation one address may have: past it, asking again sends nothing.
WAITING_PER_ADDRESS = 5
#: An unconfirmed alert asked again this soon gets no second message.
ASK_AGAIN_AFTER = timedelta(minutes=10)
CONFIRM, KEEP, STOP = "alert-confirm", "alert-keep", "alert-stop"


class LinkProblem(Exception):
    """A link that cannot act: ``kind`` is "invalid" (forged, expired, or its alert is gone) or "used"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def token_for(purpose: str, alert: Alert) -> str:
    """A signed link token for ``purpose`` naming ``alert`` (its id and its creation)."""
    return signed.sign(purpose, a=alert.id, c=stamp(alert.created_at))


def _alert_of(purpose: str, token: str, max_days: int) -> Alert:
    """The alert a link names: the same id AND the same creation, so a link never acts on a later alert that
    happens to get the id of a deleted one."""
    try:
        data = signed.unsign(purpose, token, max_age=max_days * 24 * 3600)
    except signed.BadLink as error:
        raise LinkProblem("invalid") from error
    alert = db.session.get(Alert, data.get("a")) if isinstance(data.get("a"), int) else None
    if alert is None or stamp(alert.created_at) != data.get("c"):
        raise LinkProblem("invalid")
    return alert


def link(endpoint: str, purpose: str, alert: Alert) -> str:
    """The absolute address of a link of ``alert``'s messages, in its language."""
    return mail.absolute_url(endpoint, token=token_for(purpose, alert), lang=alert.locale)


def subscribe(email: str, permalink: permalinks.Permalink, locale: str, now: datetime | None = None) -> None:
    """Ask ``email`` to confirm an alert for ``permalink`` (in the caller's transaction).

    What the visitor is told never depends on what happens here: an alert already confirmed gets nothing, one
    waiting gets its message again (not twice within :data:`ASK_AGAIN_AFTER`), an address with
    :data:`WAITING_PER_ADDRESS` alerts waiting gets nothing more.
    """
    now = now or now_utc()
    alert = db.session.execute(
        select(Alert).where(Alert.email == email, Alert.permalink == permalink.address)
    ).scalar_one_or_none()
    if alert is not None:
        if alert.confirmed_at is not None or now - aware(alert.created_at) < ASK_AGAIN_AFTER:
            return
        alert.created_at = now  # the week to confirm starts again; the earlier link stops working
        alert.locale = locale
    else:
        waiting = db.session.scalar(
            select(func.count()).where(Alert.email == email, Alert.confirmed_at.is_(None))
        )
        if waiting >= WAITING_PER_ADDRESS:
            return
        alert = Alert(email=email, permalink=permalink.address, locale=locale, created_at=now)
        db.session.add(alert)
    db.session.flush()
    mail.send(
        email,
        "alert_confirm",
        locale=locale,
        context={
            "confirm_url": link("alerts.confirm", CONFIRM, alert),
            "page_url": mail.absolute_url("public.home").rstrip("/") + permalink.address,
            "what": fits.describe(permalink, locale),
            "days": CONFIRM_DAYS,
            "preferences_url": mail.absolute_url("public.privacy"),
        },
        key=f"alert-confirm:{alert.id}:{stamp(alert.created_at)}",
    )


def waiting_confirmation(token: str) -> Alert:
    """The alert a confirmation link is for (``LinkProblem`` if none, or if the link was used)."""
    alert = _alert_of(CONFIRM, token, CONFIRM_DAYS)
    if signed.was_used(token):
        raise LinkProblem("used")
    return alert


def confirm(token: str, now: datetime | None = None) -> Alert:
    """Confirm the alert of a confirmation link, once: its messages start with the changes from now on."""
    alert = waiting_confirmation(token)
    if not signed.use_once(CONFIRM, token):
        raise LinkProblem("used")
    now = now or now_utc()
    alert.confirmed_at = alert.confirmed_at or now
    alert.last_sent_at = alert.last_sent_at or now
    return alert


def to_keep(token: str) -> Alert:
    return _alert_of(KEEP, token, LINK_DAYS)


def keep(token: str, now: datetime | None = None) -> Alert:
    """Renew an alert for another :data:`KEEP_DAYS` days."""
    alert = to_keep(token)
    alert.renewed_at = now or now_utc()
    return alert


def to_stop(token: str) -> Alert:
    return _alert_of(STOP, token, LINK_DAYS)


def stop(token: str) -> None:
    """Delete the alert of a stop link, and the copies of its messages."""
    _delete([to_stop(token).id])


def _delete(ids: list[int]) -> int:
    """Delete these alerts and every message of theirs kept in the mail queue (sent, failed or still waiting:
    nothing more goes to an alert that is gone). Not one being sent at this very moment."""
    if not ids:
        return 0
    keys = [
        condition
        for alert_id in ids
        for condition in (
            MailMessage.key.like(f"alert:{alert_id}:%"),
            MailMessage.key.like(f"alert-confirm:{alert_id}:%"),
        )
    ]
    for start in range(0, len(keys), 200):
        db.session.execute(
            delete(MailMessage)
            .where(or_(*keys[start : start + 200]), MailMessage.status != "sending")
            .execution_options(synchronize_session=False)
        )
    db.session.execute(delete(Alert).where(Alert.id.in_(ids)).execution_options(synchronize_session=False))
    return len(ids)


def purge(now: datetime | None = None) -> int:
    """Delete the alerts not confirmed within :data:`CONFIRM_DAYS` and those not renewed for :data:`KEEP_DAYS`."""
    now = now or now_utc()
    unconfirmed = (Alert.confirmed_at.is_(None)) & (Alert.created_at < now - timedelta(days=CONFIRM_DAYS))
    old = (Alert.confirmed_at.is_not(None)) & (
        func.coalesce(Alert.renewed_at, Alert.confirmed_at) < now - timedelta(days=KEEP_DAYS)
    )
    ids = list(db.session.scalars(select(Alert.id).where(unconfirmed | old)))
    return _delete(ids)


@dataclass
class Run:
    """What a run of :func:`send_alerts` did."""

    deleted: int = 0
    looked_at: int = 0
    sent: int = 0


def send_alerts(now: datetime | None = None) -> Run:
    """Delete what is too old, then send each confirmed alert the listings that fit it and were published or
    changed since its last message (each alert in a transaction of its own). Running it again sends nothing
    twice: an alert's stretch of changes moves on with its message, in one transaction."""
    now = now or now_utc()
    run = Run(deleted=purge(now))
    db.session.commit()
    # Changes younger than ALERTS_DELAY_SECONDS wait for the next run: a long transaction (an import) dated its
    # listings when it started, and would otherwise commit them behind a run that already looked past them.
    until = now - timedelta(seconds=current_app.config["ALERTS_DELAY_SECONDS"])
    ids = list(
        db.session.scalars(
            select(Alert.id)
            .where(Alert.confirmed_at.is_not(None), Alert.last_sent_at < until)
            .order_by(Alert.id)
        )
    )
    for alert_id in ids:
        alert = db.session.get(Alert, alert_id)
        if alert is None:
            continue
        try:
            run.sent += _send_one(alert, until)
            run.looked_at += 1
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not send alert %s", alert_id)
    return run


def _send_one(alert: Alert, until: datetime) -> int:
    since = alert.last_sent_at
    moved = db.session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.last_sent_at == since)
        .values(last_sent_at=until)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # another run took this stretch
        return 0
    changed = list(
        db.session.scalars(
            select(Service.id).where(
                Service.status == "published", Service.updated_at > since, Service.updated_at <= until
            )
        )
    )
    if not changed:
        return 0
    permalink = permalinks.parse(alert.permalink)
    if permalink is None:
        return 0
    fitting = set(fits.fitting_ids(permalink, alert.locale)) & set(changed)
    if not fitting:
        return 0
    listings = fits.latest(list(fitting), limit=fits.FEED_ENTRIES)
    site = mail.absolute_url("public.home").rstrip("/")
    message = mail.send(
        alert.email,
        "alert_new",
        locale=alert.locale,
        context={
            "listings": [
                (
                    service.text("title", alert.locale)[0],
                    service.text("summary", alert.locale)[0],
                    mail.absolute_url("public.service", slug=service.slug, lang=alert.locale),
                )
                for service in listings
            ],
            "more": len(fitting) - len(listings),
            "what": fits.describe(permalink, alert.locale),
            "page_url": site + permalink.address,
            "feed_url": site + permalink.feed_address,
            "keep_url": link("alerts.keep", KEEP, alert),
            "unsubscribe_url": link("alerts.stop", STOP, alert),
            "preferences_url": link("alerts.keep", KEEP, alert),
            "keep_days": KEEP_DAYS,
        },
        key=f"alert:{alert.id}:{round(aware(since).timestamp() * 1_000_000)}",  # to the microsecond
    )
    return 1 if message is not None else 0
