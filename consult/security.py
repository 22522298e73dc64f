"""Security headers on every response, public pages included, and the session cookie's flags.

The content security policy allows scripts and styles only from our own origin: no inline
script anywhere, so an answer that smuggled a ``<script>`` into a page could not run even if
escaping were ever missed.
"""
from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    # Pages carry answers and staff data: never kept by a browser or a proxy (a shared computer
    # at a library or an event must not show the last resident's answers). Static files keep
    # their own caching.
    if request.endpoint != "static":
        if headers.get("Content-Disposition", "").startswith("attachment"):
            # send_file marks a download "no-cache" (kept, checked again before use): a file of
            # responses must not be kept at all.
            headers["Cache-Control"] = "no-store"
        headers.setdefault("Cache-Control", "no-store")
    # Behind a proxy, ProxyFix (or the WSGI server) makes request.is_secure reflect HTTPS.
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
    # Cookies are never readable from script and are not sent on cross-site posts; "Secure"
    # comes from the environment's config (on by default in production).
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
