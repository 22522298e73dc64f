"""The dashboard's figures, from running counts the database keeps exact (consult/counts.py):
no response is read, however many there are, except by :func:`local_breakdown`, which counts
valid responses by postcode district in one grouped query.

Areas and their populations are the consultation's (``definition["areas"]``, from the
organisation file or the definition's own ``areas:``).

Counting rule: only responses whose status is ``valid`` are counted; the others are counted by
status, separately.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .. import counts
from .. import codes as code_lists
from ..exports import question_dict
from ..extensions import db
from ..models import Consultation, Response
from ..organisation import area_options, consultation_areas, postcode_places
from ..survey.handlers import SupportHandler, handler_for

COUNTING_RULE = (
    "Only responses with the status ‘valid’ are counted. Responses marked duplicate, campaign "
    "or invalid are kept and shown separately."
)


def district_codes(areas: dict[str, Any]) -> list[tuple[str, str]]:
    """(code, label) of every answer of the district question: areas, outside, prefer not to say."""
    return [(o["code"], o["label"]) for o in area_options(areas)]


@dataclass
class DashboardFigures:
    valid: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    by_type: list[tuple[str | None, int]] = field(default_factory=list)
    by_district: list[tuple[str | None, int]] = field(default_factory=list)
    by_channel: list[tuple[str, int]] = field(default_factory=list)
    # Online drafts started, and how many of them were sent; a sent draft was started too.
    drafts_started: int = 0
    drafts_sent: int = 0
    submitted: int = 0
    per_thousand: list[dict[str, Any]] = field(default_factory=list)
    population_source: str = ""
    population_year: int | None = None
    support: list[dict[str, Any]] | None = None

    @property
    def drafts_sent_share(self) -> float | None:
        """Online drafts sent as a share of online drafts started (like with like)."""
        return self.drafts_sent / self.drafts_started if self.drafts_started else None


def _ranked(counter: Counter) -> list[tuple[Any, int]]:
    return sorted(counter.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))


def dashboard_figures(consultation: Consultation, with_support: bool) -> DashboardFigures:
    """Every figure of the dashboard from the running counts (consult/counts.py), read in one
    statement; a fold of waiting changes first when many are waiting."""
    counts.fold()
    tally = counts.totals(consultation.id)
    figures = DashboardFigures()
    areas = consultation_areas(consultation)
    districts = district_codes(areas)
    by_district = tally.by_district
    figures.by_status = dict(tally.by_status)
    figures.valid = figures.by_status.get("valid", 0)
    figures.submitted = sum(figures.by_status.values())
    figures.per_day = sorted(tally.per_day.items())
    figures.by_type = _ranked(tally.by_type)
    figures.by_channel = _ranked(tally.by_channel)
    # Every district, even one with no responses yet: that is where an event is needed.
    figures.by_district = [(code, by_district.get(code, 0)) for code, _ in districts]
    figures.by_district += [(code, n) for code, n in _ranked(by_district)
                            if code not in dict(districts)]
    online = {sent: n for (channel, sent), n in tally.drafts.items() if channel == "online"}
    figures.drafts_sent = online.get("sent", 0)
    figures.drafts_started = online.get("started", 0) + figures.drafts_sent

    figures.population_source = areas["population_source"]
    figures.population_year = areas["population_year"]
    for area in areas["items"]:
        residents = area.get("population")
        count = by_district.get(area["code"], 0)
        figures.per_thousand.append({
            "district": area["code"],
            "label": area["name"],
            "responses": count,
            "residents": residents,
            "per_thousand": (1000 * count / residents) if residents else None,
        })
    if with_support:
        figures.support = support_per_theme(consultation, tally, figures.valid)
    return figures


def local_breakdown(consultation: Consultation) -> dict[str, Any]:
    """Valid responses below district level: per area, by sub-area where the organisation names
    them, else by postcode district, from the answers to the ``postcode_district`` question mapped
    through the areas' postcode districts. Small counts are hidden by the evidence report's rule
    (``analysis.tally.hidden_parts``: under ``MIN_CELL``, and the next smallest when only one would
    be hidden), within each area, whose total is published."""
    from analysis import tally

    areas = consultation_areas(consultation)
    places = postcode_places(areas)
    answer = Response.answers["postcode_district"].as_string()
    rows = db.session.execute(
        sa.select(answer, sa.func.count()).where(Response.consultation_id == consultation.id,
                                                 Response.status == "valid")
        .group_by(answer)).all()
    by_postcode = {str(code).strip().upper(): n for code, n in rows if code}
    not_given = sum(n for code, n in rows if not code)
    unmapped = sum(n for code, n in by_postcode.items() if code not in places)
    result = []
    for area in areas["items"]:
        parts: dict[str, list] = {}
        for sub in area["sub_areas"]:
            parts[sub["code"]] = [sub["name"], sum(by_postcode.get(p, 0) for p in sub["postcode_districts"])]
        for postcode in area["postcode_districts"]:
            if places.get(postcode) == (area["code"], None):
                parts[postcode] = [postcode, by_postcode.get(postcode, 0)]
        if not parts:
            continue
        counts_ = [n for _, n in parts.values()]
        hidden = tally.hidden_parts(counts_)
        result.append({
            "code": area["code"], "name": area["name"], "total": sum(counts_),
            "parts": [{"code": code, "label": label, "responses": n,
                       "text": "0" if n == 0 and not hide else tally.published_count(n, bool(hide))}
                      for (code, (label, n)), hide in zip(parts.items(), hidden)],
        })
    return {"areas": result, "not_given": not_given, "unmapped": unmapped,
            "min_cell": tally.MIN_CELL}


def language_breakdown(consultation: Consultation) -> dict[str, Any]:
    """Valid responses by the language they were given in (most first), with small counts
    hidden by the evidence report's rule (``analysis.tally.hidden_parts``: under ``MIN_CELL``,
    and the next smallest when only one would be hidden); the total is published. Counted by
    the database over the index on (consultation, status, language)."""
    from analysis import tally

    rows = db.session.execute(
        sa.select(Response.language, sa.func.count())
        .where(Response.consultation_id == consultation.id, Response.status == "valid")
        .group_by(Response.language)).all()
    ranked = _ranked(Counter({(code or code_lists.DEFAULT_RESPONSE_LANGUAGE): n for code, n in rows}))
    hidden = tally.hidden_parts([n for _, n in ranked]) if ranked else []
    return {
        "total": sum(n for _, n in ranked), "min_cell": tally.MIN_CELL,
        "rows": [{"code": code, "label": code_lists.language_label(code), "responses": n,
                  "text": tally.published_count(n, bool(hide))}
                 for (code, n), hide in zip(ranked, hidden)],
    }


def support_per_theme(consultation: Consultation, tally: counts.Totals | None = None,
                      valid: int | None = None) -> list[dict[str, Any]]:
    """Counts of each support code per theme over valid responses, with the share supporting
    among those who gave a view (don't know and not answered left out of the base)."""
    if tally is None:
        tally = counts.totals(consultation.id)
    if valid is None:
        valid = tally.by_status.get("valid", 0)
    result = []
    scales = {question.key: handler.levels(question_dict(question))
              for question in consultation.questions
              if isinstance(handler := handler_for(question.type), SupportHandler)}
    for theme in consultation.themes:
        column = f"{counts.SUPPORT_PREFIX}{theme.key}"
        levels = scales.get(column) or code_lists.scale(None)
        value = {level["code"]: level["value"] for level in levels}
        codes = {code: n for (status, col, code), n in tally.support.items()
                 if status == "valid" and col == column}
        answered = sum(codes.values())
        counts_by_code = dict(codes)
        counts_by_code["not_answered"] = valid - answered

        def total(keep, codes=codes, value=value) -> int:
            return sum(n for code, n in codes.items()
                       if value.get(code) is not None and keep(value[code]))

        views = total(lambda v: True)
        result.append({
            "theme": theme,
            "counts": counts_by_code,
            "levels": levels,
            "views": views,
            # answers on a level that is no view (don't know)
            "no_view": sum(n for code, n in codes.items() if code in value and value[code] is None),
            "support_share": total(lambda v: v > 0) / views if views else None,
            "neither_share": total(lambda v: v == 0) / views if views else None,
            "oppose_share": total(lambda v: v < 0) / views if views else None,
        })
    return result


def percent(share: float | None) -> str:
    return "–" if share is None else f"{100 * share:.0f}%"


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """"1 response", "2 responses", "1,234 responses"."""
    return f"{n:,} {noun if n == 1 else (nouns or noun + 's')}"


def per_thousand_text(value: float | None) -> str:
    """A rate per 1,000 residents with enough figures to compare districts early on, when a
    handful of responses make rates such as 0.0046 and 0.0098 (both "0.00" to two places)."""
    if value is None:
        return "–"
    if value == 0:
        return "0"
    if value >= 10:
        return f"{value:,.1f}"
    # two significant figures below 1, never fewer than two decimal places
    places = max(2, 1 - math.floor(math.log10(value)))
    return f"{value:.{places}f}"


def label_for(code: str | None, options: list[tuple[str, str]]) -> str:
    if code is None or code == "":
        return "Not answered"
    return dict(options).get(code, code.replace("_", " ").capitalize())


CHANNEL_LABELS = dict(code_lists.CHANNELS)


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
