"""Security headers on every page, public and staff; secure cookie flags."""
from __future__ import annotations

import pytest

from consult import create_app

PAGES = ["/staff/login", "/staff/consultations", "/", "/no-such-page", "/static/staff/staff.css"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_the_headers(client, path):
    answer = client.get(path)
    headers = answer.headers
    answer.close()
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: HSTS would mean nothing


def test_hsts_over_https(client):
    headers = client.get("/staff/login", base_url="https://consult.example").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_cookie_flags(client, staff):
    from .conftest import login

    answer = login(client, "viewer@example.org")
    cookie = next(c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch, database_url):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": database_url,
                                    "SECRET_KEY": "x" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("path", [
    "/staff/consultations/test-consultation/export/dictionary.csv",
    "/staff/consultations/test-consultation/import/template.csv",
    "/staff/consultations/test-consultation/import/template.xlsx",
])
def test_downloads_are_never_stored(consultation, signed_in, path):
    answer = signed_in("admin").get(path)
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["Cache-Control"] == "no-store"
