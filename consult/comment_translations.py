"""Translations of comments, recorded by staff beside the original (which is never changed).

A comment in a language other than the analysis language is left out of the analysis's clusters
and codes and listed for translation (docs/analysis.md); once staff record a translation here,
the export carries it in ``translation__COLUMN`` (docs/export-format.md, format 3) and the
analysis clusters, codes and quotes it with the rest, marked as translated. Every recording,
change and removal is audited with the text before and after.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from . import audit
from .exports import columns, translatable
from .extensions import db
from .models import CommentTranslation, Response, StaffUser
from .survey.submission import LANGUAGE_CODE

MAX_TRANSLATION = 20_000  # characters


class TranslationError(ValueError):
    """A translation that cannot be recorded, with a message for the person recording it."""


def translatable_columns(response: Response) -> list[str]:
    """The response's free-text columns holding an answer (the ones a translation can be of)."""
    answers = response.answers or {}
    return [c.column for c in columns(response.consultation)
            if translatable(c) and isinstance(answers.get(c.column), str) and answers[c.column]]


def translations_of(response: Response) -> dict[str, CommentTranslation]:
    """The response's recorded translations, by comment column."""
    rows = db.session.scalars(sa.select(CommentTranslation)
                              .where(CommentTranslation.response_id == response.id))
    return {row.column: row for row in rows}


def record(response: Response, column: str, text: str, source_language: str,
           user: StaffUser | None) -> str:
    """Record (or change, or with empty ``text`` remove) the translation of one comment, audited;
    commits. Returns what was done: ``recorded``, ``changed``, ``removed`` or ``unchanged``.
    Raises TranslationError naming the problem."""
    if column not in translatable_columns(response):
        raise TranslationError("That comment is not part of this response.")
    text = (text or "").strip()
    if len(text) > MAX_TRANSLATION:
        raise TranslationError(f"The translation is {len(text):,} characters long; keep it "
                               f"under {MAX_TRANSLATION:,}.")
    source_language = (source_language or "").strip()
    if source_language and not LANGUAGE_CODE.match(source_language):
        raise TranslationError(f"'{source_language[:20]}' is not a language code; give one "
                               "such as pl, lt or ro.")
    existing = translations_of(response).get(column)
    details: dict[str, Any] = {"column": column, "source_language": source_language}
    if existing is None and not text:
        return "unchanged"
    if existing is not None and existing.text == text \
            and existing.source_language == source_language:
        return "unchanged"
    if existing is None:
        db.session.add(CommentTranslation(
            response_id=response.id, column=column, text=text, language="en",
            source_language=source_language, translated_by_id=user.id if user else None))
        done = "recorded"
    elif not text:
        details["old_text"] = existing.text
        db.session.delete(existing)
        done = "removed"
    else:
        details["old_text"] = existing.text
        existing.text = text
        existing.source_language = source_language
        existing.translated_by_id = user.id if user else None
        done = "changed"
    if text:
        details["text"] = text
    action = {"recorded": "record", "changed": "change", "removed": "remove"}[done]
    audit.record(f"translation.{action}", target=response.reference, rows=1, user=user,
                 **details)
    db.session.commit()
    return done
