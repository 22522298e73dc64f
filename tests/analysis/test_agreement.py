"""Agreement statistics, recomputed another way: the textbook formulas written out here, and
published worked examples with known values. (The library takes kappa and F1 from scikit-learn
and alpha from the krippendorff package, so comparing with those would prove nothing.)"""
from __future__ import annotations

import math
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from sklearn.metrics import f1_score

from analysis.coding import (
    _per_comment_f1,
    agreement_report,
    bootstrap_samples_f1,
    cohen_kappa_per_code,
    krippendorff_alpha,
    krippendorff_alpha_per_code,
    samples_f1,
)

CODES = ["a", "b", "c"]
code_sets = st.lists(st.sampled_from(CODES), max_size=3, unique=True)
codings = st.lists(code_sets, min_size=2, max_size=40)


def coding_of_the_same(data, coding: list[list[str]]) -> list[list[str]]:
    """A second coding of the same comments (as many code sets as ``coding``)."""
    return data.draw(st.lists(code_sets, min_size=len(coding), max_size=len(coding)))


def kappa_by_formula(x: list[bool], y: list[bool]) -> float:
    """Cohen (1960): (p_o - p_e) / (1 - p_e), p_e from each coder's own rate of 'present'."""
    n = len(x)
    p_o = sum(a == b for a, b in zip(x, y)) / n
    pa, pb = sum(x) / n, sum(y) / n
    p_e = pa * pb + (1 - pa) * (1 - pb)
    return (p_o - p_e) / (1 - p_e)


def alpha_by_pairs(units: list[list]) -> float:
    """Krippendorff's nominal alpha from its definition: every ordered pair of values two coders
    gave one unit, weighted 1 / (m_u - 1) for a unit coded m_u times; alpha = 1 - D_o / D_e."""
    pairs: dict[tuple, float] = {}
    for values in units:
        values = [v for v in values if v is not None]
        if len(values) < 2:
            continue
        for a, b in permutations(values, 2):
            pairs[(a, b)] = pairs.get((a, b), 0.0) + 1 / (len(values) - 1)
    n = sum(pairs.values())
    n_c: dict = {}
    for (a, _), w in pairs.items():
        n_c[a] = n_c.get(a, 0.0) + w
    observed = sum(w for (a, b), w in pairs.items() if a != b) / n
    expected = sum(n_c[a] * n_c[b] for a in n_c for b in n_c if a != b) / (n * (n - 1))
    return 1 - observed / expected


def f1_by_sets(true: list[list[str]], predicted: list[list[str]]) -> float:
    """Mean over comments of 2|T ∩ P| / (|T| + |P|), 1 for a comment with no code in either."""
    return float(np.mean([2 * len(set(t) & set(p)) / (len(t) + len(p)) if t or p else 1.0
                          for t, p in zip(true, predicted)]))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_kappa_per_code_is_cohens_formula_and_nan_where_undefined(data):
    first = data.draw(codings)
    second = coding_of_the_same(data, first)
    kappas = cohen_kappa_per_code(first, second, CODES)
    for code in CODES:
        x = [code in row for row in first]
        y = [code in row for row in second]
        if len(set(x) | set(y)) < 2:
            assert math.isnan(kappas[code])          # p_e = 1: undefined, and no warning
        else:
            assert kappas[code] == pytest.approx(kappa_by_formula(x, y))


def test_kappa_of_a_published_example():
    # Cohen's kappa's usual worked example: 50 proposals, both say yes to 20, both no to 15,
    # A yes and B no 5, A no and B yes 10: p_o = 0.7, p_e = 0.5, kappa = 0.4.
    a = [["yes"]] * 20 + [["yes"]] * 5 + [[]] * 10 + [[]] * 15
    b = [["yes"]] * 20 + [[]] * 5 + [["yes"]] * 10 + [[]] * 15
    assert cohen_kappa_per_code(a, b)["yes"] == pytest.approx(0.4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=2, max_size=4),
                min_size=2, max_size=30))
def test_alpha_is_krippendorffs_definition(units):
    data = np.array([[np.nan if v is None else v for v in unit] + [np.nan] * (4 - len(unit))
                     for unit in units], dtype=float).T          # coders x units
    paired = [[v for v in unit if v is not None] for unit in units]
    paired = [values for values in paired if len(values) >= 2]
    if len({v for values in paired for v in values}) < 2:
        # nothing to expect: no unit coded twice, or one value throughout the units coded twice
        assert math.isnan(krippendorff_alpha(data))
        return
    assert krippendorff_alpha(data) == pytest.approx(alpha_by_pairs(units))


def test_alpha_of_krippendorffs_published_examples():
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", nominal, 4 coders x 12
    # units with missing values: alpha = 0.743.
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    ]
    assert krippendorff_alpha(data) == pytest.approx(0.743, abs=0.001)
    # the same data as text (values may be any label), and by the definition
    words = [[None if v is None else "abcde"[v - 1] for v in row] for row in data]
    assert krippendorff_alpha(words) == pytest.approx(krippendorff_alpha(data))
    assert krippendorff_alpha(data) == pytest.approx(alpha_by_pairs([list(u) for u in zip(*data)]))
    # Wikipedia's computational example ("Krippendorff's alpha"), 3 coders x 15 units, many
    # values missing: nominal alpha = 0.691.
    sparse = [[None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
              [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
              [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4]]
    assert krippendorff_alpha(sparse) == pytest.approx(0.691, abs=0.001)
    # Krippendorff (2011), binary data, two observers, no missing data: alpha = 0.095; the case
    # of one code between two coders
    assert krippendorff_alpha([[0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
                               [1, 1, 1, 0, 0, 1, 0, 0, 0, 0]]) == pytest.approx(0.095, abs=0.001)


def test_alpha_is_nan_when_there_is_no_disagreement_to_expect():
    assert math.isnan(krippendorff_alpha([[1, 1, 1], [1, 1, 1]]))          # one value
    assert math.isnan(krippendorff_alpha([[1, 1, None], [1, None, 2]]))    # 2 only in a unit coded once
    assert math.isnan(krippendorff_alpha([[1, None], [None, 2]]))          # no unit coded twice
    assert math.isnan(krippendorff_alpha(np.zeros((2, 0))))                 # no unit
    # units coded by one coder are left out: adding them changes nothing
    assert krippendorff_alpha([[1, 2, 1, 3], [1, 2, 2, None]]) == pytest.approx(
        krippendorff_alpha([[1, 2, 1], [1, 2, 2]]))
    with pytest.raises(ValueError, match="nominal"):
        krippendorff_alpha([[1, 2], [1, 2]], level="interval")


def test_alpha_per_code():
    alphas = krippendorff_alpha_per_code([["a"], ["a", "b"], []], [["a"], ["b"], []], codes=["a", "b"])
    assert list(alphas.index) == ["a", "b"]
    assert alphas["b"] == pytest.approx(1.0)                          # b: same decisions
    assert alphas["a"] == pytest.approx(alpha_by_pairs([[1, 1], [1, 0], [0, 0]]))


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_samples_f1_is_the_mean_of_each_comments_f1(data):
    true = data.draw(codings)
    pred = coding_of_the_same(data, true)
    assert samples_f1(true, pred) == pytest.approx(f1_by_sets(true, pred))
    f1, low, high = bootstrap_samples_f1(true, pred, n_boot=50)
    assert f1 == pytest.approx(f1_by_sets(true, pred)) and low <= high


def test_samples_f1_of_a_worked_example():
    # per comment: 1, 2/3, 2/3, 0 -> 7/12; an empty pair counts 1; one code alone is still a set
    true = [["a"], ["a", "b"], ["c"], ["b"]]
    pred = [["a"], ["b"], ["a", "c"], ["c"]]
    assert samples_f1(true, pred) == pytest.approx(7 / 12)
    assert samples_f1(true + [[]], pred + [[]]) == pytest.approx((7 / 12 * 4 + 1) / 5)
    assert samples_f1([[], []], [[], []]) == 1.0
    assert samples_f1([["a"], [], ["a"]], [["a"], [], []]) == pytest.approx(2 / 3)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.data())
def test_the_tuners_fast_samples_f1_is_scikit_learns(n_codes, n_comments, data):
    # the threshold tuner and the bootstrap use their own vectorised per-comment F1 (for speed):
    # its mean must be scikit-learn's samples-F1 with an empty pair counting 1
    cells = st.lists(st.booleans(), min_size=n_comments * n_codes, max_size=n_comments * n_codes)
    Y = np.array(data.draw(cells)).reshape(n_comments, n_codes)
    Z = np.array(data.draw(cells)).reshape(n_comments, n_codes)
    if n_codes > 1:
        expected = f1_score(Y, Z, average="samples", zero_division=1)
    else:  # one column is one binary label to scikit-learn: per comment, 1 when they agree
        expected = float(np.mean(Y[:, 0] == Z[:, 0]))
    assert _per_comment_f1(Y, Z).mean() == pytest.approx(expected)


def test_micro_and_macro_f1_and_the_per_code_table_from_the_counts():
    a = [["a"], ["a", "b"], ["b"], ["a"], [], ["c"]]
    b = [["a"], ["a"], ["b", "c"], [], ["b"], []]
    report = agreement_report(a, b, codes=["a", "b", "c", "d"], n_boot=20)
    # per code (tp, fp, fn): a (2, 0, 1), b (1, 1, 1), c (0, 1, 1), d (0, 0, 0)
    table = report["per_code"]
    assert table["coder_a"].tolist() == [3, 2, 1, 0] and table["coder_b"].tolist() == [2, 2, 1, 0]
    assert table["precision"].tolist() == pytest.approx([1, 0.5, 0, 0])        # 0 where 0/0
    assert table["recall"].tolist() == pytest.approx([2 / 3, 0.5, 0, 0])
    assert table["f1"].tolist() == pytest.approx([0.8, 0.5, 0, 0])
    assert report["micro_f1"] == pytest.approx(2 * 3 / (2 * 3 + 2 + 3))
    assert report["macro_f1"] == pytest.approx((0.8 + 0.5 + 0) / 3)          # d: nobody's code
    assert math.isnan(table.loc["d", "kappa"]) and math.isnan(table.loc["d", "alpha"])


def test_one_code_alone_gives_the_same_figures_as_among_others():
    a = [["x"], ["x"], [], [], ["x"]]
    b = [["x"], [], [], ["x"], ["x"]]
    alone = agreement_report(a, b, n_boot=20)
    among = agreement_report(a, b, codes=["x", "y"], n_boot=20)
    assert alone["per_code"].loc["x"].to_dict() == pytest.approx(among["per_code"].loc["x"].to_dict())
    assert alone["micro_f1"] == pytest.approx(2 * 2 / (2 * 2 + 1 + 1))
    assert alone["macro_f1"] == pytest.approx(among["macro_f1"]) == pytest.approx(2 / 3)
    assert alone["samples_f1"] == pytest.approx(3 / 5)


def test_no_code_at_all_gives_defined_figures():
    report = agreement_report([[], []], [[], []], n_boot=10)
    assert report["samples_f1"] == 1.0 and report["micro_f1"] == 0.0
    assert math.isnan(report["macro_f1"]) and math.isnan(report["alpha"])
    assert report["per_code"].empty


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
