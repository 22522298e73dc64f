"""PostgreSQL stopped while residents answer and send: a "not saved yet" page, never a 500;
once it is back, "Try again" stores every response exactly once, with the answers given."""
from __future__ import annotations

import html
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest

from benchmarks.pages import Browser, Journey, answer, read_forms

from .residents import DEMO, START, prepare, try_again_form

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

RESIDENTS = 24
NOT_SAVED = "have not been saved yet"


def test_database_outage_gives_the_not_saved_page_and_retries_store_once(
        start_gunicorn, private_postgres, consult_database):
    server = start_gunicorn()
    residents = prepare(server.url, RESIDENTS)
    # One more resident is half way through: on a question page when the database goes.
    walker = Browser(server.url, START)
    question = walker.start()
    question_form = [f for f in read_forms(question.text, question.url) if f.method == "post"][-1]

    acknowledged: dict[int, str] = {}
    refused: dict[int, object] = {}
    bad: list[str] = []
    lock = threading.Lock()
    stopped = threading.Event()

    def send(i: int) -> None:
        if i >= RESIDENTS // 4:
            stopped.wait(20)  # the last three quarters send while the database is down
        page = residents[i].press_send()
        with lock:
            if page.status == 200 and (ref := Journey.reference(page)):
                acknowledged[i] = ref
            elif page.status == 503 and NOT_SAVED in page.text:
                refused[i] = page
            else:
                bad.append(f"resident {i}: {page.status} {page.url}\n{page.text[:300]}")

    with ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(send, i) for i in range(RESIDENTS)]
        while len(acknowledged) < RESIDENTS // 8:
            time.sleep(0.02)
        private_postgres.stop()
        stopped.set()
        for f in futures:
            f.result()

    try:
        # While it is down: a page that needs nothing stored is served from what the process
        # keeps (the consultation, for CONSULTATION_CACHE_SECONDS), any other says the service
        # is unavailable; never a 500. A page of answers posted is kept on the page.
        start_page = walker.fetch_patiently("GET", START)
        assert start_page.status in (200, 503), start_page.status
        assert ("Start now" if start_page.status == 200 else "Sorry") in start_page.text
        data = answer(question_form)
        posted = walker.fetch_patiently("POST", question_form.action, data)
        assert posted.status == 503 and NOT_SAVED in posted.text, posted.status
        kept = try_again_form(posted)
        assert kept is not None, "the not-saved page has no Try again form"
        for name, value in data.items():
            if name != "csrf_token" and value not in ("", []):
                sent = value if isinstance(value, list) else [value]
                for v in sent:
                    assert html.escape(v) in posted.text, f"{name}={v} not kept on the page"
        assert not bad, "\n".join(bad)
        assert refused, "no resident sent while the database was down"
    finally:
        private_postgres.start()

    # Back up: everyone refused presses "Try again" on the page they were shown.
    def retry(i: int) -> None:
        # "Try again" posts the kept form again; a page that could not be shown (the response
        # was stored but its confirmation could not be read) has a link to load it again.
        page = refused[i]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            form = try_again_form(page)
            browser = residents[i].browser
            again = (browser.fetch_patiently("POST", form.action, dict(form.hidden)) if form
                     else browser.fetch_patiently("GET", page.url))
            if again.status == 200 and (ref := Journey.reference(again)):
                with lock:
                    acknowledged[i] = ref
                return
            assert again.status == 503, f"{again.status} on retry"
            page = again
            time.sleep(0.2)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(retry, list(refused)))
    assert len(acknowledged) == RESIDENTS

    # The half-way resident's answers, kept on the page, are accepted too.
    again = walker.fetch_patiently("POST", kept.action, dict(kept.hidden))
    assert again.status == 200 and NOT_SAVED not in again.text, again.status

    with psycopg.connect(consult_database.replace("+psycopg", "")) as conn:
        rows = conn.execute(
            "SELECT r.reference, r.draft_token, r.answers FROM response r JOIN consultation c"
            " ON c.id = r.consultation_id WHERE c.slug = %s", (DEMO,)).fetchall()
    by_reference = {ref: (token, answers) for ref, token, answers in rows}
    tokens = [token for _r, token, _a in rows]
    assert len(tokens) == len(set(tokens)), "a draft was stored twice"
    for i, ref in acknowledged.items():
        assert ref in by_reference, f"resident {i}'s reference {ref} is not stored"
        stored = by_reference[ref][1]
        for column, value in residents[i].browser.sent.items():
            if column.startswith("support__"):
                assert stored.get(column) == value, (column, stored.get(column), value)
    assert len(set(acknowledged.values())) == RESIDENTS
    print(f"{len(refused)} residents got the not-saved page; all {RESIDENTS} stored once")
