"""The coding workbench's tables (migration coding_0001).

A codebook version belongs to one comment column of a consultation (``comment__THEME``,
``missing_from_plan``); its codes are kept as the list an ``analysis.coding.Codebook`` reads
(``{"name", "description", "examples"}``). A coding is one person's codes for one comment
under one version: ``kind`` "first" (the coder), "second" (the blind second coder of the
double-coded sample), "settled" (a disagreement settled) or "model" (the model's codes of a comment
nobody coded, with its confidence; consult/coding/model_codes.py). The comment a coding is of is the
response and the version's column.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import StaffUser, UTCDateTime, utcnow

CODING_KINDS = ("first", "second", "settled", "model")


class CodebookVersion(db.Model):
    __tablename__ = "codebook_version"
    __table_args__ = (UniqueConstraint("consultation_id", "column", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    column: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    # [{"name", "description", "examples": [...]}], in the codebook's order
    codes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_from: Mapped[str] = mapped_column(String(40), default="empty")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    sign_off: Mapped[SignOff | None] = relationship(back_populates="version", uselist=False)

    @property
    def names(self) -> list[str]:
        return [c["name"] for c in self.codes or []]

    @property
    def label(self) -> str:
        return f"version {self.number}"


class Coding(db.Model):
    __tablename__ = "coding"
    __table_args__ = (UniqueConstraint("version_id", "response_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("codebook_version.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="first")
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_quotable: Mapped[bool] = mapped_column(Boolean, default=False)
    # What the model suggested when the comment was shown: [{"code", "confidence"}] (its
    # probability for each suggested code), and the lowest of those (None: no suggestion, as
    # while too few comments are coded, and for the blind second coder).
    suggested: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    suggestion_confidence: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    coder: Mapped[StaffUser | None] = relationship()


class DoubleCodingAssignment(db.Model):
    """A comment of the sample a second analyst codes blind."""

    __tablename__ = "double_coding_assignment"
    __table_args__ = (UniqueConstraint("version_id", "response_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("codebook_version.id", ondelete="CASCADE"), index=True)
    response_id: Mapped[int] = mapped_column(
        ForeignKey("response.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"),
                                          index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"))
    assigned_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignOff(db.Model):
    """A lead analyst's sign-off of a codebook version and its coding, with the figures it had
    then; a signed-off version and its codings no longer change."""

    __tablename__ = "coding_sign_off"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("codebook_version.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    version: Mapped[CodebookVersion] = relationship(back_populates="sign_off")
    user: Mapped[StaffUser | None] = relationship()


class ModelRun(db.Model):
    """The model's last coding of a codebook version's remaining comments (migration
    modelcodes_0001): what it was trained on, which backend ran, and how well a model trained
    the same way, without the double-coded sample, agreed with people on that sample. The
    model's codes themselves are ``Coding`` rows of kind "model" (no coder); retraining replaces
    them and this row, never people's codings."""

    __tablename__ = "model_coding_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        ForeignKey("codebook_version.id", ondelete="CASCADE"), unique=True)
    job_id: Mapped[int | None] = mapped_column(ForeignKey("job.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id", ondelete="SET NULL"))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    backend: Mapped[str] = mapped_column(String(40), default="")
    trained_on: Mapped[int] = mapped_column(Integer, default=0)
    coded: Mapped[int] = mapped_column(Integer, default=0)
    # {"double_coded", "compared_with", "samples_f1", "samples_f1_low", "samples_f1_high",
    #  "alpha"}: the model against people on the double-coded sample (empty: no sample)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
