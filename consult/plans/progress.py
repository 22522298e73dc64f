"""Progress updates: recording one, reading the current one, and the history.

An update is only ever added. The current update of a deliverable in a period is its latest
row; the earlier rows are the history. Every update is written to the audit log with the change
it records, in the same transaction.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from .. import audit
from ..extensions import db
from .codes import DIRECTIONS, NOTE_REQUIRED, STATUSES, propose_direction
from .models import Deliverable, Measure, MeasureValue, Plan, ProgressUpdate, ReportingPeriod

MAX_NOTE = 5000
MAX_EVIDENCE = 20


class UpdateError(ValueError):
    """An update that cannot be recorded; ``problems`` maps each field to what is wrong."""

    def __init__(self, problems: dict[str, str]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def previous_period(period: ReportingPeriod) -> ReportingPeriod | None:
    earlier = [p for p in period.plan.periods if p.starts_on < period.starts_on]
    return max(earlier, key=lambda p: p.starts_on) if earlier else None


def next_period(period: ReportingPeriod) -> ReportingPeriod | None:
    later = [p for p in period.plan.periods if p.starts_on > period.starts_on]
    return min(later, key=lambda p: p.starts_on) if later else None


def current_updates(period: ReportingPeriod | None) -> dict[int, ProgressUpdate]:
    """deliverable id -> its current (latest) update in ``period``."""
    if period is None:
        return {}
    rows = db.session.scalars(select(ProgressUpdate).where(ProgressUpdate.period_id == period.id)
                              .order_by(ProgressUpdate.id)).all()
    return {row.deliverable_id: row for row in rows}  # later rows replace earlier ones


def current_update(deliverable: Deliverable, period: ReportingPeriod | None) -> ProgressUpdate | None:
    if period is None:
        return None
    return db.session.scalars(
        select(ProgressUpdate).where(ProgressUpdate.deliverable_id == deliverable.id,
                                     ProgressUpdate.period_id == period.id)
        .order_by(ProgressUpdate.id.desc()).limit(1)).first()


def proposed_direction(deliverable: Deliverable, period: ReportingPeriod, status: str) -> str | None:
    """The direction of travel the previous period's status suggests for ``status``."""
    before = previous_period(period)
    previous = current_update(deliverable, before)
    return propose_direction(previous.status if previous else None, status)


def parse_evidence(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Evidence links, one a line, each ``https://address`` or ``Label | https://address``."""
    links: list[dict[str, str]] = []
    problems: list[str] = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, _, url = line.rpartition("|") if "|" in line else ("", "", line)
        label, url = label.strip(), url.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or " " in url:
            problems.append(f"line {number}: {url[:80]!r} is not a web address starting "
                            "https:// (write one link a line, optionally 'Label | https://...')")
            continue
        links.append({"label": label[:200] or url, "url": url[:2000]})
    if len(links) > MAX_EVIDENCE:
        problems.append(f"give at most {MAX_EVIDENCE} links")
    return links, problems


@dataclass
class UpdateInput:
    status: str
    direction: str
    note: str = ""
    next_steps: str = ""
    evidence: list[dict[str, str]] = field(default_factory=list)


def check_update(data: UpdateInput) -> dict[str, str]:
    problems: dict[str, str] = {}
    if data.status not in STATUSES:
        problems["status"] = "Choose the status: " + ", ".join(STATUSES.values()).lower()
    if data.direction not in DIRECTIONS:
        problems["direction"] = "Choose the direction of travel: improving, no change or worsening"
    if data.status in NOTE_REQUIRED and not data.note.strip():
        problems["note"] = (f"Write a note saying why it is {STATUSES[data.status].lower()} and "
                            "what is being done: the Panel reads it")
    for name in ("note", "next_steps"):
        if len(getattr(data, name)) > MAX_NOTE:
            problems[name] = f"Write at most {MAX_NOTE:,} characters"
    return problems


def record_update(deliverable: Deliverable, period: ReportingPeriod, data: UpdateInput, *,
                  user: Any = None, actor: str | None = None, source: str = "form",
                  commit: bool = True) -> ProgressUpdate:
    """Add an update (never changes an earlier one) and its audit event; raises UpdateError."""
    if period.plan_id != deliverable.plan_id:
        raise UpdateError({"period": "This period belongs to another plan"})
    problems = check_update(data)
    if problems:
        raise UpdateError(problems)
    before = current_update(deliverable, period)
    event = audit.record("plan.progress", target=f"{period.plan.slug}/{period.key}/{deliverable.key}",
                         user=user, actor=actor, status=data.status, direction=data.direction,
                         previous_status=before.status if before else None, source=source)
    update = ProgressUpdate(
        deliverable_id=deliverable.id, period_id=period.id, status=data.status,
        direction=data.direction,
        direction_proposed=proposed_direction(deliverable, period, data.status),
        note=data.note.strip(), next_steps=data.next_steps.strip(), evidence=list(data.evidence),
        recorded_at=dt.datetime.now(dt.timezone.utc), recorded_by=event.actor,
        recorded_by_id=event.user_id, source=source)
    db.session.add(update)
    if commit:
        db.session.commit()
    return update


def history(deliverable: Deliverable) -> list[ProgressUpdate]:
    """Every update of a deliverable, newest first."""
    return sorted(deliverable.updates, key=lambda u: (u.period.starts_on, u.id), reverse=True)


def set_measure_value(measure: Measure, period: ReportingPeriod, value: float | None, note: str = "",
                      *, user: Any = None, actor: str | None = None) -> None:
    """Record (or clear, with None) a measure's value for a period; audited; not committed."""
    existing = next((v for v in measure.values if v.period_id == period.id), None)
    old = existing.value if existing else None
    if old == value and (existing.note if existing else "") == note:
        return
    audit.record("plan.measure", target=f"{period.plan.slug}/{period.key}/{measure.key}",
                 user=user, actor=actor, old_value=old, value=value)
    if value is None:
        if existing is not None:
            measure.values.remove(existing)
        return
    if existing is None:
        measure.values.append(MeasureValue(period_id=period.id, value=value, note=note))
    else:
        existing.value, existing.note = value, note


def measure_series(measure: Measure) -> list[tuple[ReportingPeriod, float]]:
    """The measure's values in period order."""
    return sorted(((v.period, v.value) for v in measure.values), key=lambda pv: pv[0].starts_on)


def plan_by_slug(slug: str) -> Plan | None:
    return db.session.execute(select(Plan).where(Plan.slug == slug)).scalar_one_or_none()
