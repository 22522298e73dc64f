"""Sentiment of each comment, from the VADER lexicon (the ``vaderSentiment`` package ships it).

VADER (Hutto and Gilbert, 2014) is a rule-based scorer made for short social-media text: it
handles negation ("not good"), intensifiers ("very"), capitals ("GOOD") and "but". It reads tone,
not stance: "I support more police because crime is terrible" scores negative. Use it to sort
and sample comments, not to count support (the support questions do that).

Public API: ``sentiment(texts, *, positive=0.05, negative=-0.05) -> pandas.DataFrame``.
"""
from __future__ import annotations

import unicodedata
from typing import Iterable

import numpy as np
import pandas as pd
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from analysis.text import _CHARACTER_MAP

__all__ = ["LABELS", "POSITIVE_THRESHOLD", "NEGATIVE_THRESHOLD", "sentiment"]

#: VADER's authors' thresholds on the compound score.
POSITIVE_THRESHOLD = 0.05
NEGATIVE_THRESHOLD = -0.05
LABELS = ("negative", "neutral", "positive")

_ANALYSER: SentimentIntensityAnalyzer | None = None


def _analyser() -> SentimentIntensityAnalyzer:
    global _ANALYSER
    if _ANALYSER is None:
        _ANALYSER = SentimentIntensityAnalyzer()
    return _ANALYSER


def _prepare(text: str) -> str:
    # Curly apostrophes would hide "don't" from VADER's negation rules; case is kept (VADER
    # reads capitals as emphasis).
    return unicodedata.normalize("NFKC", text).translate(_CHARACTER_MAP)


def sentiment(
    texts: Iterable[str] | pd.Series,
    *,
    positive: float = POSITIVE_THRESHOLD,
    negative: float = NEGATIVE_THRESHOLD,
) -> pd.DataFrame:
    """Score each text with VADER.

    Returns a DataFrame with one row per text (the Series' index when a Series is given, else
    0..n-1) and columns ``compound`` (-1 most negative .. +1 most positive), ``pos``, ``neu``,
    ``neg`` (shares of the text that are positive / neutral / negative, summing to 1) and
    ``label``: ``positive`` when compound >= ``positive``, ``negative`` when compound <=
    ``negative``, otherwise ``neutral`` (an ordered categorical). Missing or blank texts get
    NaN scores and a missing label.
    """
    if negative >= positive:
        raise ValueError(
            f"The negative threshold ({negative}) must be below the positive one ({positive})."
        )
    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    analyser = _analyser()
    rows = []
    for text in series.array:
        if isinstance(text, str) and text.strip():
            scores = analyser.polarity_scores(_prepare(text))
            rows.append((scores["compound"], scores["pos"], scores["neu"], scores["neg"]))
        else:
            rows.append((np.nan, np.nan, np.nan, np.nan))
    frame = pd.DataFrame(rows, index=series.index, columns=["compound", "pos", "neu", "neg"],
                         dtype=float)
    label = np.select(
        [frame["compound"] >= positive, frame["compound"] <= negative, frame["compound"].notna()],
        ["positive", "negative", "neutral"],
        default=None,
    )
    frame["label"] = pd.Categorical(label, categories=list(LABELS), ordered=True)
    return frame
