"""Export of 100,000 responses: time and peak memory, on SQLite and PostgreSQL.

Seeds a database with N responses to the shipped 2021 consultation (every question answered,
comments of 100-400 characters), then runs each export (CSV, JSON, XLSX) in a fresh process and
reports its wall time and the process's peak resident memory. Running the same at a tenth of the
size shows whether memory grows with the number of responses (it should not: rows are streamed).

    python benchmarks/export_memory.py                       # SQLite only, 100,000 and 10,000
    python benchmarks/export_memory.py --postgresql postgresql+psycopg://postgres@127.0.0.1/bench
    python benchmarks/export_memory.py --sizes 2000 --formats csv   # a quick smoke run
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SLUG = "police-and-crime-plan-2021"
WORDS = ("police patrols speeding village anti-social behaviour victims support more officers "
         "neighbourhood drugs county lines fraud elderly rural crime response times burglary "
         "visible policing community safety youth services cycling theft").split()


def make_app(url: str):
    from consult import create_app

    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})


def seed(url: str, n: int) -> None:
    """A fresh schema holding the 2021 consultation and ``n`` responses."""
    import sqlalchemy as sa

    from consult.definitions import load_file
    from consult.extensions import db
    from consult.models import Consultation, Response
    from consult.survey.submission import new_reference

    app = make_app(url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        load_file(ROOT / "instance" / "consultations" / f"{SLUG}.yaml")
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == SLUG))
        options = {q.key: [o["code"] for o in q.spec.get("options", [])]
                   for q in consultation.questions}
        themes = [t.key for t in consultation.themes]
        rng = random.Random(7)
        start = dt.datetime(2021, 6, 7, 9, tzinfo=dt.timezone.utc)
        batch = []
        for i in range(n):
            answers = {key: rng.choice(codes) for key, codes in options.items()
                       if codes and not key.startswith("victim_crime") and key != "rank"}
            answers["victim_crime_types"] = rng.sample(options["victim_crime_types"][:-1], 2)
            for theme in themes:
                answers[f"comment__{theme}"] = " ".join(rng.choices(WORDS, k=rng.randint(15, 60)))
            for rank, theme in enumerate(rng.sample(themes, len(themes)), start=1):
                answers[f"rank__{theme}"] = rank
            answers["postcode_district"] = f"CB{rng.randint(1, 25)}"
            answers["missing_from_plan"] = "=HYPERLINK(\"http://x\") " + rng.choice(WORDS)
            submitted = start + dt.timedelta(seconds=i * 20)
            batch.append(dict(
                reference=new_reference("PCP"), consultation_id=consultation.id,
                submitted_at=submitted, received_on=submitted.date(), channel="online",
                respondent_type=answers.get("respondent_type"), district=answers.get("district"),
                status="valid", status_reason="", hidden_comments=[], answers=answers))
            if len(batch) == 5000:
                db.session.execute(sa.insert(Response), batch)
                db.session.commit()
                batch = []
        if batch:
            db.session.execute(sa.insert(Response), batch)
            db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def child(url: str, fmt: str) -> None:
    """Run one export and print its figures as JSON (runs in its own process)."""
    import sqlalchemy as sa

    from consult.exports import write_export
    from consult.extensions import db
    from consult.models import Consultation

    app = make_app(url)
    with app.app_context():
        consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == SLUG))
        # Linux: writing 5 to clear_refs resets the peak (VmHWM), so the peak read afterwards
        # is the export's own, not that of importing the app.
        Path("/proc/self/clear_refs").write_text("5")
        baseline = _status_kib("VmRSS")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"export.{fmt}"
            began = time.perf_counter()
            if fmt == "xlsx":
                rows = write_export(consultation, fmt, str(path))
            else:
                with path.open("w", encoding="utf-8", newline="") as out:
                    rows = write_export(consultation, fmt, out)
            seconds = time.perf_counter() - began
            size = path.stat().st_size
        peak = _status_kib("VmHWM")
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_rss_mib": peak / 1024,
                      "before_export_rss_mib": baseline / 1024, "file_mib": size / 2**20}))


def measure(url: str, fmt: str, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, "--child", url, fmt], check=True,
                             capture_output=True, text=True, cwd=ROOT)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {
        "rows": runs[0]["rows"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in runs),
        "growth_mib": statistics.median(r["peak_rss_mib"] - r["before_export_rss_mib"]
                                        for r in runs),
        "file_mib": runs[0]["file_mib"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 10_000])
    parser.add_argument("--formats", nargs="+", default=["csv", "json", "xlsx"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgresql", help="a scratch PostgreSQL database URL (emptied!)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    databases = {}
    with tempfile.TemporaryDirectory() as folder:
        databases["sqlite"] = f"sqlite:///{folder}/bench.db"
        if args.postgresql:
            databases["postgresql"] = args.postgresql
        print(f"Export benchmark: median of {args.repeats} run(s), each in a fresh process; "
              "peak = the process's peak resident memory during the export (VmHWM, reset just "
              "before it), growth = peak minus the resident memory just before the export.")
        print(f"{'database':<11} {'format':<6} {'responses':>9} {'seconds':>8} {'rows/s':>8} "
              f"{'peak MiB':>9} {'growth MiB':>10} {'file MiB':>9}")
        results = {}
        for name, url in databases.items():
            for size in args.sizes:
                began = time.perf_counter()
                seed(url, size)
                seeded = time.perf_counter() - began
                for fmt in args.formats:
                    r = measure(url, fmt, args.repeats)
                    results[(name, fmt, size)] = r
                    print(f"{name:<11} {fmt:<6} {r['rows']:>9,} {r['seconds']:>8.1f} "
                          f"{r['rows'] / r['seconds']:>8,.0f} {r['peak_rss_mib']:>9.1f} "
                          f"{r['growth_mib']:>10.1f} {r['file_mib']:>9.1f}", flush=True)
                print(f"{name:<11} (seeding {size:,} responses took {seeded:.0f} s)", flush=True)
        if len(args.sizes) > 1:
            big, small = max(args.sizes), min(args.sizes)
            print(f"\nPeak memory at {big:,} responses / at {small:,} "
                  f"({big // small}x the rows):")
            for name in databases:
                for fmt in args.formats:
                    ratio = (results[(name, fmt, big)]["peak_rss_mib"]
                             / results[(name, fmt, small)]["peak_rss_mib"])
                    print(f"  {name:<11} {fmt:<5} {ratio:.2f}x")


if __name__ == "__main__":
    main()
