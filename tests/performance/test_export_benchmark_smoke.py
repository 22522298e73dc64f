"""A tiny run of benchmarks/export_speed.py on the PostgreSQL server, so that the benchmark keeps
working (the real run, a million responses, is in benchmarks/results/export_speed.txt)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


def test_export_speed_benchmark_runs():
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
    result = subprocess.run(
        [sys.executable, "benchmarks/export_speed.py", "--responses", "500",
         "--database", f"consult_export_smoke_{os.getpid()}", "--admin-url", ADMIN_URL],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "consult.exports.write_csv:" in result.stdout and "for 500 rows" in result.stdout
    assert "ratio export / COPY" in result.stdout
