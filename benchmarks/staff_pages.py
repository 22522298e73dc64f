"""Staff pages at national scale: the dashboard, the responses list, search and a response's page,
timed through the Flask app on PostgreSQL beside the bare queries behind them.

    python benchmarks/staff_pages.py                          # 228,000 then 1,000,000 responses
    python benchmarks/staff_pages.py --sizes 50000 --repeats 5  # a quicker look

In one run it
1. creates a scratch PostgreSQL database (default ``consult_staffbench`` on 127.0.0.1, replaced
   and dropped at the end unless ``--keep``), applies the migrations and loads the shipped
   consultations;
2. fills ``response`` and ``draft`` for police-and-crime-plan-2021 inside PostgreSQL
   (``generate_series`` over 2,000 made-up answer sets, comments in English and Polish, statuses,
   channels and districts mixed), then ``VACUUM ANALYZE`` as autovacuum would;
3. for each size, times each page through the app (Flask's test client, signed in as an
   analyst, so the dashboard includes interim support) with a new response stored through
   ``store_response`` before every dashboard load, so each load is the first after a new
   response arrives; and times the bare SQL behind each page, side by side;
4. prints the median and the slowest of the runs, against the goals (dashboard under 300 ms at
   228,000 and under 1 s at 1,000,000; list, search and a response's page under 200 ms at
   1,000,000).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SLUG = "police-and-crime-plan-2021"
THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
SUPPORT = ["strongly_support", "support", "support", "neither", "oppose", "strongly_oppose",
           "dont_know"]
DISTRICTS = ["cambridge", "east_cambridgeshire", "fenland", "huntingdonshire",
             "south_cambridgeshire", "peterborough", "outside_area", "prefer_not_to_say"]
TYPES = ["resident"] * 14 + ["victim_or_witness"] * 3 + ["business", "organisation"]
COMMENTS = [
    "More officers on foot in the town centre in the evenings would make people feel safer.",
    "Please keep the rural crime team: farm thefts are rising and nobody comes out.",
    "Victims need to be told what is happening with their case, without chasing it.",
    "Speeding through our village is the biggest problem and it is never enforced.",
    "Good plan overall, but say how you will measure whether it works,\nand publish it.",
    "Więcej policji na ulicach w nocy, proszę.",
    "Daugiau policijos gatvėse, ypač savaitgaliais.",
    "Online fraud against older people should be a priority; it ruins lives.",
    "Anti-social behaviour at the skate park every weekend; nobody answers 101.",
]
LAST_DAY = dt.date(2021, 7, 29)  # new responses arrive on the consultation's last days
GOALS = {"dashboard": {228_000: 0.300, 1_000_000: 1.0}, "list": 0.200, "search": 0.200,
         "response": 0.200}


def answers(rng: random.Random) -> dict:
    kind = rng.choice(TYPES)
    a: dict = {"respondent_type": kind, "district": rng.choice(DISTRICTS),
               "postcode_district": rng.choice(["CB1", "PE13", "CB4", "PE1", None])}
    for theme in THEMES:
        a[f"support__{theme}"] = rng.choice(SUPPORT)
        if rng.random() < 0.5:
            # a number in most comments, so that a search for a rare word has few matches
            a[f"comment__{theme}"] = rng.choice(COMMENTS) + f" ({rng.randrange(10_000)})"
    ranks = list(range(1, 6))
    rng.shuffle(ranks)
    for theme, rank in zip(THEMES, ranks):
        a[f"rank__{theme}"] = rank
    if rng.random() < 0.3:
        a["missing_from_plan"] = rng.choice(COMMENTS)
    a.update(age_band=rng.choice(["25_34", "45_54", "65_74", "prefer_not_to_say"]),
             sex=rng.choice(["female", "male"]))
    return {k: v for k, v in a.items() if v is not None}


def prepare(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                     (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    env = dict(os.environ, DATABASE_URL=url.replace("postgresql://", "postgresql+psycopg://"),
               CONSULT_ENV="production", SECRET_KEY="staff-benchmark", SESSION_COOKIE_SECURE="0")
    for args in (["db", "upgrade"], ["consultations", "load"]):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "consult", *args],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return url


def drop(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                     (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def fill(url: str, start: int, stop: int) -> float:
    """Responses ``start`` .. ``stop - 1`` (and 1.25 drafts for each) made inside PostgreSQL,
    through the app's own tables and triggers; returns the seconds taken."""
    import psycopg

    from consult import counts, search

    rng = random.Random(2021)
    variants = [answers(rng) for _ in range(2000)]
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        cid = conn.execute("SELECT id FROM consultation WHERE slug = %s", (SLUG,)).fetchone()[0]
        # In bulk, as a migration would: the running counts are totalled once at the end and
        # the search index is built once, instead of row by row.
        conn.execute("ALTER TABLE response DISABLE TRIGGER response_counts")
        conn.execute("ALTER TABLE draft DISABLE TRIGGER draft_counts")
        conn.execute(f"DROP INDEX IF EXISTS {search.SEARCH_INDEX}")
        conn.execute("CREATE TEMP TABLE variant (i int PRIMARY KEY, respondent_type text,"
                     " district text, body json)")
        with conn.cursor() as cur, cur.copy("COPY variant FROM STDIN") as copy:
            for i, a in enumerate(variants):
                copy.write_row((i, a["respondent_type"], a["district"], json.dumps(a)))
        # A reference from a bijection of the row number (odd multiplier modulo 2^40), spelled in
        # the app's 32-letter alphabet: unique, and not in submission order.
        conn.execute(f"""
            INSERT INTO response (reference, consultation_id, draft_token, submitted_at,
                received_on, channel, respondent_type, district, status, status_reason,
                hidden_comments, answers)
            SELECT 'PCP-' || substr(x.code, 1, 4) || '-' || substr(x.code, 5, 4), %(cid)s,
                CASE WHEN g % 100 < 84 THEN 'bench-' || g END,
                t.at, (t.at AT TIME ZONE 'UTC')::date,
                CASE WHEN g % 100 < 84 THEN 'online' WHEN g % 100 < 92 THEN 'paper'
                     WHEN g % 100 < 97 THEN 'event' WHEN g % 100 < 99 THEN 'email'
                     ELSE 'letter' END,
                v.respondent_type, v.district,
                CASE WHEN g % 50 = 0 THEN 'duplicate' WHEN g % 97 = 0 THEN 'campaign'
                     WHEN g % 211 = 0 THEN 'invalid' ELSE 'valid' END,
                CASE WHEN g % 50 = 0 OR g % 97 = 0 OR g % 211 = 0 THEN 'moderated' ELSE '' END,
                '[]', v.body
            FROM generate_series(%(start)s, %(stop)s - 1) AS g
            JOIN variant v ON v.i = g % 2000
            CROSS JOIN LATERAL (SELECT timestamptz '2021-06-30 08:00:00+00'
                + make_interval(secs => (g::float8 * 2592000 / %(stop)s)) AS at) t
            CROSS JOIN LATERAL (SELECT string_agg(substr('23456789ABCDEFGHJKLMNPQRSTUVWXYZ',
                ((((g::bigint * 549755813881) %% 1099511627776) >> (5 * k)) %% 32 + 1)::int, 1), ''
                ORDER BY k) AS code FROM generate_series(0, 7) AS k) x
        """.replace("%(cid)s", str(int(cid))).replace("%(start)s", str(int(start)))
           .replace("%(stop)s", str(int(stop))).replace("%%", "%"))
        conn.execute("""
            INSERT INTO draft (consultation_id, token, answers, channel, created_at, updated_at,
                expires_at, submitted_at)
            SELECT %s, 'bench-' || g, '{}', 'online', r.submitted_at, r.submitted_at,
                timestamptz '2021-07-30 22:59:59+00', r.submitted_at
            FROM generate_series(%s, %s - 1) AS g
            JOIN response r ON r.draft_token = 'bench-' || g
        """, (cid, start, stop))
        # a quarter as many again started online and never sent
        conn.execute("""
            INSERT INTO draft (consultation_id, token, answers, channel, created_at, updated_at,
                expires_at)
            SELECT %s, 'bench-open-' || g, '{"district": "fenland"}', 'online',
                timestamptz '2021-07-01 00:00:00+00', timestamptz '2021-07-01 00:00:00+00',
                timestamptz '2021-07-30 22:59:59+00'
            FROM generate_series(%s, %s - 1, 4) AS g
        """, (cid, start, stop))
        for statement in counts.BACKFILL:
            conn.execute(statement)
        conn.execute(counts.BACKFILL_SUPPORT["postgresql"])
        conn.execute("ALTER TABLE response ENABLE TRIGGER response_counts")
        conn.execute("ALTER TABLE draft ENABLE TRIGGER draft_counts")
        conn.execute("SET maintenance_work_mem = '1GB'")
        conn.execute(search.CREATE_INDEX)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE response")
        conn.execute("VACUUM ANALYZE draft")
    return time.perf_counter() - started


def timed(fn, repeats: int, before=None) -> list[float]:
    times = []
    for _ in range(repeats):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="228000,1000000",
                        help="response counts to time at, in increasing order")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="consult_staffbench", help="scratch (replaced)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]

    print(f"conditions: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; PostgreSQL at "
          f"{args.admin_url.rsplit('@', 1)[-1].rsplit('/', 1)[0]}; {args.repeats} runs each")
    url = prepare(args.admin_url, args.database)
    try:
        return run(url, sizes, args.repeats)
    finally:
        if not args.keep:
            drop(args.admin_url, args.database)


# The dashboard as it was before the running counts: a scan of the responses per figure.
FORMER_DASHBOARD = [
    "SELECT status, count(*) FROM response WHERE consultation_id = {cid} GROUP BY status",
    *(f"SELECT {c}, count(*) FROM response WHERE consultation_id = {{cid}} AND status = 'valid'"
      f" GROUP BY {c} ORDER BY count(*) DESC, {c}"
      for c in ("received_on", "respondent_type", "district", "channel")),
    "SELECT count(*) FROM draft WHERE consultation_id = {cid}",
    *(f"SELECT answers->>'support__{t}', count(*) FROM response WHERE consultation_id = {{cid}}"
      f" AND status = 'valid' GROUP BY 1" for t in THEMES),
]


def run(url: str, sizes: list[int], repeats: int) -> int:
    os.environ.update(DATABASE_URL=url.replace("postgresql://", "postgresql+psycopg://"),
                      CONSULT_ENV="production", SECRET_KEY="staff-benchmark",
                      SESSION_COOKIE_SECURE="0", RATELIMIT_ENABLED="0")
    import psycopg
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from consult import counts, create_app
    from consult.extensions import db
    from consult.models import Consultation, Response
    from consult.staff.accounts import create_user
    from consult.staff.responses import list_query
    from consult.survey.submission import store_response

    app = create_app("production", {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    rng = random.Random(7)
    new_response = answers(rng)
    with app.app_context():
        create_user("bench@example.org", "Bench", "analyst", "correct horse battery staple")
        db.session.commit()
    client = app.test_client()
    login = client.post("/staff/login", data={"email": "bench@example.org",
                                              "password": "correct horse battery staple"})
    assert login.status_code in (302, 303), login.status_code

    def sql_of(statement) -> str:
        return str(statement.compile(dialect=postgresql.dialect(),
                                     compile_kwargs={"literal_binds": True}))

    failures = 0
    filled = 0
    rare = "WIĘCEJ POLICJI NA ULICACH W NOCY, PROSZĘ. (1234)"
    for size in sizes:
        seconds = fill(url, filled, size)
        filled = size
        print(f"\n== {size:,} responses (generated in PostgreSQL in {seconds:.1f} s) ==")
        with app.app_context():
            consultation = db.session.execute(
                sa.select(Consultation).where(Consultation.slug == SLUG)).scalar_one()
            cid = consultation.id
            reference = db.session.scalar(
                sa.select(Response.reference).where(Response.consultation_id == cid)
                .order_by(Response.id).offset(size // 2).limit(1))
            bare_sql = {
                "dashboard": sql_of(counts.read_statement(cid)),
                "list": sql_of(list_query(consultation, {})),
                "search": sql_of(list_query(consultation, {"q": "OFFICERS"})),
                "search_rare": sql_of(list_query(consultation, {"q": rare})),
                "response": sql_of(sa.select(Response).where(Response.reference == reference)),
            }
            db.session.remove()

        def arrive() -> None:
            with app.app_context():
                store_response(db.session.get(Consultation, cid), dict(new_response),
                               received_on=LAST_DAY)
                db.session.remove()

        def page(path: str, params: dict | None = None) -> None:
            resp = client.get(path, query_string=params)
            assert resp.status_code == 200, (path, resp.status_code)

        base = f"/staff/consultations/{SLUG}"
        pages = [
            ("dashboard", "dashboard", lambda: page(base), arrive),
            ("responses list", "list", lambda: page(f"{base}/responses"), None),
            ("list, Fenland on paper", "list",
             lambda: page(f"{base}/responses", {"district": "fenland", "channel": "paper"}),
             None),
            ("list, third page", "list",
             lambda: page(f"{base}/responses", {"after": third_page}), None),
            ("search, common word", "search",
             lambda: page(f"{base}/responses", {"q": "OFFICERS"}), None),
            ("search, rare sentence in Polish capitals", "search",
             lambda: page(f"{base}/responses", {"q": rare}), None),
            ("search, a reference", "search",
             lambda: page(f"{base}/responses", {"q": reference}), None),
            ("a response's page", "response", lambda: page(f"/staff/responses/{reference}"),
             None),
        ]
        with app.app_context():
            from consult.staff.responses import list_page

            consultation = db.session.get(Consultation, cid)
            second = list_page(consultation, {}, None).older
            third_page = list_page(consultation, {}, second).older.text()
            db.session.remove()
        page(base)  # warm up: templates compiled, connections open, waiting changes folded
        print(f"{'through the app (test client)':44} {'median ms':>10} {'slowest ms':>11} "
              f"{'goal ms':>8}")
        for name, key, fn, before in pages:
            times = timed(fn, repeats, before)
            goal = GOALS[key]
            if isinstance(goal, dict):
                goal = goal.get(size)
            elif size < 1_000_000:
                goal = None
            median = statistics.median(times)
            verdict = ""
            if goal is not None:
                verdict = "ok" if median < goal else "OVER"
                failures += median >= goal
            print(f"{name:44} {1000 * median:10.1f} {1000 * max(times):11.1f} "
                  f"{(f'{1000 * goal:.0f}' if goal is not None else '-'):>8} {verdict}")

        print("bare SQL (psycopg, no app):")
        with psycopg.connect(url) as conn:
            def query(sql: str) -> None:
                conn.execute(sql).fetchall()
            for name, key, before in (
                    ("dashboard counts (one statement)", "dashboard", arrive),
                    ("responses list page", "list", None),
                    ("search page, common word", "search", None),
                    ("search page, rare sentence", "search_rare", None),
                    ("response by reference", "response", None)):
                times = timed(lambda: query(bare_sql[key]), repeats, before)
                print(f"{name:44} {1000 * statistics.median(times):10.1f} "
                      f"{1000 * max(times):11.1f}")
            former = [sql.format(cid=cid) for sql in FORMER_DASHBOARD]
            times = timed(lambda: [query(sql) for sql in former], 3, arrive)
            print(f"{'former dashboard: a scan per figure (3 runs)':44} "
                  f"{1000 * statistics.median(times):10.1f} {1000 * max(times):11.1f}")
        residents(url, cid, new_response, repeats)
    print(f"\n{'every page within its goal' if not failures else f'{failures} over the goal'}")
    return 0


def refresher(url: str, seconds: float, out, path: str = f"/staff/consultations/{SLUG}") -> None:
    """A child process: a staff member reloading a page (the dashboard) every second."""
    os.environ.update(DATABASE_URL=url.replace("postgresql://", "postgresql+psycopg://"),
                      CONSULT_ENV="production", SECRET_KEY="staff-benchmark",
                      SESSION_COOKIE_SECURE="0")
    from consult import create_app

    app = create_app("production", {"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    client.post("/staff/login", data={"email": "bench@example.org",
                                      "password": "correct horse battery staple"})
    loads, stop = 0, time.monotonic() + seconds
    while time.monotonic() < stop:
        assert client.get(path).status_code == 200
        loads += 1
        time.sleep(1.0)
    out.put(loads)


def residents(url: str, cid: int, new_response: dict, repeats: int) -> None:
    """A resident's submit (store_response, the final step) timed alone, then while a staff
    member reloads the dashboard every second in another process."""
    import multiprocessing

    from consult import create_app
    from consult.extensions import db
    from consult.models import Consultation
    from consult.survey.submission import store_response

    app = create_app("production", {"WTF_CSRF_ENABLED": False})

    def submit() -> None:
        with app.app_context():
            store_response(db.session.get(Consultation, cid), dict(new_response),
                           received_on=LAST_DAY)
            db.session.remove()

    n = max(repeats * 4, 40)
    context = multiprocessing.get_context("spawn")

    def beside(path: str | None) -> float:
        if path is None:
            return statistics.median(timed(submit, n))
        queue = context.Queue()
        child = context.Process(target=refresher, args=(url, 600.0, queue, path), daemon=True)
        child.start()
        time.sleep(4)  # the child starts its app and signs in
        try:
            return statistics.median(timed(submit, n))
        finally:
            child.terminate()
            child.join()

    alone = beside(None)
    other = beside("/staff/consultations")
    dashboard = beside(f"/staff/consultations/{SLUG}")
    print(f"resident's submit, median of {n}: alone {1000 * alone:.1f} ms; while staff reload "
          f"the consultations list every second {1000 * other:.1f} ms; while staff reload the "
          f"dashboard every second {1000 * dashboard:.1f} ms (dashboard / list "
          f"{dashboard / other:.2f})")


if __name__ == "__main__":
    sys.exit(main())
