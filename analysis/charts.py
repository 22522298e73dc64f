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

from analysis.load import V1_SCALE, ConsultationData, Scale  # noqa: E402
from analysis.tally import MIN_CELL, hidden_counts  # noqa: E402

# ColorBrewer PuOr: opposing levels orange (strongest first), supporting purple (mildest first)
OPPOSE_COLOURS = ["#e66101", "#fdb863"]
SUPPORT_COLOURS = ["#b2abd2", "#5e3c99"]
NEUTRAL_COLOUR = "#d4d4d4"
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


def level_colours(scale: Scale) -> dict[str, str]:
    """A colour for each level of ``scale`` that gives a view: the PuOr scheme, opposing levels
    darker the stronger they are, supporting likewise, levels numbered 0 grey."""
    def ramp(codes: list[str], ends: list[str]) -> list[str]:
        if len(codes) <= len(ends):
            return ends[-len(codes):] if ends is OPPOSE_COLOURS else ends[:len(codes)]
        cmap = matplotlib.colors.LinearSegmentedColormap.from_list("ramp", ends)
        return [matplotlib.colors.to_hex(cmap(i / (len(codes) - 1))) for i in range(len(codes))]

    by_value = sorted((lv for lv in scale.levels if lv.value is not None), key=lambda lv: lv.value)
    oppose = [lv.code for lv in by_value if lv.value < 0]
    support = [lv.code for lv in by_value if lv.value > 0]
    colours = dict(zip(oppose, ramp(oppose, OPPOSE_COLOURS)))
    colours.update(dict(zip(support, ramp(support, SUPPORT_COLOURS))))
    colours.update({lv.code: NEUTRAL_COLOUR for lv in by_value if lv.value == 0})
    return colours


def support_chart(table: pd.DataFrame, title: str = "Support for each theme", scale: Scale | None = None) -> Figure:
    """Diverging stacked bars: per theme, the share of people with a view at each level.

    ``table`` is :func:`analysis.tally.support_table`; ``scale`` its levels (by default the one
    the table was counted on). Opposing levels extend left of zero, supporting levels right,
    levels numbered 0 straddle zero; answers with no view and blanks are outside the base and
    listed beside each bar with the base."""
    scale = scale or table.attrs.get("scale") or V1_SCALE
    ordered = [lv for lv in sorted((lv for lv in scale.levels if lv.value is not None), key=lambda lv: lv.value)]
    colours = level_colours(scale)
    strongest = {ordered[0].code, ordered[-1].code} if ordered else set()
    with plt.rc_context(FONT):
        fig = _figure(8.5, 0.75 * len(table) + 1.8)
        ax = fig.add_subplot()
        themes = list(table.index)[::-1]
        y = np.arange(len(themes))
        for i, theme in enumerate(themes):
            row = table.loc[theme]
            left = -(sum(row[f"share_{lv.code}"] for lv in ordered if lv.value < 0)
                     + sum(row[f"share_{lv.code}"] for lv in ordered if lv.value == 0) / 2)
            for lv in ordered:
                width = row[f"share_{lv.code}"]
                ax.barh(i, width, left=left, color=colours[lv.code], edgecolor="white", linewidth=0.6,
                        label=lv.label if i == 0 else None)
                if width >= 0.06:
                    ax.text(left + width / 2, i, f"{100 * width:.0f}", ha="center", va="center", fontsize=8,
                            color="white" if lv.code in strongest and len(ordered) > 2 else INK)
                left += width
            ax.text(1.02, i, f"net {100 * row['net_support']:+.0f}\nn={int(row['n_view']):,}",
                    va="center", fontsize=8, transform=ax.get_yaxis_transform())
        ax.axvline(0, color=INK, linewidth=0.8, zorder=0)
        ax.set_yticks(y, [_wrap(table.loc[t, "title"]) for t in themes])
        ax.set_xlim(-1, 1)
        ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["100%", "50%", "0", "50%", "100%"])
        ax.set_xlabel("share of people who gave a view  (oppose  |  support)")
        ax.set_title(title, loc="left", fontweight="bold")
        ax.legend(ncols=min(len(ordered), 5) or 1, loc="upper center", bbox_to_anchor=(0.4, -0.16), frameon=False, fontsize=8)
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
        n = max(len(themes), 1)
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
                        # clipped: at 0% or 100% rounding can put a limit a hair inside the share
                        xerr=[(part["support_share"] - part["support_low"]).clip(lower=0),
                              (part["support_high"] - part["support_share"]).clip(lower=0)],
                        fmt="o", color=SUPPORT_COLOURS[-1], ecolor="#6f777b", capsize=2, markersize=4)
            ax.set_title(_wrap(titles.get(theme, theme), 34), loc="left", fontsize=9)
            ax.set_xlim(0, 1)
            ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"])
            ax.set_yticks(list(y_of.values()), [_wrap(g, 24) for g in y_of])
            ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
            ax.tick_params(labelbottom=True)
        for k in range(n, rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        hidden = sorted(set(table["label"]) - set(shown["label"]))
        note = ("Dots: support share of people with a view; lines: likely range (95% interval); dashed: all groups. "
                f"No dot: fewer than {MIN_CELL} people with a view, or hidden so that a small figure cannot be worked out.")
        fig.supxlabel(_wrap(note, 140), fontsize=7.5, x=0.01, ha="left")
        fig.suptitle(f"Support by {field_label}", x=0.01, ha="left", fontweight="bold")
    described = []
    for theme in themes:
        part = shown[(shown["theme"] == theme) & ~shown["group"].isin(["not_given", "prefer_not_to_say"])]
        if len(part) == 1:
            only = part.iloc[0]
            described.append(f"{titles.get(theme, theme)}: only {only.label} shown, {_pct(only.support_share)}")
        elif len(part):
            hi = part.loc[part["support_share"].idxmax()]
            lo = part.loc[part["support_share"].idxmin()]
            if _pct(hi.support_share) == _pct(lo.support_share):
                described.append(f"{titles.get(theme, theme)}: every group shown {_pct(hi.support_share)}")
            else:
                described.append(f"{titles.get(theme, theme)}: highest {hi.label} {_pct(hi.support_share)}, "
                                 f"lowest {lo.label} {_pct(lo.support_share)}")
    fig.alt_text = (f"Support by {field_label}: one small chart per theme with the support share and its "
                    f"95% interval for each group. " + "; ".join(described) + "."
                    + (f" Not shown (fewer than {MIN_CELL} people, or hidden so that a small figure cannot be "
                       f"worked out): {', '.join(hidden)}." if hidden else ""))
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
            ax.text(row.borda_high + 0.05, yi, f"{100 * row.first_share:.0f}% put it first", va="center",
                    fontsize=8)
        ax.set_yticks(y, [_wrap(t) for t in order["title"]])
        ax.set_xlim(0, k - 1 + 0.9)
        ax.set_xlabel(f"importance score: average points, {k - 1} for first place down to 0 for last")
        people = int(ranking["people"].iloc[0]) if "people" in ranking else int(ranking["n"].max())
        ax.set_title(f"Which themes matter most ({people:,} people ranked them)", loc="left", fontweight="bold")
        fig.subplots_adjust(left=0.26, right=0.97, top=0.88, bottom=0.2)
    fig.alt_text = (f"Which themes matter most: bar chart of each theme's importance score ({k - 1} points for "
                    "first place down to 0 for last, averaged over the people who ranked), with its likely range. "
                    + "; ".join(f"{r.title}: score {r.borda:.2f} of {k - 1}, average position {r.mean_rank:.2f}, "
                                f"{100 * r.first_share:.0f}% put it first" for r in ranking.itertuples()) + ".")
    return fig


def timeline_chart(data: ConsultationData) -> Figure:
    """Responses per day (by the day they were submitted, UTC), valid ones stacked by channel,
    with responses not counted (duplicate, campaign, invalid) as a line.

    Small numbers follow the report's rule: a channel's count for a day under 10 (or one that
    would give such a count away) is pooled into a hatched "channels not shown" part of the bar;
    a day whose total is under 10 is drawn as a hatched stub of fixed height, not to scale; days
    with fewer than 10 responses not counted are left out of the line."""
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
    totals = by_channel.sum(axis=1)
    period = "day"
    small = ((totals > 0) & (totals < MIN_CELL)).sum()
    if len(totals) > 7 and small > 0.3 * max((totals > 0).sum(), 1):
        # most days are too small to show: weeks (from Monday) say more and hide less
        period = "week"
        week = lambda index: index - pd.to_timedelta(index.day_of_week, unit="D")  # noqa: E731
        by_channel = by_channel.groupby(week(by_channel.index)).sum()
        excluded = excluded.groupby(week(excluded.index)).sum()
        totals = by_channel.sum(axis=1)
    hide = hidden_counts(np.column_stack([by_channel.to_numpy(), totals.to_numpy()]), -1)
    day_hidden = hide[:, -1] if len(hide) else np.zeros(0, dtype=bool)
    part_hidden = hide[:, :-1] if len(hide) else np.zeros((0, by_channel.shape[1]), dtype=bool)
    excluded_hidden = hidden_counts(excluded.to_numpy())
    with plt.rc_context(FONT):
        fig = _figure(9, 3.9)
        ax = fig.add_subplot()
        bottom = np.zeros(len(by_channel))
        for i, channel in enumerate(by_channel.columns):
            heights = np.where(part_hidden[:, i] | day_hidden, 0, by_channel[channel].to_numpy())
            ax.bar(by_channel.index, heights, bottom=bottom, width=0.85 if period == "day" else 6,
                   color=OKABE_ITO[i % 8], label=str(channel).capitalize() if heights.sum() else None)
            bottom += heights
        width = 0.85 if period == "day" else 6
        pooled = np.where(day_hidden, 0, totals.to_numpy() - bottom)
        if pooled.sum():
            ax.bar(by_channel.index, pooled, bottom=bottom, width=width, color="white", edgecolor="#6f777b",
                   hatch="///", linewidth=0.5, label="Channels not shown (small numbers)")
        for when, hidden_total, total in zip(by_channel.index, day_hidden, totals):
            if hidden_total:
                ax.text(when, 0, "<10" if total < MIN_CELL else "–", ha="center", va="bottom", fontsize=7,
                        rotation=90, color="#505a5f")
        if excluded.sum() and not np.all(excluded_hidden):
            line = np.where(excluded_hidden, np.nan, excluded.to_numpy().astype(float))
            ax.plot(excluded.index, line, color=INK, linewidth=1.2, marker=".",
                    label=f"Not counted ({period}s under {MIN_CELL} left out)")
        ax.set_ylabel(f"responses per {period}")
        ax.set_title("Responses over time", loc="left", fontweight="bold")
        if ax.get_legend_handles_labels()[0]:  # every day hidden: nothing to name
            ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper left", bbox_to_anchor=(0, -0.12))
        if day_hidden.any():
            fig.text(0.01, 0.01, f"<10: a {period} with fewer than {MIN_CELL} valid responses; –: hidden so that "
                     "such a figure cannot be worked out. Neither is drawn.", fontsize=7.5)
        import matplotlib.dates as mdates
        ax.xaxis.set_major_locator(mdates.WeekdayLocator(byweekday=mdates.MO))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%d %b"))
        fig.subplots_adjust(left=0.08, right=0.98, top=0.9, bottom=0.34)
    shown = totals[~day_hidden] if len(totals) else totals
    if len(totals) and len(shown):
        peak = shown.idxmax()
        busiest = (f"; the busiest {period} was {'the week from ' if period == 'week' else ''}{peak.day} "
                   f"{peak:%B %Y} with {int(shown.max()):,} valid responses")
    elif len(totals):
        busiest = f"; no {period} had {MIN_CELL} or more valid responses"
    else:
        busiest = ""
    first, last = (totals.index.min(), totals.index.max()) if len(totals) else (None, None)
    span = f", from {first.day} {first:%B %Y} to {last.day} {last:%B %Y}" if first is not None else ""
    small_periods = int(day_hidden.sum())
    n_excluded = int(excluded.sum())
    fig.alt_text = (
        f"Responses over time: bar chart of valid responses per {period} by channel" + span + busiest
        + (f"; {small_periods} {period + (' is' if small_periods == 1 else 's are')} not drawn, having fewer than "
           f"{MIN_CELL} responses or hidden so that such a figure cannot be worked out" if small_periods else "")
        + (f"; responses not counted ({n_excluded:,} in all) are drawn as a line, leaving out {period}s with fewer "
           f"than {MIN_CELL}" if n_excluded else "") + ".")
    return fig


def population_figures(data: ConsultationData, override: dict[str, int] | None = None) -> tuple[dict[str, int], str]:
    """Residents per area and where the figures came from: an override, or the export's own
    figures (its areas table, with their source and year). A source that carries none gives
    ``({}, note)``: responses per 1,000 residents are then not given, never figures from
    elsewhere."""
    if override:
        return dict(override), "the population file given"
    meta = data.consultation
    if meta.get("population"):
        source = str(meta.get("population_source") or "").strip()
        year = meta.get("population_year")
        note = "the consultation's population figures"
        if source:
            note += f" ({source}{f', {year}' if year and str(year) not in source else ''})"
        elif year:
            note += f" ({year})"
        return dict(meta["population"]), note
    return {}, ("not given, because the source carries no population figures for its areas (they can be "
                "given with --population FILE)")


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
    as a dashed line: districts below the line are under-represented. A district with fewer than
    10 responses (or one whose count would give such a district away) gets no bar and no rate,
    by the report's small-number rule."""
    r = data.responses
    valid = r["status"] == "valid"
    counts = r.loc[valid, "district"].astype(str).value_counts()
    districts = list(population)
    n = np.array([counts.get(d, 0) for d in districts], dtype=float)
    hidden = hidden_counts(n)
    rate = pd.Series({d: 1000 * counts.get(d, 0) / population[d] for d in districts})
    overall = 1000 * n.sum() / sum(population.values())
    labels = data.labels("district")
    names = [labels.get(d) or d.replace("_", " ").title() for d in districts]
    with plt.rc_context(FONT):
        fig = _figure(8, 0.5 * len(districts) + 1.8)
        ax = fig.add_subplot()
        y = np.arange(len(districts))[::-1]
        colours = [OKABE_ITO[5] if v < overall else OKABE_ITO[0] for v in rate]
        ax.barh(y, np.where(hidden, 0, rate.to_numpy()), color=colours, height=0.6)
        for yi, d, v, h in zip(y, districts, rate, hidden):
            text = ((f" not shown: fewer than {MIN_CELL} responses" if counts.get(d, 0) < MIN_CELL else
                     " not shown, so that a small figure cannot be worked out") if h
                    else f" {v:.2f} ({counts.get(d, 0):,} of {population[d]:,})")
            ax.text(0 if h else v, yi, text, va="center", fontsize=8,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
        ax.axvline(overall, color=INK, linestyle="--", linewidth=1, label=f"whole area: {overall:.2f}")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        ax.set_yticks(y, names)
        ax.set_xlim(0, max(rate.max(), overall) * 1.45 if len(rate) and max(rate.max(), overall) > 0 else 1)
        ax.set_xlabel("valid responses per 1,000 residents")
        ax.set_title("Who answered: responses per 1,000 residents by district", loc="left", fontweight="bold")
        note = ("Orange: below the whole-area rate. Residents: " + (source_note or "population figures") +
                f". Districts with fewer than {MIN_CELL} responses are not shown.")
        fig.text(0.01, 0.01, _wrap(note, 130), fontsize=7.5)
        fig.subplots_adjust(left=0.26, right=0.97, top=0.87, bottom=0.2)
    parts = [f"{name}: not shown ({'fewer than ' + str(MIN_CELL) + ' responses' if counts.get(d, 0) < MIN_CELL else 'hidden so that a small figure cannot be worked out'})"
             if h else f"{name} {v:.2f}" for name, d, v, h in zip(names, districts, rate, hidden)]
    fig.alt_text = ("Responses per 1,000 residents by district: " + "; ".join(parts) +
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
