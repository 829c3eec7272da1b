"""Catalog tables: organisations (enti), alliances (Alleanze locali), services (azioni/servizi), revisions.

Only the functions of :mod:`welfarepoint.catalog.operations` write these tables.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from welfarepoint.extensions import db


def now_utc() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_uuid() -> str:
    """A random UUID as text: the public identifier of organisations and services."""
    return str(uuid_module.uuid4())


class Organisation(db.Model):
    """An ente or partner: a provider of services and/or a member of alliances; one of 10 types."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40), index=True)
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.istat_code"))
    website: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc, onupdate=now_utc)

    municipality = relationship("Municipality", lazy="joined")
    memberships: Mapped[list[AllianceMember]] = relationship(back_populates="organisation")

    # helper "fresh" (issue 25 point 4): a manager lets the freshness e-mails about its listings go to the
    # contact address when the organisation has no provider account; off unless a manager turns it on.
    contact_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class OrganisationRedirect(db.Model):
    """An organisation merged into another: its old address leads to the one it was merged into."""

    __tablename__ = "organisation_redirect"

    old_uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    old_name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    merged_by: Mapped[str] = mapped_column(String(200), default="")
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    organisation: Mapped[Organisation] = relationship()


class Alliance(db.Model):
    """An Alleanza locale: a partnership of organisations of one ATS that runs actions in a programme period."""

    __tablename__ = "alliance"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    ats: Mapped[str] = mapped_column(String(40), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)

    lead: Mapped[Organisation | None] = relationship(foreign_keys=[lead_id])
    members: Mapped[list[AllianceMember]] = relationship(
        back_populates="alliance", cascade="all, delete-orphan", order_by="AllianceMember.organisation_id"
    )

    def __repr__(self) -> str:
        return f"<Alliance {self.name!r} ({self.ats})>"


class AllianceMember(db.Model):
    """The membership of an organisation in an alliance, with its role (lead, partner, supporter)."""

    __tablename__ = "alliance_member"

    alliance_id: Mapped[int] = mapped_column(ForeignKey("alliance.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), default="partner")

    alliance: Mapped[Alliance] = relationship(back_populates="members")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships", lazy="joined")


class ServiceCoverage(db.Model):
    """One municipality a service covers; a service with none covers the whole of its ATS."""

    __tablename__ = "service_coverage"

    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(ForeignKey("municipality.istat_code"), primary_key=True)


class Service(db.Model):
    """A listing: an azione or servizio a person, a family or a company can use.

    The columns hold the current content. While a published listing has changes waiting for review, those
    changes live in ``draft`` (a mapping of field -> value) and the public keeps seeing the columns.
    """

    __tablename__ = "service"
    __table_args__ = (
        UniqueConstraint("external_id"),
        # The backend's list, most recently changed first, read a page at a time.
        Index("ix_service_updated_at_id", "updated_at", "id"),
        Index("ix_service_status_updated_at", "status", "updated_at", "id"),
        # "Overdue" (and the counts of each status) answered from the index alone, in the region or one ATS.
        Index("ix_service_status_review", "status", "last_verified", "review_interval_days"),
        Index("ix_service_ats_review", "ats", "status", "last_verified", "review_interval_days"),
        # The few listings with changes waiting for review (``draft`` is NULL for nearly all of them).
        Index(
            "ix_service_pending",
            "id",
            sqlite_where=text("draft IS NOT NULL"),
            postgresql_where=text("draft IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    slug: Mapped[str] = mapped_column(String(160), unique=True)
    external_id: Mapped[str] = mapped_column(String(100))

    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    title_en: Mapped[str] = mapped_column(String(200), default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")

    audience: Mapped[str] = mapped_column(String(20), index=True)
    category: Mapped[str] = mapped_column(String(4), index=True)
    needs: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)

    ats: Mapped[str] = mapped_column(String(40), index=True)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    company_sizes: Mapped[list[str]] = mapped_column(JSON, default=list)
    periods: Mapped[list[str]] = mapped_column(JSON, default=list)
    time_slots: Mapped[list[str]] = mapped_column(JSON, default=list)
    schedule_notes: Mapped[str] = mapped_column(Text, default="")

    cost: Mapped[str] = mapped_column(String(20))
    cost_notes: Mapped[str] = mapped_column(Text, default="")
    cost_notes_en: Mapped[str] = mapped_column(Text, default="")
    how_to_access: Mapped[str] = mapped_column(Text, default="")
    how_to_access_en: Mapped[str] = mapped_column(Text, default="")

    provider_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    alliance_id: Mapped[int | None] = mapped_column(ForeignKey("alliance.id"), index=True)

    address: Mapped[str] = mapped_column(String(300), default="")
    municipality_code: Mapped[str | None] = mapped_column(ForeignKey("municipality.istat_code"))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["it"])

    capacity: Mapped[int | None] = mapped_column(Integer)
    availability: Mapped[str] = mapped_column(String(20), default="open")
    enrolment_deadline: Mapped[date | None] = mapped_column(Date)

    # Structured eligibility and access (what cards, the service page, the list and HSDS show as data).
    #: Whose age ``age_min``/``age_max`` are: the person, the child, the person cared for, the carer, the worker.
    age_of: Mapped[str] = mapped_column(String(20), default="")
    #: Residence or employment condition (vocabulary ``residence``); empty: open to anyone.
    residence: Mapped[str] = mapped_column(String(30), default="")
    conditions: Mapped[str] = mapped_column(Text, default="")
    conditions_en: Mapped[str] = mapped_column(Text, default="")
    #: The highest ISEE (indicatore della situazione economica equivalente) admitted, in euros.
    isee_max: Mapped[int | None] = mapped_column(Integer)
    documents: Mapped[list[str]] = mapped_column(JSON, default=list)
    documents_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: How to apply, as numbered steps.
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    steps_en: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The cost in euro cents (exact), per ``cost_period``; see :attr:`cost_amount`.
    cost_cents: Mapped[int | None] = mapped_column(Integer)
    cost_period: Mapped[str] = mapped_column(String(20), default="")
    #: Opening hours as rules (``Mo-Fr 09:00-12:00; Sa 09:00-12:00``, see :mod:`welfarepoint.catalog.access`).
    hours: Mapped[str] = mapped_column(String(500), default="")
    enrolment_opens: Mapped[date | None] = mapped_column(Date)
    #: The only way in, when there is one (vocabulary ``channels``: through the employer, the school, ...).
    channel: Mapped[str] = mapped_column(String(30), default="")

    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    #: When two listings were merged: the one this (archived) listing's address now leads to.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=180)
    last_verified: Mapped[date | None] = mapped_column(Date)
    last_verified_by: Mapped[str] = mapped_column(String(200), default="")

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    created_by: Mapped[str] = mapped_column(String(200), default="")
    updated_by: Mapped[str] = mapped_column(String(200), default="")

    # --- helper "region" (issue 24 point 5): funded actions of an alliance ---
    #: A funded action of its alliance, counted in the Region's monitoring: only when a manager says so.
    funded_action: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The programme period the funded action belongs to ("2023-2025"); empty when it is not one.
    programme_period: Mapped[str] = mapped_column(String(9), default="")
    # helper "fresh" (issue 25 point 4): the freshness e-mails may go to this listing's contact address (when its
    # organisation has no provider account); a manager's switch, not the listing's content.
    contact_reminders: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    #: The listing this one was merged into (read when an archived listing's page says where it leads).
    merged_into: Mapped[Service | None] = relationship(
        remote_side="Service.id", foreign_keys="Service.merged_into_id", lazy="select", viewonly=True
    )

    provider: Mapped[Organisation] = relationship(lazy="joined")
    alliance: Mapped[Alliance | None] = relationship(lazy="joined")
    municipality = relationship("Municipality", lazy="joined")
    coverage: Mapped[list[ServiceCoverage]] = relationship(
        cascade="all, delete-orphan", order_by=ServiceCoverage.municipality_code, lazy="selectin"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="service", cascade="all, delete-orphan", order_by="Revision.id"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def coverage_codes(self) -> list[str]:
        """ISTAT codes of the covered municipalities; empty means the whole ATS."""
        return [row.municipality_code for row in self.coverage]

    @property
    def cost_amount(self) -> Decimal | None:
        """The cost in euros, exact to the cent (None when curators gave no amount)."""
        return None if self.cost_cents is None else (Decimal(self.cost_cents) / 100).quantize(Decimal("0.01"))

    @cost_amount.setter
    def cost_amount(self, value: Decimal | None) -> None:
        self.cost_cents = None if value is None else int(Decimal(value) * 100)

    def texts(self, name: str, language: str) -> tuple[list[str], str]:
        """The list field ``name`` (steps, documents) in ``language`` when curators wrote it, else the Italian."""
        if language != "it" and (translated := getattr(self, f"{name}_{language}", None)):
            return list(translated), language
        return list(getattr(self, name) or []), "it"

    def text(self, name: str, language: str) -> tuple[str, str]:
        """The text of field ``name`` in ``language`` when curators wrote it, else the Italian; and its language."""
        if language != "it":
            translated = getattr(self, f"{name}_{language}", "")
            if translated:
                return translated, language
        return getattr(self, name), "it"

    def review_due(self) -> date | None:
        """The date by which the listing should be verified again (None if it never was)."""
        if self.last_verified is None:
            return None
        return self.last_verified + timedelta(days=self.review_interval_days)

    def is_overdue(self, today: date) -> bool:
        """Whether the listing should have been verified before ``today``."""
        due = self.review_due()
        return due is None or due < today

    def __repr__(self) -> str:
        return f"<Service {self.slug} {self.status}>"


class Revision(db.Model):
    """One change to a service: who, when, what (field -> [old, new]) and the full content after it."""

    __tablename__ = "revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    author: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    # helper "inbox" (issue 24): why a change was made (a send-back's reason, a correction's resolution note),
    # and whom it is addressed to (the editor a submission is sent back to).
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    addressee: Mapped[str] = mapped_column(String(200), default="", server_default="", index=True)

    service: Mapped[Service] = relationship(back_populates="revisions")

    def __repr__(self) -> str:
        return f"<Revision {self.service_id} v{self.version} {self.action}>"


class Feedback(db.Model):
    """A correction suggested by the public for a listing, waiting in its territory's queue."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now_utc)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str] = mapped_column(String(200), default="")
    # helper "inbox" (issue 24): the note written when the suggestion was resolved or dismissed.
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    # helper "fresh" (issue 25 points 4, 5): the provider's address when the provider sent it, answering a reminder
    # (empty: the public's, of whom nothing is kept); the provider's answer to it from the forwarded e-mail.
    from_provider: Mapped[str] = mapped_column(String(254), default="", server_default="")
    answer: Mapped[str] = mapped_column(Text, default="", server_default="")
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[str] = mapped_column(String(254), default="", server_default="")

    service: Mapped[Service] = relationship()


class CatalogState(db.Model):
    """One row: a number that goes up with every committed change to the listings.

    Each app instance keeps its own search index; comparing this number with the one its index last caught up
    with tells it, for the price of one tiny query, that another instance changed the catalog.
    """

    __tablename__ = "catalog_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=0)


# helper "inbox" (issue 24): suspected duplicates (the same title twice in one ATS) read from this index alone;
# published listings' enrolment deadlines near today; the few listings whose periods say "all year" and a season.
Index("ix_service_ats_title_status", Service.ats, Service.title, Service.status)
Index("ix_service_status_deadline", Service.status, Service.enrolment_deadline)
#: The listings whose periods say "all year" and a season too (SQL; the same text in the index and the query).
CONTRADICTORY_PERIODS = (
    "CAST(periods AS VARCHAR) LIKE '%\"all_year\"%' AND (CAST(periods AS VARCHAR) LIKE '%\"summer\"%' "
    "OR CAST(periods AS VARCHAR) LIKE '%\"christmas\"%' OR CAST(periods AS VARCHAR) LIKE '%\"easter\"%')"
)
Index(
    "ix_service_contradictory_periods",
    Service.id,
    sqlite_where=text(CONTRADICTORY_PERIODS),
    postgresql_where=text(CONTRADICTORY_PERIODS),
)
