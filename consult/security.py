"""Security headers on every response, public pages included, and the session cookie's flags.

The content security policy allows scripts and styles only from our own origin: no inline
script anywhere, so an answer that smuggled a ``<script>`` into a page could not run even if
escaping were ever missed.
"""
from __future__ import annotations

import ipaddress
import logging
import threading
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

log = logging.getLogger("consult.proxies")

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


# ---------------------------------------------------------------------------------------------
# Client addresses behind a reverse proxy
# ---------------------------------------------------------------------------------------------

# Where a trusted proxy may connect from by default: this machine (nginx beside gunicorn, which
# binds to loopback or a unix socket).
DEFAULT_PROXY_NETWORKS = "127.0.0.0/8,::1/128"

_warned: set[str] = set()
_warned_lock = threading.Lock()


def warn_once(kind: str, message: str, *args: Any) -> None:
    """Logs ``message`` the first time this process meets ``kind`` of misconfiguration: a wrong
    setting shows on the first request, not on every one."""
    with _warned_lock:
        if kind in _warned:
            return
        _warned.add(kind)
    log.warning(message, *args)


def proxy_networks(raw: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks in ``TRUSTED_PROXY_NETWORKS`` (comma separated, e.g. ``10.0.0.0/24``)."""
    networks = []
    for part in raw.split(","):
        part = part.strip()
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"TRUSTED_PROXY_NETWORKS: {part[:60]!r} is not an address or "
                             "network such as 10.0.0.0/24") from None
    return networks


class ClientAddresses:
    """WSGI middleware: the client's address, scheme and host from the ``X-Forwarded-*`` headers
    of ``proxies`` trusted reverse proxies (Werkzeug's ProxyFix), but only for connections that
    come from a trusted proxy's network; anything else is taken as it arrived.

    A request shows the setting is wrong when forwarded headers arrive while no proxy is trusted
    (every resident then shares the proxy's address, so one person's failures throttle everyone),
    when a connection from outside the proxies' networks reaches the app (it is reachable
    directly: its forwarded headers could be forged), or when a proxy's request lacks them.
    Each is logged once per process.
    """

    def __init__(self, wsgi_app: Callable, proxies: int, networks: Iterable[Any]) -> None:
        self.direct = wsgi_app
        self.proxies = proxies
        self.networks = list(networks)
        self.proxied = ProxyFix(wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies,
                                x_port=proxies) if proxies > 0 else wsgi_app

    def _from_proxy(self, peer: str | None) -> bool:
        if not peer:  # a unix socket: only what can open the file reaches the app
            return True
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return True
        return any(address in network for network in self.networks)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR")
        if self.proxies <= 0:
            if forwarded:
                warn_once("forwarded-untrusted",
                          "Requests arrive with X-Forwarded-For but TRUSTED_PROXIES is 0: every "
                          "client looks like the proxy's address %s, so rate limits are shared "
                          "by everyone. Behind the nginx of deploy/nginx/consult.conf set "
                          "TRUSTED_PROXIES=1 (docs/operations.md).", environ.get("REMOTE_ADDR"))
            return self.direct(environ, start_response)
        peer = environ.get("REMOTE_ADDR")
        if not self._from_proxy(peer):
            warn_once("direct-connection",
                      "A request reached the app straight from %s, not through a trusted proxy "
                      "(TRUSTED_PROXY_NETWORKS): its X-Forwarded-* headers are ignored. Bind "
                      "gunicorn only where the proxy reaches it (GUNICORN_BIND=127.0.0.1:8000 or "
                      "a unix socket; docs/operations.md).", peer)
            return self.direct(environ, start_response)
        if not forwarded or len(forwarded.split(",")) < self.proxies:
            warn_once("forwarded-missing",
                      "TRUSTED_PROXIES is %s but a request from %s arrived with %s: either the "
                      "proxy does not set X-Forwarded-For (see deploy/nginx/consult.conf) or "
                      "clients reach the app without it.", self.proxies, peer,
                      "no X-Forwarded-For" if not forwarded else "too few X-Forwarded-For addresses")
        return self.proxied(environ, start_response)


def external_url(endpoint: str, **values: Any) -> str:
    """An absolute link to ``endpoint`` for a resident to keep (the "save and come back" link):
    on ``PUBLIC_URL`` when it is set (always in production), never on whatever Host header the
    request carried."""
    from flask import current_app, url_for

    base = current_app.config.get("PUBLIC_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    origin = urlsplit(base)
    return f"{origin.scheme}://{origin.netloc}{url_for(endpoint, **values)}"


def same_site_path(target: str | None) -> str | None:
    """``target`` (a Referer) as a path on this site, or None: a link back must never lead to
    another site or run script (``javascript:``), whatever the browser sent."""
    if not target or len(target) > 2000:
        return None
    try:
        parts = urlsplit(target.strip())
        host = request.host  # refused (SecurityError) when not a trusted host
    except Exception:
        return None
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != host.lower():
        return None
    path = parts.path or "/"
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return None
    return path + (f"?{parts.query}" if parts.query else "")
