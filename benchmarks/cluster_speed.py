"""Speed and peak memory of CommentClusterer (default TF-IDF backend) on 10,000 and 100,000 comments.

    python benchmarks/cluster_speed.py [--sizes 10000 100000] [--repeats 3]

The comments are made from the 896 real comments of ../shared/data/polis-bowling-green: each
is a real comment, or two halves of two different comments joined, with a few words of another
one appended, so that the vocabulary and lengths are those of real short comments but almost
every text is distinct. Each run is a fresh process (so peak memory is the run's own), fitting
with ``n_clusters=None`` (k chosen by the clusterer) and ``n_clusters=20``. Prints the median time
of the runs and the peak resident memory; the bars are 30 s for 10,000 comments and 60 s and
4 GB for 100,000 on a 2-core machine.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLIS = ROOT.parent / "shared" / "data" / "polis-bowling-green" / "comments.csv"


def make_comments(n: int, seed: int = 0) -> list[str]:
    import pandas as pd

    base = pd.read_csv(POLIS)["comment-body"].dropna().astype(str).tolist()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        a = rng.choice(base)
        if rng.random() < 0.7:
            b = rng.choice(base).split()
            words = a.split()
            cut = len(words) // 2
            a = " ".join(words[:max(cut, 1)] + b[len(b) // 2:])
        extra = rng.choice(base).split()
        start = rng.randrange(max(len(extra) - 3, 1))
        out.append(a + " " + " ".join(extra[start:start + 3]))
    return out


def child(n: int, k: int | None) -> None:
    sys.path.insert(0, str(ROOT))
    from analysis.cluster import CommentClusterer

    texts = make_comments(n)
    start = time.perf_counter()
    model = CommentClusterer(n_clusters=k).fit(texts)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "k": model.n_clusters_,
                      "assigned": int(len(model.labels_))}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(int(args.child[0]), None if args.child[1] == "auto" else int(args.child[1]))
        return
    print(f"# CommentClusterer speed, backend tfidf, {args.repeats} runs each, one process per run")
    print(f"{'comments':>9} {'k':>6} {'median s':>9} {'min s':>7} {'max s':>7} {'peak MB':>8}  assigned")
    for n in args.sizes:
        for k in ("auto", "20"):
            runs = []
            for _ in range(args.repeats):
                result = subprocess.run([sys.executable, __file__, "--child", str(n), k],
                                        capture_output=True, text=True, check=True)
                runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
            times = [r["seconds"] for r in runs]
            label = f"{runs[0]['k']}" + (" (chosen)" if k == "auto" else "")
            print(f"{n:>9} {label:>6} {statistics.median(times):>9.1f} {min(times):>7.1f} "
                  f"{max(times):>7.1f} {max(r['peak_mb'] for r in runs):>8.0f}  "
                  f"{runs[0]['assigned']}/{n}", flush=True)


if __name__ == "__main__":
    main()
