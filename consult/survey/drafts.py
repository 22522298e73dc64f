"""Drafts: answers kept server side while a resident goes through the pages.

The Flask session holds only the draft's token. Saving for later gives a resume code of 16
characters from an alphabet without look-alike characters (80 bits), stored only as its sha256.
The code is never in the cookie (which is signed, not encrypted, so readable by whoever sees
it): it is derived from the draft's token with the app's secret key, so the "saved" page can
show the same code again to the browser holding the draft. A draft ends when its consultation
closes.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, session
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..codes import REFERENCE_ALPHABET
from ..extensions import db
from ..models import Draft, utcnow
from ..published import ConsultationLike

ALPHABET = REFERENCE_ALPHABET  # resume codes use the references' characters
CODE_LENGTH = 16


def new_resume_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalise_code(text: str) -> str | None:
    """The code as typed (any case, spaces or hyphens) in its canonical form, or None if it is not one."""
    raw = "".join(ch for ch in (text or "").upper() if ch not in " -\t\n\r")
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def _tokens() -> dict[str, str]:
    return dict(session.get("drafts", {}))


def remember(consultation: ConsultationLike, draft: Draft) -> None:
    tokens = _tokens()
    if tokens.get(consultation.slug) != draft.token:  # else the cookie is not sent again
        tokens[consultation.slug] = draft.token
        session["drafts"] = tokens
    session.pop("codes", None)  # where older versions kept codes in the cookie


# Built once: every page a resident opens or answers reads its draft with this statement, and a
# statement object kept between requests keeps its compiled form and cache key too.
_DRAFT_BY_TOKEN = select(Draft).where(Draft.token == bindparam("token"),
                                      Draft.consultation_id == bindparam("consultation_id"))


def session_draft(consultation: ConsultationLike, *,
                  include_submitted: bool = False) -> Draft | None:
    """The draft this browser is answering for ``consultation``, if any and still usable."""
    token = _tokens().get(consultation.slug)
    if not token:
        return None
    draft = db.session.execute(_DRAFT_BY_TOKEN, {
        "token": token, "consultation_id": consultation.id}).scalar_one_or_none()
    if draft is None or draft.expires_at <= utcnow():
        return None
    if draft.submitted_at is not None and not include_submitted:
        return None
    return draft


def new_draft(consultation: ConsultationLike, language: str = "en") -> Draft:
    draft = Draft(consultation_id=consultation.id, token=secrets.token_hex(32), answers={},
                  expires_at=consultation.closes_at, language=language)
    db.session.add(draft)
    return draft


_SAVE_ANSWERS = (update(Draft.__table__)
                 .where(Draft.__table__.c.id == bindparam("draft_id"))
                 .values(answers=bindparam("new_answers"), current_page=bindparam("new_page"),
                         language=bindparam("new_language")))


def save_answers(consultation: ConsultationLike, draft: Draft | None, answers: dict,
                 current_page: str, language: str = "en") -> Draft:
    """Stores the draft's answers, the page it is on and the language it is being answered in,
    and commits: a new draft for a first
    answer, otherwise one UPDATE of its row (without the ORM's unit of work, which costs more
    than the statement on the page residents answer most)."""
    if draft is None:
        draft = new_draft(consultation, language)
        draft.answers = answers
        draft.current_page = current_page
    else:
        db.session.execute(_SAVE_ANSWERS, {"draft_id": draft.id, "new_answers": answers,
                                           "new_page": current_page, "new_language": language})
        set_committed_value(draft, "answers", answers)
        set_committed_value(draft, "language", language)
        set_committed_value(draft, "current_page", current_page)
    db.session.commit()
    return draft


def _code_from_token(token: str) -> str:
    digest = hmac.new(current_app.secret_key.encode() if isinstance(current_app.secret_key, str)
                      else current_app.secret_key, b"resume-code:" + token.encode(),
                      hashlib.sha256).digest()
    number = int.from_bytes(digest[:10], "big")  # 80 bits: 16 characters of 5 bits each
    raw = "".join(ALPHABET[(number >> (5 * i)) & 31] for i in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def resume_code_for(draft: Draft) -> str:
    """The draft's resume code, the same each time it is asked for (it is derived from the
    draft's token, which only the browser holding the draft and the database know, with the
    secret key); stored as its sha256 the first time."""
    code = _code_from_token(draft.token)
    if draft.resume_code_sha256 != hash_code(code):
        draft.resume_code_sha256 = hash_code(code)
    return code


def find_by_code(consultation: ConsultationLike, code: str) -> Draft | None:
    draft = db.session.execute(select(Draft).where(
        Draft.resume_code_sha256 == hash_code(code),
        Draft.consultation_id == consultation.id)).scalar_one_or_none()
    if draft is None or draft.submitted_at is not None or draft.expires_at <= utcnow():
        return None
    return draft
