"""Reporting periods: adding one, and publishing a period's progress to the public plan page.

Publishing freezes what the public page shows (each deliverable's status and direction of
travel in that period): updates recorded later change nothing public until the period is
published again. Withdrawing takes a publication down; it stays in the history.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from .. import audit
from ..extensions import db
from .codes import DIRECTIONS, STATUSES
from .models import PeriodPublication, Plan, ReportingPeriod
from .progress import current_updates

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")


class PeriodError(ValueError):
    pass


def add_period(plan: Plan, key: str, title: str, starts_on: dt.date, ends_on: dt.date, *,
               user: Any = None) -> ReportingPeriod:
    key, title = key.strip(), title.strip()
    if not KEY_RE.match(key):
        raise PeriodError(f"{key!r} is not a period key: use lower-case letters, digits, hyphens "
                          "and underscores, such as 2022-h1")
    if any(p.key == key for p in plan.periods):
        raise PeriodError(f"{plan.slug} already has a period {key!r}")
    if not title:
        raise PeriodError("Give the period a title, such as 'April to September 2022'")
    if len(title) > 200:
        raise PeriodError("The title may be at most 200 characters")
    if ends_on < starts_on:
        raise PeriodError("The period must end on or after the day it starts")
    for other in plan.periods:
        if starts_on <= other.ends_on and other.starts_on <= ends_on:
            raise PeriodError(f"It overlaps {other.title} ({other.starts_on:%d %B %Y} to "
                              f"{other.ends_on:%d %B %Y}); periods may not overlap")
    period = ReportingPeriod(key=key, title=title, starts_on=starts_on, ends_on=ends_on)
    plan.periods.append(period)
    audit.record("plan.period.add", target=f"{plan.slug}/{key}", user=user, title=title,
                 starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat())
    db.session.commit()
    return period


def publication_content(period: ReportingPeriod) -> dict[str, Any]:
    """What the public plan page shows for ``period``: no notes, nothing personal."""
    updates = current_updates(period)
    plan = period.plan
    themes = []
    for theme in plan.themes:
        items = []
        for deliverable in theme.deliverables:
            update = updates.get(deliverable.id)
            items.append({
                "key": deliverable.key, "reference": deliverable.reference,
                "title": deliverable.title,
                "status": update.status if update else None,
                "status_label": STATUSES[update.status] if update else "No update published",
                "direction": update.direction if update else None,
                "direction_label": DIRECTIONS[update.direction] if update else "",
            })
        themes.append({"key": theme.key, "title": theme.title,
                       "what_we_will_do": theme.what_we_will_do, "deliverables": items})
    return {"period": {"key": period.key, "title": period.title,
                       "starts_on": period.starts_on.isoformat(),
                       "ends_on": period.ends_on.isoformat()},
            "themes": themes}


def live_publication(plan: Plan) -> PeriodPublication | None:
    """The publication the public page shows: the latest period published and not withdrawn."""
    rows = db.session.scalars(
        select(PeriodPublication).join(ReportingPeriod)
        .where(ReportingPeriod.plan_id == plan.id, PeriodPublication.withdrawn_at.is_(None))
        .order_by(ReportingPeriod.starts_on.desc(), PeriodPublication.id.desc())).all()
    return rows[0] if rows else None


def period_publication(period: ReportingPeriod) -> PeriodPublication | None:
    return db.session.scalars(
        select(PeriodPublication).where(PeriodPublication.period_id == period.id,
                                        PeriodPublication.withdrawn_at.is_(None))
        .order_by(PeriodPublication.id.desc()).limit(1)).first()


def publish(period: ReportingPeriod, *, user: Any = None, actor: str | None = None) -> PeriodPublication:
    """Publish (or publish again) the period's progress; an earlier live publication of the
    same period is marked withdrawn, so one is live per period."""
    now = dt.datetime.now(dt.timezone.utc)
    event = audit.record("plan.period.publish", target=f"{period.plan.slug}/{period.key}",
                         user=user, actor=actor)
    earlier = period_publication(period)
    if earlier is not None:
        earlier.withdrawn_at, earlier.withdrawn_by = now, event.actor
    publication = PeriodPublication(period_id=period.id, published_at=now,
                                    published_by=event.actor,
                                    content=publication_content(period))
    db.session.add(publication)
    db.session.commit()
    return publication


def withdraw(period: ReportingPeriod, *, user: Any = None) -> bool:
    publication = period_publication(period)
    if publication is None:
        return False
    event = audit.record("plan.period.withdraw", target=f"{period.plan.slug}/{period.key}", user=user)
    publication.withdrawn_at = dt.datetime.now(dt.timezone.utc)
    publication.withdrawn_by = event.actor
    db.session.commit()
    return True
