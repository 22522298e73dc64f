"""The dashboard's figures, each aggregated by the database (no response is loaded into Python).

Counting rule: only responses whose status is ``valid`` are counted; the others are counted by
status, separately.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..exports import CHANNEL_CODES, DISTRICT_CODES, SUPPORT_CODES
from ..extensions import db
from ..models import Consultation, Draft, Response

COUNTING_RULE = (
    "Only responses with the status ‘valid’ are counted. Responses marked duplicate, campaign "
    "or invalid are kept and shown separately."
)
DISTRICTS_WITH_POPULATION = [code for code, _ in DISTRICT_CODES
                             if code not in ("outside_area", "prefer_not_to_say")]


@dataclass
class DashboardFigures:
    valid: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    by_type: list[tuple[str, int]] = field(default_factory=list)
    by_district: list[tuple[str, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    drafts_started: int = 0
    submitted: int = 0
    per_thousand: list[dict[str, Any]] = field(default_factory=list)
    support: list[dict[str, Any]] | None = None


def _grouped(consultation: Consultation, column: Any) -> list[tuple[Any, int]]:
    query = (
        sa.select(column, sa.func.count())
        .where(Response.consultation_id == consultation.id, Response.status == "valid")
        .group_by(column)
        .order_by(sa.func.count().desc(), column)
    )
    return [(value, count) for value, count in db.session.execute(query)]


def dashboard_figures(consultation: Consultation, with_support: bool) -> DashboardFigures:
    figures = DashboardFigures()
    status_rows = db.session.execute(
        sa.select(Response.status, sa.func.count())
        .where(Response.consultation_id == consultation.id)
        .group_by(Response.status)
    )
    figures.by_status = {status: count for status, count in status_rows}
    figures.valid = figures.by_status.get("valid", 0)
    figures.submitted = sum(figures.by_status.values())

    per_day = _grouped(consultation, Response.received_on)
    figures.per_day = sorted(per_day)
    figures.by_type = _grouped(consultation, Response.respondent_type)
    figures.by_district = _grouped(consultation, Response.district)
    figures.by_channel = _grouped(consultation, Response.channel)
    figures.drafts_started = db.session.scalar(
        sa.select(sa.func.count()).select_from(Draft)
        .where(Draft.consultation_id == consultation.id)
    ) or 0

    counts = dict(figures.by_district)
    population = consultation.population or {}
    for code in DISTRICTS_WITH_POPULATION:
        residents = population.get(code)
        count = counts.get(code, 0)
        figures.per_thousand.append({
            "district": code,
            "responses": count,
            "residents": residents,
            "per_thousand": (1000 * count / residents) if residents else None,
        })
    if with_support:
        figures.support = support_per_theme(consultation)
    return figures


def support_per_theme(consultation: Consultation) -> list[dict[str, Any]]:
    """Counts of each support code per theme over valid responses, with the share supporting
    among those who gave a view (don't know and not answered left out of the base)."""
    result = []
    for theme in consultation.themes:
        answer = Response.answers[f"support__{theme.key}"].as_string()
        rows = db.session.execute(
            sa.select(answer, sa.func.count())
            .where(Response.consultation_id == consultation.id, Response.status == "valid")
            .group_by(answer)
        )
        counts = {code or "not_answered": n for code, n in rows}
        views = sum(counts.get(c, 0) for c, _ in SUPPORT_CODES if c != "dont_know")
        supporting = counts.get("strongly_support", 0) + counts.get("support", 0)
        opposing = counts.get("strongly_oppose", 0) + counts.get("oppose", 0)
        result.append({
            "theme": theme,
            "counts": counts,
            "views": views,
            "support_share": supporting / views if views else None,
            "oppose_share": opposing / views if views else None,
        })
    return result


def label_for(code: str | None, options: list[tuple[str, str]]) -> str:
    if code is None or code == "":
        return "Not answered"
    return dict(options).get(code, code.replace("_", " ").capitalize())


CHANNEL_LABELS = dict(CHANNEL_CODES)


def day_chart(per_day: list[tuple[dt.date, int]], width: int = 640,
              height: int = 200) -> dict[str, Any]:
    """Bar geometry for the responses-per-day SVG, drawn by the template (no script)."""
    if not per_day:
        return {"bars": [], "width": width, "height": height, "max": 0}
    first, last = per_day[0][0], per_day[-1][0]
    days = (last - first).days + 1
    counts = dict(per_day)
    top = max(counts.values())
    plot_h = height - 30
    bar_w = max(1.0, (width - 40) / days)
    bars = []
    for i in range(days):
        day = first + dt.timedelta(days=i)
        n = counts.get(day, 0)
        h = plot_h * n / top if top else 0
        bars.append({"x": 40 + i * bar_w, "y": 10 + plot_h - h, "w": max(bar_w - 1, 1),
                     "h": h, "day": day, "count": n})
    return {"bars": bars, "width": width, "height": height, "max": top,
            "first": first, "last": last, "plot_bottom": 10 + plot_h}
