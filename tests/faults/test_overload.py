"""More residents at once than the service can answer quickly: load is stepped up until p99
passes 1 s or the service starts refusing. Refusals are 503 (or 429) with a plain-English page
and Retry-After, never a 500; when the load drops, every page is served again, quickly.

The crowd asks for a page the service must build from the database for each resident ("check
your answers", with that resident's draft), not the start page: each process keeps the start
page in memory, and a crowd of start pages is answered faster than this machine's client threads
can ask, so it never queues long enough to be refused.

gunicorn runs with the production settings (gunicorn.conf.py, consult/admission.py defaults).
"""
from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field

import pytest

from .residents import Resident, prepare

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

STEPS = (4, 32, 128, 256, 512)
STEP_SECONDS = 3.0
CROWD_DRAFTS = 8


@dataclass
class Step:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    refusals: list[tuple[int, str, str | None]] = field(default_factory=list)
    connection_errors: int = 0
    other_pages: int = 0  # answered 200, but not with the resident's check your answers page

    def p99(self) -> float:
        ordered = sorted(self.latencies)
        return ordered[int(len(ordered) * 0.99) - 1] if ordered else float("inf")

    def refused(self) -> int:
        return self.statuses.get(503, 0) + self.statuses.get(429, 0)


def cookie_header(resident: Resident) -> str:
    return "; ".join(f"{c.name}={c.value}" for c in resident.browser.jar)


def hammer(residents: list[Resident], concurrency: int, seconds: float) -> Step:
    """``concurrency`` clients, each reloading one resident's check your answers page."""
    step = Step(concurrency)
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        resident = residents[number % len(residents)]
        headers = {"Cookie": cookie_header(resident)}
        while time.monotonic() < stop_at:
            started = time.monotonic()
            request = urllib.request.Request(resident.check_page.url, headers=headers)
            try:
                with urllib.request.urlopen(request, timeout=15) as r:
                    page = r.read().decode("utf-8", "replace")
                    status, body, retry = r.status, "", None
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read().decode("utf-8", "replace")
                page, retry = "", error.headers.get("Retry-After")
            except OSError:
                with lock:
                    step.connection_errors += 1
                continue
            elapsed = time.monotonic() - started
            with lock:
                step.latencies.append(elapsed)
                step.statuses[status] = step.statuses.get(status, 0) + 1
                if status == 200 and "Check your answers" not in page:
                    step.other_pages += 1
                if status in (429, 503) and len(step.refusals) < 50:
                    step.refusals.append((status, body, retry))
                elif status >= 500:
                    step.refusals.append((status, body, retry))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return step


def test_overload_is_refused_politely_and_the_service_recovers(start_gunicorn):
    server = start_gunicorn()
    residents = prepare(server.url, CROWD_DRAFTS)
    assert all("Check your answers" in r.check_page.text for r in residents)
    steps = []
    for concurrency in STEPS:
        step = hammer(residents, concurrency, STEP_SECONDS)
        steps.append(step)
        print(f"{concurrency:>4} at once: {len(step.latencies)} answers, p99 "
              f"{step.p99() * 1000:.0f} ms, statuses {step.statuses}, "
              f"connection errors {step.connection_errors}")
        if step.refused() or step.p99() > 1.0:
            break

    for step in steps:
        errors = {s: n for s, n in step.statuses.items() if s >= 500 and s != 503}
        assert not errors, f"server errors at {step.concurrency} at once: {errors}"
        assert step.connection_errors == 0, f"connections refused at {step.concurrency} at once"
        assert step.other_pages == 0, f"residents lost their answers at {step.concurrency} at once"
        for status, body, retry in step.refusals:
            assert "Sorry" in body or "Too many" in body, body[:500]
            assert "try again" in body.lower(), body[:500]
            assert "Traceback" not in body
            if status == 503:
                assert retry, "a busy 503 without Retry-After"
    top = steps[-1]
    assert top.refused(), (
        f"p99 reached {top.p99() * 1000:.0f} ms at {top.concurrency} at once and nobody was "
        "refused: there is no admission control")

    # The crowd goes: pages are served again, all of them, quickly.
    time.sleep(0.5)
    calm = hammer(residents, 4, STEP_SECONDS)
    print(f"after: {len(calm.latencies)} answers, p99 {calm.p99() * 1000:.0f} ms, "
          f"statuses {calm.statuses}")
    assert set(calm.statuses) == {200}, calm.statuses
    assert calm.other_pages == 0
    assert calm.p99() < 0.5
