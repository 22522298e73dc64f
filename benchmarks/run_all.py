"""Every benchmark, one after the other (``make bench``): the time each request of the journey
takes in the app alone, the load benchmark beside its ceiling, the million-response CSV export
beside COPY, and the export memory benchmark.

    python benchmarks/run_all.py            # prints each benchmark's figures
    python benchmarks/run_all.py --quick    # short runs, to see that everything works

Each benchmark prints its own conditions (time, load average, settings) with its figures; the
committed outputs are in benchmarks/results/.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs")
    args = parser.parse_args(argv)
    runs = [
        ["route_times.py"] + (["--journeys", "5"] if args.quick else []),
        ["load.py"] + (["--duration", "10", "--users", "10"] if args.quick else ["--duration", "60"]),
        ["export_speed.py"] + (["--responses", "20000"] if args.quick else []),
        ["export_memory.py"] + (["--sizes", "2000", "--formats", "csv"] if args.quick else []),
    ]
    failed = 0
    for run in runs:
        print(f"\n$ python benchmarks/{' '.join(run)}", flush=True)
        failed |= subprocess.run([sys.executable, str(ROOT / "benchmarks" / run[0]), *run[1:]],
                                 cwd=ROOT).returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
