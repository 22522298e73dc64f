"""Staff accounts by command and on the admin page."""
from __future__ import annotations

import sqlalchemy as sa

from consult.extensions import db
from consult.models import StaffUser

from .conftest import PASSWORD, csrf_token, login


def test_cli_users_create_list_set_role_deactivate(app, cli_runner):
    result = cli_runner.invoke(args=["users", "create", "jo@example.org", "--role", "engagement",
                                     "--name", "Jo", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created jo@example.org (engagement)" in result.output
    result = cli_runner.invoke(args=["users", "list"])
    assert "jo@example.org\tengagement\tactive" in result.output
    assert cli_runner.invoke(args=["users", "set-role", "jo@example.org", "analyst"]).exit_code == 0
    assert cli_runner.invoke(args=["users", "deactivate", "JO@example.org"]).exit_code == 0
    user = db.session.scalar(sa.select(StaffUser))
    assert (user.role, user.active) == ("analyst", False)


def test_cli_users_bad_input_gets_plain_messages(app, cli_runner):
    cases = [
        (["users", "create", "not-an-email", "--role", "admin", "--password", PASSWORD],
         "Enter an email address in the right format"),
        (["users", "create", "a@example.org", "--role", "admin", "--password", "short"],
         "at least 12 characters"),
        (["users", "create", "a@example.org", "--role", "king", "--password", PASSWORD],
         "'king' is not one of"),
        (["users", "set-role", "ghost@example.org", "admin"], "There is no staff account"),
    ]
    for args, message in cases:
        result = cli_runner.invoke(args=args)
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    cli_runner.invoke(args=["users", "create", "a@example.org", "--role", "admin",
                            "--password", PASSWORD])
    result = cli_runner.invoke(args=["users", "create", "A@example.org", "--role", "admin",
                                     "--password", PASSWORD])
    assert "There is already a staff account" in result.output


def test_admin_page_creates_and_changes_accounts(app, signed_in, staff):
    client = signed_in("admin")
    token = csrf_token(client, "/staff/users")
    answer = client.post("/staff/users", data={"csrf_token": token, "email": "new@example.org",
                                               "name": "New", "role": "viewer",
                                               "password": PASSWORD})
    assert answer.status_code == 302
    new = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "new@example.org"))
    assert new.role == "viewer"
    client.post(f"/staff/users/{new.id}/role", data={"csrf_token": token, "role": "analyst"})
    client.post(f"/staff/users/{new.id}/active", data={"csrf_token": token})
    db.session.refresh(new)
    assert (new.role, new.active) == ("analyst", False)
    answer = client.post("/staff/users", data={"csrf_token": token, "email": "x@example.org",
                                               "role": "viewer", "password": "short"})
    assert answer.status_code == 400
    assert "at least 12 characters" in answer.get_data(as_text=True)
    # an admin cannot lock themself out
    me = staff["admin"]
    client.post(f"/staff/users/{me.id}/role", data={"csrf_token": token, "role": "viewer"})
    client.post(f"/staff/users/{me.id}/active", data={"csrf_token": token})
    db.session.refresh(me)
    assert (me.role, me.active) == ("admin", True)


def test_a_new_role_applies_at_once(app, client, staff):
    login(client, "viewer@example.org")
    assert client.get("/staff/users").status_code == 403
    from consult.staff.accounts import set_role

    set_role(staff["viewer"], "admin")
    # the role change ended the session; signing in again gives the new role
    assert client.get("/staff/users").status_code == 302
    login(client, "viewer@example.org")
    assert client.get("/staff/users").status_code == 200
