"""Support per theme, breakdowns, ranking and the counting rules behind every figure.

Counting rules (also printed in the report's methods note):

* Only responses whose ``status`` is ``valid`` are counted. ``duplicate``, ``campaign`` and
  ``invalid`` responses are counted separately (:func:`status_summary`, and
  :func:`support_table` with ``status=...``), never silently dropped.
* The levels are the scale the export declares (``data.scale``: each level's code, label and
  number, from the data dictionary; format 1 exports have the five support levels and "don't
  know"). A level with a positive number is supporting, a negative one opposing, 0 neither, and
  a level with no number (such as "don't know") gives no view.
* For each theme, no-view answers and unanswered questions are counted and shown, but are left
  out of the base of the support and oppose shares: the base (``n_view``) is the people who gave
  a view (an answer with a number).
* Support = the supporting levels; oppose = the opposing levels; net support = support share -
  oppose share (percentage points, -100 to 100 when multiplied by 100). ``n_<level>`` is always
  the count of that one level (``n_support`` is "support" only); the totals are
  ``n_supporting``, ``n_opposing``, ``n_neither`` (levels numbered 0) and ``n_no_view``.
* Intervals are Wilson score 95% intervals for a binomial proportion; the net support interval
  is the MOVER-Wilson interval for a difference of two proportions from the same multinomial
  sample (:func:`net_support_interval`), which stays inside -1 to 1 and never has zero width.
* Published counts under 10 are shown as ``<10`` (primary suppression), and further cells are
  hidden where a hidden one could be worked out from row or column totals (secondary
  suppression, :func:`suppression_mask`).
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from analysis.load import EQUALITY_FIELDS, NOT_ANSWERED, ConsultationData, LoadError, Scale, load

BREAKDOWN_FIELDS = ["respondent_type", "district", "channel"] + EQUALITY_FIELDS
MIN_CELL = 10
NOT_GIVEN = "not_given"
# groups that say nothing about who a person is are shown but left out of the chi-square test
UNINFORMATIVE_GROUPS = {NOT_GIVEN, "prefer_not_to_say", ""}
Z95 = stats.norm.ppf(0.975)


def wilson_interval(count, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for ``count`` successes out of ``n`` (arrays or scalars), from
    statsmodels' ``proportion_confint(method="wilson")``.

    Returns ``(low, high)`` as proportions between 0 and 1; NaN where ``n`` is 0.
    ``n`` may be fractional (an effective sample size after weighting).
    """
    count = np.asarray(count, dtype=float)
    n = np.asarray(n, dtype=float)
    counted = n > 0
    # n = 0 has no interval: give statsmodels 0 of 1 there (no division by 0), blanked after
    low, high = proportion_confint(np.where(counted, count, 0.0), np.where(counted, n, 1.0),
                                   alpha=1 - confidence, method="wilson")
    low = np.where(counted, np.clip(low, 0, 1), np.nan)
    high = np.where(counted, np.clip(high, 0, 1), np.nan)
    return low, high


def net_support_interval(support_share, oppose_share, n, confidence: float = 0.95
                         ) -> tuple[np.ndarray, np.ndarray]:
    """95% interval for net support (support share minus oppose share, -1 to 1) when both shares
    come from the same ``n`` people (MOVER, Zou and Donner 2008, from Wilson limits, with the
    correlation -sqrt(ps po / ((1-ps)(1-po))) of two answers of one multinomial question).

    Unlike the plain normal interval it never collapses to a point when everyone supports (3 of 3
    supporting gives about +21 to +100, not +100 to +100) and it stays inside -1 to 1.
    Returns ``(low, high)``; NaN where ``n`` is 0. ``n`` may be an effective sample size.
    Written here from statsmodels' Wilson limits: its intervals for a difference of two
    proportions (``confint_proportions_2indep``) are for two independent samples, which these
    two shares of one answer are not.
    """
    ps = np.asarray(support_share, dtype=float)
    po = np.asarray(oppose_share, dtype=float)
    n = np.asarray(n, dtype=float)
    ls, us = wilson_interval(ps * n, n, confidence)
    lo, uo = wilson_interval(po * n, n, confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = -np.sqrt(ps * po / ((1 - ps) * (1 - po)))
    r = np.where(np.isfinite(r), r, 0.0)
    d = ps - po
    low = d - np.sqrt(np.maximum((ps - ls) ** 2 + (uo - po) ** 2 - 2 * r * (ps - ls) * (uo - po), 0))
    high = d + np.sqrt(np.maximum((us - ps) ** 2 + (po - lo) ** 2 - 2 * r * (us - ps) * (po - lo), 0))
    low = np.where(n > 0, np.clip(low, -1, 1), np.nan)
    high = np.where(n > 0, np.clip(high, -1, 1), np.nan)
    return low, high


def _status_mask(data: ConsultationData, status: str | None) -> np.ndarray:
    statuses = data.responses["status"]
    if status is None:
        return np.ones(len(statuses), dtype=bool)
    return (statuses == status).to_numpy()


def level_counts(data: ConsultationData, status: str | None = "valid",
                 weights: np.ndarray | None = None) -> pd.DataFrame:
    """Counts (or weighted counts) of each level per theme: themes x ``data.levels`` (the
    scale's levels, then ``not_answered``)."""
    keep = _status_mask(data, status)
    support = data.support
    rows = support["row"].to_numpy()
    t_codes = support["theme"].cat.codes.to_numpy().astype(np.int64)
    l_codes = support["level"].cat.codes.to_numpy().astype(np.int64)
    selected = keep[rows]
    w = None
    if weights is not None:
        w_row = np.asarray(weights, dtype=float)[rows]
        selected = selected & ~np.isnan(w_row)
        w = w_row[selected]
    levels = data.levels
    n_t, n_l = len(data.themes), len(levels)
    flat = np.bincount(t_codes[selected] * n_l + l_codes[selected], weights=w, minlength=n_t * n_l)
    return pd.DataFrame(flat.reshape(n_t, n_l), index=pd.Index(data.themes, name="theme"), columns=levels)


def shares_from_counts(counts: pd.DataFrame, scale: Scale, n_effective: pd.Series | None = None) -> pd.DataFrame:
    """Support table from a themes x levels count frame of ``scale``'s levels (see
    :func:`support_table` for columns)."""
    out = pd.DataFrame(index=counts.index)
    out["responses"] = counts.sum(axis=1)
    for level in scale.codes:
        out[f"n_{level}"] = counts[level]
    out["n_view"] = counts[scale.view_codes].sum(axis=1)
    # totals under their own names: n_support and n_oppose stay the single levels
    out["n_supporting"] = counts[scale.supporting].sum(axis=1)
    out["n_opposing"] = counts[scale.opposing].sum(axis=1)
    out["n_neither"] = counts[scale.neutral].sum(axis=1)
    out["n_no_view"] = counts[scale.no_view].sum(axis=1)
    base = out["n_view"].replace(0, np.nan)
    for level in scale.view_codes:
        out[f"share_{level}"] = counts[level] / base
    out["share_neither"] = out["n_neither"] / base
    n_int = out["n_view"] if n_effective is None else n_effective
    for side, column in (("support", "n_supporting"), ("oppose", "n_opposing")):
        share = out[column] / base
        out[f"{side}_share"] = share
        low, high = wilson_interval(share * n_int, n_int)
        out[f"{side}_low"], out[f"{side}_high"] = low, high
    ps, po = out["support_share"], out["oppose_share"]
    out["net_support"] = ps - po
    out["net_low"], out["net_high"] = net_support_interval(ps, po, n_int)
    if n_effective is not None:
        out["n_effective"] = n_effective
    return out


def support_table(data: ConsultationData, status: str | None = "valid") -> pd.DataFrame:
    """Support per theme, one row per theme in the definition's order.

    Columns: ``title``; ``responses`` (responses counted); ``n_<level>`` for every level of
    ``data.levels`` (the scale's, including no-view levels such as ``dont_know``, and
    ``not_answered``); ``n_view`` (the base: people who gave a view); ``n_supporting`` (levels
    with a positive number), ``n_opposing`` (negative), ``n_neither`` (0) and ``n_no_view``
    (levels with no number); ``share_<level>`` for the levels with a number, and
    ``share_neither``;
    ``support_share``, ``support_low``, ``support_high``, ``oppose_share``, ``oppose_low``,
    ``oppose_high`` (proportions 0-1, Wilson 95%); ``net_support``, ``net_low``, ``net_high``
    (support share minus oppose share, -1 to 1, :func:`net_support_interval`).
    ``status`` picks which responses are counted (``valid`` by the counting rule).
    """
    table = shares_from_counts(level_counts(data, status), data.scale)
    table.insert(0, "title", [data.theme_titles[t] for t in table.index])
    table.attrs["scale"] = data.scale
    return table


def status_summary(data: ConsultationData) -> pd.DataFrame:
    """Responses by moderation status: ``status``, ``responses``, ``share`` and a label saying
    whether they are counted. Every status is listed, with 0 where there are none."""
    counts = data.responses["status"].value_counts().reindex(
        list(data.responses["status"].cat.categories), fill_value=0)
    out = counts.rename("responses").rename_axis("status").reset_index()
    total = out["responses"].sum()
    out["share"] = out["responses"] / total if total else np.nan
    out["counted"] = np.where(out["status"] == "valid", "counted", "reported separately")
    return out


def require_counted(data: ConsultationData, doing: str = "report on") -> int:
    """Raise :class:`LoadError` (one line for the command line) when ``data`` holds no response
    to count: none at all, or none valid. Returns how many responses are counted."""
    from analysis.wording import counted

    name = data.consultation.get("title") or data.consultation.get("slug") or Path(data.source).name
    total = len(data.responses)
    if total == 0:
        raise LoadError(f"{name} has no responses yet, so there is nothing to {doing}.")
    valid = int((data.responses["status"] == "valid").sum())
    if valid == 0:
        raise LoadError(f"None of the {counted(total, 'response')} to {name} is counted (each is marked "
                        f"duplicate, campaign or invalid), so there is nothing to {doing}.")
    return valid


# ---------------------------------------------------------------------------------------------
# suppression


def suppression_mask(cells: np.ndarray, min_cell: int = MIN_CELL, total_col: int | None = -1) -> np.ndarray:
    """Which cells of a groups x categories count table to hide.

    ``cells`` is a 2-D array whose last column (``total_col``) is each row's total, which is
    published, as are the column totals (the overall figures). Primary: every cell under
    ``min_cell``. Secondary, repeated until nothing changes: a row with exactly one hidden
    category cell hides its next smallest category cell (else the total gives it away); a column
    with exactly one hidden cell hides its next smallest cell in that column (else the overall
    figure gives it away); a row whose total is hidden hides all its cells.
    """
    cells = np.asarray(cells, dtype=float)
    hide = cells < min_cell
    n_rows, n_cols = cells.shape
    tc = total_col % n_cols if total_col is not None else None
    parts = [j for j in range(n_cols) if j != tc]
    changed = True
    while changed:
        changed = False
        if tc is not None:
            for i in range(n_rows):
                if hide[i, tc] and not hide[i].all():
                    hide[i] = True
                    changed = True
                hidden_parts = [j for j in parts if hide[i, j]]
                if len(hidden_parts) == 1:
                    candidates = [j for j in parts if not hide[i, j]]
                    if candidates:
                        j = min(candidates, key=lambda k: (cells[i, k], k))
                        hide[i, j] = True
                        changed = True
        if n_rows > 1:
            for j in range(n_cols):
                if hide[:, j].sum() == 1:
                    candidates = [i for i in range(n_rows) if not hide[i, j]]
                    i = min(candidates, key=lambda k: (cells[k, j], k))
                    hide[i, j] = True
                    changed = True
    return hide


def hidden_counts(cells, total_col: int | None = None, min_cell: int = MIN_CELL) -> np.ndarray:
    """Which counts of a published table or chart to hide: :func:`suppression_mask` with zeros
    published (a zero describes nobody), though a zero may still be hidden to protect another
    count. ``cells`` is 1-D (parts of a published total, e.g. channels or districts) or 2-D
    with ``total_col`` holding each row's total (e.g. days x channels)."""
    cells = np.asarray(cells, dtype=float)
    flat = cells.ndim == 1
    grid = cells.reshape(-1, 1) if flat else cells
    if grid.size == 0:
        return np.zeros(cells.shape, dtype=bool)
    hide = suppression_mask(np.where(grid == 0, min_cell, grid), min_cell, None if flat else total_col)
    return hide[:, 0] if flat else hide


def hidden_parts(counts, min_cell: int = MIN_CELL) -> np.ndarray:
    """Which of a list of counts whose total is published to hide (a channel list, the districts
    of a chart): every count from 1 to ``min_cell`` - 1, and when only one would be hidden, the
    next smallest too, so that the total cannot give the small one away."""
    return hidden_counts(np.asarray(counts, dtype=float).ravel(), None, min_cell)


def published_count(n, hidden: bool = False, min_cell: int = MIN_CELL) -> str:
    """A count as it may be published: ``<10`` under ``min_cell``, ``–`` when hidden so that a
    small count cannot be worked out, else the number with thousands separators."""
    if n is None or pd.isna(n):
        return "–"
    if n < min_cell:
        return f"<{min_cell}"
    return "–" if hidden else f"{int(round(n)):,}"


# ---------------------------------------------------------------------------------------------
# breakdowns


@dataclass
class Breakdown:
    """Support per theme by the groups of one field.

    ``table``: one row per theme and group with ``theme``, ``group`` (the code, ``not_given``
    when blank), ``label``, ``n_view``, ``n_supporting`` (the scale's supporting levels),
    ``n_neither``, ``n_opposing`` (its opposing levels), ``n_no_view`` (levels with no number,
    such as don't know), ``n_not_answered``, ``support_share`` / ``low`` / ``high``, ``oppose_share``, ``net_support``
    and ``hidden_view`` / ``hidden_supporting`` / ``hidden_neither`` / ``hidden_opposing`` (True where
    the published table shows ``<10``).
    ``tests``: one row per theme: ``chi2``, ``dof``, ``p_value``, ``cramers_v``, ``n`` (people
    in the tested groups), ``groups`` (how many groups were tested).
    """

    field: str
    table: pd.DataFrame
    tests: pd.DataFrame

    def published(self) -> pd.DataFrame:
        """The table as it may be published: counts under 10 and cells that would give them away
        shown as ``<10`` (or ``-`` for secondary suppression), shares hidden with their counts."""
        t = self.table
        out = pd.DataFrame({"theme": t["theme"], "group": t["label"]})
        for name, col in (("people with a view", "n_view"), ("support", "n_supporting"),
                          ("neither", "n_neither"), ("oppose", "n_opposing")):
            hidden = t[f"hidden_{col[2:]}"]
            primary = t[col] < MIN_CELL
            out[name] = np.where(hidden, np.where(primary, "<10", "-"), t[col].astype(int).astype(str))
        share_hidden = t["hidden_supporting"] | t["hidden_view"]
        out["support %"] = np.where(share_hidden, "-", (100 * t["support_share"]).round(0).map("{:.0f}".format))
        out["95% interval"] = np.where(
            share_hidden, "-",
            (100 * t["support_low"]).round(0).map("{:.0f}".format) + "-" +
            (100 * t["support_high"]).round(0).map("{:.0f}".format))
        oppose_hidden = t["hidden_opposing"] | t["hidden_view"]
        out["oppose %"] = np.where(oppose_hidden, "-", (100 * t["oppose_share"]).round(0).map("{:.0f}".format))
        return out


def _selected_support(data: ConsultationData, status: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Rows of the counted responses in ``data.support`` and their ``theme * n_levels + level``
    codes, computed once per frame and status (breakdowns by many fields reuse them)."""
    cache = data.cache
    key = (id(data.support), len(data.support), id(data.responses), status)
    if key not in cache:
        keep = _status_mask(data, status)
        rows = data.support["row"].to_numpy()
        sel = keep[rows]
        t = data.support["theme"].cat.codes.to_numpy()[sel].astype(np.int64)
        lv = data.support["level"].cat.codes.to_numpy()[sel].astype(np.int64)
        cache.clear()
        cache[key] = (rows[sel], t * len(data.levels) + lv)
    rows_sel, tl = cache[key]
    return rows_sel, tl


def breakdown(data: ConsultationData, field: str, status: str = "valid",
              min_cell: int = MIN_CELL) -> Breakdown:
    """Support per theme by the groups of ``field`` (a coded column of ``responses``), with a
    chi-square test of independence (support / neither / oppose by group) and Cramér's V per
    theme. Groups with fewer than ``min_cell`` people with a view, and blank or "prefer not to
    say" groups, are left out of the test."""
    if field not in data.responses.columns:
        raise LoadError(f"There is no question '{field}' in this consultation to break the figures "
                        f"down by. Fields available: {', '.join(available_breakdowns(data))}.")
    groups = data.responses[field]
    if not isinstance(groups.dtype, pd.CategoricalDtype):
        groups = groups.astype("category")
    categories = [NOT_GIVEN if c == "" else str(c) for c in groups.cat.categories]
    g_codes_resp = groups.cat.codes.to_numpy().astype(np.int64)
    if (g_codes_resp < 0).any():  # missing values -> an explicit "not given" group
        categories.append(NOT_GIVEN)
        g_codes_resp = np.where(g_codes_resp < 0, len(categories) - 1, g_codes_resp)
    rows_sel, theme_level = _selected_support(data, status)
    levels = data.levels
    n_t, n_g, n_l = len(data.themes), len(categories), len(levels)
    # theme_level = theme * n_l + level, so this counts (theme, level, group) cells
    key = theme_level * n_g + g_codes_resp[rows_sel]
    cube = np.bincount(key, minlength=n_t * n_g * n_l).reshape(n_t, n_l, n_g).transpose(0, 2, 1)
    labels = data.labels(field)
    frames, tests = [], []
    idx = {level: i for i, level in enumerate(levels)}
    scale = data.scale

    def total(c: np.ndarray, codes: list[str]) -> np.ndarray:
        return c[:, [idx[code] for code in codes]].sum(axis=1) if codes else np.zeros(len(c), dtype=c.dtype)

    for ti, theme in enumerate(data.themes):
        c = cube[ti]
        present = c.sum(axis=1) > 0  # groups nobody in the counted responses belongs to are dropped
        sup, opp, nei = total(c, scale.supporting), total(c, scale.opposing), total(c, scale.neutral)
        view = sup + nei + opp
        frame = pd.DataFrame({
            "theme": theme, "group": categories,
            "label": [labels.get(g) or ("Not given" if g == NOT_GIVEN else g.replace("_", " ").capitalize())
                      for g in categories],
            "n_view": view, "n_supporting": sup, "n_neither": nei, "n_opposing": opp,
            "n_no_view": total(c, scale.no_view), "n_not_answered": c[:, idx[NOT_ANSWERED]],
        })[present].reset_index(drop=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["support_share"] = frame["n_supporting"] / frame["n_view"].replace(0, np.nan)
            frame["oppose_share"] = frame["n_opposing"] / frame["n_view"].replace(0, np.nan)
        frame["support_low"], frame["support_high"] = wilson_interval(frame["n_supporting"], frame["n_view"])
        frame["net_support"] = frame["support_share"] - frame["oppose_share"]
        cells = frame[["n_supporting", "n_neither", "n_opposing", "n_view"]].to_numpy()
        hide = suppression_mask(cells, min_cell) if len(frame) else np.zeros((0, 4), bool)
        for j, name in enumerate(("supporting", "neither", "opposing", "view")):
            frame[f"hidden_{name}"] = hide[:, j] if len(frame) else []
        frames.append(frame)
        tested = frame[(frame["n_view"] >= min_cell) & ~frame["group"].isin(UNINFORMATIVE_GROUPS)]
        table = tested[["n_supporting", "n_neither", "n_opposing"]].to_numpy()
        table = table[:, table.sum(axis=0) > 0]
        if table.shape[0] >= 2 and table.shape[1] >= 2:
            chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
            n = table.sum()
            v = np.sqrt(chi2 / (n * (min(table.shape) - 1)))
        else:
            chi2, p, dof, n, v = np.nan, np.nan, 0, int(table.sum()), np.nan
        tests.append({"theme": theme, "chi2": chi2, "dof": int(dof), "p_value": p, "cramers_v": v,
                      "n": int(n), "groups": int(table.shape[0])})
    return Breakdown(field, pd.concat(frames, ignore_index=True), pd.DataFrame(tests))


def available_breakdowns(data: ConsultationData) -> list[str]:
    return [f for f in BREAKDOWN_FIELDS if f in data.responses.columns]


def holm(p_values) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (statsmodels' ``multipletests``; NaN stays NaN and is
    not counted as a test), for the many tests in a report."""
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method="holm")[1]
    return out


def effect_size_words(v: float) -> str:
    """Cohen's conventions for Cramér's V with df* = 1: small 0.1, medium 0.3, large 0.5."""
    if np.isnan(v):
        return "not tested"
    if v < 0.1:
        return "negligible"
    if v < 0.3:
        return "small"
    if v < 0.5:
        return "medium"
    return "large"


# ---------------------------------------------------------------------------------------------
# ranking


def ranking_table(data: ConsultationData, status: str = "valid", n_boot: int = 2000,
                  seed: int = 2021, confidence: float = 0.95) -> pd.DataFrame:
    """How the themes were ranked, one row per theme ordered by Borda score.

    Columns: ``title``; ``n`` (people who ranked the theme); ``mean_rank`` (1 = most
    important); ``borda`` (mean Borda points per person who ranked: a theme ranked r-th of k
    gets k - r points, so 0 to k-1); ``first_share`` (share of people who ranked that put the
    theme first); and ``*_low`` / ``*_high`` percentile bootstrap intervals for each, resampling
    people (``n_boot`` resamples, seeded by ``seed``, so the same data give the same intervals).

    The bootstrap is exact and fast however many people ranked: people with the same ranking
    are pooled, and a resample is a multinomial draw of how many of each ranking it holds.
    """
    keep = _status_mask(data, status)
    ranks = data.ranks
    themes = data.themes
    k = len(themes)
    all_rows = ranks["row"].to_numpy().astype(np.int64)  # float when the source has no ranking at all
    sel = keep[all_rows]
    rows = all_rows[sel]
    t_codes = ranks["theme"].cat.codes.to_numpy()[sel].astype(np.int64)
    values = ranks["rank"].to_numpy()[sel].astype(np.int64)
    if len(rows) == 0:
        return pd.DataFrame(columns=["title", "n", "mean_rank", "borda", "first_share"])
    # one integer per person: their ranks in base k+1 (0 = theme not ranked); exact in float64
    n_rows = len(data.responses)
    ranked_any = np.bincount(rows, minlength=n_rows) > 0
    key = np.bincount(rows, weights=(values * (k + 1) ** t_codes).astype(float), minlength=n_rows)
    key = key[ranked_any].astype(np.int64)
    patterns, counts = np.unique(key, return_counts=True)
    matrix = (patterns[:, None] // (k + 1) ** np.arange(k)[None, :]) % (k + 1)  # patterns x themes
    ranked = (matrix > 0).astype(float)
    points = np.where(matrix > 0, k - matrix, 0).astype(float)
    first = (matrix == 1).astype(float)
    rank_sum = matrix.astype(float)

    def statistics(c: np.ndarray) -> dict[str, np.ndarray]:
        c = np.atleast_2d(c).astype(float)
        n_ranked = c @ ranked
        n_people = c.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"n": n_ranked, "mean_rank": (c @ rank_sum) / n_ranked,
                    "borda": (c @ points) / n_ranked, "first_share": (c @ first) / n_people}

    point = {name: v[0] for name, v in statistics(counts).items()}
    rng = np.random.default_rng(seed)
    total = int(counts.sum())
    draws = rng.multinomial(total, counts / total, size=n_boot)
    boot = statistics(draws)
    alpha = (1 - confidence) / 2
    out = pd.DataFrame({"theme": themes, "title": [data.theme_titles[t] for t in themes],
                        "n": point["n"].astype(int)})
    for name in ("mean_rank", "borda", "first_share"):
        out[name] = point[name]
        out[f"{name}_low"] = np.nanquantile(boot[name], alpha, axis=0)
        out[f"{name}_high"] = np.nanquantile(boot[name], 1 - alpha, axis=0)
    out["people"] = total
    out = out.sort_values(["borda", "theme"], ascending=[False, True]).set_index("theme")
    return out


# ---------------------------------------------------------------------------------------------
# command line


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True,
                        help="an export file (.csv, .json, .xlsx) or a database URL")
    parser.add_argument("--consultation", help="the consultation's slug (needed for a database with several)")
    parser.add_argument("--by", action="append", default=[], metavar="FIELD",
                        help="break support down by this field (repeatable), e.g. district, "
                             "respondent_type, channel, age_band")
    parser.add_argument("--weights", help="population margins CSV (variable,category,population) to rake to")
    parser.add_argument("--ranking", action="store_true", help="also print how the themes were ranked")


def _pct(x: float) -> str:
    return "-" if pd.isna(x) else f"{100 * x:.0f}%"


def _num(x: float, digits: int = 2) -> str:
    return "-" if pd.isna(x) else f"{x:.{digits}f}"


def _text_table(header: list[str], rows: list[list[str]], left: int = 1) -> list[str]:
    """Rows of text padded into columns: the first ``left`` columns left-aligned, numbers right."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
    def line(cells: list[str]) -> str:
        return "  ".join(str(c).ljust(w) if i < left else str(c).rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    return [line(header)] + [line(r) for r in rows]


def _tests_lines(data: ConsultationData, tests: pd.DataFrame) -> list[str]:
    rows = []
    for r in tests.itertuples():
        tested = not pd.isna(r.p_value)
        rows.append([data.theme_titles[r.theme][:40], str(r.groups), f"{r.n:,}",
                     f"{r.chi2:.1f} ({r.dof})" if tested else "not tested",
                     ("<0.001" if r.p_value < 0.001 else f"{r.p_value:.3f}") if tested else "-",
                     _num(r.cramers_v), effect_size_words(r.cramers_v)])
    return _text_table(["theme", "groups tested", "people", "chi-square (df)", "p", "Cramer's V", "difference"],
                       rows)


def cli_main(args: argparse.Namespace) -> int:
    from analysis.wording import counted

    try:
        data = load(args.source, args.consultation)
        require_counted(data, "count")
        table = support_table(data)
        name = data.consultation.get("title") or data.consultation.get("slug")
        lines = [str(name), "Support per theme (valid responses only; the base is the people who gave a view)"]
        lines += [f"Note: {note}" for note in data.notes]
        rows = [[row.title[:40], f"{int(row.n_view):,}", _pct(row.support_share),
                 f"{_pct(row.support_low)}-{_pct(row.support_high)}" if row.n_view else "-",
                 _pct(row.oppose_share), "-" if pd.isna(row.net_support) else f"{100 * row.net_support:+.0f}",
                 f"{int(row.n_no_view):,}", f"{int(row.n_not_answered):,}"]
                for _, row in table.iterrows()]
        no_view = " / ".join(data.level_label(c) for c in data.scale.no_view).lower() or "no view"
        lines += [""] + _text_table(["theme", "with a view", "support", "95% interval", "oppose", "net",
                                     no_view, "not answered"], rows)
        summary = status_summary(data)
        lines += ["", "Responses by status: " + ", ".join(
            f"{r.status} {r.responses:,}" for r in summary.itertuples()) + " (only valid are counted)"]
        if args.weights:
            from analysis import weighting
            result = weighting.weighted_support(data, weighting.read_margins(args.weights))
            lines += ["", f"Weighted to {args.weights}: Kish effective sample size "
                          f"{result.effective_n:,.0f} of {counted(result.n_weighted, 'response')}, "
                          f"design effect {result.design_effect:.2f}"]
            for theme, row in result.table.iterrows():
                lines.append(f"  {data.theme_titles[theme][:34]:<35} support {_pct(row.support_share)} "
                             f"({_pct(row.support_low)}-{_pct(row.support_high)})")
        for field in args.by:
            result = breakdown(data, field)
            lines += ["", f"By {field} (counts under {MIN_CELL} shown as <{MIN_CELL}; '-' hides a figure that "
                          "would give one away):"]
            published = result.published()
            published["theme"] = published["theme"].map(data.theme_titles).str[:40]
            lines += _text_table(list(published.columns), published.astype(str).to_numpy().tolist(), left=2)
            lines += ["", f"Do the groups differ? Chi-square test by {field}:"] + _tests_lines(data, result.tests)
        if args.ranking:
            ranking = ranking_table(data)
            if len(ranking):
                people = int(ranking["people"].iloc[0])
                lines += ["", f"Ranking by {counted(people, 'person')} (Borda: k - rank points, mean per person "
                              "who ranked; 95% bootstrap intervals):"]
                lines += _text_table(["theme", "ranked by", "mean rank", "Borda", "95% interval", "ranked first"], [
                    [r.title[:40], f"{r.n:,}", _num(r.mean_rank), _num(r.borda),
                     f"{_num(r.borda_low)}-{_num(r.borda_high)}", _pct(r.first_share)]
                    for r in ranking.itertuples()])
            else:
                lines += ["", "Ranking: nobody whose response is counted ranked the themes."]
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
