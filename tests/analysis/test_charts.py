"""Charts return figures with alt text, save as PNG and SVG, the same bytes every time."""
from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from analysis import charts, tally


def residents(data):
    """The export's own residents per district when it carries them (format 2), else made-up
    figures for its districts: these tests check the arithmetic, not the figures."""
    population, _ = charts.population_figures(data)
    if population:
        return population
    codes = [c for c in data.labels("district") if c not in ("outside_area", "prefer_not_to_say")]
    return {code: 60_000 + 25_000 * i for i, code in enumerate(codes)}


@pytest.fixture(scope="module")
def figures(demo):
    population, note = residents(demo), "residents"
    return {
        "support": charts.support_chart(tally.support_table(demo)),
        "by_district": charts.breakdown_chart(tally.breakdown(demo, "district"), demo.theme_titles, "district"),
        "ranking": charts.ranking_chart(tally.ranking_table(demo, n_boot=200)),
        "timeline": charts.timeline_chart(demo),
        "representativeness": charts.representativeness_chart(demo, population, note),
    }


def test_every_chart_is_a_figure_with_alt_text_that_carries_the_figures(figures, demo):
    table = tally.support_table(demo)
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        assert len(fig.alt_text) > 80, name
    victims = table.loc["victims_and_witnesses"]
    assert f"{100 * victims.support_share:.0f}% support" in figures["support"].alt_text
    assert "Peterborough" in figures["representativeness"].alt_text
    assert plt.get_fignums() == []  # nothing registered with pyplot, nothing shown


def test_representativeness_uses_responses_per_thousand_residents(demo):
    population = residents(demo)
    fig = charts.representativeness_chart(demo, population)
    valid = demo.responses[demo.responses["status"] == "valid"]
    fenland = (valid["district"] == "fenland").sum() * 1000 / population["fenland"]
    assert f"Fenland {fenland:.2f}" in fig.alt_text


def test_population_can_be_overridden_and_is_never_made_up(demo, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("district,population\ncambridge,1000\nfenland,2000\n", encoding="utf-8")
    override = charts.read_population_csv(path)
    assert charts.population_figures(demo, override) == (override, "the population file given")
    bare = dataclasses.replace(demo, consultation={**demo.consultation, "population": {}})
    figures, note = charts.population_figures(bare)
    assert figures == {} and "not given" in note


def test_saving_writes_png_and_svg_identically_each_time(figures, tmp_path):
    first = charts.save(figures["support"], tmp_path / "a", "support")
    second = charts.save(figures["support"], tmp_path / "b", "support")
    for kind in ("png", "svg"):
        assert first[kind].read_bytes() == second[kind].read_bytes()
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in first["svg"].read_bytes()[:2000]


def _small_sample(demo, n, step=1):
    """``n`` responses of the demo (every ``step``-th), as a consultation of its own."""
    keep = demo.responses.index[::step][:n]
    rows = set(keep)
    return dataclasses.replace(
        demo, responses=demo.responses.loc[keep].reset_index(drop=True),
        support=demo.support[demo.support["row"].isin(rows)].reset_index(drop=True),
        comments=demo.comments[demo.comments["row"].isin(rows)].reset_index(drop=True),
        ranks=demo.ranks[demo.ranks["row"].isin(rows)].reset_index(drop=True), cache={})


def test_district_chart_never_draws_or_describes_a_count_under_ten(demo):
    import re
    small = _small_sample(demo, 90)
    population = residents(small)
    fig = charts.representativeness_chart(small, population)
    valid = small.responses[small.responses["status"] == "valid"]
    counts = valid["district"].astype(str).value_counts()
    texts = [t.get_text() for ax in fig.axes for t in ax.texts]
    for district, people in population.items():
        n = int(counts.get(district, 0))
        label = small.label("district", district)
        if 0 < n < tally.MIN_CELL:
            assert f"{label}: not shown (fewer than 10 responses)" in fig.alt_text
            assert not any(f"({n:,} of {people:,})" in t for t in texts)
            assert not re.search(rf"{re.escape(label)} \d", fig.alt_text)
    assert any(0 < counts.get(d, 0) < tally.MIN_CELL for d in population)  # the sample has such a district
    widths = [p.get_width() for p in fig.axes[0].patches]
    assert sum(1 for w in widths if w == 0) >= 1


def test_timeline_never_plots_a_day_or_channel_under_ten(demo):
    small = _small_sample(demo, 150, step=8)  # spread over the whole month
    fig = charts.timeline_chart(small)
    heights = [p.get_height() for p in fig.axes[0].patches if p.get_height() > 0]
    # every drawn channel segment is at least 10, and the hatched "not shown" parts pool two or more
    solid = [p.get_height() for p in fig.axes[0].patches if p.get_height() > 0 and not p.get_hatch()]
    assert heights and all(h >= tally.MIN_CELL for h in solid)
    assert "per week" in fig.alt_text  # most days had fewer than 10 responses
    lines = fig.axes[0].get_lines()
    for line in lines:
        y = [v for v in line.get_ydata() if v == v and v > 0]
        assert all(v >= tally.MIN_CELL for v in y)


def test_hidden_counts_publish_zeros_but_hide_a_lone_small_count():
    hide = tally.hidden_counts([0, 25, 3, 40])
    assert hide[2] and hide.sum() == 2 and not hide[3]  # a second count hidden, so the 3 cannot be worked out
    assert list(tally.hidden_counts([0, 25, 40])) == [False, False, False]
