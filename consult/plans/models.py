"""Plans, their themes and deliverables, reporting periods, progress updates and measures.

A plan is loaded from its file under ``instance/plans/`` (consult/plans/definitions.py) and then
edited by staff. Progress updates are only ever added: the current update of a deliverable in a
period is the latest one, and every earlier one stays as history.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import UTCDateTime, utcnow


class Plan(db.Model):
    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    years: Mapped[str] = mapped_column(String(40), default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    published_on: Mapped[dt.date | None] = mapped_column(Date)
    # The consultation whose evidence shaped the plan (its slug), and what each item is called
    # in this plan ("deliverable" in 2021-24, "priority action" in 2017).
    consultation_slug: Mapped[str | None] = mapped_column(String(100))
    item_name: Mapped[str] = mapped_column(String(40), default="deliverable")
    source: Mapped[str] = mapped_column(Text, default="")
    # The validated file as last loaded: a reload takes up what the file changed since, and
    # keeps what staff edited here that the file did not change.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    definition_sha256: Mapped[str] = mapped_column(String(64), default="")
    source_path: Mapped[str] = mapped_column(String(500), default="")
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    themes: Mapped[list[PlanTheme]] = relationship(
        back_populates="plan", order_by="PlanTheme.position", cascade="all, delete-orphan")
    periods: Mapped[list[ReportingPeriod]] = relationship(
        back_populates="plan", order_by="ReportingPeriod.starts_on", cascade="all, delete-orphan")

    @property
    def deliverables(self) -> list[Deliverable]:
        return [d for theme in self.themes for d in theme.deliverables]


class PlanTheme(db.Model):
    __tablename__ = "plan_theme"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    aim: Mapped[str] = mapped_column(Text, default="")
    what_we_will_do: Mapped[str] = mapped_column(Text, default="")
    # The key of the consultation's theme this theme answers (None: not linked).
    consultation_theme: Mapped[str | None] = mapped_column(String(100))

    plan: Mapped[Plan] = relationship(back_populates="themes")
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="theme", order_by="Deliverable.position", cascade="all, delete-orphan")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="theme", order_by="Measure.position", cascade="all, delete-orphan")


class Deliverable(db.Model):
    """A deliverable or priority action of a plan's theme. Empty lead, partners or due date
    mean the plan does not state them."""

    __tablename__ = "deliverable"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("plan_theme.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    reference: Mapped[str] = mapped_column(String(20), default="")
    title: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(Text, default="")
    lead: Mapped[str] = mapped_column(String(300), default="")
    partners: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    position: Mapped[int] = mapped_column(Integer)

    theme: Mapped[PlanTheme] = relationship(back_populates="deliverables")
    updates: Mapped[list[ProgressUpdate]] = relationship(
        back_populates="deliverable", order_by="ProgressUpdate.id")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="deliverable", order_by="Measure.position")

    @property
    def label(self) -> str:
        return f"{self.reference} {self.title}" if self.reference else self.title


class ReportingPeriod(db.Model):
    """A period the Panel is told about (a six-month interim report, the Annual Report)."""

    __tablename__ = "reporting_period"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)

    plan: Mapped[Plan] = relationship(back_populates="periods")


class ProgressUpdate(db.Model):
    """One deliverable's progress in one period, as recorded. Rows are never changed: a
    correction is a new row, and the latest row of a (deliverable, period) is the current one."""

    __tablename__ = "progress_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20))
    # What the previous period's status suggested (None: nothing to compare with).
    direction_proposed: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_by: Mapped[str] = mapped_column(String(254), default="")
    source: Mapped[str] = mapped_column(String(40), default="form")

    deliverable: Mapped[Deliverable] = relationship(back_populates="updates")
    period: Mapped[ReportingPeriod] = relationship()


class PeriodPublication(db.Model):
    """What the public plan page shows, frozen when staff publish a period. Withdrawn
    publications stay as history."""

    __tablename__ = "period_publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    published_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(254), default="")
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[str] = mapped_column(String(254), default="")
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    period: Mapped[ReportingPeriod] = relationship()


class Measure(db.Model):
    """A performance measure reported beside delivery (for example a National Crime and
    Policing Measure), on a theme or on one of its deliverables."""

    __tablename__ = "measure"
    __table_args__ = (UniqueConstraint("plan_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("plan_theme.id"), index=True)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id"))
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(60), default="")
    higher_is_better: Mapped[bool | None] = mapped_column(Boolean)
    position: Mapped[int] = mapped_column(Integer)

    theme: Mapped[PlanTheme] = relationship(back_populates="measures")
    deliverable: Mapped[Deliverable | None] = relationship(back_populates="measures")
    values: Mapped[list[MeasureValue]] = relationship(
        back_populates="measure", order_by="MeasureValue.id", cascade="all, delete-orphan")


class MeasureValue(db.Model):
    """A measure's value in a reporting period."""

    __tablename__ = "measure_value"
    __table_args__ = (UniqueConstraint("measure_id", "period_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("reporting_period.id"), index=True)
    value: Mapped[float] = mapped_column(Float)
    note: Mapped[str] = mapped_column(Text, default="")

    measure: Mapped[Measure] = relationship(back_populates="values")
    period: Mapped[ReportingPeriod] = relationship()


class ResultsPage(db.Model):
    """"We asked, you said, we did" for one consultation: what staff wrote (a draft they edit)
    and, once published, the page as published (``content``, frozen: figures, decisions and
    quotes do not change until staff publish again)."""

    __tablename__ = "results_page"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_slug: Mapped[str] = mapped_column(String(100), unique=True)
    # When and where the results will be, shown on the consultation's start and confirmation
    # pages until the page is published.
    results_expected: Mapped[str] = mapped_column(Text, default="")
    intro: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, published, withdrawn
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(254), default="")
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    decisions: Mapped[list[ThemeDecision]] = relationship(
        back_populates="page", order_by="ThemeDecision.id", cascade="all, delete-orphan")
    quotes: Mapped[list[ResultsQuote]] = relationship(
        back_populates="page", order_by="ResultsQuote.id", cascade="all, delete-orphan")


class ThemeDecision(db.Model):
    """What residents said about a theme (in staff's words) and what the office decided."""

    __tablename__ = "theme_decision"
    __table_args__ = (UniqueConstraint("page_id", "theme_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("results_page.id"), index=True)
    theme_key: Mapped[str] = mapped_column(String(100))
    you_said: Mapped[str] = mapped_column(Text, default="")
    we_did: Mapped[str] = mapped_column(Text, default="")
    # Keys of the plan's deliverables this decision led to.
    deliverables: Mapped[list[str]] = mapped_column(JSON, default=list)

    page: Mapped[ResultsPage] = relationship(back_populates="decisions")


class ResultsQuote(db.Model):
    """A comment staff chose to quote: redacted when chosen, edited by staff, published only
    once a person has approved it."""

    __tablename__ = "results_quote"
    __table_args__ = (UniqueConstraint("page_id", "theme_key", "response_reference"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    page_id: Mapped[int] = mapped_column(ForeignKey("results_page.id"), index=True)
    theme_key: Mapped[str] = mapped_column(String(100))
    response_reference: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    approved_by: Mapped[str] = mapped_column(String(254), default="")
    approved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    page: Mapped[ResultsPage] = relationship(back_populates="quotes")
