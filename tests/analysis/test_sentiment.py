"""analysis.sentiment: VADER scores and labels per comment."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.sentiment import sentiment


def test_clear_comments_get_the_expected_labels():
    result = sentiment(
        [
            "The officers were brilliant, kind and helpful. Thank you!",
            "Terrible response, nobody came and I felt ignored and angry.",
            "The station is on Parkside.",
        ]
    )
    assert list(result.columns) == ["compound", "pos", "neu", "neg", "label"]
    assert list(result["label"]) == ["positive", "negative", "neutral"]
    assert result.loc[0, "compound"] > 0.5 > -0.5 > result.loc[1, "compound"]


def test_negation_with_a_curly_apostrophe_turns_the_score():
    straight = sentiment(["The police don't help"]).loc[0, "compound"]
    curly = sentiment(["The police don\u2019t help"]).loc[0, "compound"]
    assert curly == pytest.approx(straight)
    assert curly < sentiment(["The police help"]).loc[0, "compound"]


def test_series_index_is_kept_and_missing_texts_stay_missing():
    texts = pd.Series(["Great work", None, "  ", "Awful"], index=["PCP-A", "PCP-B", "PCP-C", "PCP-D"])
    result = sentiment(texts)
    assert list(result.index) == ["PCP-A", "PCP-B", "PCP-C", "PCP-D"]
    assert result.loc[["PCP-B", "PCP-C"], "compound"].isna().all()
    assert result.loc[["PCP-B", "PCP-C"], "label"].isna().all()
    assert list(result["label"].cat.categories) == ["negative", "neutral", "positive"]


def test_thresholds_are_the_callers_to_set():
    text = ["It is okay I suppose"]
    score = sentiment(text).loc[0, "compound"]
    assert sentiment(text, positive=score + 0.01, negative=-1).loc[0, "label"] == "neutral"
    with pytest.raises(ValueError, match="below the positive"):
        sentiment(text, positive=0.0, negative=0.1)


def test_empty_input_gives_an_empty_frame():
    assert sentiment([]).empty


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(), max_size=5))
def test_scores_are_in_range_for_any_text(texts):
    result = sentiment(texts)
    scored = result.dropna(subset=["compound"])
    assert scored["compound"].between(-1, 1).all()
    shares = scored[["pos", "neu", "neg"]].sum(axis=1)
    # the shares sum to 1, or all are 0 when VADER finds no word at all ("!!!")
    assert (((shares - 1).abs() < 0.01) | (shares == 0)).all()
