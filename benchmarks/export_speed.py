"""Export benchmark: a million responses exported as CSV by consult/exports.py, beside COPY.

    python benchmarks/export_speed.py                     # 1,000,000 responses, CSV
    python benchmarks/export_speed.py --responses 100000 --formats xlsx   # the Excel goal
    python benchmarks/export_speed.py --before /tmp/main  # side by side with another checkout
    python benchmarks/export_speed.py --repeats 3         # medians of three runs of each

In one run it
1. creates a scratch PostgreSQL database (default ``consult_export_bench`` on 127.0.0.1, replaced),
   applies the migrations and loads the shipped consultations;
2. fills ``response`` for police-and-crime-plan-2021 with ``--responses`` realistic rows in the
   shape consult/models.py defines (answers keyed by the export columns, comments on about half
   the themes, some text that starts like a spreadsheet formula), with one COPY ... FROM STDIN;
3. exports them as CSV with ``consult.exports.write_csv`` in a child process, timing it and
   reading the child's peak resident memory (``ru_maxrss``) when it exits;
4. runs PostgreSQL's own ``COPY (SELECT the same columns ...) TO STDOUT WITH CSV`` of the same rows
   to a file, as the floor no exporter in Python can beat;
5. prints both times, the ratio, the exporter's rows per second, its processor time (user +
   system, which a busy machine inflates less than wall time) and its peak memory, against the
   goals: CSV within 4 times COPY, under 300 MB; XLSX of 100,000 responses under 30 s.

With ``--before DIR`` the same exports also run with the code of another checkout (a worktree of
the main branch, say), taking turns with this one and with COPY in the same run, so that both
meet the same load. ``--repeats`` gives medians.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from consult import codes  # noqa: E402  (the app's reference alphabet)
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
    '"Zero tolerance" sounds good but what does it mean for young people?',
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "-5% crime is not ambitious enough",
    "Online fraud against older people should be a priority; it ruins lives.",
]
ALPHABET = codes.REFERENCE_ALPHABET


def answers(rng: random.Random) -> dict:
    kind = rng.choice(TYPES)
    a: dict = {"respondent_type": kind, "district": rng.choice(DISTRICTS),
               "postcode_district": rng.choice(["CB1", "PE13", "CB4", "PE1", None])}
    if kind == "victim_or_witness":
        a.update(victim_crime_types=rng.sample(["burglary", "theft", "assault", "fraud"], 2),
                 victim_reported="yes", victim_support_offered="no", victim_satisfaction="neither")
    if kind == "business":
        a.update(business_size="small", business_sector="retail",
                 business_crimes=["shoplifting"], business_reported="some")
    for theme in THEMES:
        a[f"support__{theme}"] = rng.choice(SUPPORT)
        if rng.random() < 0.5:
            a[f"comment__{theme}"] = rng.choice(COMMENTS)
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
    env = dict(os.environ, DATABASE_URL=url, CONSULT_ENV="production",
               SECRET_KEY="export-benchmark", SESSION_COOKIE_SECURE="0",
               PUBLIC_URL="http://127.0.0.1")
    for args in (["db", "upgrade"], ["consultations", "load"]):
        result = subprocess.run([sys.executable, "-m", "flask", "--app", "consult", *args],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode:
            sys.exit(f"flask {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return url


def fill(url: str, n: int) -> float:
    """``n`` responses by one COPY; returns the seconds it took."""
    import psycopg

    rng = random.Random(2021)
    variants = []
    for _ in range(2000):
        a = answers(rng)
        variants.append((a["respondent_type"], a["district"], json.dumps(a)))
    started = time.perf_counter()
    with psycopg.connect(url) as conn:
        cid = conn.execute("SELECT id FROM consultation WHERE slug = %s", (SLUG,)).fetchone()[0]
        base = 1622505600  # 2021-06-01T00:00:00Z
        with conn.cursor() as cur, cur.copy(
            "COPY response (reference, consultation_id, submitted_at, received_on, channel,"
            " respondent_type, district, status, status_reason, hidden_comments, answers)"
            " FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (status_reason))"
        ) as copy:
            buf = io.StringIO()
            writer = csv.writer(buf)
            seen: set[str] = set()
            for i in range(n):
                while True:
                    ref = "PCP-" + "".join(rng.choices(ALPHABET, k=4)) + "-" + "".join(
                        rng.choices(ALPHABET, k=4))
                    if ref not in seen:
                        seen.add(ref)
                        break
                at = base + i * 2419200 // n  # spread over four weeks, in order
                day = time.strftime("%Y-%m-%d", time.gmtime(at))
                stamp = time.strftime("%Y-%m-%d %H:%M:%S+00", time.gmtime(at))
                kind, district, body = variants[i % len(variants)]
                status = "valid" if i % 50 else "duplicate"
                writer.writerow([ref, cid, stamp, day, "online", kind, district, status,
                                 "" if status == "valid" else "Same as an earlier response",
                                 "[]", body])
                if i % 20000 == 19999:
                    copy.write(buf.getvalue())
                    buf.seek(0)
                    buf.truncate()
            copy.write(buf.getvalue())
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE response")
    return time.perf_counter() - started


def export_child(url: str, out_path: str, fmt: str = "csv", root: str = str(ROOT)) -> None:
    """Runs in the child process: the app's export of the consultation to ``out_path``, with
    the code of the checkout at ``root``."""
    sys.path.insert(0, root)
    # this file imported the app's package from its own tree: read it again from ``root``
    for name in [n for n in sys.modules if n == "consult" or n.startswith("consult.")]:
        del sys.modules[name]
    os.environ.update(DATABASE_URL=url, CONSULT_ENV="production", SECRET_KEY="export-benchmark",
                      SESSION_COOKIE_SECURE="0")
    import sqlalchemy as sa

    from consult import create_app
    from consult.exports import write_csv, write_xlsx
    from consult.extensions import db
    from consult.models import Consultation

    app = create_app("production")
    with app.app_context():
        consultation = db.session.execute(
            sa.select(Consultation).where(Consultation.slug == SLUG)).scalar_one()
        started = time.perf_counter()
        cpu = time.process_time()
        shares = 0
        if fmt == "csv" and (Path(root) / "consult" / "parallel_export.py").exists():
            from consult import parallel_export  # not in a tree from before it

            shares = len(parallel_export.plan(consultation))
        if fmt == "xlsx":
            rows = write_xlsx(consultation, out_path)
        else:
            with open(out_path, "w", newline="", encoding="utf-8") as out:
                rows = write_csv(consultation, out)
        print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started,
                          "cpu_seconds": time.process_time() - cpu,
                          "processes": max(shares, 1)}))


def run_export(url: str, out_path: str, fmt: str = "csv", root: Path = ROOT) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--export-child", url, out_path, fmt,
                             str(root)], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"the export failed:\n{stdout}\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    # user + system time of the export and of the processes it forked to write its shares
    # (consult/parallel_export.py), which it waited for
    result["cpu_seconds"] = usage.ru_utime + usage.ru_stime
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux, the largest process
    result["size_mb"] = os.path.getsize(out_path) / 1e6
    return result


def run_copy(url: str, out_path: str) -> dict:
    import psycopg

    started = time.perf_counter()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cid = conn.execute("SELECT id FROM consultation WHERE slug = %s", (SLUG,)).fetchone()[0]
        with open(out_path, "wb") as out, cur.copy(
            "COPY (SELECT reference, submitted_at, received_on, channel, status, status_reason,"
            " hidden_comments, answers FROM response WHERE consultation_id = %s"
            " ORDER BY submitted_at, id) TO STDOUT WITH (FORMAT csv, HEADER)", (cid,)
        ) as copy:
            for chunk in copy:
                out.write(chunk)
    return {"seconds": time.perf_counter() - started}


def _list(runs: list[dict], key: str) -> str:
    return ", ".join(f"{r[key]:.1f}" for r in runs)


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--formats", nargs="+", default=["csv"], choices=["csv", "xlsx"])
    parser.add_argument("--before", type=Path, help="another checkout to run side by side")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="consult_export_bench", help="scratch (replaced)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", action="store_true",
                        help="use the scratch database kept by --keep if it holds --responses")
    parser.add_argument("--export-child", nargs=4, metavar=("URL", "OUT", "FORMAT", "ROOT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(*args.export_child)
        return 0
    import psycopg

    print(f"conditions: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; PostgreSQL at "
          f"{args.admin_url.rsplit('@', 1)[-1].rsplit('/', 1)[0]}")
    url = args.admin_url.rsplit("/", 1)[0] + "/" + args.database
    reused = False
    if args.reuse:
        try:
            with psycopg.connect(url) as conn:
                reused = conn.execute("SELECT count(*) FROM response").fetchone()[0] == \
                    args.responses
        except psycopg.Error:
            reused = False
    if reused:
        print(f"reusing {args.responses:,} responses in {args.database}")
    else:
        url = prepare(args.admin_url, args.database)
        seconds = fill(url, args.responses)
        print(f"generated {args.responses:,} responses with COPY FROM STDIN in {seconds:.1f} s")
    trees = {"this tree": ROOT}
    if args.before:
        trees = {"before": args.before.resolve(), "this tree": ROOT}
    app_url = url.replace("postgresql://", "postgresql+psycopg://")
    copies: list[dict] = []
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="consult-export-") as tmp:
        for _ in range(args.repeats):
            copies.append(run_copy(url, os.path.join(tmp, "copy.csv")))
            copies[-1]["size_mb"] = os.path.getsize(os.path.join(tmp, "copy.csv")) / 1e6
            for fmt in args.formats:
                for name, root in trees.items():
                    out = os.path.join(tmp, f"export.{fmt}")
                    result = run_export(app_url, out, fmt, root)
                    assert result["rows"] == args.responses, result
                    result["load"] = os.getloadavg()[0]
                    results.setdefault((fmt, name), []).append(result)
    copy_seconds = _median(copies, "seconds")
    print(f"PostgreSQL COPY (SELECT ...) TO STDOUT: {copy_seconds:.1f} s (median of "
          f"{len(copies)}: {_list(copies, 'seconds')}), "
          f"{copies[0]['size_mb']:.0f} MB")
    ok = True
    for (fmt, name), runs in results.items():
        seconds, cpu = _median(runs, "seconds"), _median(runs, "cpu_seconds")
        rows = runs[0]["rows"]
        print(f"{name:>9}: consult.exports.write_{fmt}: {seconds:.1f} s wall, {cpu:.1f} s "
              f"processor for {rows:,} rows ({rows / seconds:,.0f} rows/s, "
              f"{runs[0]['size_mb']:.0f} MB, {runs[0].get('processes', 1)} process(es)); "
              f"peak resident memory of one process "
              f"{max(r['peak_rss_mb'] for r in runs):.0f} MB; runs "
              f"{_list(runs, 'seconds')} s at load "
              f"{_list(runs, 'load')}")
        if fmt == "csv":
            print(f"{name:>9}: ratio export / COPY: {seconds / copy_seconds:.1f}x")
        if name == "this tree":
            if fmt == "csv":
                met = seconds <= 4 * copy_seconds and runs[0]["peak_rss_mb"] < 300
                goal = "CSV of 1,000,000 responses within 4x COPY and under 300 MB"
                judged = args.responses >= 1_000_000
            else:
                met = seconds < 30
                goal = "XLSX of 100,000 responses under 30 s"
                judged = args.responses == 100_000
            if judged:
                print(f"goal: {goal} {'met' if met else 'NOT met'}")
                ok = ok and met
            else:
                print(f"goal: {goal} (not judged at {args.responses:,})")
    if args.before:
        for fmt in args.formats:
            before, after = (_median(results[(fmt, n)], "seconds") for n in trees)
            cpu_before, cpu_after = (_median(results[(fmt, n)], "cpu_seconds") for n in trees)
            print(f"{fmt}: this tree / before = {after / before:.2f} (wall), "
                  f"{cpu_after / cpu_before:.2f} (processor)")
    if not args.keep:
        with psycopg.connect(args.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
