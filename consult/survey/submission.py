"""Storing a response: one transaction, one row, whatever the channel.

``store_response`` is the only way a Response is written: the online survey calls it on submit,
staff paper entry calls it with ``channel="paper"``. The answers are checked with the same form
fields as the online pages; a second submit of the same draft returns the response already
stored (the unique ``draft_token`` decides, so two submits at once still make one response).
"""
from __future__ import annotations

import datetime as dt
import secrets
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from ..extensions import db
from ..models import CHANNELS, Consultation, Draft, Response, StaffUser, utcnow
from ..published import ConsultationLike
from .forms import validate_answers
from .journey import shown_answers

REFERENCE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
ATTEMPTS = 8
# A write that meets a lock held by a simultaneous submit (SQLite answers "database is locked" at
# once) is tried again after a short pause; a database that stays down still raises, for the 503.
LOCK_RETRIES = 5


class InvalidAnswers(ValueError):
    """Answers that the survey itself would not accept; ``errors`` maps column -> message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def new_reference(prefix: str) -> str:
    """PREFIX-XXXX-XXXX: 8 random characters (40 bits) without look-alikes, never sequential."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def store_response(consultation: ConsultationLike, answers: dict[str, Any],
                   channel: str = "online", received_on: dt.date | None = None,
                   draft_token: str | None = None, entered_by: StaffUser | int | None = None,
                   submitted_at: dt.datetime | None = None,
                   draft: Draft | None = None, language: str = "en") -> Response:
    """Check ``answers`` (keyed by export column) and store them as one Response; commits.

    Raises InvalidAnswers when an answer would not be accepted online. With ``draft_token`` (or
    the ``draft`` itself, already loaded by the caller), a response already stored for that draft
    is returned instead of a second one, and the draft is marked submitted in the same
    transaction. ``language`` is the language the response was given in (consult/i18n.py).
    Two submits of one draft at once make one response: the unique ``draft_token``
    turns the second insert away, and the second caller gets the first one's response.
    """
    if draft is not None:
        draft_token = draft.token
    if channel not in CHANNELS:
        raise ValueError(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
    definition = consultation.definition
    clean, errors = validate_answers(definition, answers)
    if errors:
        raise InvalidAnswers(errors)
    clean = shown_answers(definition, clean)
    submitted_at = submitted_at or utcnow()
    entered_by_id = entered_by.id if isinstance(entered_by, StaffUser) else entered_by
    prefix = definition["reference_prefix"]
    busy = 0
    attempt = 0
    while attempt < ATTEMPTS:
        attempt += 1
        reference = new_reference(prefix)
        try:
            if draft_token:
                # A loaded draft not yet marked submitted needs no look-up: if another submit of
                # it has just been stored, the unique draft_token refuses this one below.
                if draft is None or draft.submitted_at is not None or attempt > 1:
                    existing = _by_draft(draft_token)
                    if existing is not None:
                        return existing
                if draft is None:
                    draft = db.session.execute(
                        select(Draft).where(Draft.token == draft_token)).scalar_one_or_none()
                if draft is not None:
                    # The response holds the answers now; the draft keeps none of them (nor any
                    # given on pages the route no longer shows).
                    draft.submitted_at = submitted_at
                    draft.answers = {}
            response = Response(
                reference=reference, consultation_id=consultation.id, draft_token=draft_token,
                submitted_at=submitted_at, received_on=received_on or submitted_at.date(),
                channel=channel, language=language, respondent_type=clean.get("respondent_type"),
                district=clean.get("district"), status="valid", status_reason="",
                hidden_comments=[], answers=clean, entered_by_id=entered_by_id)
            db.session.add(response)
            db.session.commit()
            return response
        except OperationalError:
            db.session.rollback()
            busy += 1
            if busy > LOCK_RETRIES:
                raise
            attempt -= 1
            time.sleep(0.05 * busy)
        except IntegrityError:
            db.session.rollback()
            if draft_token:
                existing = _by_draft(draft_token)
                if existing is not None:  # the other submit of the same draft won: show its reference
                    return existing
            taken = db.session.execute(select(Response.id).where(Response.reference == reference)).first()
            if taken is None:
                raise
    raise RuntimeError(f"no free reference found after {ATTEMPTS} attempts")


def _by_draft(token: str) -> Response | None:
    return db.session.execute(select(Response).where(Response.draft_token == token)).scalar_one_or_none()
