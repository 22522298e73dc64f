"""Every staff route refuses anonymous and under-privileged requests, with no data.

The routes are read from ``app.url_map``, so a route added later without ``@requires`` (or with
the wrong role) fails here.
"""
from __future__ import annotations

import pytest

from consult.staff.roles import PERMISSIONS, ROLES

from .conftest import add_response, login

# Routes anyone may reach: the sign-in page itself.
PUBLIC_STAFF_ENDPOINTS = {"staff.login"}
SECRET = "Only-staff-may-read-this comment"


def staff_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("staff.") and rule.endpoint not in PUBLIC_STAFF_ENDPOINTS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def url_for_rule(rule, response, staff) -> str:
    values = {"slug": response.consultation.slug, "reference": response.reference,
              "user_id": staff["viewer"].id, "fmt": "csv", "job_id": 1, "name": "export"}
    if {"plan_slug", "period_key", "ref"} & set(rule.arguments):
        from plans.helpers import route_values  # a small plan on the same consultation

        values.update(route_values())
    missing = set(rule.arguments) - set(values)
    assert not missing, f"the test does not know how to fill {missing} of {rule.rule}"
    return rule.build({k: values[k] for k in rule.arguments})[1]


@pytest.fixture
def seeded(app, consultation, staff):
    app.config["WTF_CSRF_ENABLED"] = False  # the role check must refuse, not the CSRF check
    response = add_response(consultation, {"comment__safer_streets": SECRET,
                                           "support__safer_streets": "support"})
    return response


def test_every_staff_view_names_a_permission(app):
    for rule, _ in staff_routes(app):
        view = app.view_functions[rule.endpoint]
        assert getattr(view, "required_permission", None), (
            f"{rule.rule} ({rule.endpoint}) has no role check: decorate it with @requires")


def test_anonymous_requests_are_sent_to_sign_in(app, client, seeded, staff):
    for rule, method in staff_routes(app):
        url = url_for_rule(rule, seeded, staff)
        answer = client.open(url, method=method, data={"reason": "x", "status": "invalid"})
        assert answer.status_code == 302, f"{method} {url} gave {answer.status_code}"
        assert "/staff/login" in answer.headers["Location"], f"{method} {url}"
        assert SECRET not in answer.get_data(as_text=True)
    # nothing was changed by those requests
    assert seeded.status == "valid"


@pytest.mark.parametrize("role", ROLES)
def test_under_privileged_requests_are_refused(app, client, seeded, staff, role):
    assert login(client, f"{role}@example.org").status_code == 302
    refused = 0
    for rule, method in staff_routes(app):
        permission = app.view_functions[rule.endpoint].required_permission
        if permission == "signed_in" or role in PERMISSIONS[permission]:
            continue
        url = url_for_rule(rule, seeded, staff)
        answer = client.open(url, method=method, data={"reason": "x", "status": "invalid",
                                                        "role": "admin"})
        assert answer.status_code == 403, f"{role}: {method} {url} gave {answer.status_code}"
        body = answer.get_data(as_text=True)
        assert SECRET not in body and seeded.reference not in body
        assert f"has the {role} role, which does not allow this" in body, body[:1500]
        assert "Go to the staff home page" in body
        refused += 1
    # every role but admin is refused something; admin is refused nothing
    assert (refused == 0) == (role == "admin")
    from consult.extensions import db

    db.session.refresh(seeded)
    assert seeded.status == "valid" and seeded.hidden_comments == []


def test_responses_are_addressed_by_reference_not_by_id(app):
    for rule, _ in staff_routes(app):
        if "response" in rule.rule:
            assert "<int:" not in rule.rule and "id>" not in rule.rule, rule.rule


def test_an_unknown_staff_address_is_a_staff_404(client, staff):
    answer = client.get("/staff/no-such-page")
    assert answer.status_code == 404
    body = answer.get_data(as_text=True)
    assert "There is no staff page at this address" in body and "Consult staff" in body
    public = client.get("/no-such-page").get_data(as_text=True)
    assert "Consult staff" not in public and "list of consultations" in public
