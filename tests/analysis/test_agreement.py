"""Agreement statistics against scikit-learn's kappa and the krippendorff package."""
from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import cohen_kappa_score, f1_score
from sklearn.preprocessing import MultiLabelBinarizer

from analysis.coding import (
    agreement_report,
    bootstrap_samples_f1,
    cohen_kappa_per_code,
    krippendorff_alpha,
    krippendorff_alpha_per_code,
    samples_f1,
)

CODES = ["a", "b", "c"]
codings = st.lists(st.lists(st.sampled_from(CODES), max_size=3, unique=True), min_size=2, max_size=40)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_kappa_per_code_matches_scikit_learn(data):
    first = data.draw(codings)
    second = data.draw(st.lists(st.lists(st.sampled_from(CODES), max_size=3, unique=True),
                                min_size=len(first), max_size=len(first)))
    kappas = cohen_kappa_per_code(first, second, CODES)
    for code in CODES:
        x = [code in row for row in first]
        y = [code in row for row in second]
        if len(set(x) | set(y)) < 2:
            assert math.isnan(kappas[code])          # undefined: scikit-learn warns and gives nan
        else:
            assert kappas[code] == pytest.approx(cohen_kappa_score(x, y))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=2, max_size=4),
                min_size=2, max_size=30))
def test_alpha_matches_the_krippendorff_package(units):
    data = np.array([[np.nan if v is None else v for v in unit] + [np.nan] * (4 - len(unit))
                     for unit in units], dtype=float).T          # coders x units
    paired = (~np.isnan(data)).sum(axis=0) >= 2
    values = set(data[:, paired][~np.isnan(data[:, paired])].tolist())
    if len(values) < 2:
        assert math.isnan(krippendorff_alpha(data)) or krippendorff_alpha(data) == 1.0
        return
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    assert krippendorff_alpha(data) == pytest.approx(expected)


def test_alpha_per_code_and_known_value():
    # Krippendorff's own example (2011, nominal, 4 coders x 12 units): alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=0.001)
    alphas = krippendorff_alpha_per_code([["a"], ["a", "b"], []], [["a"], ["b"], []], codes=["a", "b"])
    assert list(alphas.index) == ["a", "b"]
    assert alphas["a"] < 1.0 and alphas["b"] == pytest.approx(1.0)   # b: same decisions


def test_samples_f1_matches_scikit_learn():
    true = [["a"], ["a", "b"], ["c"], ["b"]]
    pred = [["a"], ["b"], ["a", "c"], ["c"]]
    mlb = MultiLabelBinarizer(classes=CODES)
    expected = f1_score(mlb.fit_transform(true), mlb.transform(pred), average="samples")
    assert samples_f1(true, pred) == pytest.approx(expected)


def test_bootstrap_interval_contains_the_estimate_and_narrows_with_more_comments():
    rng = np.random.RandomState(0)
    true = [[CODES[i % 3]] for i in range(400)]
    pred = [row if rng.rand() < 0.7 else [CODES[(CODES.index(row[0]) + 1) % 3]] for row in true]
    f1, low, high = bootstrap_samples_f1(true, pred, n_boot=500)
    assert low < f1 < high
    f1_small, low_small, high_small = bootstrap_samples_f1(true[:40], pred[:40], n_boot=500)
    assert high_small - low_small > high - low


def test_agreement_report_for_identical_codings_is_perfect():
    codes = [["a"], ["a", "b"], ["c"], ["b"], []]
    report = agreement_report(codes, codes)
    assert report["samples_f1"] == 1.0 and report["alpha"] == pytest.approx(1.0)
    assert (report["per_code"]["kappa"] == 1.0).all()
    assert (report["per_code"]["f1"] == 1.0).all()


def test_kappa_needs_aligned_codings():
    with pytest.raises(ValueError, match="same comments"):
        cohen_kappa_per_code([["a"]], [["a"], ["b"]])
