"""Admission control: a request that has already waited too long in the server's queue is told
at once that the service is busy (503 with a plain-English page and ``Retry-After``) instead of
being served late, after its resident has given up, while everyone behind it waits longer still.
The busy page is in the resident's language: the one a ``?lang=`` link asks for, else the
browser's Accept-Language, among the languages whose catalog is compiled (one short page in the
resident's language, read by a screen reader in that language, rather than a page in every
language; choosing costs one header parse and each language's page is built once).

Why queue time, and not a count of requests in flight: on a busy machine the queue is where the
time goes. With gunicorn's threaded workers, each process accepts connections as they come and
hands them to a small pool of threads; when page rendering cannot keep up, connections wait in
that hand-over queue. ``consult.serving.ThreadWorker`` notes when each request entered the queue,
and this middleware compares it with the moment the request reaches the app. Past
``CONSULT_MAX_QUEUE_MS`` (default 400) the request is refused before Flask, the session or the
database are touched, so refusing costs a fraction of a millisecond and the queue drains fast:
the requests that are served keep their latency near the limit, and the service recovers as
soon as the crowd thins. The refused resident loses nothing: answers are saved page by page on
the server, and the busy page says so.

Behind a reverse proxy that stamps ``X-Request-Start: t=<seconds since the epoch>`` (nginx:
``proxy_set_header X-Request-Start "t=${msec}";``), the time spent queued in front of the app
counts too (the proxy and app clocks must agree, as with NTP). Static files are always admitted.
``CONSULT_MAX_QUEUE_MS=0`` switches admission control off. See docs/operations.md.
"""
from __future__ import annotations

import gettext as gettext_module
import html
import os
import threading
import time
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import parse_qs

from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from .i18n import LANGUAGES

# The busy page's words, marked for the catalogs (N_ only marks them: the page is built from
# the compiled catalogs directly, as Flask-Babel is not reached).
def N_(text: str) -> str:
    return text


BUSY_WORDS = {
    "title": N_("Sorry, the service is busy"),
    "service": N_("Have your say"),
    "crowd": N_("A lot of people are answering the consultation right now, so we could not deal "
                "with your request."),
    "kept": N_("Anything you already saved, and every page you completed with “Continue”, is "
               "kept. Wait a minute, then go back and try again."),
}
BUSY_TEMPLATE = """<!DOCTYPE html>
<html lang="{lang}" dir="{dir}" class="govuk-template">
<head>
<meta charset="utf-8">
<title>{title} - {service}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/vendor/consult.css">
</head>
<body class="govuk-template__body">
<div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{title}</h1>
<p class="govuk-body">{crowd}</p>
<p class="govuk-body">{kept}</p>
</main>
</div>
</body>
</html>
"""
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
_busy_pages: dict[str, bytes] = {}


def busy_page(language: str = "en") -> bytes:
    """The busy page in ``language``, from its compiled catalog (English when it has none);
    built once per language."""
    page = _busy_pages.get(language)
    if page is None:
        info = LANGUAGES.get(language, LANGUAGES["en"])
        translate = _catalog(language).gettext if language != "en" else (lambda text: text)
        words = {name: html.escape(translate(text), quote=False)
                 for name, text in BUSY_WORDS.items()}
        page = _busy_pages[language] = BUSY_TEMPLATE.format(
            lang=language, dir=info.get("dir", "ltr"), **words).encode()
    return page


def _catalog(language: str) -> gettext_module.NullTranslations:
    mo = TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo"
    try:
        with mo.open("rb") as source:
            return gettext_module.GNUTranslations(source)
    except OSError:
        return gettext_module.NullTranslations()


def offered_with_catalog() -> list[str]:
    """The languages the busy page can be given in: English and each language offered whose
    catalog is compiled."""
    return [code for code in LANGUAGES if code == "en"
            or (TRANSLATIONS / code / "LC_MESSAGES" / "messages.mo").exists()]


def busy_language(environ: dict, offered: list[str]) -> str:
    """The language of the busy page: a ``?lang=`` link just followed, else the browser's
    Accept-Language among ``offered``, else English. (The language chosen earlier in the visit
    is in the Flask session, which is not opened here so that refusing stays cheap.)"""
    asked = parse_qs(environ.get("QUERY_STRING", "")).get("lang", [""])[0]
    if asked in offered:
        return asked
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE", ""), LanguageAccept)
    return accepted.best_match(offered, default="en") or "en"


BUSY_PAGE = busy_page("en")

RETRY_AFTER_SECONDS = "30"

_queued = threading.local()


def note_enqueued(monotonic_time: float | None) -> None:
    """Called by the server's worker thread: when the request it is about to serve was queued."""
    _queued.at = monotonic_time


def queue_wait_ms(environ: dict) -> float:
    """How long this request has waited before reaching the app, in milliseconds (0 if unknown)."""
    waits = [0.0]
    at = getattr(_queued, "at", None)
    if at is not None:
        waits.append((time.monotonic() - at) * 1000.0)
    stamp = environ.get("HTTP_X_REQUEST_START", "")
    if stamp:
        try:
            started = float(stamp.removeprefix("t=").strip())
        except ValueError:
            started = 0.0
        if started > 1e11:  # given in milliseconds rather than seconds
            started /= 1000.0
        if started > 0:
            waits.append((time.time() - started) * 1000.0)
    return max(waits)


class AdmissionControl:
    """WSGI middleware that refuses requests queued longer than ``max_queue_ms`` with a 503."""

    def __init__(self, app: Callable, max_queue_ms: float,
                 always_admit: tuple[str, ...] = ("/static/",)):
        self.app = app
        self.max_queue_ms = max_queue_ms
        self.always_admit = always_admit
        self.refused = 0
        self._offered: list[str] | None = None

    def busy(self, start_response: Callable, environ: dict | None = None) -> Iterable[bytes]:
        self.refused += 1
        if self._offered is None:  # the compiled catalogs, looked for at the first refusal
            self._offered = offered_with_catalog()
        language = busy_language(environ or {}, self._offered)
        page = busy_page(language)
        start_response("503 Service Unavailable", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Language", language),
            ("Content-Length", str(len(page))),
            ("Retry-After", RETRY_AFTER_SECONDS),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'"),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "same-origin"),
        ])
        return [page]

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if (not environ.get("PATH_INFO", "").startswith(self.always_admit)
                and queue_wait_ms(environ) > self.max_queue_ms):
            return self.busy(start_response, environ)
        return self.app(environ, start_response)


def wrap(app, environ: dict[str, str] | None = None):
    """``app.wsgi_app`` wrapped with the limit from the environment (unchanged if off)."""
    env = os.environ if environ is None else environ
    limit = float(env.get("CONSULT_MAX_QUEUE_MS", "400"))
    return AdmissionControl(app, max_queue_ms=limit) if limit > 0 else app
