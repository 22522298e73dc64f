"""Admission control: when a process already has as many requests in hand as it can answer
quickly, the next one is told at once that the service is busy (503 with a plain-English page and
``Retry-After``) instead of waiting in a queue until everyone's pages time out.

Why a limit on requests in flight: under gevent workers every accepted connection becomes a
request in the app at once, so the number in flight is exactly the queue that the CPU has to work
through; past a few dozen per core, each extra request adds its own rendering time to everyone's
latency. Refusing early keeps the pages that are served fast, and the refused resident loses
nothing: answers are saved page by page on the server, and the busy page says so.

The refusal happens before Flask, the session or the database are touched, so it stays cheap
when the service is flooded. Static files are never refused (they are cheap and a page without
its stylesheet is worse than no page). Set ``CONSULT_MAX_IN_FLIGHT`` per process (default 48);
0 switches admission control off. See docs/operations.md.

Behind a proxy that stamps ``X-Request-Start: t=<milliseconds since the epoch>`` (nginx:
``proxy_set_header X-Request-Start "t=${msec}";``), a request that already waited longer than
``CONSULT_MAX_QUEUE_MS`` (default 0: off) in queues before reaching the app is refused the same
way: the resident has likely given up on it, and serving it would only delay the next ones.
"""
from __future__ import annotations

import os
import threading
import time
from typing import Callable, Iterable

from werkzeug.wsgi import ClosingIterator

BUSY_PAGE = """<!DOCTYPE html>
<html lang="en" class="govuk-template">
<head>
<meta charset="utf-8">
<title>Sorry, the service is busy - Have your say</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/consult.css">
</head>
<body class="govuk-template__body">
<div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">Sorry, the service is busy</h1>
<p class="govuk-body">A lot of people are answering the consultation right now, so we could not
deal with your request.</p>
<p class="govuk-body">Anything you already saved, and every page you completed with
"Continue", is kept. Wait a minute, then go back and try again.</p>
</main>
</div>
</body>
</html>
""".encode()

RETRY_AFTER_SECONDS = "30"


class AdmissionControl:
    """WSGI middleware that refuses requests beyond ``max_in_flight`` with a 503 busy page."""

    def __init__(self, app: Callable, max_in_flight: int, max_queue_ms: int = 0,
                 always_admit: tuple[str, ...] = ("/static/",)):
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_queue_ms = max_queue_ms
        self.always_admit = always_admit
        self.in_flight = 0
        self.refused = 0
        self._lock = threading.Lock()

    def _queued_too_long(self, environ: dict) -> bool:
        if not self.max_queue_ms:
            return False
        stamp = environ.get("HTTP_X_REQUEST_START", "")
        try:
            started_ms = float(stamp.removeprefix("t=").strip())
        except ValueError:
            return False
        if started_ms > 1e11:  # milliseconds since the epoch (nginx's ${msec} is seconds.millis)
            started_ms /= 1000.0
        return (time.time() - started_ms) * 1000.0 > self.max_queue_ms

    def busy(self, start_response: Callable) -> Iterable[bytes]:
        self.refused += 1
        start_response("503 Service Unavailable", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(BUSY_PAGE))),
            ("Retry-After", RETRY_AFTER_SECONDS),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "same-origin"),
        ])
        return [BUSY_PAGE]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith(self.always_admit):
            return self.app(environ, start_response)
        if self._queued_too_long(environ):
            return self.busy(start_response)
        with self._lock:
            if self.in_flight >= self.max_in_flight:
                admitted = False
            else:
                self.in_flight += 1
                admitted = True
        if not admitted:
            return self.busy(start_response)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._release()
            raise
        # The request leaves the count when its body is closed, so a streamed export counts
        # for as long as it is being sent.
        return ClosingIterator(body, [self._release])

    def _release(self) -> None:
        with self._lock:
            self.in_flight -= 1


def wrap(app, environ: dict[str, str] | None = None):
    """``app.wsgi_app`` wrapped with the limits from the environment (unchanged if off)."""
    env = os.environ if environ is None else environ
    limit = int(env.get("CONSULT_MAX_IN_FLIGHT", "48"))
    queue_ms = int(env.get("CONSULT_MAX_QUEUE_MS", "0"))
    if limit <= 0 and queue_ms <= 0:
        return app
    return AdmissionControl(app, max_in_flight=limit if limit > 0 else 10**9, max_queue_ms=queue_ms)
