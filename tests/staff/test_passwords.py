"""Passwords: staff change their own and stay signed in; an admin sets a new one for someone
locked out, whose sessions end; both are written to the audit log."""
from __future__ import annotations

import sqlalchemy as sa

from consult.extensions import db
from consult.models import AuditEvent

from .conftest import PASSWORD, csrf_token, login

CHANGE = "/staff/account/password"
HOME = "/staff/consultations"
NEW = "a brand new long passphrase"


def _change(client, current: str, new: str, again: str | None = None):
    return client.post(CHANGE, data={"csrf_token": csrf_token(client, CHANGE), "current": current,
                                     "new": new, "again": new if again is None else again})


def _actions() -> list[tuple[str, str]]:
    return [(e.action, e.target) for e in db.session.scalars(sa.select(AuditEvent))]


def test_staff_change_their_own_password_and_stay_signed_in(app, client, staff):
    assert login(client, "viewer@example.org").status_code == 302
    assert "Change your password" in client.get(HOME).get_data(as_text=True)

    changed = _change(client, PASSWORD, NEW)
    assert changed.status_code == 302 and changed.headers["Location"].endswith("/staff/")
    assert "Your password is changed" in client.get(HOME).get_data(as_text=True)
    assert client.get(HOME).status_code == 200  # the session goes on with the new password
    fresh = app.test_client()
    assert login(fresh, "viewer@example.org", PASSWORD).status_code == 200  # refused
    assert login(fresh, "viewer@example.org", NEW).status_code == 302
    assert ("user.change_password", "viewer@example.org") in _actions()


def test_a_password_change_is_refused_with_reasons_and_changes_nothing(app, client, signed_in):
    signed_in("viewer")
    for current, new, again, message in [
        ("not my password at all", NEW, None, "Your current password is not right"),
        (PASSWORD, NEW, NEW + "!", "The two new passwords are not the same"),
        (PASSWORD, "short", None, "at least 12 characters"),
        (PASSWORD, "viewer@example.org", None, "not your email address"),
    ]:
        refused = _change(client, current, new, again)
        assert refused.status_code == 400, message
        body = refused.get_data(as_text=True)
        assert message in body and "There is a problem" in body
    assert login(app.test_client(), "viewer@example.org", PASSWORD).status_code == 302


def test_guessing_the_current_password_is_limited(client, signed_in):
    signed_in("analyst")
    statuses = [_change(client, f"guess number {n} of many", NEW).status_code for n in range(6)]
    assert statuses[:5] == [400] * 5 and statuses[5] == 429
    body = client.post(CHANGE, data={"csrf_token": csrf_token(client, CHANGE), "current": PASSWORD,
                                     "new": NEW, "again": NEW}).get_data(as_text=True)
    assert "Wait a minute, then try again" in body


def test_an_admin_sets_a_new_password_for_someone_locked_out(app, client, signed_in, staff):
    locked_out = app.test_client()
    assert login(locked_out, "engagement@example.org").status_code == 302
    assert locked_out.get(HOME).status_code == 200
    signed_in("admin")
    page = client.get("/staff/users").get_data(as_text=True)
    assert "Set a new password for someone" in page
    choices = page.split('name="account"', 1)[1].split("</select>", 1)[0]
    assert "engagement@example.org" in choices and "admin@example.org" not in choices
    data = {"csrf_token": csrf_token(client, "/staff/users"),
            "account": str(staff["engagement"].id), "password": NEW}
    answer = client.post("/staff/users/password", data=data)
    assert answer.status_code == 302
    assert "A new password is set for engagement@example.org" in client.get(
        "/staff/users").get_data(as_text=True)
    assert "/staff/login" in locked_out.get(HOME).headers["Location"]  # their sessions ended
    assert login(app.test_client(), "engagement@example.org", NEW).status_code == 302
    assert ("user.set_password", "engagement@example.org") in _actions()


def test_a_new_password_set_by_an_admin_must_be_long_enough(app, client, signed_in, staff):
    signed_in("admin")
    token = csrf_token(client, "/staff/users")
    short = client.post("/staff/users/password", data={
        "csrf_token": token, "account": str(staff["engagement"].id), "password": "short"})
    assert short.status_code == 400 and "at least 12 characters" in short.get_data(as_text=True)
    own = client.post("/staff/users/password", data={
        "csrf_token": token, "account": str(staff["admin"].id), "password": NEW})
    assert own.status_code == 400 and "Change your own password with" in own.get_data(as_text=True)
    nobody = client.post("/staff/users/password", data={
        "csrf_token": token, "account": "", "password": NEW})
    assert nobody.status_code == 400
    assert "Choose the account to set a new password for" in nobody.get_data(as_text=True)
    assert login(app.test_client(), "engagement@example.org", PASSWORD).status_code == 302


def test_a_new_password_from_the_command_line(app, cli_runner, staff):
    result = cli_runner.invoke(args=["users", "set-password", "viewer@example.org",
                                     "--password", NEW])
    assert result.exit_code == 0, result.output
    assert "has a new password" in result.output
    assert login(app.test_client(), "viewer@example.org", NEW).status_code == 302
    short = cli_runner.invoke(args=["users", "set-password", "viewer@example.org",
                                    "--password", "short"])
    assert short.exit_code != 0 and "at least 12 characters" in short.output
    nobody = cli_runner.invoke(args=["users", "set-password", "nobody@example.org",
                                     "--password", NEW])
    assert nobody.exit_code != 0 and "There is no staff account" in nobody.output
