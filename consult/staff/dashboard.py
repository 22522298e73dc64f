"""The live dashboard of one consultation; every figure is aggregated by the database."""
from __future__ import annotations

from typing import Any

from flask import render_template

from .. import codes
from ..organisation import consultation_areas
from . import bp, consultation_or_404
from .responses import respondent_types
from .roles import can, requires
from .stats import (COUNTING_RULE, dashboard_figures, day_chart, district_codes, label_for,
                    language_breakdown, local_breakdown, per_thousand_text, percent, plural)


@bp.route("/consultations/<slug>")
@requires("view_dashboard")
def dashboard(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    figures = dashboard_figures(consultation, with_support=can("view_support"))
    areas = consultation_areas(consultation)
    return render_template(
        "staff/dashboard.html", consultation=consultation, figures=figures,
        chart=day_chart(figures.per_day), counting_rule=COUNTING_RULE, label_for=label_for,
        type_options=respondent_types(consultation), district_options=district_codes(areas),
        area_label=areas["label"], local=local_breakdown(consultation),
        languages=language_breakdown(consultation),
        channel_options=codes.CHANNELS, status_options=codes.RESPONSE_STATUSES, percent=percent,
        plural=plural,
        per_thousand_text=per_thousand_text,
    )
