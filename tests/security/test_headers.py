"""Security headers on public pages, staff pages and error pages."""
from __future__ import annotations

import pytest

from consult.extensions import db


def _check(answer, https: bool = False):
    h = answer.headers
    csp = h.get("Content-Security-Policy", "")
    directives = dict((d.strip().split(" ", 1) + [""])[:2] for d in csp.split(";") if d.strip())
    script = directives.get("script-src", directives.get("default-src", ""))
    assert script and "'unsafe-inline'" not in script and "'unsafe-eval'" not in script, csp
    assert "'none'" in directives.get("frame-ancestors", ""), csp
    assert "'none'" in directives.get("object-src", ""), csp
    assert h.get("X-Frame-Options") == "DENY"
    assert h.get("X-Content-Type-Options") == "nosniff"
    assert h.get("Referrer-Policy") in ("same-origin", "no-referrer", "strict-origin-when-cross-origin")
    assert h.get("Cache-Control") == "no-store"
    if https:
        assert "max-age=" in h.get("Strict-Transport-Security", "")


@pytest.mark.parametrize("path", ["/", "/staff/login", "/no-such-page", "/staff/"])
def test_public_pages_carry_the_security_headers(client, path):
    _check(client.get(path))


def test_staff_pages_carry_the_security_headers(client, consultation, signed_in):
    signed_in("admin")
    for path in ("/staff/consultations", "/staff/users", "/staff/audit"):
        answer = client.get(path)
        assert answer.status_code == 200, path
        _check(answer)


def test_hsts_is_sent_over_https(client):
    _check(client.get("/staff/login", base_url="https://localhost"), https=True)


def test_session_cookie_is_http_only_and_same_site(client, staff):
    from .conftest import login

    answer = login(client, "admin@example.org")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_question_pages_with_answers_are_never_stored_by_a_browser(client, consultation):
    consultation.opens_at = consultation.opens_at.replace(year=2000)
    consultation.closes_at = consultation.closes_at.replace(year=2999)
    db.session.commit()
    answer = client.get(f"/c/{consultation.slug}")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"


def test_static_files_keep_their_own_caching(client):
    with client.get("/static/favicon.svg") as answer:
        assert answer.status_code == 200
        assert answer.headers.get("Cache-Control") != "no-store"
