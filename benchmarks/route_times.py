"""Time and queries per request of the resident journey, in one process, without a server.

    python benchmarks/route_times.py                  # 30 journeys on a scratch PostgreSQL database
    python benchmarks/route_times.py --journeys 100

Walks complete journeys (the same reader as the load benchmark, ``benchmarks/pages.py``) through
the Flask test client against a scratch PostgreSQL database, and prints for each kind of request
how many a journey makes, the median time the app took and the queries it sent. It measures
the app alone, without gunicorn, the network or a load generator, so it shows what a change to
a page costs; ``benchmarks/load.py`` measures what the machine then serves.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import DEMO, app_env, load_consultations, prepare_database  # noqa: E402
from benchmarks.pages import ERROR_SUMMARY_RE, Broken, Journey, Page  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=30, help="journeys timed (30)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="consult_routes", help="scratch database (replaced)")
    args = parser.parse_args(argv)
    if args.journeys < 1:
        parser.error("--journeys must be at least 1")

    env = app_env(prepare_database(args.admin_url, args.database))
    load_consultations(env)
    os.environ.update(env)

    import sqlalchemy as sa
    from flask import request

    from consult import create_app
    from consult.extensions import db

    app = create_app("production")
    public_url = env["PUBLIC_URL"]
    times: dict[str, list[float]] = defaultdict(list)
    queries: Counter[str] = Counter()
    inner = app.wsgi_app

    def timed(environ, start_response):
        started = time.perf_counter()
        body = b"".join(inner(environ, start_response))
        key = f"{environ['REQUEST_METHOD']} {environ.get('consult.endpoint', '?')}"
        times[key].append((time.perf_counter() - started) * 1000)
        return [body]

    app.wsgi_app = timed

    @app.before_request
    def note_endpoint():
        request.environ["consult.endpoint"] = request.endpoint

    with app.app_context():
        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def count(_conn, _cursor, _statement, *_args):
            queries[f"{request.method} {request.endpoint}"] += 1

    client = app.test_client()

    class TestClientJourney(Journey):
        def clear_cookies(self) -> None:
            client._cookies.clear()

        def request(self, method: str, url: str, data=None, name: str | None = None,
                    allow_corrections: bool = False) -> Page:
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            # The host residents use: production refuses any other (PUBLIC_URL, app_env).
            answer = client.open(path, method=method, data=data, follow_redirects=True,
                                 base_url=public_url, headers={"X-Forwarded-For": "10.0.0.1"})
            text = answer.get_data(as_text=True)
            refused = ERROR_SUMMARY_RE.search(text)
            if answer.status_code == 200 and refused and allow_corrections:
                return Page(answer.status_code, text, public_url + answer.request.path)
            if answer.status_code != 200 or refused:
                raise Broken(f"{method} {url} answered {answer.status_code}")
            return Page(answer.status_code, text, public_url + answer.request.path)

    def journey() -> None:
        walk = TestClientJourney(f"/c/{DEMO}")
        page, form = walk.to_check_answers()
        if not walk.reference(walk.submit(page, form)):
            raise SystemExit("a journey did not reach its confirmation")
        client._cookies.clear()

    for _ in range(3):  # templates compiled, consultation kept, connections open
        journey()
    times.clear()
    queries.clear()
    started = time.perf_counter()
    for _ in range(args.journeys):
        journey()
    wall = (time.perf_counter() - started) / args.journeys * 1000

    print(f"{args.journeys} journeys through the test client, PostgreSQL {args.database}")
    print(f"{'request':32s} {'per journey':>11s} {'median ms':>10s} {'ms/journey':>11s} "
          f"{'queries':>8s}")
    total = 0.0
    for key, spent in sorted(times.items()):
        per_journey = sum(spent) / args.journeys
        total += per_journey
        print(f"{key:32s} {len(spent) / args.journeys:11.1f} {statistics.median(spent):10.2f} "
              f"{per_journey:11.1f} {queries[key] / len(spent):8.1f}")
    print(f"app time per journey {total:.1f} ms; "
          f"with the test client and page reading {wall:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
