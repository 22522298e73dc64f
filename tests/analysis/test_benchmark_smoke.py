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


def _tiny_coded_sets(folder):
    """Files laid out and shaped as benchmarks/coded_sets.py reads them, with made-up comments."""
    import csv
    import random

    rng = random.Random(0)
    topics = {0: "what a great laugh that was", 15: "thank you so much for the help",
              27: "the bus leaves at nine", 25: "so sad to hear this news"}
    for part in ("test", "dev"):
        lines = []
        for i in range(160):
            label = rng.choice(list(topics))
            lines.append(f"{topics[label]} {i}\t{label}\tid{part}{i}")
        (folder / "goemotions").mkdir(parents=True, exist_ok=True)
        (folder / "goemotions" / f"{part}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "care-opinion").mkdir(parents=True, exist_ok=True)
    with (folder / "care-opinion" / "co_multi_label.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(["crit", "cat_1", "cat_2", "cat_3", "cat_4", "cat_5", "cat_6", "feedback"])
        for i in range(120):
            a, b = rng.choice([("SS", "CS"), ("ca", "NA"), ("WA", "coml")])
            w.writerow(["1", a, b, "NA", "NA", "NA", "NA",
                        f"{'lovely staff' if a == 'SS' else 'long wait'} visit {i}"])


def test_coding_agreement_benchmark_runs_on_small_sets(tmp_path):
    _tiny_coded_sets(tmp_path)
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "coding_agreement.py"),
                           "--data-dir", str(tmp_path), "--backends", "tfidf", "--train", "60", "0"],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "trained on GoEmotions dev, tested on GoEmotions test (160)" in done.stdout
    assert "| 60 | ThemeCoder | tfidf |" in done.stdout
    # lower-case codes are the same codes; "coml" is no two-letter code and is left out, said so
    assert "codes that are not two letters (COML)" in done.stdout
    assert "## Clustering: 120 comments of Care Opinion" in done.stdout


def test_coding_agreement_benchmark_says_where_the_sets_go(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "coding_agreement.py"),
                           "--data-dir", str(tmp_path), "--backends", "tfidf"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is missing: put the file goemotions/data/test.tsv" in done.stdout


def test_ranking_figures_give_each_comment_peoples_number_of_codes_in_the_coders_order():
    import numpy as np
    import pandas as pd
    from sklearn.preprocessing import MultiLabelBinarizer

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from coding_agreement import ranking

    class Coder:   # what ranking() reads from a fitted ThemeCoder
        codes_ = ["a", "b", "c"]
        thresholds_ = np.array([0.5, 0.25, 0.5])

    proba = pd.DataFrame([[0.9, 0.2, 0.1],     # over thresholds: a 1.8, b 0.8, c 0.2
                          [0.4, 0.3, 0.45]],   # a 0.8, b 1.2, c 0.9: b first, then c
                         columns=["a", "b", "c"])
    people = [["a", "c"], ["a"]]
    figures = ranking(Coder(), proba, people, MultiLabelBinarizer(classes=["a", "b", "c"]).fit([["a"]]))
    # comment 1 gets its two highest (a, b): F1 2*1/(2+2) = 0.5; comment 2 gets b: F1 0
    assert figures["as_many"] == (0.5 + 0.0) / 2
    # first codes: a (one of people's), b (not)
    assert figures["first"] == 0.5
