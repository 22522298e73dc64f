"""How long support per theme, ranking and breakdowns take for 1,000,000 responses.

    python benchmarks/analysis_speed.py [--responses 1000000] [--repeats 5]

Makes synthetic 2021 responses (benchmarks/make_export.py) in chunks and turns them into the
tidy frames that ``analysis.load`` returns (with the data dictionary of a small export written by
the app's exporter), then times, several times over:

* support per theme (counts, shares, Wilson intervals) over valid responses,
* ranking (mean rank, Borda, first choices, 2,000 bootstrap resamples),
* breakdowns by respondent type, district, channel and the six equality questions (counts,
  shares, intervals, suppression, chi-square and Cramér's V for every theme),

and prints the median of each, the peak memory the analysis allocates (tracemalloc, one extra
run), the size of the frames, and the process's peak resident memory. The target is under 5 s
and 2 GB for the three together.
"""
from __future__ import annotations

import argparse
import gc
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import make_export  # noqa: E402

from analysis import tally  # noqa: E402
from analysis.load import ConsultationData, _finish, load  # noqa: E402


def _exported_shape() -> ConsultationData:
    """A small export written by the app's exporter (make_export), read back: the consultation's
    data dictionary, metadata and areas exactly as an export gives them."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shape"
        make_export.export_with_app(make_export.make_wide(20, 1), path, ["json"])
        return load(path.with_suffix(".json"))


def build(n: int, chunk: int, seed: int) -> ConsultationData:
    """The tidy frames for ``n`` synthetic responses, made ``chunk`` responses at a time."""
    shape = _exported_shape()
    dictionary, meta, version = shape.dictionary, shape.consultation, shape.format_version
    parts = []
    offset = 0
    for i, start in enumerate(range(0, n, chunk)):
        wide = make_export.make_wide(min(chunk, n - start), seed + i)
        part = _finish(wide, dictionary, meta, "synthetic", version, None, [], shape.areas)
        del wide
        for frame in (part.support, part.comments, part.ranks):
            frame["row"] = frame["row"].astype(np.int32) + offset
        offset += len(part.responses)
        parts.append(part)
        gc.collect()

    def concat(name: str) -> pd.DataFrame:
        frames = [getattr(p, name) for p in parts]
        out = pd.concat(frames, ignore_index=True)
        for col, dtype in frames[0].dtypes.items():
            if isinstance(dtype, pd.CategoricalDtype) and not isinstance(out[col].dtype, pd.CategoricalDtype):
                cats = pd.api.types.union_categoricals([f[col] for f in frames]).categories
                out[col] = pd.Categorical(out[col], categories=cats)
        return out

    data = ConsultationData(consultation=parts[0].consultation, responses=concat("responses"),
                            support=concat("support"), comments=concat("comments"), ranks=concat("ranks"),
                            dictionary=parts[0].dictionary, source="synthetic", format_version=version,
                            scale=parts[0].scale, areas=parts[0].areas)
    del parts
    gc.collect()
    return data


def analyse(data: ConsultationData) -> None:
    tally.support_table(data)
    tally.ranking_table(data, n_boot=2000, seed=2021)
    for field in tally.available_breakdowns(data):
        tally.breakdown(data, field)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()

    started = time.perf_counter()
    data = build(args.responses, args.chunk, args.seed)
    made = time.perf_counter() - started
    frames_mb = sum(getattr(data, name).memory_usage(deep=True).sum()
                    for name in ("responses", "support", "ranks")) / 2**20
    comments_mb = data.comments.memory_usage(deep=True).sum() / 2**20

    steps = {
        "support per theme": lambda: tally.support_table(data),
        "ranking (2,000 bootstrap resamples)": lambda: tally.ranking_table(data, n_boot=2000, seed=2021),
        "breakdowns (9 fields x 5 themes, tests)": lambda: [tally.breakdown(data, f)
                                                            for f in tally.available_breakdowns(data)],
    }
    analyse(data)  # warm up (imports, caches)
    timings: dict[str, list[float]] = {name: [] for name in steps}
    totals = []
    for _ in range(args.repeats):
        total = 0.0
        for name, run in steps.items():
            t0 = time.perf_counter()
            run()
            elapsed = time.perf_counter() - t0
            timings[name].append(elapsed)
            total += elapsed
        totals.append(total)
    gc.collect()
    tracemalloc.start()
    analyse(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    valid = int((data.responses["status"] == "valid").sum())
    lines = [
        f"analysis speed: {args.responses:,} responses ({valid:,} valid), 5 themes, "
        f"{len(data.support):,} support rows, {len(data.ranks):,} rank rows, {len(data.comments):,} comments",
        f"python {platform.python_version()}, pandas {pd.__version__}, numpy {np.__version__}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} "
        f"(the machine is shared), repeats {args.repeats}",
        f"made the frames in {made:.1f} s (synthetic data, not timed below)",
        "",
        f"{'step':<44}{'median s':>10}{'min s':>9}{'max s':>9}",
    ]
    for name, values in timings.items():
        lines.append(f"{name:<44}{statistics.median(values):>10.3f}{min(values):>9.3f}{max(values):>9.3f}")
    lines.append(f"{'all three':<44}{statistics.median(totals):>10.3f}{min(totals):>9.3f}{max(totals):>9.3f}")
    lines += [
        "",
        f"peak memory allocated by the analysis (tracemalloc): {peak / 2**20:,.0f} MiB",
        f"tidy frames in memory: responses + support + ranks {frames_mb:,.0f} MiB, comments {comments_mb:,.0f} MiB",
        f"peak resident memory of the whole process (includes making the data): {max_rss_mb:,.0f} MiB",
        "",
        f"target: all three under 5 s -> {'met' if statistics.median(totals) < 5 else 'NOT met'}; "
        f"analysis memory under 2 GB -> {'met' if peak < 2 * 2**30 else 'NOT met'}; "
        f"whole process under 2 GB -> {'met' if max_rss_mb < 2048 else 'NOT met'}",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
