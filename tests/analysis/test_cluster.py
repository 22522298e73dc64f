"""CommentClusterer: groups, stability, terms, quotes, choosing k, predict, the CLI."""
from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from analysis.__main__ import main
from analysis.cluster import CommentClusterer, embeddings_available, read_comments, CommentSourceError



def test_finds_the_topics_with_k_given(topic_comments):
    texts, topics = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    assert normalized_mutual_info_score(topics, model.labels_) > 0.8
    assert model.n_clusters_ == 4
    assert len(model.labels_) == len(texts)
    assert set(model.labels_) == {0, 1, 2, 3}        # every comment in a real cluster


def test_chooses_the_number_of_topics_where_the_tree_stands_highest_above_chance(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer().fit(texts)
    assert model.n_clusters_ == 4
    best = max(model.k_scores_.values())
    assert model.k_scores_[4] >= 0.99 * best                  # the finest of the highest cuts
    assert all(score < 0.99 * best for k, score in model.k_scores_.items() if k > 4)
    assert set(model.k_scores_) == set(range(2, len(texts) // 10 + 1))


def test_same_clusters_whatever_the_seed(topic_comments):
    texts, _ = topic_comments
    runs = [CommentClusterer(n_clusters=6, random_state=s).fit(texts).labels_ for s in range(5)]
    assert min(adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)) >= 0.8


def test_stable_across_seeds_when_fitted_on_a_sample(comment_maker):
    texts, topics = comment_maker(n_per_topic=60, seed=3)
    runs = [CommentClusterer(n_clusters=4, random_state=s, sample_size=120).fit(texts).labels_
            for s in range(3)]
    assert min(adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)) >= 0.8
    assert normalized_mutual_info_score(topics, runs[0]) > 0.8


def test_top_terms_are_readable_words_of_the_cluster(topic_comments):
    texts, topics = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    for c in range(4):
        members = [t for t, label in zip(texts, model.labels_) if label == c]
        terms = model.top_terms_[c]
        assert 0 < len(terms) <= model.n_terms
        for term in terms:
            assert any(term in m.lower() for m in members), term   # unstemmed, really used
    drugs_cluster = pd.Series(model.labels_)[np.array(topics) == "drugs"].mode()[0]
    assert any("drug" in t or "cannabis" in t or "dealers" in t for t in model.top_terms_[drugs_cluster])


def test_representatives_belong_to_their_cluster_and_are_distinct(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=4, n_representatives=3).fit(texts)
    for c, indices in model.representative_.items():
        assert 1 <= len(indices) <= 3
        assert all(model.labels_[i] == c for i in indices)
        assert len({texts[i] for i in indices}) == len(indices)


def test_confidence_is_between_0_and_1_and_lower_for_mixed_comments(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts + ["cannabis dealers and speeding traffic"])
    assert model.confidence_.shape == (len(texts) + 1,)
    assert np.all((model.confidence_ >= 0) & (model.confidence_ <= 1))
    assert model.confidence_[-1] < np.median(model.confidence_)


def test_predict_puts_new_comments_with_their_topic(topic_comments):
    texts, topics = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    drugs = pd.Series(model.labels_)[np.array(topics) == "drugs"].mode()[0]
    roads = pd.Series(model.labels_)[np.array(topics) == "roads"].mode()[0]
    assert list(model.predict(["county lines drug dealers everywhere", "fix the pothole"])) == [drugs, roads]


def test_sizes_and_summary(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=3).fit(texts)
    summary = model.summary(texts, references=[f"R{i}" for i in range(len(texts))])
    assert summary["size"].sum() == len(texts)
    assert list(summary["size"]) == sorted(summary["size"], reverse=True)
    assert all(ref.startswith("R") for refs in summary["references"] for ref in refs)


def test_follows_scikit_learn_conventions(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=3, random_state=7, vectorizer=TfidfVectorizer())
    assert clone(model).get_params()["random_state"] == 7
    assert not hasattr(model, "labels_")
    assert model.fit(texts) is model
    assert isinstance(model.vectorizer_, TfidfVectorizer)


def test_empty_and_odd_comments_are_still_assigned():
    texts = ["", None, float("nan"), "the and of", "speeding traffic", "speeding cars", "drug dealers"]
    model = CommentClusterer(n_clusters=2).fit(texts)
    assert len(model.labels_) == len(texts)


@pytest.mark.parametrize("texts, k, expected", [
    (["one comment only"], None, 1),
    (["speeding cars", "drug dealers"], 2, 2),
    (["speeding cars", "drug dealers"], None, 1),
    (["same words here"] * 4, 3, 1),             # identical comments cannot be split
])
def test_tiny_inputs_still_give_one_label_each(texts, k, expected):
    model = CommentClusterer(n_clusters=k).fit(texts)
    assert len(model.labels_) == len(texts)
    assert model.n_clusters_ == expected == len(set(model.labels_))


def test_bad_parameters_are_explained():
    with pytest.raises(ValueError, match="backend"):
        CommentClusterer(backend="bert").fit(["a b", "c d", "e f"])
    with pytest.raises(ValueError, match="no comments"):
        CommentClusterer().fit([])
    with pytest.raises(TypeError, match="list of comments"):
        CommentClusterer().fit("one string")


@pytest.mark.skipif(not embeddings_available(), reason="the embeddings extra is not installed")
@pytest.mark.slow
def test_embeddings_backend_clusters_topics(topic_comments):
    texts, topics = topic_comments
    model = CommentClusterer(n_clusters=4, backend="embeddings").fit(texts)
    assert model.backend_ == "embeddings"
    assert normalized_mutual_info_score(topics, model.labels_) > 0.7


# ---- reading files and the command line

def _export(tmp_path, texts, hidden=()):
    """A format-1 CSV export of one theme's comments; the last response is a campaign, and the
    responses at the positions in ``hidden`` had their comment hidden by a moderator."""
    frame = pd.DataFrame({
        "format_version": 1, "consultation": "demo", "reference": [f"PCP-{i:04d}" for i in range(len(texts))],
        "submitted_at": "2021-07-04T18:22:05Z", "received_on": "2021-07-04", "channel": "online",
        "status": ["valid"] * (len(texts) - 1) + ["campaign"], "status_reason": "",
        "hidden_comments": ["comment__crime_prevention" if i in hidden else "" for i in range(len(texts))],
        "support__crime_prevention": "support", "comment__crime_prevention": texts,
    })
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    return path


def test_read_comments_from_an_export_keeps_valid_responses(tmp_path):
    path = _export(tmp_path, ["'=cheap trick", "b", "", "d"])
    comments = read_comments(path, question="crime_prevention")
    assert list(comments["reference"]) == ["PCP-0000", "PCP-0001"]
    assert comments["text"][0] == "=cheap trick"     # the formula guard is removed


def test_read_comments_refuses_another_export_version(tmp_path):
    path = tmp_path / "r.csv"
    pd.DataFrame({"format_version": [7], "reference": ["A"], "comment__x": ["hi"]}).to_csv(path, index=False)
    with pytest.raises(CommentSourceError, match="version 7.*format versions 1, 2, 3 and 4"):
        read_comments(path, question="x")


def test_cli_writes_clusters_keyed_by_reference(tmp_path, capsys, comment_maker):
    texts, _ = comment_maker(n_per_topic=15)
    path = _export(tmp_path, texts)
    out = tmp_path / "clusters.csv"
    assert main(["cluster", "--source", str(path), "--question", "crime_prevention",
                 "--n-clusters", "4", "--out", str(out), "--summary", str(tmp_path / "s.md")]) == 0
    frame = pd.read_csv(out)
    assert list(frame.columns[:3]) == ["reference", "cluster", "confidence"]
    assert len(frame) == len(texts) - 1 and frame["reference"].str.startswith("PCP-").all()
    printed = capsys.readouterr().out
    assert "## Cluster 0" in printed and "(PCP-" in printed
    assert (tmp_path / "s.md").read_text(encoding="utf-8") .startswith("# ")
    best = "sentence embeddings beside TF-IDF" if embeddings_available() else "TF-IDF"
    assert f"Backend: {best}." in printed   # the best installed backend is the default


def test_cli_says_when_tfidf_was_asked_for(tmp_path, capsys, comment_maker):
    texts, _ = comment_maker(n_per_topic=15)
    path = _export(tmp_path, texts)
    assert main(["cluster", "--source", str(path), "--question", "crime_prevention",
                 "--n-clusters", "4", "--backend", "tfidf", "--out", str(tmp_path / "c.csv")]) == 0
    assert "Backend: TF-IDF." in capsys.readouterr().out


@pytest.mark.parametrize("args, message", [
    (["--source", "missing.csv"], "There is no file at"),
    (["--text-col", "nope"], "no free-text question 'nope'"),
    (["--question", "nope"], "The free-text questions are: crime_prevention (comments on crime_prevention)"),
    (["--question", "crime_prevention", "--n-clusters", "0"], "--n-clusters must be"),
    (["--question", "crime_prevention", "--id-col", "nope"], "leave out --id-col"),
    (["--question", "crime_prevention", "--text-col", "x"], "not both"),
])
def test_cli_bad_arguments_give_a_clear_error(tmp_path, capsys, args, message):
    path = _export(tmp_path, ["speeding cars", "drug dealers", "more patrols", "x"])
    base = {"--source": str(path)}
    argv = ["cluster", *[a for pair in base.items() for a in pair if pair[0] not in args], *args,
            "--out", str(tmp_path / "o.csv")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
