"""Writing a response: one check, one row builder, whatever the channel.

Every response is checked by ``check_response`` and its row built by ``response_row``, whether a
resident submits it online, staff key it in from paper (``channel="paper"``, ``"event"``, ...)
or it comes in a file:

- ``check_response(definition, answers, channel=..., received_on=..., status=...)`` checks the
  answers with the survey's own form fields, page by page along the route the answers take
  (``show_if``), and against the definition's ``checks``; then the channel, the date received
  (never in the future), a moderation status and its reason, and the comments to hide. It gives
  the ``NewResponse`` to store (only the answers the route shows) and every problem, keyed by
  column (``channel``, ``received_on``, ``status``, ``status_reason`` and ``hidden_comments``
  for those).
- ``store_response`` checks and writes one response in its own transaction (the online survey
  and paper entry); ``write_response`` writes one already checked. A second submit of the same
  draft returns the response already stored (the unique ``draft_token`` decides, so two submits
  at once still make one response). A response keyed in by staff is written to the audit log.
- ``add_responses`` adds many checked responses to the session (an import, all or nothing), each
  through ``response_row``; a status or a hidden comment given with one is recorded as a
  moderation (a ``ModerationEvent`` and an audit event) by the person who gave it.
"""
from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from .. import audit
from ..codes import CHANNEL_CODES, REFERENCE_ALPHABET, STATUS_CODES
from ..extensions import db
from ..models import Draft, ModerationEvent, Response, StaffUser, utcnow
from ..published import ConsultationLike
from .forms import validate_answers
from .journey import shown_answers

ATTEMPTS = 8
# A write that meets a lock held by a simultaneous submit (SQLite answers "database is locked" at
# once) is tried again after a short pause; a database that stays down still raises, for the 503.
LOCK_RETRIES = 5
MAX_REASON = 500
FUTURE_DATE = "The date received cannot be in the future."
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class InvalidAnswers(ValueError):
    """Answers that the survey itself would not accept; ``errors`` maps column -> message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


@dataclass
class NewResponse:
    """A response checked against its consultation's definition, ready to be written."""

    answers: dict[str, Any]
    channel: str = "online"
    received_on: dt.date | None = None
    status: str = "valid"
    status_reason: str = ""
    hidden_comments: list[str] = field(default_factory=list)
    # Set by an import: the same row imported again is recognised by it.
    import_key: str | None = None
    # The language the response was given in (a BCP 47 code such as en, pl, ro).
    language: str = "en"


def new_reference(prefix: str) -> str:
    """PREFIX-XXXX-XXXX: 8 random characters (40 bits) without look-alikes, never sequential."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{prefix}-{chars[:4]}-{chars[4:]}"


def _codes(codes: Iterable[str]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


def comment_columns(definition: dict) -> set[str]:
    """The columns holding a comment on a theme: the ones moderation can hide."""
    return {c for p in definition["pages"] if p.get("theme") for q in p["questions"]
            if q["type"] != "support" for c in q["columns"]}


def check_response(definition: dict, answers: dict[str, Any], *, channel: str = "online",
                   received_on: dt.date | None = None, status: str = "valid",
                   status_reason: str = "", hidden_comments: Iterable[str] = (),
                   language: str = "en",
                   today: dt.date | None = None) -> tuple[NewResponse, dict[str, str]]:
    """Check a whole response as the survey would; (the response to store, problems by column).

    ``answers`` are keyed by export column, as posted or as read from a file (codes, lists of
    codes, text, numbers). Answers to pages the route hides, and keys that are no column of the
    definition, are left out of the response. An empty problems dict means it can be written.
    """
    clean, errors = validate_answers(definition, answers)
    clean = shown_answers(definition, clean)
    if channel not in CHANNEL_CODES:
        errors["channel"] = (f"the channel is missing; give one of: {_codes(CHANNEL_CODES)}"
                             if not channel else
                             f"'{channel}' is not a channel; give one of: {_codes(CHANNEL_CODES)}")
    today = today or dt.datetime.now(dt.timezone.utc).date()
    if received_on is not None and received_on > today:
        errors["received_on"] = FUTURE_DATE
    status = status or "valid"
    if status not in STATUS_CODES:
        errors["status"] = (f"'{status}' is not a status; give one of: "
                            f"{_codes(STATUS_CODES)} (empty means valid)")
    elif status != "valid" and not status_reason:
        errors["status_reason"] = (f"a response marked '{status}' needs a reason here, as in "
                                   "moderation, so that others can see why")
    elif status == "valid" and status_reason:
        errors["status_reason"] = ("there is a reason but no status it is for: give the status "
                                   "(duplicate, campaign or invalid), or empty the reason")
    elif len(status_reason) > MAX_REASON:
        errors["status_reason"] = (f"the reason is {len(status_reason):,} characters long; keep "
                                   f"it under {MAX_REASON}")
    hidden = list(dict.fromkeys(hidden_comments))
    comments = comment_columns(definition) if hidden else set()
    for name in hidden:
        if name not in comments:
            errors.setdefault("hidden_comments", f"'{name}' is not a comment column")
        elif name not in clean:
            errors.setdefault("hidden_comments", f"the response hides the comment in '{name}', "
                                                 "but has no comment there")
    language = (language or "en").strip()
    if not LANGUAGE_CODE.match(language):
        # any language a response can come in, offered online or not (a letter in Arabic)
        errors["language"] = (f"'{language[:20]}' is not a language code; give one such as en, "
                              "pl, lt or ro")
    new = NewResponse(answers=clean, channel=channel, received_on=received_on, status=status,
                      status_reason=status_reason if status != "valid" else "",
                      hidden_comments=hidden, language=language)
    return new, errors


def response_row(consultation: ConsultationLike, new: NewResponse, *, submitted_at: dt.datetime,
                 entered_by_id: int | None = None, draft_token: str | None = None,
                 reference: str | None = None) -> Response:
    """The Response row of a checked response (not added to the session)."""
    answers = new.answers
    return Response(
        reference=reference or new_reference(consultation.definition["reference_prefix"]),
        consultation_id=consultation.id, draft_token=draft_token, import_key=new.import_key,
        submitted_at=submitted_at, received_on=new.received_on or submitted_at.date(),
        channel=new.channel, language=new.language, respondent_type=answers.get("respondent_type"),
        district=answers.get("district"), status=new.status, status_reason=new.status_reason,
        hidden_comments=list(new.hidden_comments), answers=answers, entered_by_id=entered_by_id)


def _user_id(user: StaffUser | int | None) -> int | None:
    return user.id if isinstance(user, StaffUser) else user


def store_response(consultation: ConsultationLike, answers: dict[str, Any],
                   channel: str = "online", received_on: dt.date | None = None,
                   draft_token: str | None = None, entered_by: StaffUser | int | None = None,
                   submitted_at: dt.datetime | None = None,
                   draft: Draft | None = None, language: str = "en") -> Response:
    """Check ``answers`` (keyed by export column) and store them as one Response; commits.

    Raises InvalidAnswers (a ValueError) when the response would not be accepted online, or
    its channel or date received is wrong. With ``draft_token`` (or the ``draft`` itself,
    already loaded by the caller), a response already stored for that draft is returned instead
    of a second one, and the draft is marked submitted in the same transaction. ``language`` is
    the language the response was given in (consult/i18n.py).
    """
    new, errors = check_response(consultation.definition, answers, channel=channel,
                                 received_on=received_on, language=language)
    if errors:
        raise InvalidAnswers(errors)
    return write_response(consultation, new, draft_token=draft_token, entered_by=entered_by,
                          submitted_at=submitted_at, draft=draft)


def write_response(consultation: ConsultationLike, new: NewResponse, *,
                   draft_token: str | None = None, entered_by: StaffUser | int | None = None,
                   submitted_at: dt.datetime | None = None,
                   draft: Draft | None = None) -> Response:
    """Write one response checked by ``check_response``, in its own transaction; commits.

    Two submits of one draft at once make one response: the unique ``draft_token`` turns the
    second insert away, and the second caller gets the first one's response. A reference
    already taken is drawn again.
    """
    if draft is not None:
        draft_token = draft.token
    submitted_at = submitted_at or utcnow()
    entered_by_id = _user_id(entered_by)
    busy = 0
    attempt = 0
    while attempt < ATTEMPTS:
        attempt += 1
        reference = new_reference(consultation.definition["reference_prefix"])
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
            response = response_row(consultation, new, submitted_at=submitted_at,
                                    entered_by_id=entered_by_id, draft_token=draft_token,
                                    reference=reference)
            db.session.add(response)
            if entered_by_id is not None:
                user = entered_by if isinstance(entered_by, StaffUser) else \
                    db.session.get(StaffUser, entered_by_id)
                db.session.flush()
                audit.record("response.entered", target=response.reference, rows=1, user=user,
                             consultation=consultation.slug, channel=new.channel,
                             received_on=response.received_on.isoformat())
                _moderations([(response, new)], user, submitted_at, source=new.channel)
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


def add_responses(consultation: ConsultationLike, news: Iterable[NewResponse],
                  user: StaffUser | None, *, submitted_at: dt.datetime | None = None,
                  source: str = "import", filename: str = "") -> tuple[int, int]:
    """Add checked responses to the session, each row built by ``response_row``, with the
    moderation each carries; not committed (the caller stores them all or none). Returns
    (responses added, moderations recorded)."""
    submitted_at = submitted_at or utcnow()
    user_id = user.id if user is not None else None
    stored: list[tuple[Response, NewResponse]] = []
    for new in news:
        response = response_row(consultation, new, submitted_at=submitted_at,
                                entered_by_id=user_id)
        db.session.add(response)
        stored.append((response, new))
    db.session.flush()  # the responses' ids, for their moderation events
    return len(stored), _moderations(stored, user, submitted_at, source=source,
                                     filename=filename)


def _moderations(stored: list[tuple[Response, NewResponse]], user: StaffUser | None,
                 at: dt.datetime, source: str, filename: str = "") -> int:
    """Record a status other than valid, and each hidden comment, given with a new response, as
    a moderation by ``user`` (as if done on the response's page); the number recorded."""
    user_id = user.id if user is not None else None
    where = {"source": source, **({"filename": filename} if filename else {})}
    reason = f"hidden in the imported file {filename}" if filename else f"hidden when entered ({source})"
    moderated = 0
    for response, new in stored:
        if new.status != "valid":
            moderated += 1
            db.session.add(ModerationEvent(
                response_id=response.id, user_id=user_id, at=at, action="status",
                old_status="valid", new_status=new.status, reason=new.status_reason))
            audit.record("moderation.status", target=response.reference, rows=1, user=user,
                         old_status="valid", new_status=new.status, **where)
        for column in new.hidden_comments:
            moderated += 1
            db.session.add(ModerationEvent(
                response_id=response.id, user_id=user_id, at=at, action="hide_comment",
                question_key=column, reason=reason[:500]))
            audit.record("moderation.hide_comment", target=response.reference, rows=1,
                         user=user, column=column, **where)
    return moderated


def _by_draft(token: str) -> Response | None:
    return db.session.execute(select(Response).where(Response.draft_token == token)).scalar_one_or_none()
