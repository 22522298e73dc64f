"""A tiny run of benchmarks/export_memory.py, so that the benchmark keeps working."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_export_memory_benchmark_runs():
    result = subprocess.run(
        [sys.executable, "benchmarks/export_memory.py", "--sizes", "40", "20", "--formats", "csv",
         "--repeats", "1"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.split()[:3] == ["sqlite", "csv", "40"] for line in lines), result.stdout
    assert "Peak memory at 40 responses / at 20" in result.stdout
