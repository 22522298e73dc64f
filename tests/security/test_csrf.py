"""A form posted without its CSRF token, or with a forged one, changes nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import Draft, Response, StaffUser

from .conftest import add_response, csrf_token

FORGED = "IjVmYjM4ZDM2ZjY1YTQ5ZDI5YzZmMWE0YjM5YjM1NmY2MDk2N2Q0YzIi.ZzZzZw.forgedsignature000000"


def _posts(response: Response, staff: dict) -> list[tuple[str, dict]]:
    return [
        (f"/staff/responses/{response.reference}/status",
         {"status": "invalid", "reason": "forged"}),
        (f"/staff/responses/{response.reference}/comments",
         {"column": "comment__safer_streets", "reason": "forged"}),
        (f"/staff/responses/{response.reference}/erase", {"reason": "forged"}),
        ("/staff/users", {"email": "mallory@example.org", "name": "Mallory", "role": "admin",
                          "password": "a long enough password 123"}),
        (f"/staff/users/{staff['viewer'].id}/role", {"role": "admin"}),
        (f"/staff/users/{staff['viewer'].id}/active", {"active": "0"}),
    ]


@pytest.mark.parametrize("token", [None, FORGED, "another-sessions-token"])
def test_staff_forms_without_a_valid_token_change_nothing(app, client, consultation, staff,
                                                          signed_in, token):
    response = add_response(consultation, {"comment__safer_streets": "keep me"})
    signed_in("admin")
    if token == "another-sessions-token":
        other = app.test_client()
        token = csrf_token(other)  # valid for another session, not this one
    for url, data in _posts(response, staff):
        if token:
            data = {**data, "csrf_token": token}
        answer = client.post(url, data=data)
        assert answer.status_code == 400, f"{url}: {answer.status_code}"
    db.session.expire_all()
    stored = db.session.execute(sa.select(Response).where(
        Response.reference == response.reference)).scalar_one()
    assert stored.status == "valid" and stored.hidden_comments == []
    viewer = db.session.get(StaffUser, staff["viewer"].id)
    assert viewer.role == "viewer" and viewer.active
    assert db.session.execute(sa.select(StaffUser).where(
        StaffUser.email == "mallory@example.org")).scalar_one_or_none() is None


def test_sign_in_without_a_token_is_refused(client, staff):
    from .conftest import PASSWORD

    answer = client.post("/staff/login", data={"email": "admin@example.org",
                                               "password": PASSWORD})
    assert answer.status_code == 400
    assert client.get("/staff/").status_code == 302  # still not signed in


@pytest.mark.parametrize("token", [None, FORGED])
def test_survey_answers_without_a_valid_token_are_not_kept(app, client, consultation, token):
    consultation.opens_at = consultation.opens_at.replace(year=2000)
    consultation.closes_at = consultation.closes_at.replace(year=2100)
    db.session.commit()
    data = {"respondent_type": "resident"}
    if token:
        data["csrf_token"] = token
    answer = client.post(f"/c/{consultation.slug}/q/about_you", data=data)
    assert answer.status_code == 400
    assert "Traceback" not in answer.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Draft)).scalar() == 0
