"""Support per theme, intervals, breakdowns, suppression and ranking, checked against
independent calculations (textbook formulas written here, published worked values, scipy,
plain pandas) on real Polis votes and the demo. The intervals and Holm's adjustment come from
statsmodels in the library, so they are recomputed here without it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis import tally
from analysis.load import LEVELS, V1_SCALE, load

from analysis_helpers import POLIS_BOWLING_GREEN, POLIS_LONDON, polis_votes, write_polis_export

def wilson_by_formula(count, n, alpha: float = 0.05):
    """Wilson (1927): (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    count, n = np.asarray(count, dtype=float), np.asarray(n, dtype=float)
    z = stats.norm.ppf(1 - alpha / 2)
    p = count / n
    centre = p + z**2 / (2 * n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return (centre - half) / (1 + z**2 / n), (centre + half) / (1 + z**2 / n)


@pytest.mark.parametrize("count, n, low, high", [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_interval_gives_the_published_values(count, n, low, high):
    found = tally.wilson_interval(count, n)
    assert (round(float(found[0]), 4), round(float(found[1]), 4)) == (low, high)


def test_wilson_interval_on_real_agree_disagree_counts_is_the_textbook_formula():
    comments = pd.read_csv(POLIS_BOWLING_GREEN / "comments.csv")
    comments = comments[comments["agrees"] + comments["disagrees"] > 0]
    agrees = comments["agrees"].to_numpy()
    n = (comments["agrees"] + comments["disagrees"]).to_numpy()
    low, high = tally.wilson_interval(agrees, n)
    expected_low, expected_high = wilson_by_formula(agrees, n)
    np.testing.assert_allclose(low, np.clip(expected_low, 0, 1), atol=1e-12)
    np.testing.assert_allclose(high, np.clip(expected_high, 0, 1), atol=1e-12)


def test_wilson_interval_is_vectorised_and_blank_where_nobody_answered():
    low, high = tally.wilson_interval(np.array([[3, 0], [2, 5]]), np.array([[3, 0], [4.5, 0]]))
    assert low.shape == high.shape == (2, 2)
    assert np.isnan(low[0, 1]) and np.isnan(high[0, 1]) and np.isnan(low[1, 1])
    assert high[0, 0] == 1 and low[1, 0] == pytest.approx(wilson_by_formula(2, 4.5)[0])  # n may be fractional
    low, high = tally.wilson_interval(0, 0)
    assert np.isnan(low) and np.isnan(high)
    low, high = tally.wilson_interval(pd.Series([1, 2]), pd.Series([2, 4]), confidence=0.9)
    assert isinstance(low, np.ndarray)
    assert low[0] == pytest.approx(wilson_by_formula(1, 2, alpha=0.1)[0])


def test_support_shares_from_real_counts_leave_passes_out_of_the_base():
    comments = pd.read_csv(POLIS_LONDON / "comments.csv").set_index("comment-id")
    counts = pd.DataFrame(0, index=comments.index.astype(str), columns=LEVELS)
    counts["support"] = comments["agrees"].to_numpy()
    counts["oppose"] = comments["disagrees"].to_numpy()
    counts["dont_know"] = 7  # passes must not move the shares
    table = tally.shares_from_counts(counts, V1_SCALE)
    n = comments["agrees"] + comments["disagrees"]
    ok = (n > 0).to_numpy()
    np.testing.assert_allclose(table["support_share"][ok], (comments["agrees"] / n)[ok])
    low, high = wilson_by_formula(comments["agrees"][ok], n[ok])
    np.testing.assert_allclose(table["support_low"][ok], low, atol=1e-12)
    np.testing.assert_allclose(table["support_high"][ok], high, atol=1e-12)
    lo2, hi2 = wilson_by_formula(comments["disagrees"][ok], n[ok])
    np.testing.assert_allclose(table["oppose_low"][ok], lo2, atol=1e-12)
    np.testing.assert_allclose(table["net_support"][ok], ((comments["agrees"] - comments["disagrees"]) / n)[ok])


def test_support_table_from_a_real_vote_export_matches_counts_made_directly(tmp_path):
    data = load(write_polis_export(tmp_path / "polis.csv"))
    table = tally.support_table(data)
    votes = polis_votes()
    for s in [c for c in votes.columns if c.isdigit()]:
        agree, disagree = int((votes[s] == 1).sum()), int((votes[s] == -1).sum())
        passed, unseen = int((votes[s] == 0).sum()), int(votes[s].isna().sum())
        row = table.loc[f"s{s}"]
        assert (row["n_support"], row["n_oppose"], row["n_dont_know"], row["n_not_answered"]) == \
            (agree, disagree, passed, unseen)
        assert row["n_view"] == agree + disagree
        if agree + disagree:
            low, high = wilson_by_formula(agree, agree + disagree)
            assert row["support_share"] == pytest.approx(agree / (agree + disagree))
            assert (row["support_low"], row["support_high"]) == pytest.approx((low, high))


def test_only_valid_responses_are_counted_and_the_others_are_reported_separately(demo):
    valid = demo.responses["status"] == "valid"
    table = tally.support_table(demo)
    assert (table["responses"] == valid.sum()).all()
    wide = pd.DataFrame({"status": demo.responses["status"].astype(str)})
    for theme in demo.themes:
        levels = demo.support[demo.support["theme"] == theme].set_index("row")["level"]
        wide[theme] = levels.sort_index().astype(str).to_numpy()
    for theme in demo.themes:
        counted = wide.loc[wide["status"] == "valid", theme]
        assert table.loc[theme, "n_supporting"] == counted.isin(["support", "strongly_support"]).sum()
        assert table.loc[theme, "n_dont_know"] == (counted == "dont_know").sum()
        assert table.loc[theme, "n_view"] == counted.isin(V1_SCALE.view_codes).sum()
    summary = tally.status_summary(demo).set_index("status")
    assert summary["responses"].sum() == len(demo.responses)
    assert summary.loc["campaign", "responses"] == (demo.responses["status"] == "campaign").sum() > 0
    campaign = tally.support_table(demo, status="campaign")
    assert campaign.loc["robust_enforcement", "oppose_share"] == 1.0


def test_breakdown_chi_square_and_cramers_v_match_scipy(demo):
    result = tally.breakdown(demo, "respondent_type")
    valid = demo.responses["status"] == "valid"
    for theme in demo.themes:
        levels = demo.support[demo.support["theme"] == theme].set_index("row")["level"].sort_index().astype(str)
        frame = pd.DataFrame({"group": demo.responses["respondent_type"].astype(str), "level": levels.to_numpy()})
        frame = frame[valid.to_numpy() & frame["level"].isin(V1_SCALE.view_codes).to_numpy()]
        frame["view"] = frame["level"].map({"strongly_support": "s", "support": "s", "neither": "n",
                                            "oppose": "o", "strongly_oppose": "o"})
        table = pd.crosstab(frame["group"], frame["view"])
        table = table[(table.sum(axis=1) >= 10) & (table.index != "prefer_not_to_say")]
        chi2, p, dof, _ = stats.chi2_contingency(table.to_numpy(), correction=False)
        v = stats.contingency.association(table.to_numpy(), method="cramer")
        row = result.tests.set_index("theme").loc[theme]
        assert row["chi2"] == pytest.approx(chi2)
        assert row["p_value"] == pytest.approx(p)
        assert row["cramers_v"] == pytest.approx(v)
        assert row["dof"] == dof


def test_published_breakdown_never_shows_a_count_under_ten(demo):
    published = tally.breakdown(demo, "ethnicity").published()
    for col in ("people with a view", "support", "neither", "oppose"):
        shown = pd.to_numeric(published[col], errors="coerce").dropna()
        assert (shown >= 10).all()
    assert (published["support"] == "<10").any()


def _check_suppression(cells, hide):
    assert not ((cells < 10) & ~hide).any(), "a small cell is visible"
    parts = hide[:, :-1]
    for row in parts:  # a row with one hidden category could be worked out from its total
        assert row.sum() != 1 or hide.shape[1] == 2
    if cells.shape[0] > 1:
        for col in hide.T:  # a column with one hidden cell could be worked out from the overall figure
            assert col.sum() != 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 60), min_size=3, max_size=3), min_size=1, max_size=8))
def test_secondary_suppression_leaves_no_hidden_cell_recoverable(rows):
    parts = np.array(rows)
    cells = np.column_stack([parts, parts.sum(axis=1)])
    hide = tally.suppression_mask(cells)
    _check_suppression(cells, hide)


def test_suppression_example():
    cells = np.array([[50, 5, 40, 95], [30, 20, 25, 75], [60, 22, 30, 112]])
    hide = tally.suppression_mask(cells)
    assert hide[0, 1]  # primary
    assert hide[0].sum() >= 2  # the row's next smallest is hidden too
    assert hide[:, 1].sum() >= 2  # and another cell of the column


def test_ranking_figures_match_a_direct_calculation(demo):
    ranking = tally.ranking_table(demo, n_boot=300, seed=1)
    valid_rows = np.flatnonzero((demo.responses["status"] == "valid").to_numpy())
    ranks = demo.ranks[demo.ranks["row"].isin(valid_rows)]
    wide = ranks.pivot(index="row", columns="theme", values="rank")
    k = len(demo.themes)
    for theme in demo.themes:
        assert ranking.loc[theme, "mean_rank"] == pytest.approx(wide[theme].mean())
        assert ranking.loc[theme, "borda"] == pytest.approx((k - wide[theme]).mean())
        assert ranking.loc[theme, "first_share"] == pytest.approx((wide[theme] == 1).mean())
        assert ranking.loc[theme, "borda_low"] < ranking.loc[theme, "borda"] < ranking.loc[theme, "borda_high"]
    assert list(ranking.index) == list(ranking.sort_values("borda", ascending=False).index)


def test_ranking_bootstrap_is_seeded_and_agrees_with_resampling_people(demo):
    a = tally.ranking_table(demo, n_boot=400, seed=7)
    b = tally.ranking_table(demo, n_boot=400, seed=7)
    pd.testing.assert_frame_equal(a, b)
    valid_rows = np.flatnonzero((demo.responses["status"] == "valid").to_numpy())
    wide = demo.ranks[demo.ranks["row"].isin(valid_rows)].pivot(index="row", columns="theme", values="rank")
    rng = np.random.default_rng(3)
    values = wide.to_numpy()
    boots = np.array([(5 - values[rng.integers(0, len(values), len(values))]).mean(axis=0) for _ in range(400)])
    naive_low = np.quantile(boots, 0.025, axis=0)
    np.testing.assert_allclose(a.loc[list(wide.columns), "borda_low"], naive_low, atol=0.04)


def test_holm_adjusts_a_worked_example_and_leaves_untested_ones_out():
    # five tests (NaN is no test): sorted 0.001, 0.01, 0.03, 0.04, 0.2 times 5, 4, 3, 2, 1 is
    # 0.005, 0.04, 0.09, 0.08, 0.2, then never below the one before: 0.005, 0.04, 0.09, 0.09, 0.2
    p = np.array([0.01, 0.04, 0.03, 0.2, np.nan, 0.001])
    np.testing.assert_allclose(tally.holm(p), [0.04, 0.09, 0.09, 0.2, np.nan, 0.005])
    np.testing.assert_allclose(tally.holm([0.5, 0.6]), [1.0, 1.0])          # capped at 1
    assert len(tally.holm([])) == 0 and np.isnan(tally.holm([np.nan])).all()


def test_breakdown_by_unknown_field_says_which_exist(demo):
    from analysis.load import LoadError
    with pytest.raises(LoadError, match="district"):
        tally.breakdown(demo, "shoe_size")


def test_support_command_prints_the_table(capsys):
    from analysis.__main__ import main
    from analysis_helpers import DEMO
    assert main(["support", "--source", str(DEMO / "demo.csv"), "--by", "district", "--ranking"]) == 0
    out = capsys.readouterr().out
    assert "Supporting Victims and Witnesses" in out and "<10" in out and "Borda" in out


def test_per_level_counts_are_each_level_alone_and_add_up_to_the_people_with_a_view(demo):
    table = tally.support_table(demo)
    valid = (demo.responses["status"] == "valid").to_numpy()
    for theme in demo.themes:
        part = demo.support[demo.support["theme"] == theme]
        levels = part["level"].astype(str)[valid[part["row"].to_numpy()]]
        counted = levels.value_counts()
        for level in LEVELS:
            assert table.loc[theme, f"n_{level}"] == counted.get(level, 0), (theme, level)
        row = table.loc[theme]
        assert sum(row[f"n_{level}"] for level in V1_SCALE.view_codes) == row["n_view"]
        assert row["n_supporting"] == counted.get("strongly_support", 0) + counted.get("support", 0)
        assert row["n_opposing"] == counted.get("oppose", 0) + counted.get("strongly_oppose", 0)
    # the demo has both support levels, so a total written over n_support would show here
    assert (table["n_support"] < table["n_supporting"]).all()


def _net_coverage(ps: float, po: float, n: int, trials: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(n, [ps, po, 1 - ps - po], size=trials)
    low, high = tally.net_support_interval(draws[:, 0] / n, draws[:, 1] / n, np.full(trials, n))
    return float(((low <= ps - po) & (ps - po <= high)).mean())


@pytest.mark.parametrize("ps, po, n", [(0.55, 0.25, 40), (0.9, 0.05, 25), (0.3, 0.3, 200)])
def test_net_support_interval_covers_the_true_difference_about_95_times_in_100(ps, po, n):
    assert 0.93 <= _net_coverage(ps, po, n, trials=4000, seed=11) <= 0.975


def test_net_support_interval_is_never_a_point_when_everyone_agrees():
    low, high = tally.net_support_interval(np.array([1.0, 0.0, 0.5]), np.array([0.0, 1.0, 0.5]),
                                           np.array([3, 3, 0]))
    # 3 of 3 supporting: the support share's Wilson interval is 44%-100%, so net support cannot be
    # pinned at +100; the bound is 1 - sqrt((1 - 0.438)^2 + 0.562^2) = 0.205
    low_s, _ = tally.wilson_interval(3, 3)
    assert low[0] == pytest.approx(1 - np.sqrt(2 * (1 - low_s) ** 2)) and high[0] == 1
    assert low[1] == -1 and high[1] == pytest.approx(-low[0])
    assert np.isnan(low[2]) and np.isnan(high[2])
    table = tally.shares_from_counts(pd.DataFrame([[0, 3, 0, 0, 0, 1, 0]], columns=LEVELS, index=["t"]), V1_SCALE)
    assert table.loc["t", "net_support"] == 1 and 0.2 < table.loc["t", "net_low"] < 0.21


def _empty_export(tmp_path):
    from analysis_helpers import DEMO
    header = (DEMO / "demo.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "empty.csv").write_text(header + "\n", encoding="utf-8")
    (tmp_path / "empty.dictionary.csv").write_bytes((DEMO / "demo.dictionary.csv").read_bytes())
    return tmp_path / "empty.csv"


def test_support_command_on_an_export_with_no_responses_says_so_in_one_line(tmp_path, capsys):
    from analysis.__main__ import main
    assert main(["support", "--source", str(_empty_export(tmp_path)), "--by", "district", "--ranking"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().count("\n") == 0 and "has no responses yet" in captured.err


def test_support_command_with_no_valid_responses_says_none_is_counted(tmp_path, capsys):
    from analysis.__main__ import main
    from analysis_helpers import DEMO
    frame = pd.read_csv(DEMO / "demo.csv", dtype=str, keep_default_na=False).head(3)
    frame["status"] = "campaign"
    frame.to_csv(tmp_path / "all_campaign.csv", index=False)
    assert main(["support", "--source", str(tmp_path / "all_campaign.csv")]) == 2
    assert "None of the 3 responses" in capsys.readouterr().err


def test_support_command_without_a_dictionary_says_so_and_invents_no_titles(tmp_path, capsys):
    from analysis.__main__ import main
    from analysis_helpers import DEMO
    (tmp_path / "bare.csv").write_bytes((DEMO / "demo.csv").read_bytes())
    assert main(["support", "--source", str(tmp_path / "bare.csv")]) == 0
    out = capsys.readouterr().out
    assert "No data dictionary (bare.dictionary.csv) beside the CSV" in out
    assert "communities_first" in out and "Communities first" not in out
    assert out.splitlines()[0] == "police-and-crime-plan-2021"


def test_support_command_prints_no_nan_and_says_what_was_not_tested(tmp_path, capsys):
    import re
    from analysis.__main__ import main
    # every Polis participant is in one district: nothing to compare, so no test can run
    source = write_polis_export(tmp_path / "polis.csv")
    assert main(["support", "--source", str(source), "--by", "district", "--ranking"]) == 0
    out = capsys.readouterr().out
    assert not re.search(r"\bnan\b", out, re.IGNORECASE)
    assert "not tested" in out and "nobody whose response is counted ranked the themes" in out
