"""A tiny run of the speed benchmark, so that it keeps working (the real run is 1,000,000)."""
from __future__ import annotations

import subprocess
import sys

from analysis_helpers import ROOT


def test_analysis_speed_benchmark_runs_on_a_small_export():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "analysis_speed.py"), "--responses", "1000",
                           "--repeats", "1", "--chunk", "500"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "1,000 responses" in done.stdout and "all three" in done.stdout
