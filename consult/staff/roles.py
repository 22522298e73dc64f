"""Roles and what each may do. Every staff view names one permission with ``@requires``.

``ROLE_TABLE`` is the one place roles are defined: each role's label, what it is for and its
permissions. Adding a role is one entry there and its column (and row) in docs/staff.md's
tables (tests/staff/test_docs.py compares them); tests/staff/test_route_access.py walks every
staff route and proves each refuses anonymous and under-privileged requests.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import wraps
from typing import Any, Callable

from flask import abort, redirect, request, url_for
from flask_login import current_user

# permission -> what it lets a person do, in the words of docs/staff.md's table
PERMISSION_LABELS = {
    "view_dashboard": "See consultations and the dashboard's counts",
    "view_support": "See interim support per theme",
    "view_responses": "Read responses (list, search, detail)",
    "enter_responses": "Key in paper and event responses",
    "import_responses": "Import responses from a file",
    "moderate": "Hide comments, mark responses duplicate, campaign or invalid",
    "translate_comments": "Record a translation of a comment beside the original",
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
    "code_comments": ("Code comments in the coding workbench, edit codebooks, double-code a "
                      "sample, settle disagreements"),
    "sign_off_coding": "Sign off a codebook version and its coding",
}


@dataclass(frozen=True)
class Role:
    label: str
    description: str
    permissions: frozenset[str]


ROLE_TABLE: dict[str, Role] = {
    "admin": Role(
        "Admin", "Runs the service: staff accounts, the audit log and erasing responses, as "
        "well as everything the other roles do.", frozenset(PERMISSION_LABELS)),
    "engagement": Role(
        "Engagement", "Runs consultations: loads definitions and dates, keys in and imports "
        "responses, moderates, exports and publishes ‘We asked, you said, we did’.",
        frozenset({"view_dashboard", "view_responses", "enter_responses", "import_responses",
                   "moderate", "translate_comments", "export", "manage_consultations",
                   "view_plans", "publish_results"})),
    "analyst": Role(
        "Analyst", "Analyses the responses: reads them, sees interim support, exports, "
        "downloads the evidence report and codes comments in the coding workbench.",
        frozenset({"view_dashboard", "view_support", "view_responses", "translate_comments",
                   "export", "download_report", "view_plans", "code_comments"})),
    "lead_analyst": Role(
        "Lead analyst", "Leads the analysis: everything an analyst does, and signs off a "
        "codebook version and its coding.",
        frozenset({"view_dashboard", "view_support", "view_responses", "translate_comments",
                   "export", "download_report", "view_plans", "code_comments",
                   "sign_off_coding"})),
    "viewer": Role(
        "Viewer", "Follows consultations and plans: the dashboard's counts and the plans' "
        "progress, no responses.", frozenset({"view_dashboard", "view_plans"})),
    "delivery": Role(
        "Delivery", "Tracks the Plan's delivery: records progress, edits deliverables and "
        "publishes a period's progress; sees no responses.",
        frozenset({"view_dashboard", "view_plans", "record_progress", "manage_plans"})),
}



def permissions_of(table: dict[str, Role]) -> dict[str, frozenset[str]]:
    """permission -> the roles of ``table`` that have it; KeyError naming any permission the
    table gives that does not exist (a typo would otherwise grant nothing, silently)."""
    unknown = {p for role in table.values() for p in role.permissions} - set(PERMISSION_LABELS)
    if unknown:
        raise KeyError(f"unknown permissions in the role table: {', '.join(sorted(unknown))}")
    return {permission: frozenset(name for name, role in table.items()
                                  if permission in role.permissions)
            for permission in PERMISSION_LABELS}


ROLES = tuple(ROLE_TABLE)
PERMISSIONS: dict[str, frozenset[str]] = permissions_of(ROLE_TABLE)


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
