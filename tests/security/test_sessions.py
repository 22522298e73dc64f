"""Signing in gives a new session: a session fixed before sign-in, or kept after sign-out, is
worth nothing."""
from __future__ import annotations

from .conftest import login


def _session_cookie(client) -> str | None:
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_the_session_is_renewed_at_sign_in(app, client, staff):
    client.get("/staff/login")
    before = _session_cookie(client)
    assert before, "the sign-in page sets no session (CSRF needs one)"
    assert login(client, "engagement@example.org").status_code == 302
    after = _session_cookie(client)
    assert after and after != before
    # An attacker who planted ``before`` in the victim's browser gains nothing.
    attacker = app.test_client()
    attacker.set_cookie("session", before)
    assert attacker.get("/staff/").status_code == 302


def test_a_session_copied_before_sign_out_is_dead_after_it(app, client, staff, signed_in):
    signed_in("admin")
    stolen = _session_cookie(client)
    page = client.get("/staff/consultations").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    assert token, "the staff home page has no sign-out form"
    assert client.post("/staff/logout", data={"csrf_token": token.group(1)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/staff/").status_code == 302


def test_signing_in_again_ends_the_older_session(app, client, staff, signed_in):
    signed_in("analyst")
    older = _session_cookie(client)
    other = app.test_client()
    assert login(other, "analyst@example.org").status_code == 302
    stale = app.test_client()
    stale.set_cookie("session", older)
    assert stale.get("/staff/").status_code == 302
