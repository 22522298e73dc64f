"""The role matrix over every route of the app, read from ``app.url_map``.

tests/staff/test_route_access.py proves that staff routes refuse anonymous and under-privileged
requests. This file adds the rest of the matrix:
- every route of the whole app (any blueprint, any method) is either public by name below or
  carries a role check, so a route added anywhere without one fails here;
- every page a role may open, it can open (no 403, no 500, no bounce to sign-in): the checks are
  not simply refusing everything.
"""
from __future__ import annotations

import pytest

from consult.staff.roles import PERMISSIONS, ROLES
from staff.test_route_access import SECRET, url_for_rule

# The resident survey and the staff sign-in page are public on purpose; nothing else is.
PUBLIC_ENDPOINTS = {
    "static",
    "staff.login",
    "survey.index",
    "survey.start",
    "survey.page",
    "survey.check",
    "survey.confirmation",
    "survey.saved",
    "survey.resume",
    "survey.resume_link",
    "survey.privacy",
    "survey.accessibility",
    "plans.index",
    "plans.plan",
    "results.public_results",
}


def checked_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in PUBLIC_ENDPOINTS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_every_route_is_public_by_name_or_checked(app):
    unchecked = []
    for rule, method in checked_routes(app):
        view = app.view_functions[rule.endpoint]
        if not getattr(view, "required_permission", None):
            unchecked.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert not unchecked, ("routes with no role check and not listed as public: "
                           + ", ".join(unchecked))


def test_anonymous_requests_to_any_checked_route_show_no_data(app, client, consultation, staff):
    app.config["WTF_CSRF_ENABLED"] = False
    from .conftest import add_response

    response = add_response(consultation, {"comment__safer_streets": SECRET})
    for rule, method in checked_routes(app):
        url = url_for_rule(rule, response, staff)
        answer = client.open(url, method=method, data={"reason": "x", "status": "invalid"})
        assert answer.status_code in (302, 401, 403), f"{method} {url}: {answer.status_code}"
        body = answer.get_data(as_text=True)
        assert SECRET not in body and response.reference not in body.replace(url, "")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_every_page_it_is_allowed(app, client, consultation, staff, signed_in,
                                                  role):
    from .conftest import add_response

    response = add_response(consultation, {"comment__safer_streets": SECRET})
    signed_in(role)
    opened = 0
    for rule, method in checked_routes(app):
        permission = app.view_functions[rule.endpoint].required_permission
        if method != "GET" or (permission != "signed_in" and role not in PERMISSIONS[permission]):
            continue
        if rule.endpoint.startswith("staff.job_"):
            # A job's pages need the permission of the job's kind as well (an export, a report),
            # and a job to exist: tests/staff/test_jobs.py opens them for each role.
            continue
        url = url_for_rule(rule, response, staff)
        answer = client.get(url)
        assert answer.status_code in (200, 302), f"{role}: GET {url} gave {answer.status_code}"
        if answer.status_code == 302:
            assert "/staff/login" not in answer.headers["Location"], f"{role}: {url} bounced"
        opened += 1
    assert opened > 0
