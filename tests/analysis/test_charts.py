"""Charts return figures with alt text, save as PNG and SVG, the same bytes every time."""
from __future__ import annotations

import dataclasses

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from analysis import charts, tally


@pytest.fixture(scope="module")
def figures(demo):
    population, note = charts.population_figures(demo)
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
    population, _ = charts.population_figures(demo)
    fig = charts.representativeness_chart(demo, population)
    valid = demo.responses[demo.responses["status"] == "valid"]
    fenland = (valid["district"] == "fenland").sum() * 1000 / 102500
    assert f"Fenland {fenland:.2f}" in fig.alt_text


def test_population_can_be_overridden_and_defaults_to_census_2021(demo, tmp_path):
    path = tmp_path / "pop.csv"
    path.write_text("district,population\ncambridge,1000\nfenland,2000\n", encoding="utf-8")
    override = charts.read_population_csv(path)
    assert charts.population_figures(demo, override) == (override, "the population file given")
    bare = dataclasses.replace(demo, consultation={**demo.consultation, "population": {}})
    figures, note = charts.population_figures(bare)
    assert figures["huntingdonshire"] == 180800 and "Census 2021" in note


def test_saving_writes_png_and_svg_identically_each_time(figures, tmp_path):
    first = charts.save(figures["support"], tmp_path / "a", "support")
    second = charts.save(figures["support"], tmp_path / "b", "support")
    for kind in ("png", "svg"):
        assert first[kind].read_bytes() == second[kind].read_bytes()
    assert first["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in first["svg"].read_bytes()[:2000]
