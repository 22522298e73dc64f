"""Quality of clustering, theme coding and campaign detection on any labelled CSV of comments.

    python benchmarks/text_quality.py --data comments.csv --text-col text --label-col category
    python benchmarks/text_quality.py --data coded.csv --text-col text --label-col codes \
        --multi-label --label-sep ';'
    python benchmarks/text_quality.py --data letters.csv --text-col text --label-col topic \
        --group-col template

Prints, measured in one run:
- clustering: NMI and adjusted Rand (ARI) against the labels with the true number of clusters
  given (ours beside TF-IDF + k-means and TF-IDF + SVD + k-means), with k chosen by the
  clusterer, and the ARI between the clusterings of seeds 0..4 (for multi-label data the first
  label of each comment is its category);
- coding: samples-F1, micro-F1 and macro-F1 by 5-fold cross-validation (ours beside TF-IDF +
  one-vs-rest logistic regression), and a learning curve: trained on 100, 200, 500, 1000 coded
  comments (where the data allows) and tested on one fixed held-out set of 20% of the comments;
- campaigns (with --group-col): pairwise precision and recall of analysis.campaigns.find_campaigns
  against the groups (rows with an empty group belong to none).
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.model_selection import KFold
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import MultiLabelBinarizer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.cluster import CommentClusterer  # noqa: E402
from analysis.coding import ThemeCoder, agreement_report  # noqa: E402


def baseline_coder(train_texts, train_codes, test_texts):
    """TF-IDF + one-vs-rest logistic regression at threshold 0.5 (the simple method)."""
    mlb = MultiLabelBinarizer()
    Y = mlb.fit_transform(train_codes)
    vectorizer = TfidfVectorizer()
    X = vectorizer.fit_transform(train_texts)
    model = OneVsRestClassifier(LogisticRegression(max_iter=1000)).fit(X, Y)
    Z = model.predict(vectorizer.transform(test_texts))
    return [list(mlb.classes_[row.astype(bool)]) for row in Z]


def coding_scores(true, predicted) -> tuple[float, float, float]:
    report = agreement_report(true, predicted, n_boot=10)
    return report["samples_f1"], report["micro_f1"], report["macro_f1"]


def clustering(texts, category, backend, seeds, out):
    k = len(set(category))
    out(f"\n## Clustering ({len(texts)} comments, {k} categories, backend {backend})")
    X0 = TfidfVectorizer(stop_words="english").fit_transform(texts)
    km = KMeans(k, n_init=1, random_state=0).fit_predict(X0)
    svd = KMeans(k, n_init=1, random_state=0).fit_predict(
        TruncatedSVD(min(100, X0.shape[1] - 1), random_state=0).fit_transform(X0))
    out(f"TF-IDF + k-means             NMI {normalized_mutual_info_score(category, km):.3f}  "
        f"ARI {adjusted_rand_score(category, km):.3f}")
    out(f"TF-IDF + SVD + k-means       NMI {normalized_mutual_info_score(category, svd):.3f}  "
        f"ARI {adjusted_rand_score(category, svd):.3f}")
    runs, times = [], []
    for seed in seeds:
        start = time.perf_counter()
        runs.append(CommentClusterer(n_clusters=k, random_state=seed, backend=backend).fit(texts).labels_)
        times.append(time.perf_counter() - start)
    nmis = [normalized_mutual_info_score(category, r) for r in runs]
    aris = [adjusted_rand_score(category, r) for r in runs]
    out(f"CommentClusterer, true k     NMI {np.mean(nmis):.3f} (seeds {min(nmis):.3f}-{max(nmis):.3f})  "
        f"ARI {np.mean(aris):.3f}  median fit {np.median(times):.1f} s")
    between = [adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]
    out(f"ARI between seeds {seeds[0]}..{seeds[-1]}      mean {np.mean(between):.3f}  min {min(between):.3f}")
    chosen = CommentClusterer(random_state=0, backend=backend).fit(texts)
    out(f"CommentClusterer, chosen k   k={chosen.n_clusters_}  "
        f"NMI {normalized_mutual_info_score(category, chosen.labels_):.3f}  "
        f"ARI {adjusted_rand_score(category, chosen.labels_):.3f}")


def coding(texts, codes, backend, out, folds=5):
    n = len(texts)
    out(f"\n## Coding ({n} comments, {len({c for row in codes for c in row})} codes, "
        f"{np.mean([len(r) for r in codes]):.2f} codes per comment, backend {backend})")
    ours: list = [None] * n
    base: list = [None] * n
    for train, test in KFold(folds, shuffle=True, random_state=0).split(texts):
        tr_t, tr_c, te_t = [texts[i] for i in train], [codes[i] for i in train], [texts[i] for i in test]
        for i, row in zip(test, ThemeCoder(backend=backend).fit(tr_t, tr_c).predict(te_t)):
            ours[i] = row
        for i, row in zip(test, baseline_coder(tr_t, tr_c, te_t)):
            base[i] = row
    out(f"{folds}-fold cross-validation       samples-F1  micro-F1  macro-F1")
    out("  TF-IDF + logistic regr.    {:.3f}       {:.3f}     {:.3f}".format(*coding_scores(codes, base)))
    out("  ThemeCoder                 {:.3f}       {:.3f}     {:.3f}".format(*coding_scores(codes, ours)))

    rng = np.random.RandomState(0)
    order = rng.permutation(n)
    n_test = min(max(int(0.2 * n), 1), 2000)
    test, pool = order[:n_test], order[n_test:]
    out(f"Learning curve (fixed test set of {n_test} comments): samples-F1 ours / baseline")
    sizes = [s for s in (100, 200, 500, 1000) if s <= len(pool)] + [len(pool)]
    for size in dict.fromkeys(sizes):
        train = pool[:size]
        tr_t, tr_c = [texts[i] for i in train], [codes[i] for i in train]
        te_t, te_c = [texts[i] for i in test], [codes[i] for i in test]
        if len({c for row in tr_c for c in row}) < 2:
            continue
        start = time.perf_counter()
        mine = ThemeCoder(backend=backend).fit(tr_t, tr_c).predict(te_t)
        seconds = time.perf_counter() - start
        label = "all" if size == len(pool) else str(size)
        out(f"  trained on {label:>5} ({size:>5})   {coding_scores(te_c, mine)[0]:.3f} / "
            f"{coding_scores(te_c, baseline_coder(tr_t, tr_c, te_t))[0]:.3f}   ({seconds:.1f} s)")


def campaigns(texts, groups, out):
    from analysis.campaigns import find_campaigns

    found = find_campaigns(texts)
    true = pd.Series(groups).replace("", pd.NA)
    # Pairwise: a pair is positive when both comments share a (true / found) campaign.
    def pairs(labels):
        out_pairs = set()
        for _, idx in pd.Series(range(len(labels)))[labels.notna().to_numpy()].groupby(
                labels.dropna().astype(str).to_numpy()):
            out_pairs.update(itertools.combinations(idx.tolist(), 2))
        return out_pairs
    true_pairs, found_pairs = pairs(true.reset_index(drop=True)), pairs(found.reset_index(drop=True))
    tp = len(true_pairs & found_pairs)
    fp = len(found_pairs - true_pairs)
    fn = len(true_pairs - found_pairs)
    out(f"\n## Campaigns ({true.notna().sum()} comments in {true.nunique()} groups)")
    out(f"pairwise precision {tp / max(tp + fp, 1):.3f}  recall {tp / max(tp + fn, 1):.3f}  "
        f"({found.nunique()} campaigns found)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--text-col", required=True)
    parser.add_argument("--label-col", required=True)
    parser.add_argument("--multi-label", action="store_true")
    parser.add_argument("--label-sep", default=";")
    parser.add_argument("--group-col")
    parser.add_argument("--backend", choices=["tfidf", "embeddings", "auto"], default="tfidf")
    parser.add_argument("--max-rows", type=int, default=None,
                        help="use a random sample of this many rows (seed 0)")
    parser.add_argument("--skip", choices=["clustering", "coding"], action="append", default=[])
    args = parser.parse_args(argv)

    frame = pd.read_csv(args.data, dtype=str, keep_default_na=False)
    for col in (args.text_col, args.label_col, args.group_col):
        if col and col not in frame.columns:
            parser.error(f"{args.data} has no column {col!r}; columns: {', '.join(frame.columns)}")
    frame = frame[frame[args.text_col].str.strip() != ""]
    if args.max_rows and len(frame) > args.max_rows:
        frame = frame.sample(args.max_rows, random_state=0)
    texts = frame[args.text_col].tolist()
    if args.multi_label:
        codes = [[c.strip() for c in v.split(args.label_sep) if c.strip()] for v in frame[args.label_col]]
    else:
        codes = [[v] if v else [] for v in frame[args.label_col]]

    print(f"# {args.data}: {len(texts)} comments, labels from {args.label_col!r}"
          f"{' (multi-label)' if args.multi_label else ''}")
    print(f"median length {int(np.median([len(t.split()) for t in texts]))} words")
    labelled = [i for i, c in enumerate(codes) if c]
    if "clustering" not in args.skip:
        clustering([texts[i] for i in labelled], [codes[i][0] for i in labelled], args.backend,
                   list(range(5)), print)
    if "coding" not in args.skip:
        coding([texts[i] for i in labelled], [codes[i] for i in labelled], args.backend, print)
    if args.group_col:
        campaigns(texts, frame[args.group_col].tolist(), print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
