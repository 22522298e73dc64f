"""The staff workspace under /staff: sign-in, dashboard, responses, entry, imports, moderation,
exports, accounts and the audit log. One views module per feature; every view names the
permission it needs (see roles.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Flask, current_app, flash, redirect, request, session, url_for
from flask_login import current_user, logout_user

from ..definitions import MAX_DEFINITION_BYTES
from ..extensions import db, login_manager
from ..models import StaffUser, as_id
from .roles import PERMISSION_LABELS, PERMISSIONS, ROLE_TABLE, ROLES, can

bp = Blueprint("staff", __name__, url_prefix="/staff")

# Endpoints that take a file upload are allowed more than the public 64 KiB request limit: an
# import of responses up to 20 MB, a consultation definition up to its own limit (plus the form).
UPLOAD_LIMIT = 20 * 1024 * 1024
UPLOAD_ENDPOINTS = {"staff.import_upload": UPLOAD_LIMIT,
                    "staff.consultation_load": MAX_DEFINITION_BYTES + 16 * 1024,
                    "staff.progress_import": UPLOAD_LIMIT}


@login_manager.user_loader
def load_user(session_id: str) -> StaffUser | None:
    user_id, _, token = session_id.partition(":")
    if as_id(user_id) is None or not token:
        return None
    user = db.session.get(StaffUser, as_id(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


@bp.before_app_request
def end_idle_sessions() -> Any:
    """Ends a staff session idle for STAFF_IDLE_TIMEOUT_MINUTES, or older than
    STAFF_SESSION_MAX_HOURS since sign-in however busy it has been."""
    if not request.path.startswith("/staff") or not current_user.is_authenticated:
        return None
    now = dt.datetime.now(dt.timezone.utc).timestamp()
    timeout = 60 * int(current_app.config.get("STAFF_IDLE_TIMEOUT_MINUTES", 30))
    lifetime = 3600 * float(current_app.config.get("STAFF_SESSION_MAX_HOURS", 12))
    last_seen = session.get("staff_last_seen")
    signed_in_at = session.setdefault("staff_signed_in_at", now)
    if last_seen is not None and now - float(last_seen) > timeout:
        message = (f"You were signed out because nothing happened for {timeout // 60} minutes. "
                   "Sign in again to carry on.")
    elif now - float(signed_in_at) > lifetime:
        message = (f"You were signed out because you signed in more than {lifetime / 3600:g} "
                   "hours ago. Sign in again to carry on.")
    else:
        session["staff_last_seen"] = now
        return None
    logout_user()
    session.clear()
    flash(message)
    return redirect(url_for("staff.login",
                            next=request.full_path if request.method == "GET" else None))


def _allow_uploads() -> None:
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = UPLOAD_ENDPOINTS[request.endpoint]


@bp.app_context_processor
def staff_helpers() -> dict[str, Any]:
    return {"can": can, "ROLES": ROLES, "ROLE_TABLE": ROLE_TABLE, "PERMISSIONS": PERMISSIONS,
            "PERMISSION_LABELS": PERMISSION_LABELS}


def consultation_or_404(slug: str) -> Any:
    from ..models import Consultation

    return db.first_or_404(sa.select(Consultation).where(Consultation.slug == slug))


def init_app(app: Flask) -> None:
    from . import (  # noqa: F401  (each module adds its routes to bp)
        audit_log,
        auth,
        consultations,
        dashboard,
        entry,
        exports,
        imports,
        jobs,
        moderation,
        password,
        reports,
        responses,
        users,
        workbench,
    )

    app.register_blueprint(bp)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Sign in to see this page."
    login_manager.session_protection = "strong"
    # Runs before CSRF reads the form, so that an upload is not refused as too large.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_uploads)
