"""The audit log page, for admins: newest first, filterable by action."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import render_template, request

from ..extensions import db
from ..models import AuditEvent
from . import bp
from .roles import requires


@bp.route("/audit")
@requires("view_audit")
def audit_log() -> Any:
    action = (request.args.get("action") or "").strip()[:60]
    query = sa.select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    query = query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    page = db.paginate(query, per_page=100, error_out=False, max_per_page=100)
    actions = db.session.scalars(
        sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return render_template("staff/audit.html", page=page, action=action, actions=actions)
