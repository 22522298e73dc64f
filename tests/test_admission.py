"""Admission control refuses a request that queued too long, cheaply and politely."""
from __future__ import annotations

import time

from werkzeug.test import Client

from consult import admission


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


def test_a_request_that_waited_too_long_gets_the_busy_page():
    client = Client(admission.AdmissionControl(hello, max_queue_ms=400))
    admission.note_enqueued(time.monotonic() - 0.5)
    try:
        answer = client.get("/c/some-consultation")
    finally:
        admission.note_enqueued(None)
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "30"
    body = answer.get_data(as_text=True)
    assert "Sorry, the service is busy" in body and "try again" in body
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_a_request_served_promptly_is_admitted():
    client = Client(admission.AdmissionControl(hello, max_queue_ms=400))
    admission.note_enqueued(time.monotonic() - 0.05)
    try:
        assert client.get("/").status_code == 200
    finally:
        admission.note_enqueued(None)
    assert client.get("/").status_code == 200  # no queue time known: admitted


def test_time_queued_in_front_of_the_app_counts_too():
    client = Client(admission.AdmissionControl(hello, max_queue_ms=400))
    stale = f"t={time.time() - 2:.3f}"
    fresh = f"t={time.time():.3f}"
    assert client.get("/", headers={"X-Request-Start": stale}).status_code == 503
    assert client.get("/", headers={"X-Request-Start": fresh}).status_code == 200
    in_ms = f"t={(time.time() - 2) * 1000:.0f}"
    assert client.get("/", headers={"X-Request-Start": in_ms}).status_code == 503
    assert client.get("/", headers={"X-Request-Start": "t=rubbish"}).status_code == 200


def test_static_files_are_always_served():
    client = Client(admission.AdmissionControl(hello, max_queue_ms=400))
    assert client.get("/static/x.css",
                      headers={"X-Request-Start": f"t={time.time() - 5:.3f}"}).status_code == 200


def test_it_can_be_switched_off():
    assert admission.wrap(hello, {"CONSULT_MAX_QUEUE_MS": "0"}) is hello
    assert isinstance(admission.wrap(hello, {}), admission.AdmissionControl)


def _busy(headers=None, query=""):
    from i18n.conftest import compile_catalogs

    compile_catalogs()
    client = Client(admission.AdmissionControl(hello, max_queue_ms=400))
    admission.note_enqueued(time.monotonic() - 0.5)
    try:
        return client.get("/c/some-consultation" + query, headers=headers or {})
    finally:
        admission.note_enqueued(None)


def test_the_busy_page_is_in_the_language_the_browser_asks_for():
    from babel.support import Translations

    answer = _busy({"Accept-Language": "pl-PL,pl;q=0.9,en;q=0.5"})
    body = answer.get_data(as_text=True)
    polish = Translations.load(str(admission.TRANSLATIONS), ["pl"])
    assert answer.status_code == 503 and answer.headers["Content-Language"] == "pl"
    assert '<html lang="pl"' in body
    assert polish.gettext(admission.BUSY_WORDS["title"]) in body
    assert "Sorry, the service is busy" not in body


def test_the_busy_page_follows_a_language_link_then_falls_back_to_english():
    assert '<html lang="ro"' in _busy({"Accept-Language": "pl"}, "?lang=ro").get_data(as_text=True)
    english = _busy({"Accept-Language": "fr-FR,fr;q=0.9"})
    assert english.headers["Content-Language"] == "en"
    assert "Sorry, the service is busy" in english.get_data(as_text=True)
