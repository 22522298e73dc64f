"""Database queries per page of the resident journey, counted with SQLAlchemy events.

Each page costs a fixed, small number of round trips to the database, whatever the answers: a
page that starts issuing a query per question or per theme (an N+1) fails here before it
slows the service under load (see benchmarks/load.py and docs/operations.md).
"""
from __future__ import annotations

import re
from collections import defaultdict

import pytest
import sqlalchemy as sa

from benchmarks.pages import CONFIRMATION_RE, answer, read_forms
from consult.extensions import db

DEMO = "/c/police-and-crime-plan-2021-demo"
# Most queries any one request of the journey may make, as served in production: the
# consultation is read once (on the start page here) and then kept for a few seconds
# (consult/published.py); a question page reads the draft, and saving it adds one write.
BUDGET = {"GET page": 1, "POST page": 2, "GET check": 1, "POST check": 3, "GET start": 2,
          "GET confirmation": 0}
# Reading the consultation when it is not kept: one query, its themes joined.
# The start and confirmation pages also read whether the results are published (kept like the
# consultation when it is kept).
COLD_BUDGET = {"GET page": 2, "POST page": 3, "GET check": 2, "POST check": 4, "GET start": 2,
               "GET confirmation": 2}


def _kind(method: str, path: str) -> str:
    if path.endswith("/check"):
        return f"{method} check"
    if "/q/" in path:
        return f"{method} page"
    if path.endswith("/confirmation"):
        return f"{method} confirmation"
    return f"{method} start"


@pytest.mark.parametrize("kept_seconds, budget", [(60.0, BUDGET), (0.0, COLD_BUDGET)],
                         ids=["consultation-kept", "consultation-read-each-time"])
@pytest.mark.parametrize("respondent", ["resident", "victim_or_witness", "business"])
def test_each_page_makes_a_fixed_small_number_of_queries(app, client, loaded, respondent,
                                                         kept_seconds, budget):
    app.config["CONSULTATION_CACHE_SECONDS"] = kept_seconds
    counted: dict[str, list[int]] = defaultdict(list)
    queries = []

    def count(conn, cursor, statement, *args):
        queries.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        def request(method: str, path: str, data=None):
            queries.clear()
            answer_ = client.open(path, method=method, data=data)
            counted[_kind(method, path)].append(len(queries))
            return answer_

        page = request("GET", DEMO)
        path = re.search(r'href="([^"]+/q/[^"]+)"', page.get_data(as_text=True)).group(1)
        for _ in range(40):
            html = request("GET", path).get_data(as_text=True)
            form = [f for f in read_forms(html, "http://localhost" + path) if f.method == "post"][-1]
            data = answer(form)
            if "respondent_type" in data:
                data["respondent_type"] = respondent
            sent = request("POST", path, data)
            if sent.status_code == 200 and "govuk-error-summary" in sent.get_data(as_text=True):
                continue  # random answers that contradict each other: answer the page again
            assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
            path = sent.headers["Location"]
            if path.endswith("/confirmation"):
                done = request("GET", path)
                assert CONFIRMATION_RE.search(done.get_data(as_text=True))
                break
        else:
            pytest.fail("the journey did not end")
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)

    worst = {kind: max(n) for kind, n in counted.items()}
    print(f"{respondent}: most queries per request {worst}")
    over = {k: (n, budget[k]) for k, n in worst.items() if n > budget[k]}
    assert not over, f"queries per request over budget (found, budget): {over}; all: {worst}"
