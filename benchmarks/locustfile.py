"""Locust users for the load benchmark (run by ``benchmarks/load.py``; see docs/operations.md).

``ResidentJourney``: a resident takes the whole survey the way a browser would: the start page,
every question page with realistic answers, the CSRF token taken from each form, check your
answers, submit, confirmation. About one journey in eight saves on some page and resumes with its
code in a fresh session before carrying on. The journey is driven by the pages themselves (each
form is read and answered by the kind of field it holds), so it follows whatever route the answers
lead to: victims and businesses get their own pages.

``FinalSubmit``: the final submit alone. Before the measured run each user walks to "check your
answers" for a stock of drafts (``CONSULT_BENCH_DRAFTS`` each, requests named ``prepare: ...``,
left out of the figures by load.py), keeping each draft's cookies; the measured task then submits
one prepared draft after another.

``Ceiling``: the bare Flask page of ``benchmarks/ceiling_app.py``.

Counts of complete journeys, submissions, saves and resumes go to the JSON file named by
``CONSULT_BENCH_COUNTS`` when the run stops.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from locust import FastHttpUser, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.pages import (  # noqa: E402
    ERROR_SUMMARY_RE,
    Broken,
    Journey,
    Page,
    path_name,
)

START_PATH = os.environ.get("CONSULT_BENCH_START", "/")
COUNTS = {"journeys": 0, "submissions": 0, "acknowledged": 0, "saves": 0, "resumes": 0,
          "broken_journeys": 0}


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

    def clear_cookies(self) -> None:
        self.user.client.cookiejar.clear()

    def request(self, method: str, url: str, data=None, name: str | None = None) -> Page:
        name = self.prefix + (name or path_name(url))
        client = self.user.client
        call = client.get if method == "GET" else client.post
        kwargs = {"data": data} if method == "POST" else {}
        with call(url, name=name, catch_response=True, **kwargs) as r:
            if r.status_code != 200:
                r.failure(f"{method} {path_name(url)} answered {r.status_code}")
                raise Broken(name)
            text = r.text or ""
            if ERROR_SUMMARY_RE.search(text):
                r.failure(f"{method} {path_name(url)} was refused with an error summary")
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
                COUNTS["broken_journeys"] += 1
        except Broken:
            COUNTS["broken_journeys"] += 1
        finally:
            COUNTS["saves"] += walk.saves
            COUNTS["resumes"] += walk.resumes
            self.client.cookiejar.clear()


class FinalSubmit(FastHttpUser):
    wait_time = constant(0)
    drafts_per_user = int(os.environ.get("CONSULT_BENCH_DRAFTS", "20"))

    def on_start(self):
        self.ready = []
        walk = LocustJourney(self, prefix="prepare: ")
        walk.save_probability = 0.0
        for _ in range(self.drafts_per_user):
            try:
                page, form = walk.to_check_answers()
            except Broken:
                continue
            self.ready.append((list(self.client.cookiejar), page, form))
            self.client.cookiejar.clear()

    @task
    def submit(self):
        if not self.ready:
            self.stop()
            return
        cookies, page, form = self.ready.pop()
        self.client.cookiejar.clear()
        for cookie in cookies:
            self.client.cookiejar.set_cookie(cookie)
        walk = LocustJourney(self)
        try:
            done = walk.submit(page, form)
            COUNTS["submissions"] += 1
            if walk.reference(done):
                COUNTS["acknowledged"] += 1
        except Broken:
            COUNTS["broken_journeys"] += 1


class Ceiling(FastHttpUser):
    wait_time = constant(0)

    @task
    def page(self):
        self.client.get("/", name="ceiling page")
