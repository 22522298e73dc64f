"""Tiny runs of the benchmarks that need the PostgreSQL server, so that they keep working: the
export benchmark (the real run, a million responses, is in benchmarks/results/export_speed.txt)
the per-request timer of the journey (benchmarks/route_times.py) and the load benchmark itself
(benchmarks/load.py: gunicorn, Locust, the journeys, the final submit and the ceiling)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def _needs_postgresql() -> None:
    engine = sa.create_engine(ADMIN_URL.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        if os.environ.get("CI"):
            raise
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not running")
    finally:
        engine.dispose()


def test_route_times_benchmark_runs():
    _needs_postgresql()
    name = f"consult_routes_smoke_{os.getpid()}"
    try:
        result = subprocess.run(
            [sys.executable, "benchmarks/route_times.py", "--journeys", "2",
             "--database", name, "--admin-url", ADMIN_URL],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GET survey.page" in result.stdout and "POST survey.check" in result.stdout
    assert "app time per journey" in result.stdout


def test_export_speed_benchmark_runs():
    _needs_postgresql()
    result = subprocess.run(
        [sys.executable, "benchmarks/export_speed.py", "--responses", "500",
         "--database", f"consult_export_smoke_{os.getpid()}", "--admin-url", ADMIN_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consult.exports.write_csv:" in result.stdout and "for 500 rows" in result.stdout
    assert "ratio export / COPY" in result.stdout


def test_load_benchmark_runs_every_part_without_errors():
    _needs_postgresql()
    name = f"consult_load_smoke_{os.getpid()}"
    try:
        result = subprocess.run(
            [sys.executable, "benchmarks/load.py", "--duration", "4", "--users", "2",
             "--drafts", "200", "--database", name, "--admin-url", ADMIN_URL,
             "--out", str(ROOT / "out" / f"load-smoke-{os.getpid()}")],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    journeys = re.search(r"complete journeys: (\d+) = .* broken journeys (\d+)", out)
    assert journeys and int(journeys.group(1)) > 0 and journeys.group(2) == "0", out
    assert re.search(r"requests the app answered for the journeys.*: [\d.]+/s", out), out
    submits = re.search(r"final submit alone: (\d+) = .* errors (\d+)", out)
    assert submits and int(submits.group(1)) > 0 and submits.group(2) == "0", out
    for part in ("journeys", "submit", "ceiling"):
        line = next(x for x in out.splitlines() if x.startswith(part + " "))
        assert line.split()[-1] == "0", line  # no failed requests
