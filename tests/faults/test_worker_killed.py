"""kill -9 of gunicorn workers while residents send their responses.

What a resident sees as sent (the confirmation page with a reference) must be stored, and a
resident who presses "Send response" again after a dropped connection must not make a second
response.
"""
from __future__ import annotations

import http.client
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from benchmarks.pages import Journey

from .residents import prepare

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RESIDENTS = 40


def test_every_acknowledged_response_is_stored_once_when_workers_are_killed(
        start_gunicorn, consult_database):
    server = start_gunicorn(WEB_CONCURRENCY="2")
    residents = prepare(server.url, RESIDENTS)
    acknowledged: dict[int, str] = {}
    server_errors: list[str] = []
    dropped = 0
    lock = threading.Lock()
    done = threading.Event()

    def send(i: int) -> None:
        nonlocal dropped
        resident = residents[i]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                page = resident.press_send()
            except (OSError, http.client.HTTPException):
                # The worker died under this request (no answer, or an answer cut short):
                # press the button again.
                with lock:
                    dropped += 1
                time.sleep(0.05)
                continue
            if page.status == 200 and (ref := Journey.reference(page)):
                with lock:
                    acknowledged[i] = ref
                return
            if page.status >= 500 and page.status != 503:
                with lock:
                    server_errors.append(f"{page.status} {page.url}")
            time.sleep(0.05)

    kills = []

    def killer() -> None:
        # Three times, once five more residents have been answered since the last kill (so the
        # service is up again), kill -9 a worker while the others keep sending.
        answered_at_last_kill = 0
        while not done.is_set() and len(kills) < 3:
            if len(acknowledged) >= answered_at_last_kill + 5:
                pids = server.worker_pids()
                if pids:
                    os.kill(pids[len(kills) % len(pids)], signal.SIGKILL)
                    kills.append(pids[0])
                    answered_at_last_kill = len(acknowledged)
            time.sleep(0.02)

    killing = threading.Thread(target=killer)
    killing.start()
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(send, range(RESIDENTS)))
    finally:
        done.set()
        killing.join()

    assert len(kills) >= 2, "workers were not killed while responses were being sent"
    assert dropped > 0, "no request was cut off by a kill"
    assert not server_errors, server_errors
    assert len(acknowledged) == RESIDENTS, (
        f"{RESIDENTS - len(acknowledged)} residents never got a reference; log:\n"
        + server.log_text()[-3000:])

    with psycopg.connect(consult_database.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT r.reference, r.draft_token FROM response r JOIN consultation c"
            " ON c.id = r.consultation_id WHERE c.slug = %s AND r.channel = 'online'",
            ("police-and-crime-plan-2021-demo",)).fetchall()
    stored = {ref for ref, _token in rows}
    tokens = [token for _ref, token in rows]
    assert len(tokens) == len(set(tokens)), "a draft was stored twice"
    missing = set(acknowledged.values()) - stored
    assert not missing, f"acknowledged but not stored: {sorted(missing)}"
    # Every resident's response is stored exactly once (earlier tests may have left others).
    assert len(set(acknowledged.values())) == RESIDENTS
    print(f"{len(kills)} workers killed, {dropped} connections dropped and retried, "
          f"{RESIDENTS} responses stored once each")
