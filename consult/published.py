"""What residents see of a consultation, read from the database at most every few seconds.

Every public page needs the consultation (its definition, themes and opening times) and nothing
a resident does changes it, so each process keeps a read-only snapshot per slug for
``CONSULTATION_CACHE_SECONDS`` (default 5; 0 reads it on every request). Whether the
consultation is open is always decided against the current time, so it opens and closes on the
second; what staff change (new closing date, reloaded definition) reaches residents within those
few seconds. A change committed in this process clears this process's snapshots at once.

``fingerprint`` names everything on a snapshot that shows on a page; the rendered-page cache of
``consult.survey.rendering`` keys on it, so a changed consultation is never served from pages
rendered before the change.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session, joinedload

from .extensions import db
from .models import Consultation, OpeningTimes, Theme

EXTENSION = "consult.published"


@dataclass(frozen=True)
class PublishedTheme:
    key: str
    title: str
    position: int
    summary: str
    what_we_will_do: str


@dataclass(frozen=True, eq=False)
class PublishedConsultation(OpeningTimes):
    """A consultation as residents see it; never written to (the definition is shared)."""

    id: int
    slug: str
    title: str
    summary: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    is_demo: bool
    definition: dict[str, Any] = field(repr=False)
    themes: tuple[PublishedTheme, ...]
    fingerprint: str

    @classmethod
    def of(cls, row: Consultation) -> PublishedConsultation:
        themes = tuple(PublishedTheme(t.key, t.title, t.position, t.summary, t.what_we_will_do)
                       for t in row.themes)
        shown = json.dumps([row.id, row.slug, row.title, row.summary, row.is_demo,
                            row.definition, [list(vars(t).values()) for t in themes]],
                           sort_keys=True, default=str)
        return cls(id=row.id, slug=row.slug, title=row.title, summary=row.summary,
                   opens_at=row.opens_at, closes_at=row.closes_at, is_demo=bool(row.is_demo),
                   definition=row.definition, themes=themes,
                   fingerprint=hashlib.sha256(shown.encode()).hexdigest()[:16])


class _Snapshots:
    def __init__(self) -> None:
        self.by_slug: dict[str, tuple[float, PublishedConsultation]] = {}
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.by_slug.clear()


# What the survey's functions accept: the model itself (staff paper entry) or its snapshot.
ConsultationLike = Consultation | PublishedConsultation


def _snapshots(app: Flask) -> _Snapshots:
    return app.extensions[EXTENSION]


def published(slug: str) -> PublishedConsultation | None:
    """The consultation with ``slug`` as residents see it, or None if there is none."""
    snapshots = _snapshots(current_app)
    ttl = current_app.config.get("CONSULTATION_CACHE_SECONDS", 0)
    now = time.monotonic()
    kept = snapshots.by_slug.get(slug)
    if kept is not None and now - kept[0] < ttl:
        return kept[1]
    row = db.session.execute(select(Consultation).options(joinedload(Consultation.themes))
                             .where(Consultation.slug == slug)).unique().scalar_one_or_none()
    if row is None:
        return None
    snapshot = PublishedConsultation.of(row)
    if ttl > 0:
        with snapshots.lock:
            snapshots.by_slug[slug] = (now, snapshot)
    return snapshot


def forget_all(app: Flask | None = None) -> None:
    """Drop this process's snapshots (after a change to any consultation)."""
    _snapshots(app or current_app).clear()


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = _Snapshots()


@event.listens_for(Session, "before_flush")
def _note_consultation_changes(session: Session, _context: Any, _instances: Any) -> None:
    changed = (session.new | session.dirty | session.deleted)
    if any(isinstance(obj, (Consultation, Theme)) for obj in changed):
        session.info["consultations_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_change(session: Session) -> None:
    if session.info.pop("consultations_changed", False):
        try:
            forget_all()
        except (RuntimeError, KeyError):  # outside an app, or an app without this extension
            pass
