"""Choosing the number of clusters: it follows the granularity of the comments, not a floor.

Sets of known granularity from benchmarks/cluster_k_sets.py (real comments cut to a few words,
with the phrases of 5, 12 or 30 topics put in); benchmarks/cluster_k.py measures more and larger
sets, real ones included.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from analysis.cluster import CommentClusterer
from benchmarks.cluster_k_sets import synthetic, with_non_answers


@pytest.fixture(scope="module")
def fitted():
    cache = {}

    def fit(n_topics: int, n: int, seed: int, non_answers: bool = False):
        key = (n_topics, n, seed, non_answers)
        if key not in cache:
            texts, topics = synthetic(n_topics, n, seed)
            if non_answers:
                texts, topics = with_non_answers(texts, topics)
            cache[key] = texts, topics, CommentClusterer().fit(texts)
        return cache[key]

    return fit


@pytest.mark.parametrize("n_topics, n, seed", [(5, 3000, 0), (12, 3000, 1), (30, 3000, 2)])
def test_chosen_k_follows_the_number_of_topics(fitted, n_topics, n, seed):
    texts, topics, model = fitted(n_topics, n, seed)
    assert abs(model.n_clusters_ - n_topics) <= max(2, n_topics // 10)
    at_true_k = CommentClusterer(n_clusters=n_topics).fit(texts)
    chosen = normalized_mutual_info_score(topics, model.labels_)
    assert chosen >= normalized_mutual_info_score(topics, at_true_k.labels_) - 0.01
    assert chosen > 0.9


def test_few_topics_give_few_clusters_so_no_floor_decides(fitted):
    _, _, model = fitted(5, 3000, 0)
    assert model.n_clusters_ == 5 < 6


def test_the_score_is_highest_near_the_true_number_and_falls_after(fitted):
    _, _, model = fitted(12, 3000, 1)
    scores = model.k_scores_
    best = max(scores, key=scores.get)
    assert 10 <= best <= 14
    assert scores[best] > 1.05 * max(score for k, score in scores.items() if k >= 16)
    assert scores[best] > 1.05 * scores[2]


def test_a_tight_group_of_non_answers_does_not_make_it_choose_two(fitted):
    texts, topics, model = fitted(12, 3000, 6, non_answers=True)
    assert model.n_clusters_ >= 12
    answers = np.array(topics) == "no_answer"
    # comments with no word left ("No", "N/A": stop words only) are one cluster of their own
    wordless = np.isin(texts, ["No", "no", "N/A", "n/a"])
    assert len(set(model.labels_[wordless])) == 1
    assert answers[model.labels_ == model.labels_[wordless][0]].all()
    # and most non-answers are in clusters of non-answers
    theirs = [c for c in range(model.n_clusters_) if np.mean(answers[model.labels_ == c]) > 0.9]
    assert np.mean(np.isin(model.labels_, theirs)[answers]) > 0.5


def test_the_choice_is_the_same_run_to_run(fitted):
    texts, _, model = fitted(12, 3000, 1)
    again = CommentClusterer(random_state=5).fit(texts)
    assert again.n_clusters_ == model.n_clusters_
    assert again.k_scores_ == model.k_scores_
    assert np.array_equal(again.labels_, model.labels_)
