"""Raking weights, checked against an independent iterative proportional fitting on the full
contingency table, and Kish's effective sample size against its definition."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import DEMO

from analysis import tally, weighting
from analysis.load import LoadError


def ipf_on_cells(sample: pd.DataFrame, margins: dict[str, pd.Series], sweeps: int = 500) -> np.ndarray:
    """Textbook IPF: fit a table of cell totals (one cell per combination of categories) to the
    margins, then give each person their cell's total divided by the cell's count."""
    variables = list(margins)
    cells = sample.groupby(variables, observed=True).size().rename("count").reset_index()
    cells["fitted"] = cells["count"].astype(float)
    total = len(sample)
    for _ in range(sweeps):
        for v in variables:
            current = cells.groupby(v)["fitted"].transform("sum")
            target = cells[v].map(margins[v] * total)
            cells["fitted"] *= target / current
    cells["weight"] = cells["fitted"] / cells["count"]
    merged = sample.merge(cells[variables + ["weight"]], on=variables, how="left")
    w = merged["weight"].to_numpy()
    return w / w.mean()


def test_raking_matches_an_independent_ipf_on_the_demo(demo):
    margins = weighting.read_margins(DEMO / "margins.csv")
    result = weighting.weighted_support(demo, margins)
    inside = ~np.isnan(result.weights)
    sample = demo.responses.loc[inside, list(margins)].astype(str).reset_index(drop=True)
    expected = ipf_on_cells(sample, margins)
    np.testing.assert_allclose(result.weights[inside], expected, rtol=1e-6)
    achieved = result.achieved
    np.testing.assert_allclose(achieved["weighted"], achieved["target"], atol=1e-8)
    # everyone weighted is valid and inside every margin; the rest are counted as excluded
    valid = (demo.responses["status"] == "valid").to_numpy()
    assert not inside[~valid].any()
    assert result.n_weighted + result.n_excluded == valid.sum()


def test_weighted_shares_and_effective_sample_size(demo):
    margins = weighting.read_margins(DEMO / "margins.csv")
    result = weighting.weighted_support(demo, margins)
    w = result.weights
    assert result.effective_n == pytest.approx(np.nansum(w) ** 2 / np.nansum(w ** 2))
    assert result.design_effect == pytest.approx(result.n_weighted / result.effective_n)
    assert 1 < result.design_effect < 3
    theme = "robust_enforcement"
    levels = demo.support[demo.support["theme"] == theme].set_index("row")["level"].sort_index().astype(str)
    ok = ~np.isnan(w) & levels.isin(demo.scale.view_codes).to_numpy()
    supports = levels.isin(["support", "strongly_support"]).to_numpy()
    share = (w[ok] * supports[ok]).sum() / w[ok].sum()
    assert result.table.loc[theme, "support_share"] == pytest.approx(share)
    n_eff = w[ok].sum() ** 2 / (w[ok] ** 2).sum()
    assert result.table.loc[theme, "n_effective"] == pytest.approx(n_eff)
    low, high = tally.wilson_interval(share * n_eff, n_eff)
    assert result.table.loc[theme, "support_low"] == pytest.approx(float(low))


def test_raking_a_known_two_by_two():
    # 30 women and 70 men; population is half and half: women weigh 50/30, men 50/70 (before
    # normalising to mean 1)
    sample = pd.DataFrame({"sex": ["female"] * 30 + ["male"] * 70})
    w = weighting.rake(sample, {"sex": pd.Series({"female": 0.5, "male": 0.5})})
    assert w[0] / w[-1] == pytest.approx((50 / 30) / (50 / 70))
    assert w.mean() == pytest.approx(1)


def test_a_margin_category_nobody_answered_is_explained():
    sample = pd.DataFrame({"sex": ["female"] * 5})
    with pytest.raises(LoadError, match="nobody answered male"):
        weighting.rake(sample, {"sex": pd.Series({"female": 0.5, "male": 0.5})})


def test_a_margins_file_with_a_question_the_consultation_did_not_ask(demo, tmp_path):
    (tmp_path / "m.csv").write_text("variable,category,population\nshoe_size,9,10\n", encoding="utf-8")
    with pytest.raises(LoadError, match="shoe_size"):
        weighting.weighted_support(demo, weighting.read_margins(tmp_path / "m.csv"))
    (tmp_path / "bad.csv").write_text("district,population\ncambridge,1\n", encoding="utf-8")
    with pytest.raises(LoadError, match="variable, category and population"):
        weighting.read_margins(tmp_path / "bad.csv")
