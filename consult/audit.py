"""The audit log: who did what, when, to what, and how many rows.

Exports, imports, erasures, purges, account changes, moderation and sign-ins are written here.
``record`` adds the event to the current session; callers commit it with their own change, so
the log and the change it describes are stored together or not at all.
"""
from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from .extensions import db
from .models import AuditEvent, StaffUser


def record(
    action: str,
    target: str = "",
    rows: int | None = None,
    user: StaffUser | None = None,
    actor: str | None = None,
    **details: Any,
) -> AuditEvent:
    """Add an audit event to the session (not committed). ``actor`` defaults to the signed-in
    user's email, or "command line" outside a request."""
    if user is None and has_request_context() and current_user.is_authenticated:
        user = current_user._get_current_object()  # type: ignore[attr-defined]
    if actor is None:
        actor = user.email if user is not None else "command line"
    event = AuditEvent(
        user_id=user.id if user is not None else None,
        actor=actor,
        action=action,
        target=target[:300],
        rows=rows,
        details=details,
    )
    db.session.add(event)
    return event
