"""Charts of the evidence, drawn with matplotlib (Agg backend, nothing is ever shown).

Every function returns a :class:`matplotlib.figure.Figure` whose ``alt_text`` attribute is a
plain-English description of what the chart shows, figures included, for screen readers and for
the report's ``alt`` attributes. :func:`save` writes a figure as PNG and SVG.

Colours: support levels use a purple-orange diverging scheme (ColorBrewer PuOr, safe for the
common kinds of colour blindness) with a grey middle; other categories use the Okabe-Ito palette.
Charts never rely on colour alone: bars are labelled and ordered.
"""
from __future__ import annotations

import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from analysis.load import CENSUS_2021_POPULATION, LEVEL_LABELS, ConsultationData  # noqa: E402

LEVEL_COLOURS = {
    "strongly_oppose": "#e66101", "oppose": "#fdb863", "neither": "#d4d4d4",
    "support": "#b2abd2", "strongly_support": "#5e3c99",
}
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
INK = "#0b0c0c"
FONT = {"font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 10, "svg.hashsalt": "consult",
        "axes.spines.top": False, "axes.spines.right": False, "text.color": INK, "axes.labelcolor": INK,
        "xtick.color": INK, "ytick.color": INK}


def _figure(width: float, height: float, layout: str | None = None) -> Figure:
    with plt.rc_context(FONT):
        fig = Figure(figsize=(width, height), dpi=100, layout=layout)
    return fig


def _pct(x: float) -> str:
    return "not shown" if pd.isna(x) else f"{100 * x:.0f}%"


def _wrap(text: str, width: int = 28) -> str:
    import textwrap
    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def support_chart(table: pd.DataFrame, title: str = "Support for each theme") -> Figure:
    """Diverging stacked bars: per theme, the share of people with a view at each level.

    ``table`` is :func:`analysis.tally.support_table`. Oppose levels extend left of zero,
    support levels right, "neither" straddles zero; "don't know" and blanks are outside the base
    and listed beside each bar with the base."""
    with plt.rc_context(FONT):
        fig = _figure(8.5, 0.75 * len(table) + 1.8)
        ax = fig.add_subplot()
        themes = list(table.index)[::-1]
        y = np.arange(len(themes))
        for i, theme in enumerate(themes):
            row = table.loc[theme]
            left = -(row["share_strongly_oppose"] + row["share_oppose"] + row["share_neither"] / 2)
            for level in ["strongly_oppose", "oppose", "neither", "support", "strongly_support"]:
                width = row[f"share_{level}"]
                ax.barh(i, width, left=left, color=LEVEL_COLOURS[level], edgecolor="white", linewidth=0.6,
                        label=LEVEL_LABELS[level] if i == 0 else None)
                if width >= 0.06:
                    ax.text(left + width / 2, i, f"{100 * width:.0f}", ha="center", va="center", fontsize=8,
                            color="white" if level in ("strongly_support", "strongly_oppose") else INK)
                left += width
            ax.text(1.02, i, f"net {100 * row['net_support']:+.0f}\nn={int(row['n_view']):,}",
                    va="center", fontsize=8, transform=ax.get_yaxis_transform())
        ax.axvline(0, color=INK, linewidth=0.8, zorder=0)
        ax.set_yticks(y, [_wrap(table.loc[t, "title"]) for t in themes])
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["100%", "50%", "0", "50%", "100%"])
        ax.set_xlabel("share of people who gave a view  (oppose  |  support)")
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(ncols=5, loc="upper center", bbox_to_anchor=(0.4, -0.16), frameon=False, fontsize=8)
        fig.subplots_adjust(left=0.22, right=0.88, top=0.92, bottom=0.22)
    parts = [f"{row.title}: {_pct(row.support_share)} support "
             f"(95% interval {_pct(row.support_low)} to {_pct(row.support_high)}), "
             f"{_pct(row.oppose_share)} oppose, of {int(row.n_view):,} people with a view"
             for row in table.itertuples()]
    fig.alt_text = (f"{title}. Diverging bar chart of the share of people who gave a view at each level "
                    "of support, oppose to the left and support to the right. " + "; ".join(parts) + ".")
    return fig


def breakdown_chart(bd, titles: dict[str, str], field_label: str) -> Figure:
    """Small multiples: one panel per theme, support share with its 95% interval per group.

    ``bd`` is an :class:`analysis.tally.Breakdown`. Groups whose support count is suppressed
    (fewer than 10 people) are left out and named in the note below the chart."""
    table = bd.table
    themes = list(dict.fromkeys(table["theme"]))
    shown = table[~(table["hidden_supporting"] | table["hidden_view"])]
    groups = list(dict.fromkeys(table["label"]))
    with plt.rc_context(FONT):
        n = len(themes)
        cols = min(n, 3)
        rows = int(np.ceil(n / cols))
        height = max(1.8, 0.26 * len(groups) + 0.7)
        fig = _figure(9.5, height * rows + 0.9, layout="constrained")
        axes = fig.subplots(rows, cols, sharex=True, sharey=True, squeeze=False)
        y_of = {g: i for i, g in enumerate(groups[::-1])}
        for k, theme in enumerate(themes):
            ax = axes[k // cols][k % cols]
            part = shown[shown["theme"] == theme]
            overall = table[table["theme"] == theme]
            total = overall["n_supporting"].sum() / max(overall["n_view"].sum(), 1)
            ax.axvline(total, color="#6f777b", linestyle="--", linewidth=0.8)
            ys = [y_of[g] for g in part["label"]]
            ax.errorbar(part["support_share"], ys,
                        xerr=[part["support_share"] - part["support_low"], part["support_high"] - part["support_share"]],
                        fmt="o", color=LEVEL_COLOURS["strongly_support"], ecolor="#6f777b", capsize=2, markersize=4)
            ax.set_title(_wrap(titles.get(theme, theme), 34), loc="left", fontsize=9)
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"])
            ax.set_yticks(list(y_of.values()), [_wrap(g, 24) for g in y_of])
            ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
            ax.tick_params(labelbottom=True)
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        hidden = sorted(set(table["label"]) - set(shown["label"]))
        note = ("Dots: support share of people with a view; lines: 95% Wilson interval; dashed: all groups. "
                "No dot: fewer than 10 people with a view, or hidden so that a small figure cannot be worked out.")
        fig.supxlabel(_wrap(note, 140), fontsize=7.5, x=0.01, ha="left")
        fig.suptitle(f"Support by {field_label}", x=0.01, ha="left", fontweight="bold")
    described = []
    for theme in themes:
        part = shown[(shown["theme"] == theme) & ~shown["group"].isin(["not_given", "prefer_not_to_say"])]
        if len(part):
            hi = part.loc[part["support_share"].idxmax()]
            lo = part.loc[part["support_share"].idxmin()]
            described.append(f"{titles.get(theme, theme)}: highest {hi.label} {_pct(hi.support_share)}, "
                             f"lowest {lo.label} {_pct(lo.support_share)}")
    fig.alt_text = (f"Support by {field_label}: one small chart per theme with the support share and its "
                    f"95% interval for each group. " + "; ".join(described) + "."
                    + (f" Groups under 10 people are not shown: {', '.join(hidden)}." if hidden else ""))
    return fig


def ranking_chart(ranking: pd.DataFrame) -> Figure:
    """Mean Borda points per theme with bootstrap 95% intervals, highest first, with the share
    of people ranking the theme first written beside each bar. ``ranking`` is
    :func:`analysis.tally.ranking_table`."""
    k = len(ranking)
    with plt.rc_context(FONT):
        fig = _figure(8, 0.6 * k + 1.6)
        ax = fig.add_subplot()
        order = ranking.iloc[::-1]
        y = np.arange(len(order))
        ax.barh(y, order["borda"], color=OKABE_ITO[0], height=0.6)
        ax.errorbar(order["borda"], y, xerr=[order["borda"] - order["borda_low"], order["borda_high"] - order["borda"]],
                    fmt="none", ecolor=INK, capsize=3, linewidth=1)
        for yi, row in zip(y, order.itertuples()):
            ax.text(row.borda_high + 0.05, yi, f"{100 * row.first_share:.0f}% ranked it first", va="center",
                    fontsize=8)
        ax.set_yticks(y, [_wrap(t) for t in order["title"]])
        ax.set_xlim(0, k - 1 + 0.9)
        ax.set_xlabel(f"mean Borda points (0 = always last, {k - 1} = always first)")
        people = int(ranking["people"].iloc[0]) if "people" in ranking else int(ranking["n"].max())
        ax.set_title(f"Which themes matter most ({people:,} people ranked them)", loc="left", fontweight="bold")
        fig.subplots_adjust(left=0.26, right=0.97, top=0.88, bottom=0.2)
    fig.alt_text = ("Which themes matter most: bar chart of mean Borda points with 95% bootstrap intervals. "
                    + "; ".join(f"{r.title}: {r.borda:.2f} points, mean rank {r.mean_rank:.2f}, "
                                f"{100 * r.first_share:.0f}% ranked it first" for r in ranking.itertuples()) + ".")
    return fig


def timeline_chart(data: ConsultationData) -> Figure:
    """Responses per day (by the day they were submitted, UTC), valid ones stacked by channel,
    with responses not counted (duplicate, campaign, invalid) as a line."""
    r = data.responses
    day = r["submitted_at"].dt.tz_convert("UTC").dt.floor("D").dt.tz_localize(None)
    valid = (r["status"] == "valid").to_numpy()
    by_channel = pd.crosstab(day[valid], r["channel"][valid])
    by_channel = by_channel.loc[:, by_channel.sum() > 0]
    if len(day):
        full = pd.date_range(day.min(), day.max(), freq="D")
        by_channel = by_channel.reindex(full, fill_value=0)
        excluded = day[~valid].value_counts().reindex(full, fill_value=0)
    else:
        excluded = pd.Series(dtype=int)
    with plt.rc_context(FONT):
        fig = _figure(9, 3.6)
        ax = fig.add_subplot()
        bottom = np.zeros(len(by_channel))
        for i, channel in enumerate(by_channel.columns):
            ax.bar(by_channel.index, by_channel[channel], bottom=bottom, width=0.85, color=OKABE_ITO[i % 8],
                   label=str(channel).capitalize())
            bottom += by_channel[channel].to_numpy()
        if excluded.sum():
            ax.plot(excluded.index, excluded.to_numpy(), color=INK, linewidth=1.2, marker=".",
                    label="Not counted (duplicate, campaign, invalid)")
        ax.set_ylabel("responses per day")
        ax.set_title("Responses over time", loc="left", fontweight="bold")
        ax.legend(frameon=False, fontsize=8, ncols=6, loc="lower left", bbox_to_anchor=(0, -0.28))
        import matplotlib.dates as mdates
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.22)
    total = by_channel.sum(axis=1)
    peak = total.idxmax() if len(total) else None
    fig.alt_text = (
        f"Responses over time: bar chart of valid responses per day by channel"
        + (f", from {total.index.min():%d %B %Y} to {total.index.max():%d %B %Y}; the busiest day was "
           f"{peak:%d %B %Y} with {int(total.max()):,} valid responses" if peak is not None else "")
        + f"; {int(excluded.sum()):,} responses not counted are drawn as a line.")
    return fig


def population_figures(data: ConsultationData, override: dict[str, int] | None = None) -> tuple[dict[str, int], str]:
    """Residents per district and where the figures came from: an override, the consultation's own
    figures, or (for sources that carry none) Census 2021 for Cambridgeshire and Peterborough."""
    if override:
        return dict(override), "the population file given"
    if data.consultation.get("population"):
        return dict(data.consultation["population"]), "the consultation's population figures"
    return dict(CENSUS_2021_POPULATION), "Census 2021 usual residents (the source carried no figures)"


def read_population_csv(path: str | Path) -> dict[str, int]:
    """``{district: residents}`` from a CSV with the columns ``district,population``."""
    from analysis.load import LoadError
    path = Path(path)
    if not path.exists():
        raise LoadError(f"There is no population file at {path}. Give a CSV with the columns district,population.")
    frame = pd.read_csv(path, dtype={"district": str})
    if not {"district", "population"} <= set(frame.columns):
        raise LoadError(f"{path.name} needs the columns district and population.")
    values = pd.to_numeric(frame["population"], errors="coerce")
    if values.isna().any() or (values <= 0).any():
        raise LoadError(f"{path.name}: every population must be a whole number above 0.")
    return dict(zip(frame["district"], values.astype(int)))


def representativeness_chart(data: ConsultationData, population: dict[str, int], source_note: str = "") -> Figure:
    """Valid responses per 1,000 residents in each district, with the rate for the whole area
    as a dashed line: districts below the line are under-represented."""
    r = data.responses
    valid = r["status"] == "valid"
    counts = r.loc[valid, "district"].astype(str).value_counts()
    districts = list(population)
    rate = pd.Series({d: 1000 * counts.get(d, 0) / population[d] for d in districts})
    overall = 1000 * sum(counts.get(d, 0) for d in districts) / sum(population.values())
    labels = data.labels("district")
    names = [labels.get(d) or d.replace("_", " ").title() for d in districts]
    with plt.rc_context(FONT):
        fig = _figure(8, 0.5 * len(districts) + 1.8)
        ax = fig.add_subplot()
        y = np.arange(len(districts))[::-1]
        colours = [OKABE_ITO[5] if v < overall else OKABE_ITO[0] for v in rate]
        ax.barh(y, rate.to_numpy(), color=colours, height=0.6)
        for yi, d, v in zip(y, districts, rate):
            ax.text(v, yi, f" {v:.2f} ({counts.get(d, 0):,} of {population[d]:,})", va="center", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
        ax.axvline(overall, color=INK, linestyle="--", linewidth=1, label=f"whole area: {overall:.2f}")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        ax.set_yticks(y, names)
        ax.set_xlim(0, max(rate.max(), overall) * 1.45 if len(rate) else 1)
        ax.set_xlabel("valid responses per 1,000 residents")
        ax.set_title("Who answered: responses per 1,000 residents by district", loc="left", fontweight="bold")
        note = "Orange: below the whole-area rate. Residents: " + (source_note or "population figures") + "."
        fig.text(0.01, 0.01, note, fontsize=7.5)
        fig.subplots_adjust(left=0.26, right=0.97, top=0.87, bottom=0.2)
    fig.alt_text = ("Responses per 1,000 residents by district: " +
                    "; ".join(f"{n} {v:.2f}" for n, v in zip(names, rate)) +
                    f"; whole area {overall:.2f}. Districts below the whole-area rate are under-represented.")
    return fig


def save(fig: Figure, directory: str | Path, name: str, dpi: int = 150) -> dict[str, Path]:
    """Write ``NAME.png`` and ``NAME.svg`` into ``directory`` (the same bytes every run) and return
    their paths. The alt text goes into each file's description metadata."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    alt = getattr(fig, "alt_text", "")
    png, svg = directory / f"{name}.png", directory / f"{name}.svg"
    with plt.rc_context(FONT):
        fig.savefig(png, dpi=dpi, metadata={"Description": alt, "Software": None})
        fig.savefig(svg, metadata={"Description": alt, "Date": None, "Title": name})
    return {"png": png, "svg": svg}


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    buffer = io.BytesIO()
    with plt.rc_context(FONT):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
