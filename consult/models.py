"""The database: consultations built from their definitions, drafts, responses, staff, audit.

Table and column names of ``consultation``, ``theme`` and ``response`` are part of the export
contract (docs/export-format.md): ``analysis.load`` reads them with plain SQL.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from .extensions import db


#: The largest row id: ids are 32-bit integer columns on SQLite and PostgreSQL alike. A number
#: beyond it, in a URL or a form, names no row (it would overflow the database's integer).
MAX_ID = 2**31 - 1


def as_id(value: Any) -> int | None:
    """``value`` as a row id when it is one written in digits (1 to ``MAX_ID``), else None."""
    text = str(value if value is not None else "")
    if not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


# A response's channel and moderation status are codes of consult/codes.py (CHANNELS,
# RESPONSE_STATUSES); only "valid" responses are counted (the counting rule).


class OpeningTimes:
    """Open from ``opens_at`` (inclusive) to ``closes_at`` (exclusive), both aware UTC datetimes
    given by the class that uses it (the model, and the snapshot residents' pages read)."""

    def is_open(self, now: dt.datetime | None = None) -> bool:
        now = now or utcnow()
        return self.opens_at <= now < self.closes_at

    def status(self, now: dt.datetime | None = None) -> str:
        now = now or utcnow()
        if now < self.opens_at:
            return "not open yet"
        if now >= self.closes_at:
            return "closed"
        return "open"


class Consultation(OpeningTimes, db.Model):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    opens_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    retention_days: Mapped[int] = mapped_column(Integer, default=730)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    demo_of: Mapped[str | None] = mapped_column(String(100))
    # The validated definition as loaded, and the hash of its source, so loading is idempotent.
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    definition_sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(String(500), default="")
    # Usual residents per area, from the definition's areas (their source and year are in
    # definition["areas"]), for representativeness on the dashboard.
    population: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    themes: Mapped[list[Theme]] = relationship(
        back_populates="consultation", order_by="Theme.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="consultation", order_by="Question.position", cascade="all, delete-orphan"
    )


class Theme(db.Model):
    __tablename__ = "theme"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="")
    what_we_will_do: Mapped[str] = mapped_column(Text, default="")

    consultation: Mapped[Consultation] = relationship(back_populates="themes")


class Question(db.Model):
    __tablename__ = "question"
    __table_args__ = (UniqueConstraint("consultation_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    page: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(Text)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    consultation: Mapped[Consultation] = relationship(back_populates="questions")


class Draft(db.Model):
    """Answers being given, kept server side; resumable with a code whose hash is stored."""

    __tablename__ = "draft"
    # Columns the database fills in (``language`` on rows written without one) are read when
    # used, not returned by every insert.
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    resume_code_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_page: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20), default="online")
    # The language the resident was answering in (consult/i18n.py); resuming brings it back.
    language: Mapped[str] = mapped_column(String(10), server_default="en")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Response(db.Model):
    """One submitted response. ``draft_token`` and ``import_key`` make submits idempotent."""

    __tablename__ = "response"
    # The responses list, newest first, walks this index a page at a time (keyset pages).
    __table_args__ = (Index("ix_response_consultation_id_submitted_at",
                            "consultation_id", "submitted_at", "id"),
                      # the dashboard's responses by language, and the list's language filter
                      Index("ix_response_consultation_id_status_language",
                            "consultation_id", "status", "language"))
    __mapper_args__ = {"eager_defaults": False}

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    draft_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    import_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    received_on: Mapped[dt.date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="online")
    # The language the response was given in (the page's language when it was sent).
    language: Mapped[str] = mapped_column(String(10), server_default="en")
    respondent_type: Mapped[str | None] = mapped_column(String(50), index=True)
    district: Mapped[str | None] = mapped_column(String(50), index=True)
    status: Mapped[str] = mapped_column(String(20), default="valid", index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    hidden_comments: Mapped[list[str]] = mapped_column(JSON, default=list)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    consultation: Mapped[Consultation] = relationship()


class CommentTranslation(db.Model):
    """A translation of one comment of a response, recorded by staff and kept beside the
    original (which is never changed). One per response and comment column; changes are
    audited (``comment_translation.record`` / ``.change``)."""

    __tablename__ = "comment_translation"
    __table_args__ = (UniqueConstraint("response_id", "column",
                                       name="uq_comment_translation_response_column"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"),
                                             index=True)
    # the export column of the comment, e.g. comment__crime_prevention
    column: Mapped[str] = mapped_column(String(100))
    # the language the comment was written in, and the language of the translation
    source_language: Mapped[str] = mapped_column(String(10), default="")
    language: Mapped[str] = mapped_column(String(10), default="en")
    text: Mapped[str] = mapped_column(Text)
    translated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Changed at every login and logout; the session carries it, so old sessions stop working.
    session_token: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses deactivated accounts
        return bool(self.active)

    def get_id(self) -> str:
        # The session names the account and its current session token: a new token at each
        # sign-in and sign-out ends every older session of the account.
        return f"{self.id}:{self.session_token}"


class ModerationEvent(db.Model):
    """What a moderator did; moderation changes a status or hides a comment, never deletes."""

    __tablename__ = "moderation_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("response.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    action: Mapped[str] = mapped_column(String(40))
    question_key: Mapped[str | None] = mapped_column(String(100))
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")


class AuditEvent(db.Model):
    """Who did what and when: exports, imports, erasures, purges, account changes, logins."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    actor: Mapped[str] = mapped_column(String(254), default="")
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(300), default="")
    rows: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ImportBatch(db.Model):
    """One all-or-nothing import of responses from a file."""

    __tablename__ = "import_batch"
    __table_args__ = (UniqueConstraint("consultation_id", "file_sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id"), index=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# What a job is doing; "queued" and "running" are active (consult/jobs.py).
JOB_STATUSES = ("queued", "running", "done", "failed")
JOB_KINDS = ("export", "report", "import", "purge")


class Job(db.Model):
    """Long staff work run by a job worker: what was asked, how far it has got, what it made.

    ``active_key`` names what the job makes (kind and parameters) while it is queued or running
    and is NULL afterwards; being unique, it lets the database itself refuse a second job making
    the same thing at the same time. ``heartbeat_at`` is renewed by the worker while it runs: a
    running job whose heartbeat is older than the lease was left by a worker that stopped.
    """

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    params_key: Mapped[str] = mapped_column(String(300), index=True)
    active_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    step: Mapped[str] = mapped_column(String(200), default="")
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_total: Mapped[int | None] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"name", "download_name", "mimetype", "size"}] of the files kept in job_file_chunk
    files: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The highest response id when the file was written: the file holds no later response.
    max_response_id: Mapped[int | None] = mapped_column(Integer)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    worker: Mapped[str] = mapped_column(String(200), default="")

    consultation: Mapped[Consultation | None] = relationship()
    requested_by: Mapped[StaffUser | None] = relationship()


class JobFileChunk(db.Model):
    """A file a job made, kept in the database in pieces of at most 1 MiB, so that every app
    server can send it and a delete removes it for good."""

    __tablename__ = "job_file_chunk"
    __table_args__ = (UniqueConstraint("job_id", "name", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)


# The running counts the dashboard reads, kept by triggers (consult/counts.py); imported here
# so that every user of the models (create_all, migrations) sees their tables.
from . import counts as _counts  # noqa: E402,F401

# Plans and their delivery live in their own module; importing it here registers their tables.
from .plans.models import (  # noqa: E402,F401
    Deliverable,
    Measure,
    MeasureValue,
    PeriodPublication,
    Plan,
    PlanTheme,
    ProgressUpdate,
    ReportingPeriod,
    ResultsPage,
    ResultsQuote,
    ThemeDecision,
)

# The coding workbench's tables (codebook versions, codings, the double-coded sample, sign-off).
from .coding.models import (  # noqa: E402,F401
    CodebookVersion,
    Coding,
    DoubleCodingAssignment,
    SignOff,
)
