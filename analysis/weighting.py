"""Weighting responses to population margins by raking (iterative proportional fitting).

People who answer a consultation are not a random sample of residents: some districts, ages and
sexes answer far more than others. Raking gives each valid response a weight so that the weighted
responses match the population on each margin (e.g. district, age band and sex, one at a time,
repeated until all match), and reports what the weighting costs in precision: Kish's effective
sample size ``(sum w)^2 / sum w^2`` and the design effect ``n / effective n``.

Margins come from a CSV with the columns ``variable,category,population``::

    variable,category,population
    district,north,145700
    district,south,102500
    age_band,18_24,...
    sex,female,...

Each variable's populations are turned into shares, so the variables need not sum to the same
total. Responses whose answer to a weighting variable is not one of its categories (blank,
"prefer not to say", outside the area) cannot be weighted and are left out of weighted figures;
how many is reported.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.load import ConsultationData, LoadError
from analysis.tally import level_counts, shares_from_counts


def read_margins(path: str | Path) -> dict[str, pd.Series]:
    """``{variable: Series(population share by category)}`` from a margins CSV."""
    path = Path(path)
    if not path.exists():
        raise LoadError(f"There is no population margins file at {path}. Give a CSV with the columns "
                        "variable,category,population.")
    try:
        frame = pd.read_csv(path, dtype={"variable": str, "category": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise LoadError(f"{path.name} could not be read as CSV ({error}).") from None
    missing = {"variable", "category", "population"} - set(frame.columns)
    if missing:
        raise LoadError(f"{path.name} needs the columns variable, category and population; it lacks "
                        f"{', '.join(sorted(missing))}.")
    population = pd.to_numeric(frame["population"], errors="coerce")
    if population.isna().any() or (population < 0).any():
        raise LoadError(f"{path.name}: every population must be a number of 0 or more.")
    frame = frame.assign(population=population)
    margins = {}
    for variable, part in frame.groupby("variable", sort=False):
        totals = part.groupby("category", sort=False)["population"].sum()
        margins[str(variable)] = totals / totals.sum()
    return margins


def rake(sample: pd.DataFrame, margins: dict[str, pd.Series], max_iter: int = 200,
         tol: float = 1e-10) -> np.ndarray:
    """Raking weights for the rows of ``sample`` (one column per margin variable).

    Every row must fall in a category of every margin, and every category must have at least
    one row. Returns weights with mean 1; raises :class:`LoadError` if the margins cannot be met.
    """
    n = len(sample)
    codes = {}
    for variable, shares in margins.items():
        cat = pd.Categorical(sample[variable].astype(str), categories=list(shares.index))
        if (cat.codes < 0).any():
            raise ValueError(f"rows outside the categories of {variable}")
        counts = np.bincount(cat.codes, minlength=len(shares))
        empty = [c for c, k in zip(shares.index, counts) if k == 0 and shares[c] > 0]
        if empty:
            raise LoadError(f"Cannot weight by {variable}: nobody answered {', '.join(empty)}. Merge that "
                            "category with another in the margins file, or leave the variable out.")
        codes[variable] = (cat.codes, shares.to_numpy(dtype=float))
    w = np.ones(n)
    for _ in range(max_iter):
        worst = 0.0
        for variable, (c, target) in codes.items():
            current = np.bincount(c, weights=w, minlength=len(target)) / w.sum()
            with np.errstate(divide="ignore", invalid="ignore"):
                factor = np.where(current > 0, target / current, 0.0)
            w = w * factor[c]
            worst = max(worst, float(np.max(np.abs(current - target))))
        if worst < tol:
            break
    else:
        raise LoadError("The weights did not settle: the margins may contradict each other. Check the "
                        "margins file.")
    return w / w.mean()


def kish_effective_n(weights) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2`` (NaN weights ignored)."""
    w = np.asarray(weights, dtype=float)
    w = w[~np.isnan(w)]
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else float("nan")


@dataclass
class WeightedResult:
    """Weighted support per theme.

    ``weights``: one per response (NaN where not weighted: not valid, or outside the margins);
    ``table``: as :func:`analysis.tally.support_table`, with weighted counts and shares and
    intervals from each theme's effective sample size (``n_effective``); ``n_weighted``,
    ``n_excluded`` (valid responses that could not be weighted), ``effective_n`` and
    ``design_effect`` over all weighted responses; ``achieved``: weighted vs target shares.
    """

    weights: np.ndarray
    table: pd.DataFrame
    n_weighted: int
    n_excluded: int
    effective_n: float
    design_effect: float
    achieved: pd.DataFrame


def weighted_support(data: ConsultationData, margins: dict[str, pd.Series]) -> WeightedResult:
    """Rake the valid responses to ``margins`` and return weighted support per theme."""
    responses = data.responses
    missing = [v for v in margins if v not in responses.columns]
    if missing:
        raise LoadError(f"The margins file weights by {', '.join(missing)}, which this consultation did not "
                        "ask. Use variables it asked, e.g. district, age_band, sex.")
    valid = (responses["status"] == "valid").to_numpy()
    inside = valid.copy()
    for variable, shares in margins.items():
        inside &= responses[variable].astype(str).isin(list(shares.index)).to_numpy()
    if inside.sum() == 0:
        raise LoadError("No valid response has an answer in every category of the margins file, so "
                        "nothing can be weighted.")
    w_inside = rake(responses.loc[inside, list(margins)], margins)
    weights = np.full(len(responses), np.nan)
    weights[inside] = w_inside
    counts = level_counts(data, "valid", weights)
    # each theme's effective n among the people who gave a view on it
    support = data.support
    rows = support["row"].to_numpy()
    view = support["level"].isin(data.scale.view_codes).to_numpy()
    w_rows = weights[rows]
    ok = view & ~np.isnan(w_rows)
    t = support["theme"].cat.codes.to_numpy()[ok]
    k = len(data.themes)
    sw = np.bincount(t, weights=w_rows[ok], minlength=k)
    sw2 = np.bincount(t, weights=w_rows[ok] ** 2, minlength=k)
    n_eff = pd.Series(np.where(sw2 > 0, sw**2 / np.where(sw2 > 0, sw2, 1), np.nan), index=counts.index)
    table = shares_from_counts(counts, data.scale, n_effective=n_eff)
    table.insert(0, "title", [data.theme_titles[x] for x in table.index])
    achieved_rows = []
    for variable, shares in margins.items():
        col = responses.loc[inside, variable].astype(str).to_numpy()
        unweighted = pd.Series(col).value_counts(normalize=True)
        weighted = pd.Series(w_inside).groupby(col).sum() / w_inside.sum()
        for category, target in shares.items():
            achieved_rows.append({"variable": variable, "category": category, "target": target,
                                  "unweighted": unweighted.get(category, 0.0),
                                  "weighted": weighted.get(category, 0.0)})
    eff = kish_effective_n(w_inside)
    return WeightedResult(weights=weights, table=table, n_weighted=int(inside.sum()),
                          n_excluded=int(valid.sum() - inside.sum()), effective_n=eff,
                          design_effect=float(inside.sum() / eff), achieved=pd.DataFrame(achieved_rows))
