"""Roles and what each may do. Every staff view names one permission with ``@requires``.

The table here is the one in docs/staff.md; tests/staff/test_route_access.py walks every staff
route and proves each refuses anonymous and under-privileged requests.
"""
from __future__ import annotations

from functools import wraps
from typing import Any, Callable

from flask import abort, redirect, request, url_for
from flask_login import current_user

ROLES = ("admin", "engagement", "analyst", "viewer", "delivery")

# permission -> roles that have it
PERMISSIONS: dict[str, frozenset[str]] = {
    "view_dashboard": frozenset({"admin", "engagement", "analyst", "viewer", "delivery"}),
    "view_support": frozenset({"admin", "analyst"}),
    "view_responses": frozenset({"admin", "engagement", "analyst"}),
    "enter_responses": frozenset({"admin", "engagement"}),
    "import_responses": frozenset({"admin", "engagement"}),
    "moderate": frozenset({"admin", "engagement"}),
    "export": frozenset({"admin", "engagement", "analyst"}),
    "download_report": frozenset({"admin", "analyst"}),
    "manage_consultations": frozenset({"admin", "engagement"}),
    "view_plans": frozenset({"admin", "engagement", "analyst", "viewer", "delivery"}),
    "record_progress": frozenset({"admin", "delivery"}),
    "manage_plans": frozenset({"admin", "delivery"}),
    "publish_results": frozenset({"admin", "engagement"}),
    "manage_users": frozenset({"admin"}),
    "view_audit": frozenset({"admin"}),
    "erase": frozenset({"admin"}),
}

PERMISSION_LABELS = {
    "view_dashboard": "See consultations and the dashboard's counts",
    "view_support": "See interim support per theme",
    "view_responses": "Read responses (list, search, detail)",
    "enter_responses": "Key in paper and event responses",
    "import_responses": "Import responses from a file",
    "moderate": "Hide comments, mark responses duplicate, campaign or invalid",
    "export": "Download exports (CSV, Excel, JSON)",
    "download_report": "Download the evidence report (support, breakdowns, charts, quotes)",
    "manage_consultations": "Load or update a definition, change open and close dates",
    "view_plans": "See plans, their progress and the Panel report",
    "record_progress": "Record progress updates and measure values for a reporting period",
    "manage_plans": "Edit deliverables, add reporting periods, publish or withdraw a period's progress",
    "publish_results": "Write, preview, publish and withdraw ‘We asked, you said, we did’",
    "manage_users": "Create staff accounts, change roles, set new passwords, deactivate",
    "view_audit": "Read the audit log",
    "erase": "Erase a response for good",
}


def _sign_in() -> Any:
    # Come back to the page after signing in; a form post cannot be replayed, so not for those.
    target = request.full_path if request.method == "GET" else None
    return redirect(url_for("staff.login", next=target))


def can(permission: str, user: Any = None) -> bool:
    user = user if user is not None else current_user
    if not getattr(user, "is_authenticated", False):
        return False
    return user.role in PERMISSIONS[permission]


def requires(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Refuse the view to anyone without ``permission``: anonymous people are sent to sign in,
    signed-in people without the role get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return _sign_in()
            if not can(permission):
                abort(403)
            return view(*args, **kwargs)

        guarded.required_permission = permission  # type: ignore[attr-defined]
        return guarded

    return decorate


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """For views any signed-in staff member may use (sign out, the home page)."""

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return _sign_in()
        return view(*args, **kwargs)

    guarded.required_permission = "signed_in"  # type: ignore[attr-defined]
    return guarded
