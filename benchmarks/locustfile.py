"""Locust users for the load benchmark (run by ``benchmarks/load.py``; see docs/operations.md).

``ResidentJourney``: a resident takes the whole survey the way a browser would: the start page,
every question page with realistic answers, the CSRF token taken from each form, check your
answers, submit, confirmation. About one journey in eight saves on some page and resumes with its
code in a fresh session before carrying on. The journey is driven by the pages themselves (each
form is read and answered by the kind of field it holds), so it follows whatever route the answers
lead to: victims and businesses get their own pages.

``FinalSubmit``: the final submit alone. ``load.py`` prepares complete drafts in the database
beforehand (copies of the answers of a real journey) with, for each, the session cookie and CSRF
token a browser on "check your answers" would hold (file named by ``CONSULT_BENCH_DRAFTS``); each
task sends one of them, exactly the request of the "Send response" button, and checks that it is
answered with the redirect to the confirmation.

Every simulated resident comes from its own address, given in ``X-Forwarded-For`` as a reverse
proxy would (load.py runs gunicorn with ``TRUSTED_PROXIES=1``), so per-address rate limits apply
per resident, as in production, not to the whole benchmark at once.

``Ceiling``: the bare Flask page of ``benchmarks/ceiling_app.py``.

Counts of complete journeys, submissions, saves and resumes go to the JSON file named by
``CONSULT_BENCH_COUNTS`` when the run stops.
"""
from __future__ import annotations

import json
import os
import random
import re
import sys
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.pages import (  # noqa: E402
    ERROR_SUMMARY_RE,
    Broken,
    Journey,
    Page,
    path_name,
    text_of,
)

ERROR_LIST_RE = re.compile(r'govuk-error-summary__list">(.*?)</ul>', re.S)
START_PATH = os.environ.get("CONSULT_BENCH_START", "/")
COUNTS = {"journeys": 0, "submissions": 0, "acknowledged": 0, "saves": 0, "resumes": 0,
          "broken_journeys": 0, "redirects_followed": 0, "answers_corrected": 0,
          "broken_because": {}}


def _broken(why: str) -> None:
    """Counts a journey that could not be finished, and why (the first words of the reason)."""
    COUNTS["broken_journeys"] += 1
    reason = re.sub(r"[0-9A-Za-z_-]{12,}", "...", why)[:120]
    COUNTS["broken_because"][reason] = COUNTS["broken_because"].get(reason, 0) + 1


def random_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


@events.test_stop.add_listener
def _write_counts(environment, **_kwargs):
    path = os.environ.get("CONSULT_BENCH_COUNTS")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(COUNTS, out)


class LocustJourney(Journey):
    """The journey through Locust's client: every request is in the statistics."""

    def __init__(self, user: FastHttpUser, prefix: str = ""):
        super().__init__(START_PATH)
        self.user = user
        self.prefix = prefix
        self.headers = {"X-Forwarded-For": random_address()}

    def clear_cookies(self) -> None:
        self.user.client.cookiejar.clear()

    def request(self, method: str, url: str, data=None, name: str | None = None,
                allow_corrections: bool = False) -> Page:
        name = self.prefix + (name or path_name(url))
        client = self.user.client
        call = client.get if method == "GET" else client.post
        headers = self.headers
        kwargs = {}
        if method == "POST":
            # Encoded here: checkbox answers are lists, one field per ticked box.
            kwargs["data"] = urlencode(data or {}, doseq=True)
            headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
        with call(url, name=name, catch_response=True, headers=headers, **kwargs) as r:
            # Locust counts a request and the redirect it followed as one; the app served both.
            if urlsplit(str(r.url)).path != urlsplit(url).path:
                COUNTS["redirects_followed"] += 1
            if r.status_code != 200:
                r.failure(f"{method} {path_name(url)} answered {r.status_code}")
                raise Broken(name)
            text = r.text or ""
            if allow_corrections and ERROR_SUMMARY_RE.search(text):
                COUNTS["answers_corrected"] += 1
                return Page(r.status_code, text, str(r.url))
            if ERROR_SUMMARY_RE.search(text):
                found = ERROR_LIST_RE.search(text)
                why = text_of(found.group(1))[:160] if found else ""
                r.failure(f"{method} {path_name(url)} was refused: {why}")
                raise Broken(name)
            return Page(r.status_code, text, str(r.url))


class ResidentJourney(FastHttpUser):
    wait_time = constant(0)

    @task
    def journey(self):
        walk = LocustJourney(self)
        try:
            page, form = walk.to_check_answers()
            done = walk.submit(page, form)
            COUNTS["submissions"] += 1
            if walk.reference(done):
                COUNTS["acknowledged"] += 1
                COUNTS["journeys"] += 1
            else:
                _broken(f"no reference on the page after submitting ({done.status} {done.url})")
        except Broken as e:
            _broken(str(e))
        finally:
            COUNTS["saves"] += walk.saves
            COUNTS["resumes"] += walk.resumes
            self.client.cookiejar.clear()


def _prepared_drafts() -> list[tuple[str, str, str]]:
    path = os.environ.get("CONSULT_BENCH_DRAFTS")
    if not path:
        return []
    with open(path, encoding="utf-8") as f:
        return [tuple(line.rstrip("\n").split("\t")) for line in f if line.strip()]


DRAFTS = _prepared_drafts()


class FinalSubmit(FastHttpUser):
    wait_time = constant(0)

    @task
    def submit(self):
        if not DRAFTS:
            _broken("no prepared draft left")
            self.stop()
            return
        check_path, cookie, token = DRAFTS.pop()
        self.client.cookiejar.clear()
        headers = {"Cookie": f"session={cookie}", "X-Forwarded-For": random_address()}
        with self.client.post(check_path, data={"csrf_token": token}, headers=headers,
                              name="submit (final)", allow_redirects=False,
                              catch_response=True) as r:
            COUNTS["submissions"] += 1
            if r.status_code == 302 and "/confirmation" in r.headers.get("Location", ""):
                COUNTS["acknowledged"] += 1
            else:
                r.failure(f"submit answered {r.status_code}")
                _broken(f"final submit answered {r.status_code}")


class Ceiling(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        self.client.get("/", name="ceiling page")
