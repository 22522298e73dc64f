"""The public plan pages: each plan's themes and deliverables with their status and direction
of travel, as last published by staff (nothing is shown that was not published)."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template

from ..extensions import db
from .codes import STATUS_HINTS, STATUS_TAGS, STATUSES
from .models import Plan
from .periods import live_publication

bp = Blueprint("plans", __name__, url_prefix="/plans")


@bp.route("/")
def index() -> Any:
    found = db.session.scalars(sa.select(Plan).order_by(Plan.published_on.desc(), Plan.slug)).all()
    return render_template("plans/public/index.html", plans=found)


@bp.route("/<plan_slug>")
def plan(plan_slug: str) -> Any:
    found = db.first_or_404(sa.select(Plan).where(Plan.slug == plan_slug))
    publication = live_publication(found)
    content = publication.content if publication else None
    published = {t["key"]: t for t in content["themes"]} if content else {}
    return render_template("plans/public/plan.html", plan=found, publication=publication,
                           content=content, published=published, STATUS_TAGS=STATUS_TAGS,
                           STATUSES=STATUSES, STATUS_HINTS=STATUS_HINTS)
