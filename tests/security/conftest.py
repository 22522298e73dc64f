"""Fixtures of the security tests: the staff workspace's own fixtures (a small consultation,
one account per role, sign-in), reused rather than copied."""
from __future__ import annotations

from staff.conftest import (  # noqa: F401  (fixtures are found by name)
    PASSWORD,
    add_consultation,
    add_response,
    consultation,
    csrf_token,
    login,
    signed_in,
    staff,
)

import pytest  # noqa: E402
from flask import g  # noqa: E402


@pytest.fixture(autouse=True)
def _each_request_finds_its_own_user(request):
    """The suite's ``app`` fixture keeps one app context open for the whole test, and so one
    ``g``, where Flask-Login caches the signed-in user and Flask-WTF the CSRF token: without
    this, a second client would be served as the first one's user, with the first one's token.
    A real server gives every request a fresh ``g``."""
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")

    def forget_cached_user() -> None:
        g.pop("_login_user", None)
        g.pop("csrf_token", None)

    app.before_request_funcs.setdefault(None, []).insert(0, forget_cached_user)
