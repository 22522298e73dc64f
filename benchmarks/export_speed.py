"""Export benchmark: a million responses exported as CSV by consult/exports.py, beside COPY.

    python benchmarks/export_speed.py                     # 1,000,000 responses
    python benchmarks/export_speed.py --responses 100000  # a quicker look

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
5. prints both times, the ratio, the exporter's rows per second and its peak memory, against
   the goals (under 60 s, under 300 MB).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
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
    '"Zero tolerance" sounds good but what does it mean for young people?',
    "=HYPERLINK(\"http://example.invalid\",\"click\")",
    "-5% crime is not ambitious enough",
    "Online fraud against older people should be a priority; it ruins lives.",
]
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


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
               SECRET_KEY="export-benchmark", SESSION_COOKIE_SECURE="0")
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


def export_child(url: str, out_path: str) -> None:
    """Runs in the child process: the app's CSV export of the consultation to ``out_path``."""
    os.environ.update(DATABASE_URL=url, CONSULT_ENV="production", SECRET_KEY="export-benchmark",
                      SESSION_COOKIE_SECURE="0")
    import sqlalchemy as sa

    from consult import create_app
    from consult.exports import write_csv
    from consult.extensions import db
    from consult.models import Consultation

    app = create_app("production")
    with app.app_context():
        consultation = db.session.execute(
            sa.select(Consultation).where(Consultation.slug == SLUG)).scalar_one()
        started = time.perf_counter()
        with open(out_path, "w", newline="", encoding="utf-8") as out:
            rows = write_csv(consultation, out)
        print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


def run_export(url: str, out_path: str) -> dict:
    proc = subprocess.Popen([sys.executable, __file__, "--export-child", url, out_path],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _pid, status, usage = os.wait4(proc.pid, 0)
    stdout = proc.stdout.read()
    stderr = proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"the export failed:\n{stdout}\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024  # kilobytes on Linux
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="consult_export_bench", help="scratch (replaced)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--export-child", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(*args.export_child)
        return 0

    print(f"conditions: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; PostgreSQL at "
          f"{args.admin_url.rsplit('@', 1)[-1].rsplit('/', 1)[0]}")
    url = prepare(args.admin_url, args.database)
    seconds = fill(url, args.responses)
    print(f"generated {args.responses:,} responses with COPY FROM STDIN in {seconds:.1f} s")
    with tempfile.TemporaryDirectory(prefix="consult-export-") as tmp:
        copy = run_copy(url, os.path.join(tmp, "copy.csv"))
        copy_size = os.path.getsize(os.path.join(tmp, "copy.csv"))
        app_url = url.replace("postgresql://", "postgresql+psycopg://")
        export = run_export(app_url, os.path.join(tmp, "export.csv"))
        export_size = os.path.getsize(os.path.join(tmp, "export.csv"))
        with open(os.path.join(tmp, "export.csv"), newline="", encoding="utf-8") as f:
            header = next(csv.reader(f))
    assert export["rows"] == args.responses, export
    print(f"PostgreSQL COPY (SELECT ...) TO STDOUT: {copy['seconds']:.1f} s, "
          f"{copy_size / 1e6:.0f} MB")
    print(f"consult.exports.write_csv: {export['seconds']:.1f} s for {export['rows']:,} rows "
          f"({export['rows'] / export['seconds']:,.0f} rows/s, {len(header)} columns, "
          f"{export_size / 1e6:.0f} MB); peak resident memory of the exporting process "
          f"{export['peak_rss_mb']:.0f} MB")
    print(f"ratio export / COPY: {export['seconds'] / copy['seconds']:.1f}x")
    ok_time = export["seconds"] < 60
    ok_mem = export["peak_rss_mb"] < 300
    print(f"goal: under 60 s {'met' if ok_time else 'NOT met'}; "
          f"under 300 MB {'met' if ok_mem else 'NOT met'}")
    if not args.keep:
        import psycopg

        with psycopg.connect(args.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.database}"')
    return 0 if ok_time and ok_mem else 1


if __name__ == "__main__":
    sys.exit(main())
