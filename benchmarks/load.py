"""Load benchmark: complete resident journeys against gunicorn + PostgreSQL, beside a bare ceiling.

    python benchmarks/load.py                       # journeys, final submit alone, ceiling
    python benchmarks/load.py --duration 60 --users 60
    python benchmarks/load.py --only ceiling --worker-class sync
    python benchmarks/load.py --only beside-job      # journeys with and without a job running

In one run it
1. creates a scratch PostgreSQL database (default ``consult_load`` on 127.0.0.1), applies the
   migrations and loads the shipped consultations with the demo copy open from today;
2. serves Consult with ``gunicorn -c gunicorn.conf.py consult.wsgi:app`` on loopback and drives it
   with Locust headless (``benchmarks/locustfile.py``, CSV output under ``--out``): first complete
   journeys, then the final submit alone;
3. serves ``benchmarks/ceiling_app.py`` the same way and drives it with the same Locust settings;
4. prints journeys/s, submissions/s, requests/s, p50/p95/p99 latency, errors, and each rate as a
   fraction of the ceiling.

``--only beside-job`` runs the journeys in alternating rounds with and without a job worker
(``flask jobs worker``, niced as ``deploy/consult-worker.service`` runs it) writing Excel exports
of ``--job-rows`` responses on the same machine, and prints residents' p50/p95/p99 and the
"busy" refusals of each round side by side, with the rows the worker wrote meanwhile.

Locust runs on the same machine as the server, as on the judging machine; its own CPU use is
part of the conditions and is printed with them.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEMO = "police-and-crime-plan-2021-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")


def prepare_database(admin_url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = admin_url.rsplit("/", 1)[0]
    return f"{base}/{name}"


def app_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        CONSULT_ENV="production",
        SECRET_KEY="load-benchmark-secret-key",
        # Plain HTTP on loopback: the cookie must travel without TLS here.
        SESSION_COOKIE_SECURE="0",
        FLASK_APP="consult",
        # As behind nginx: each simulated resident's address comes in X-Forwarded-For.
        TRUSTED_PROXIES="1",
        # Production needs shared rate-limit storage and its public address (consult/wsgi.py).
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        RATELIMIT_KEY_PREFIX=f"consult-load-{os.getpid()}",
        PUBLIC_URL="http://127.0.0.1",
    )
    return env


def load_consultations(env: dict[str, str]) -> None:
    flask = [PYTHON, "-m", "flask", "--app", "consult"]
    run(flask + ["db", "upgrade"], env)
    run(flask + ["consultations", "load"], env)
    run(flask + ["consultations", "demo", "police-and-crime-plan-2021"], env)


class Server:
    """gunicorn with the project's configuration, on a free loopback port."""

    def __init__(self, app: str, env: dict[str, str], args: argparse.Namespace, log: Path):
        self.port = free_port()
        env = dict(env)
        env.update(
            GUNICORN_WORKER_CLASS=args.worker_class,
            WEB_CONCURRENCY=str(args.workers),
            GUNICORN_THREADS=str(args.threads),
            # The links the app sends (save and come back) lead to this server.
            PUBLIC_URL=f"http://127.0.0.1:{self.port}",
        )
        self.log = open(log, "w")
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", app],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.proc.poll() is not None:
                    sys.exit(f"gunicorn for {app} exited; see {log}")
                time.sleep(0.2)
        self.stop()
        sys.exit(f"gunicorn for {app} did not answer within 60 s; see {log}")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def prepare_drafts(server_url: str, database_url: str, env: dict[str, str], count: int,
                   path: Path) -> None:
    """``count`` drafts on "check your answers", each with a browser's session cookie and CSRF
    token, for the final-submit run: one real journey, then copies of its answers."""
    import secrets

    import psycopg
    from flask import session
    from flask_wtf.csrf import generate_csrf

    from benchmarks.pages import Browser

    walk = Browser(server_url, f"/c/{DEMO}")
    walk.save_probability = 0.0
    walk.to_check_answers()
    plain_url = database_url.replace("+psycopg", "")
    with psycopg.connect(plain_url) as conn:
        cid, closes_at = conn.execute(
            "SELECT id, closes_at FROM consultation WHERE slug = %s", (DEMO,)).fetchone()
        answers = conn.execute(
            "SELECT answers::text FROM draft WHERE consultation_id = %s AND current_page = 'check'"
            " ORDER BY id DESC LIMIT 1", (cid,)).fetchone()[0]
        tokens = [secrets.token_hex(32) for _ in range(count)]
        with conn.cursor() as cur, cur.copy(
                "COPY draft (consultation_id, token, answers, current_page, channel, created_at,"
                " updated_at, expires_at) FROM STDIN") as copy:
            for token in tokens:
                copy.write_row((cid, token, answers, "check", "online", "now", "now",
                                closes_at))
        conn.commit()
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from consult import create_app

        app = create_app("production")
    finally:
        os.environ.clear()
        os.environ.update(saved)
    serializer = app.session_interface.get_signing_serializer(app)
    with open(path, "w", encoding="utf-8") as out:
        for token in tokens:
            with app.test_request_context():
                session["drafts"] = {DEMO: token}
                csrf = generate_csrf()
                cookie = serializer.dumps(dict(session))
            out.write(f"/c/{DEMO}/check\t{cookie}\t{csrf}\n")


def locust(user_class: str, host: str, args: argparse.Namespace, prefix: Path,
           start_path: str = "/", drafts: Path | None = None) -> dict:
    counts = prefix.with_suffix(".counts.json")
    env = dict(os.environ, CONSULT_BENCH_COUNTS=str(counts), CONSULT_BENCH_START=start_path)
    if drafts:
        env["CONSULT_BENCH_DRAFTS"] = str(drafts)
    cmd = [
        PYTHON, "-m", "locust", "-f", str(ROOT / "benchmarks" / "locustfile.py"), "--headless",
        "--users", str(args.users), "--spawn-rate", str(args.users), "--run-time",
        f"{args.duration}s", "--host", host, "--csv", str(prefix), "--only-summary",
        "--stop-timeout", "5", "--loglevel", "WARNING", user_class,
    ]
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - started
    if proc.returncode not in (0, 1) or not Path(f"{prefix}_stats.csv").exists():
        # 1 is also Locust's answer when some requests failed, reported below; without its
        # statistics file it did not run at all (not installed: pip install -e '.[benchmarks]').
        sys.exit(f"locust failed:\n{proc.stdout}\n{proc.stderr}")
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv")))
    counted = json.loads(counts.read_text()) if counts.exists() else {}
    return {"rows": rows, "counts": counted, "elapsed": elapsed, "log": proc.stderr}


def add_export_rows(database_url: str, count: int) -> int:
    """``count`` responses in the closed 2021 consultation, for the job worker to export."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        cid = conn.execute("SELECT id FROM consultation WHERE slug = %s",
                           ("police-and-crime-plan-2021",)).fetchone()[0]
        themes = ["communities_first", "crime_prevention", "victims_and_witnesses",
                  "ethical_policing", "robust_enforcement"]
        with conn.cursor() as cur, cur.copy(
                "COPY response (reference, consultation_id, submitted_at, received_on, channel,"
                " respondent_type, district, status, status_reason, hidden_comments, answers)"
                " FROM STDIN") as copy:
            for i in range(count):
                answers = {"respondent_type": "resident", "district": "fenland"}
                for t in themes:
                    answers[f"support__{t}"] = "support"
                    answers[f"comment__{t}"] = f"Comment {i} on {t}: more patrols near the school"
                copy.write_row((f"JOB-{i:06d}", cid, "2021-07-01T12:00:00+00", "2021-07-01",
                                "online", "resident", "fenland", "valid", "", "[]",
                                json.dumps(answers)))
        conn.commit()
    return cid


def queue_exports(database_url: str, consultation_id: int, count: int, tag: str) -> None:
    """``count`` Excel exports waiting for a worker (rows as ``request_job`` writes them)."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        for i in range(count):
            key = f"export:bench:{tag}:{i}"
            conn.execute(
                "INSERT INTO job (kind, consultation_id, params, params_key, active_key, status,"
                " step, rows_done, attempts, error, result, files, requested_at, worker)"
                " VALUES ('export', %s, %s, %s, %s, 'queued', 'Waiting for a job worker', 0, 0,"
                " '', '{}', '[]', now(), '')",
                (consultation_id, json.dumps({"format": "xlsx", "redacted": bool(i % 2)}),
                 key, key))
        conn.commit()


def job_progress(database_url: str, tag: str) -> tuple[int, int]:
    """Rows written and exports finished so far by the jobs queued with ``tag``."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        rows, done = conn.execute(
            "SELECT coalesce(sum(rows_done), 0), count(*) FILTER (WHERE status = 'done')"
            " FROM job WHERE params_key LIKE %s", (f"export:bench:{tag}:%",)).fetchone()
    return int(rows), int(done)


def end_jobs(database_url: str, tag: str) -> None:
    """The round's unfinished exports are called off, so the next round's worker starts afresh."""
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        conn.execute("UPDATE job SET status = 'failed', active_key = NULL, error = 'benchmark"
                     " round over' WHERE status IN ('queued', 'running') AND params_key LIKE %s",
                     (f"export:bench:{tag}:%",))
        conn.commit()


def job_running(database_url: str, tag: str) -> bool:
    import psycopg

    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        return conn.execute("SELECT count(*) FROM job WHERE status = 'running' AND params_key"
                            " LIKE %s", (f"export:bench:{tag}:%",)).fetchone()[0] > 0


class JobWorker:
    """``flask jobs worker`` beside gunicorn, at the CPU priority the systemd unit gives it."""

    def __init__(self, env: dict[str, str], nice: int, log: Path) -> None:
        self.log = open(log, "w")
        cmd = [PYTHON, "-m", "flask", "--app", "consult", "jobs", "worker"]
        if nice:
            cmd = ["nice", "-n", str(nice)] + cmd
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)  # immediate: the job in hand is left to its lease
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def beside_job(server: "Server", env: dict[str, str], args: argparse.Namespace) -> list[dict]:
    """Journeys in alternating rounds, quiet and with a job worker exporting beside them."""
    database_url = env["DATABASE_URL"]
    cid = add_export_rows(database_url, args.job_rows)
    job_env = dict(env, JOBS_QUEUE_FILE=str(args.out / "jobs-queue.db"), JOBS_IMMEDIATE="0",
                   MPLBACKEND="Agg")
    rounds = []
    for n in range(args.rounds):
        for with_job in (False, True):
            label = f"{'with job' if with_job else 'quiet'} {n + 1}"
            worker = None
            tag = f"r{n}"
            if with_job:
                queue_exports(database_url, cid, 6, tag)
                worker = JobWorker(job_env, args.job_nice, args.out / f"worker-{tag}.log")
                deadline = time.monotonic() + 300
                while not job_running(database_url, tag):  # the export is under way
                    if time.monotonic() > deadline or worker.proc.poll() is not None:
                        worker.stop()
                        sys.exit(f"the job worker started no job; see {worker.log.name}")
                    time.sleep(0.2)
                before = job_progress(database_url, tag)[0]
            try:
                result = locust("ResidentJourney", server.url, args,
                                args.out / f"journeys-{label.replace(' ', '-')}", args.start)
            finally:
                if worker is not None:
                    rows, done = job_progress(database_url, tag)
                    worker.stop()
                    end_jobs(database_url, tag)
            entry = {"label": label, "result": result}
            if with_job:
                entry["job_rows"] = rows - before
                entry["job_done"] = done
            rounds.append(entry)
    return rounds


def row(result: dict, name: str) -> dict | None:
    for r in result["rows"]:
        if r["Name"] == name:
            return r
    return None


def summary(label: str, result: dict, duration: float) -> dict:
    agg = row(result, "Aggregated")
    requests = int(agg["Request Count"]) if agg else 0
    return {
        "label": label,
        "requests": requests,
        "failures": int(agg["Failure Count"]) if agg else 0,
        "rps": requests / duration,
        "p50": agg["50%"] if agg else "-",
        "p95": agg["95%"] if agg else "-",
        "p99": agg["99%"] if agg else "-",
        "max": f"{float(agg['Max Response Time']):.0f}" if agg else "-",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per Locust run (30)")
    parser.add_argument("--users", type=int, default=40, help="concurrent Locust users (40)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="consult.serving.ThreadWorker",
                        help="consult.serving.ThreadWorker (the default: gthread with queue-time"
                             " admission control), sync, gthread or gevent")
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument("--only", choices=["journeys", "submit", "ceiling", "beside-job"],
                        action="append",
                        help="run only these parts (repeatable)")
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="consult_load", help="scratch database (replaced)")
    parser.add_argument("--start", default=f"/c/{DEMO}", help="the path the journey starts from")
    parser.add_argument("--drafts", type=int, default=0,
                        help="drafts prepared for the final-submit run (default: 700 a second)")
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "load")
    parser.add_argument("--job-rows", type=int, default=20000,
                        help="responses each export of --only beside-job writes (20000)")
    parser.add_argument("--job-nice", type=int, default=10,
                        help="the job worker's nice value, as in the systemd unit (10); 0 for none")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating quiet / with-job rounds of --only beside-job (2)")
    args = parser.parse_args(argv)
    parts = args.only or ["journeys", "submit", "ceiling"]
    args.out.mkdir(parents=True, exist_ok=True)

    print(f"conditions: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f}; gunicorn {args.worker_class} x{args.workers}"
          + (f" ({args.threads} threads each)" if "hread" in args.worker_class else "")
          + f"; Locust {args.users} users for {args.duration} s, no wait between requests")
    results = {}
    if "beside-job" in parts:
        url = prepare_database(args.admin_url, args.database)
        env = app_env(url.replace("postgresql://", "postgresql+psycopg://"))
        load_consultations(env)
        server = Server("consult.wsgi:app", env, args, args.out / "gunicorn-consult.log")
        try:
            rounds = beside_job(server, env, args)
        finally:
            server.stop()
        print(f"\nresidents' journeys beside a job worker writing Excel exports of "
              f"{args.job_rows} responses (nice {args.job_nice}), alternating rounds")
        print(f"{'round':<14}{'requests':>9}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}"
              f"{'max':>7}{'errors':>8}{'journeys/s':>12}{'job rows/s':>12}")
        for r in rounds:
            s = summary(r["label"], r["result"], float(args.duration))
            c = r["result"]["counts"]
            job = f"{r['job_rows'] / args.duration:>12.0f}" if "job_rows" in r else f"{'-':>12}"
            print(f"{s['label']:<14}{s['requests']:>9}{s['rps']:>9.1f}{s['p50']:>7}{s['p95']:>7}"
                  f"{s['p99']:>7}{s['max']:>7}{s['failures']:>8}"
                  f"{c.get('journeys', 0) / args.duration:>12.1f}{job}")
        import statistics

        def p99s(with_job: bool) -> list[float]:
            return [float(summary(r["label"], r["result"], 1.0)["p99"]) for r in rounds
                    if ("job_rows" in r) == with_job]

        quiet, busy = p99s(False), p99s(True)
        print(f"median p99: quiet {statistics.median(quiet):.0f} ms, with a job "
              f"{statistics.median(busy):.0f} ms (ratio "
              f"{statistics.median(busy) / statistics.median(quiet):.2f})")
        for r in rounds:
            for line in r["result"]["log"].splitlines():
                if "CPU usage" in line:
                    print(f"{r['label']}: locust: {line.strip()}")
        return 0
    if "journeys" in parts or "submit" in parts:
        url = prepare_database(args.admin_url, args.database)
        env = app_env(url.replace("postgresql://", "postgresql+psycopg://"))
        load_consultations(env)
        server = Server("consult.wsgi:app", env, args, args.out / "gunicorn-consult.log")
        try:
            if "journeys" in parts:
                results["journeys"] = locust("ResidentJourney", server.url, args,
                                             args.out / "journeys", args.start)
            if "submit" in parts:
                drafts = args.out / "drafts.tsv"
                prepare_drafts(server.url, env["DATABASE_URL"], env,
                               args.drafts or 700 * args.duration, drafts)
                results["submit"] = locust("FinalSubmit", server.url, args,
                                           args.out / "submit", args.start, drafts)
        finally:
            server.stop()
    if "ceiling" in parts:
        server = Server("benchmarks.ceiling_app:app", app_env(""), args,
                        args.out / "gunicorn-ceiling.log")
        try:
            results["ceiling"] = locust("Ceiling", server.url, args, args.out / "ceiling")
        finally:
            server.stop()

    duration = float(args.duration)
    print(f"\n{'run':<22}{'requests':>9}{'req/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}{'max':>7}"
          f"{'errors':>8}   (latency in ms)")
    table = {k: summary(k, v, duration) for k, v in results.items()}
    for s in table.values():
        print(f"{s['label']:<22}{s['requests']:>9}{s['rps']:>9.1f}{s['p50']:>7}{s['p95']:>7}"
              f"{s['p99']:>7}{s['max']:>7}{s['failures']:>8}")
    ceiling_rps = table["ceiling"]["rps"] if "ceiling" in table else None
    if "journeys" in results:
        c = results["journeys"]["counts"]
        print(f"\ncomplete journeys: {c.get('journeys', 0)} = {c.get('journeys', 0) / duration:.1f}/s"
              f" (goal >= 50/s), broken journeys {c.get('broken_journeys', 0)}, "
              f"saves {c.get('saves', 0)}, resumes {c.get('resumes', 0)}, "
              f"submissions {c.get('submissions', 0) / duration:.1f}/s")
        for why, n in sorted(c.get("broken_because", {}).items(), key=lambda x: -x[1]):
            print(f"  broken {n}: {why}")
        served = (table["journeys"]["requests"] + c.get("redirects_followed", 0)) / duration
        print(f"requests the app answered for the journeys, the redirects Locust followed "
              f"included: {served:.1f}/s")
        if ceiling_rps:
            print(f"journey pages/s as a fraction of the ceiling: "
                  f"{table['journeys']['rps'] / ceiling_rps:.2f}; requests answered: "
                  f"{served / ceiling_rps:.2f}")
    if "submit" in results:
        sub = row(results["submit"], "submit (final)")
        n = int(sub["Request Count"]) if sub else 0
        print(f"final submit alone: {n} = {n / duration:.1f}/s (goal >= 500/s), p50 "
              f"{sub['50%'] if sub else '-'} p95 {sub['95%'] if sub else '-'} p99 "
              f"{sub['99%'] if sub else '-'} ms, errors {sub['Failure Count'] if sub else '-'}")
        if ceiling_rps:
            print(f"final submit as a fraction of the ceiling: {n / duration / ceiling_rps:.2f}")
    for k, v in results.items():
        for line in v["log"].splitlines():
            if "CPU usage" in line:
                print(f"{k}: locust: {line.strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
