"""Retention and erasure: the only ways a response ever leaves the database, both logged.

``purge`` (run on a schedule by ``flask purge``) removes drafts past their expiry and responses
whose consultation closed longer ago than its retention period; ``erase`` removes one response
by its reference, at a person's request.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from . import audit, jobs
from .extensions import db
from .models import CommentTranslation, Consultation, Draft, ModerationEvent, Response, StaffUser


@dataclass
class PurgeResult:
    drafts: int
    responses: int
    consultations: list[str]


def _delete_responses(where: sa.ColumnElement[bool]) -> int:
    ids = sa.select(Response.id).where(where).scalar_subquery()
    tokens = sa.select(Response.draft_token).where(where, Response.draft_token.is_not(None))
    db.session.execute(sa.delete(ModerationEvent).where(ModerationEvent.response_id.in_(ids)))
    db.session.execute(sa.delete(CommentTranslation).where(
        CommentTranslation.response_id.in_(ids)))
    db.session.execute(sa.delete(Draft).where(Draft.token.in_(tokens.scalar_subquery())))
    result = db.session.execute(sa.delete(Response).where(where))
    return result.rowcount or 0


def purge(now: dt.datetime | None = None, user: StaffUser | None = None,
          dry_run: bool = False) -> PurgeResult:
    now = now or dt.datetime.now(dt.timezone.utc)
    expired_drafts = Draft.expires_at < now
    draft_count = db.session.scalar(sa.select(sa.func.count()).select_from(Draft)
                                    .where(expired_drafts, Draft.submitted_at.is_(None))) or 0
    response_count = 0
    expired: list[str] = []
    for consultation in db.session.scalars(sa.select(Consultation).order_by(Consultation.slug)):
        ends = consultation.closes_at + dt.timedelta(days=consultation.retention_days)
        if ends > now:
            continue
        where = Response.consultation_id == consultation.id
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(where)) or 0
        if n:
            expired.append(consultation.slug)
            response_count += n
            if not dry_run:
                _delete_responses(where)
                jobs.forget_response(consultation.id)
                audit.record("purge.responses", target=consultation.slug, rows=n, user=user,
                             retention_days=consultation.retention_days,
                             closed_at=consultation.closes_at.isoformat())
    if not dry_run:
        # Unsubmitted drafts past expiry; submitted ones go with their response.
        db.session.execute(sa.delete(Draft).where(expired_drafts, Draft.submitted_at.is_(None)))
        audit.record("purge.drafts", target="expired drafts", rows=draft_count, user=user)
        db.session.commit()
    return PurgeResult(draft_count, response_count, expired)


def erase(reference: str, reason: str, user: StaffUser | None = None) -> bool:
    """Remove one response for good; False when no response has that reference."""
    reference = reference.strip().upper()
    response = db.session.scalar(sa.select(Response).where(Response.reference == reference))
    if response is None:
        return False
    slug = response.consultation.slug
    _delete_responses(Response.id == response.id)
    # Export and report files made since the response arrived hold it: they go with it.
    files = jobs.forget_response(response.consultation_id, response.id)
    audit.record("erase", target=reference, rows=1, user=user, consultation=slug, reason=reason,
                 job_files_deleted=files)
    db.session.commit()
    return True
