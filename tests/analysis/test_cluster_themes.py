"""Themes suggested from the comments: readable labels, descriptions, examples, a codebook."""
from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.cluster import CommentClusterer, code_name, label_candidates, theme_description
from analysis.coding import Codebook
from analysis.text import normalise


def _flat(text: str) -> str:
    return " ".join(normalise(text).replace('"', " ").split())


def test_each_label_is_a_phrase_written_in_one_of_its_own_comments(topic_comments):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    labels = model.theme_labels_
    assert len(set(labels.values())) == 4
    for c, label in labels.items():
        members = [_flat(t) for t, k in zip(texts, model.labels_) if k == c]
        assert any(_flat(label) in m for m in members), label          # written, not made of stems
        assert 2 <= len(label.split()) <= 12 and label[0].isupper()
        assert any(term in label.lower() for term in model.top_terms_[c])


def test_labels_name_the_topic_of_their_group(topic_comments):
    texts, topics = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    words = {"drugs": ["drug", "cannabis", "county lines", "needles", "dealers", "cocaine", "addiction"],
             "roads": ["pothole", "speed", "traffic", "junction", "roadworks", "cyclists", "parking"]}
    for topic, marks in words.items():
        cluster = pd.Series(model.labels_)[np.array(topics) == topic].mode()[0]
        assert any(m in model.theme_labels_[cluster].lower() for m in marks)


def test_a_common_short_phrase_beats_a_long_rare_one():
    comments = ["More police on the streets. I never see anyone."] * 4 + [
        "It would be good if there were police on the streets late at night near the shops and the park"]
    assert label_candidates(comments, ["police", "streets"])[0] == "More police on the streets"


def test_a_cut_phrase_does_not_keep_an_open_quote_or_bracket():
    label = label_candidates(['The county needs to be "wet. The city is wet.'], ["county"])[0]
    assert label == "The county needs to be wet"


def test_themes_give_label_description_size_and_examples_with_references(topic_comments):
    texts, _ = topic_comments
    refs = [f"PCP-{i:04d}" for i in range(len(texts))]
    model = CommentClusterer(n_clusters=4).fit(texts)
    themes = model.themes(texts, refs)
    assert list(themes["cluster"]) == [0, 1, 2, 3]
    assert themes["size"].sum() == len(texts) == np.bincount(model.labels_).sum()
    for row in themes.itertuples():
        assert row.label == model.theme_labels_[row.cluster]
        assert f"{row.size:,} of {len(texts):,}" in row.description
        assert row.description.startswith("Comments that speak of ")
        assert 1 <= len(row.examples) <= 3
        for example in row.examples:
            i = refs.index(example["reference"])
            assert texts[i] == example["text"] and model.labels_[i] == row.cluster


def test_description_reads_as_a_sentence():
    assert theme_description(["speed cameras", "speeding", "a14"], 120, 800) == \
        "Comments that speak of speed cameras, speeding and a14: 120 of 800 (15%)."
    assert theme_description([], 3, 10) == "Comments with no distinctive words: 3 of 10 (30%)."


def test_suggested_codebook_is_a_valid_codebook(topic_comments, tmp_path):
    texts, _ = topic_comments
    model = CommentClusterer(n_clusters=4).fit(texts)
    codebook = model.to_codebook(texts)
    assert len(codebook) == 4 and len(set(codebook.names)) == 4
    path = tmp_path / "codebook.yaml"
    codebook.to_yaml(path)
    again = Codebook.from_yaml(path)
    assert again.names == codebook.names
    for code, c in zip(again.codes, range(4)):
        assert code.description.startswith(model.theme_labels_[c])
        assert set(code.examples) <= {" ".join(t.split()) for t, k in zip(texts, model.labels_) if k == c}


def test_code_names_are_short_unique_identifiers():
    assert code_name("More police on the streets!") == "more_police_on_the_streets"
    assert code_name("Don't cut PCSOs, please now") == "dont_cut_pcsos_please_now"
    assert code_name("More police on the streets", {"more_police_on_the_streets"}) == "more_police_on_the_streets_2"
    assert code_name("!!!") == "theme"


def test_labels_are_the_same_run_to_run(topic_comments):
    texts, _ = topic_comments
    a = CommentClusterer(random_state=0).fit(texts).theme_labels_
    b = CommentClusterer(random_state=3).fit(texts).theme_labels_
    assert a == b
