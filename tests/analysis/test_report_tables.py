"""Every table of report.md, recomputed from the CSV export with plain pandas (scipy for the
chi-square test, and the textbook formulas written here), never with ``analysis``: the report is run as a command,
its Markdown tables are parsed, and each number is checked against the export.

The export is made for this test (a seed and size the demo does not use) by
``benchmarks/make_export.py``, so the figures are ones nobody has looked at before. A table
the test does not know how to recompute fails the test: a new table needs its check here.
"""
from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import DEMO, ROOT
from scipy import stats

import make_export

LEVELS = ["strongly_support", "support", "neither", "oppose", "strongly_oppose"]
FIELDS = {"type of respondent": "respondent_type", "district": "district", "channel": "channel", "age": "age_band",
          "sex": "sex", "gender identity": "gender_identity", "ethnic group": "ethnicity",
          "disability": "disability", "religion": "religion"}
MIN_CELL = 10
UNTESTED = {"", "prefer_not_to_say"}


# ---------------------------------------------------------------------------------------------
# the export and the report


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("unseen")
    assert make_export.main(["--responses", "260", "--seed", "77", "--out", str(folder / "unseen"),
                             "--formats", "csv"]) == 0
    source = folder / "unseen.csv"
    done = subprocess.run([sys.executable, "-m", "analysis", "report", "--source", str(source), "--out",
                           str(folder / "report"), "--weights", str(DEMO / "margins.csv"), "--quiet"],
                          capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    wide = pd.read_csv(source, dtype=str, keep_default_na=False)
    dictionary = pd.read_csv(folder / "unseen.dictionary.csv", dtype=str, keep_default_na=False)
    return wide, dictionary, (folder / "report" / "report.md").read_text(encoding="utf-8")


def _unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell.strip())


def parse_tables(markdown: str) -> list[dict]:
    """Every Markdown table with the headings above it and the paragraph just before it."""
    tables, h2, h3, before = [], "", "", ""
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            h2, h3 = _unescape(line[3:]), ""
        elif line.startswith("### "):
            h3 = _unescape(line[4:])
        if line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append([_unescape(c) for c in re.split(r"(?<!\\)\|", lines[i])[1:-1]])
                i += 1
            tables.append({"h2": h2, "h3": h3, "before": before, "header": block[0], "rows": block[2:]})
            continue
        if line.strip():
            before = line.strip()
        i += 1
    return tables


# ---------------------------------------------------------------------------------------------
# the export in plain pandas


class Export:
    def __init__(self, wide: pd.DataFrame, dictionary: pd.DataFrame):
        self.wide, self.dictionary = wide, dictionary
        self.valid = wide[wide["status"] == "valid"]
        support = dictionary[dictionary["column"].str.startswith("support__")]
        self.themes = dict(zip(support["theme_title"], support["theme"]))

    def labels(self, column: str) -> dict[str, str]:
        codes = self.dictionary.loc[self.dictionary["column"] == column, "codes"]
        pairs = [p.partition("=") for p in codes.iloc[0].split(" | ")] if len(codes) and codes.iloc[0] else []
        return {code.strip(): label.strip() for code, _, label in pairs}

    def levels(self, title: str, rows: pd.DataFrame | None = None) -> pd.Series:
        rows = self.valid if rows is None else rows
        return rows[f"support__{self.themes[title]}"].replace("", "not_answered").value_counts()


def number(cell: str) -> float:
    return float(cell.replace(",", "").replace("%", "").replace("+", ""))


def wilson(count: float, n: float) -> tuple[float, float]:
    """Wilson (1927) 95%: (p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)."""
    z = stats.norm.ppf(0.975)
    p = count / n
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return max(0.0, (centre - half) / (1 + z**2 / n)), min(1.0, (centre + half) / (1 + z**2 / n))


def pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def pct_range(low: float, high: float) -> str:
    return f"{100 * low:.0f}% to {100 * high:.0f}%"


def assert_share(cell: str, value: float, slack: float = 0.0):
    """A published percentage matches ``value`` (0-1) once rounded; ``slack`` in points for
    figures that come out of an iteration (raking) and may sit on a rounding edge."""
    assert abs(number(cell) - 100 * value) <= 0.5 + slack + 1e-9, (cell, value)


def published(cell: str, count: int) -> None:
    """The small-number rule: under 10 (0 included) is "<10", a hidden larger count is "–",
    else exact."""
    if count < MIN_CELL:
        assert cell == "<10", (cell, count)
    elif cell != "–":
        assert number(cell) == count, (cell, count)


def net_interval(ps: float, po: float, n: float) -> tuple[float, float]:
    """MOVER (Zou and Donner 2008) from Wilson limits; -sqrt(ps po/((1-ps)(1-po)))
    is the correlation of two shares of one multinomial answer."""
    ls, us = wilson(ps * n, n)
    lo, uo = wilson(po * n, n)
    r = -np.sqrt(ps * po / ((1 - ps) * (1 - po))) if ps < 1 and po < 1 else 0.0
    d = ps - po
    return (max(-1.0, d - np.sqrt((ps - ls) ** 2 + (uo - po) ** 2 - 2 * r * (ps - ls) * (uo - po))),
            min(1.0, d + np.sqrt((us - ps) ** 2 + (po - lo) ** 2 - 2 * r * (us - ps) * (po - lo))))


def points(x: float) -> str:
    value = round(100 * x)
    return f"{value:+d}" if value else "0"


# ---------------------------------------------------------------------------------------------
# one check per kind of table


def check_support(ex: Export, table: dict) -> None:
    assert table["header"][:4] == ["Theme", "People with a view", "Support", "Likely range"]
    for row in table["rows"]:
        title, n_view, sup, sup_range, neither, opp, opp_range, net, net_range, dk, na = row
        counts = ex.levels(title)
        view = sum(counts.get(lv, 0) for lv in LEVELS)
        s = counts.get("strongly_support", 0) + counts.get("support", 0)
        o = counts.get("oppose", 0) + counts.get("strongly_oppose", 0)
        assert number(n_view) == view
        assert sup == pct(s / view) and sup_range == pct_range(*wilson(s, view))
        assert opp == pct(o / view) and opp_range == pct_range(*wilson(o, view))
        assert neither == pct(counts.get("neither", 0) / view)
        assert net == points((s - o) / view)
        low, high = net_interval(s / view, o / view, view)
        assert net_range == f"{points(low)} to {points(high)}"
        assert number(dk) == counts.get("dont_know", 0) and number(na) == counts.get("not_answered", 0)


def check_levels(ex: Export, table: dict) -> None:
    assert table["header"][1:6] == ["Strongly support", "Support", "Neither support nor oppose", "Oppose",
                                    "Strongly oppose"]
    for row in table["rows"]:
        counts = ex.levels(row[0])
        cells = [number(c) for c in row[1:]]
        expected = [counts.get(lv, 0) for lv in LEVELS]
        assert cells[:5] == expected, row[0]
        assert cells[5] == sum(expected) == sum(cells[:5])  # the row adds up to the people with a view
        assert cells[6:] == [counts.get("dont_know", 0), counts.get("not_answered", 0)]


def _ranks(ex: Export) -> pd.DataFrame:
    cols = {title: f"rank__{key}" for title, key in ex.themes.items()}
    ranks = ex.valid[list(cols.values())].replace("", np.nan).astype(float)
    ranks.columns = list(cols)
    return ranks[ranks.notna().any(axis=1)]


def _bootstrap(ranks: pd.DataFrame, n_boot: int = 1000, seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = ranks.to_numpy()
    k = values.shape[1]
    out = defaultdict(list)
    for _ in range(n_boot):
        sample = values[rng.integers(0, len(values), len(values))]
        out["first"].append((sample == 1).sum(axis=0) / len(sample))
        out["mean"].append(np.nanmean(sample, axis=0))
        out["borda"].append(np.nanmean(k - sample, axis=0))
    return {name: np.quantile(np.array(v), [0.025, 0.975], axis=0) for name, v in out.items()}


def _interval_close(cell: str, bounds: np.ndarray, tolerance: float, scale: float = 1.0) -> None:
    low, high = (number(x) / scale for x in cell.split(" to "))
    assert abs(low - bounds[0]) <= tolerance and abs(high - bounds[1]) <= tolerance, (cell, bounds)


def check_ranking(ex: Export, table: dict) -> None:
    assert table["header"] == ["Theme", "Ranked by", "Put first", "Likely range", "Average position", "Likely range"]
    ranks = _ranks(ex)
    boot = _bootstrap(ranks)
    titles = list(ranks.columns)
    borda = (len(titles) - ranks).mean()
    assert [r[0] for r in table["rows"]] == list(borda.sort_values(ascending=False, kind="stable").index)
    for row in table["rows"]:
        title, n, first, first_range, mean, mean_range = row
        j = titles.index(title)
        assert number(n) == ranks[title].notna().sum()
        assert first == pct((ranks[title] == 1).sum() / len(ranks))
        _interval_close(first_range, boot["first"][:, j], 0.03, scale=100)
        assert mean == f"{ranks[title].mean():.2f}"
        _interval_close(mean_range, boot["mean"][:, j], 0.08)


def check_borda(ex: Export, table: dict) -> None:
    assert table["header"][:3] == ["Theme", "Mean Borda points", "95% interval"]
    ranks = _ranks(ex)
    boot = _bootstrap(ranks)
    k = len(ranks.columns)
    for row in table["rows"]:
        title, borda, borda_range, mean, _, first, _ = row
        j = list(ranks.columns).index(title)
        assert borda == f"{(k - ranks[title]).mean():.2f}"
        _interval_close(borda_range, boot["borda"][:, j], 0.08)
        assert mean == f"{ranks[title].mean():.2f}" and first == pct((ranks[title] == 1).sum() / len(ranks))


def check_channels(ex: Export, table: dict) -> None:
    counts = ex.valid["channel"].value_counts()
    shown = {row[0]: row[1] for row in table["rows"]}
    assert set(shown) == {c.capitalize() for c in counts.index}
    for channel, n in counts.items():
        published(shown[channel.capitalize()], int(n))
    small = sum(1 for v in shown.values() if v == "<10")
    # one hidden count alone could be worked out from the total of responses counted
    assert small + sum(1 for v in shown.values() if v == "–") != 1


def check_breakdown(ex: Export, table: dict) -> None:
    field = FIELDS[table["h3"][len("By "):]]
    titles = table["header"][1:]
    labels = ex.labels(field)
    values = ex.valid[field]
    for row in table["rows"]:
        group = row[0]
        codes = [c for c, label in labels.items() if label == group] or (
            [""] if group == "Not given" else [c for c in values.unique() if c.replace("_", " ").capitalize() == group])
        assert codes, group
        members = ex.valid[values.isin(codes)]
        for title, cell in zip(titles, row[1:]):
            counts = ex.levels(title, members)
            view = sum(counts.get(lv, 0) for lv in LEVELS)
            s = counts.get("strongly_support", 0) + counts.get("support", 0)
            if cell == "":
                assert view + counts.get("dont_know", 0) + counts.get("not_answered", 0) == 0
            elif cell in ("<10", "–"):
                published(cell, view)
            else:
                share, n = re.fullmatch(r"(–|\d+%) \(n=([\d,]+)\)", cell).groups()
                assert number(n) == view, (field, group, title)
                if share == "–":
                    parts = [s, counts.get("neither", 0), counts.get("oppose", 0) + counts.get("strongly_oppose", 0)]
                    column = [table_cell for table_cell in (r[1 + titles.index(title)] for r in table["rows"])]
                    assert min(parts) < MIN_CELL or any(c.startswith(("<10", "–")) for c in column), (group, title)
                else:
                    assert share == pct(s / view), (field, group, title)


def _test_rows(ex: Export, field: str, title: str) -> tuple[np.ndarray, int]:
    key = ex.themes[title]
    frame = ex.valid[[field, f"support__{key}"]].copy()
    frame["view"] = frame[f"support__{key}"].map({"strongly_support": "s", "support": "s", "neither": "n",
                                                  "oppose": "o", "strongly_oppose": "o"})
    frame = frame.dropna(subset=["view"])
    table = pd.crosstab(frame[field], frame["view"])
    table = table[(table.sum(axis=1) >= MIN_CELL) & ~table.index.isin(UNTESTED)]
    table = table.loc[:, table.sum(axis=0) > 0]
    return table.to_numpy(), len(table)


def check_tests(ex: Export, tables: list[dict]) -> None:
    """The chi-square tables of the methods appendix, with Holm's adjustment over all of them."""
    found = []
    for table in tables:
        field = FIELDS[re.fullmatch(r"By (.+):", table["before"]).group(1)]
        for row in table["rows"]:
            counts, groups = _test_rows(ex, field, row[0])
            assert number(row[1]) == groups
            if groups >= 2 and counts.shape[1] >= 2:
                chi2, p, dof, _ = stats.chi2_contingency(counts, correction=False)
                v = np.sqrt(chi2 / (counts.sum() * (min(counts.shape) - 1)))
                assert number(row[2]) == counts.sum()
                assert row[3] == f"{chi2:.1f} ({dof})"
                assert row[4] == ("<0.001" if p < 0.001 else f"{p:.3f}")
                assert row[6] == f"{v:.2f}"
                assert row[7] == ("negligible" if v < 0.1 else "small" if v < 0.3 else "medium" if v < 0.5 else "large")
                found.append((p, row[5]))
            else:
                assert row[4] == row[5] == "not tested" and row[7] == "not tested"
    p = np.array([f[0] for f in found])
    order = np.argsort(p, kind="stable")
    holm = np.minimum(1, np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order]))
    adjusted = np.empty(len(p))
    adjusted[order] = holm
    for value, (_, shown) in zip(adjusted, found):
        assert shown == ("<0.001" if value < 0.001 else f"{value:.3f}")


def rake(ex: Export, margins: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Iterative proportional fitting of the valid responses to the margins' shares."""
    inside = ex.valid.copy()
    targets = {}
    for variable, part in margins.groupby("variable", sort=False):
        targets[variable] = part.set_index("category")["population"] / part["population"].sum()
        inside = inside[inside[variable].isin(targets[variable].index)]
    w = pd.Series(1.0, index=inside.index)
    for _ in range(1000):
        before = w.copy()
        for variable, share in targets.items():
            totals = w.groupby(inside[variable]).sum()
            w = w * inside[variable].map(share * w.sum() / totals)
        if (w - before).abs().max() < 1e-12:
            break
    return w / w.mean(), inside


def check_weighted(ex: Export, table: dict, margins: pd.DataFrame) -> None:
    w, inside = rake(ex, margins)
    for title, unweighted, weighted, interval, oppose in table["rows"]:
        key = ex.themes[title]
        level = inside[f"support__{key}"]
        view = level.isin(LEVELS)
        wv = w[view]
        s = wv[level[view].isin(["strongly_support", "support"])].sum() / wv.sum()
        o = wv[level[view].isin(["oppose", "strongly_oppose"])].sum() / wv.sum()
        n_eff = wv.sum() ** 2 / (wv**2).sum()
        counts = ex.levels(title)
        assert unweighted == pct((counts.get("strongly_support", 0) + counts.get("support", 0)) /
                                 sum(counts.get(lv, 0) for lv in LEVELS))
        assert_share(weighted, s, 0.05)
        assert_share(oppose, o, 0.05)
        low, high = (number(x) / 100 for x in interval.split(" to "))
        expected = wilson(s * n_eff, n_eff)
        assert abs(low - expected[0]) <= 0.0051 and abs(high - expected[1]) <= 0.0051


def check_effective_n(ex: Export, table: dict, margins: pd.DataFrame) -> None:
    w, inside = rake(ex, margins)
    for title, shown in table["rows"]:
        level = inside[f"support__{ex.themes[title]}"]
        wv = w[level.isin(LEVELS)]
        assert abs(number(shown) - wv.sum() ** 2 / (wv**2).sum()) <= 0.51


def check_achieved(ex: Export, table: dict, margins: pd.DataFrame) -> None:
    w, inside = rake(ex, margins)
    for variable_label, group, target, unweighted, weighted in table["rows"]:
        variable = {"District": "district", "Age": "age_band", "Sex": "sex"}[variable_label]
        part = margins[margins["variable"] == variable]
        code = {label: code for code, label in ex.labels(variable).items()}.get(group, group)
        share = part.set_index("category")["population"] / part["population"].sum()
        assert abs(number(target) - 100 * share[code]) <= 0.05 + 1e-9
        assert abs(number(unweighted) - 100 * (inside[variable] == code).mean()) <= 0.05 + 1e-9
        assert abs(number(weighted) - 100 * w[inside[variable] == code].sum() / w.sum()) <= 0.06


def check_statuses(ex: Export, table: dict) -> None:
    counts = ex.wide["status"].value_counts()
    for status, n, share, counted in table["rows"]:
        code = status.lower()
        assert number(n) == counts.get(code, 0)
        assert share == f"{100 * counts.get(code, 0) / len(ex.wide):.1f}%"
        assert counted == ("counted" if code == "valid" else "reported separately")


def check_excluded(ex: Export, table: dict) -> None:
    n, status = re.fullmatch(r"What the ([\d,]+) (\w+) responses? said \(not counted above\):", table["before"]).groups()
    rows = ex.wide[ex.wide["status"] == status]
    assert number(n) == len(rows)
    for title, n_view, sup, opp in table["rows"]:
        counts = ex.levels(title, rows)
        view = sum(counts.get(lv, 0) for lv in LEVELS)
        published(n_view, view)
        if view >= MIN_CELL:
            assert sup == pct((counts.get("strongly_support", 0) + counts.get("support", 0)) / view)
            assert opp == pct((counts.get("oppose", 0) + counts.get("strongly_oppose", 0)) / view)
        else:
            assert sup == opp == "–"


def check_comment_groups(ex: Export, table: dict, markdown: str) -> None:
    """Groups of similar comments: each share is the group's size over the theme's comments that
    can be quoted (valid responses, not hidden), and the groups hold no more than all of them."""
    if table["h3"] in ex.themes:
        column = f"comment__{ex.themes[table['h3']]}"
    else:  # a free-text question of its own, named by its label in the data dictionary
        by_label = ex.dictionary.loc[ex.dictionary["label"] == table["h3"], "column"]
        assert len(by_label) == 1, table["h3"]
        column = by_label.iloc[0]
    hidden = (";" + ex.valid["hidden_comments"] + ";").str.contains(f";{column};", regex=False)
    n_comments = int(((ex.valid[column] != "") & ~hidden).sum())
    section = markdown.split(f"### {table['h3']}\n", 1)[1]
    n_valid = len(ex.valid)
    said = re.search(r"([\d,]+) (?:person|people) of the ([\d,]+) counted responses answered \((\d+%)\)\.", section)
    assert said, section[:200]
    assert number(said.group(1)) == n_comments and number(said.group(2)) == n_valid
    assert said.group(3) == pct(n_comments / n_valid)
    sizes = []
    for row in table["rows"]:
        size, share = re.fullmatch(r"([\d,]+) \((\d+%)\)", row[1]).groups()
        sizes.append(number(size))
        assert share == pct(number(size) / n_comments)
    assert sum(sizes) <= n_comments


def check_languages(ex: Export, table: dict) -> None:
    """Comments by language: the total is every free-text answer of a counted response, counted
    from the export's columns; each shown count follows the small-number rule and, when none is
    hidden, they add up to the total. The lists for translation name counted responses whose
    answer to that question is not empty and not hidden."""
    free_text = ex.dictionary.loc[(ex.dictionary["type"] == "comment") | (
        (ex.dictionary["type"] == "text") & (ex.dictionary["question"] != "")
        & (ex.dictionary["codes"] == "") & ~ex.dictionary["column"].isin(["postcode_district"])), "column"]
    if table["header"] == ["Language", "Comments"]:
        rows = dict(table["rows"])
        total = sum(int((ex.valid[c] != "").sum()) for c in free_text)
        assert number(rows.pop("Total")) == total
        for cell in rows.values():
            assert cell in ("<10", "–") or number(cell) >= MIN_CELL
        if all(cell not in ("<10", "–") for cell in rows.values()):
            assert sum(number(cell) for cell in rows.values()) == total
        return
    assert table["header"] == ["Response", "Question", "Comment"]
    by_ref = ex.valid.set_index("reference")
    for reference, question, _ in table["rows"]:
        reference = reference.strip("`")
        column = f"comment__{ex.themes[question]}" if question in ex.themes else \
            ex.dictionary.loc[ex.dictionary["label"] == question, "column"].iloc[0]
        assert by_ref.loc[reference, column] != ""
        assert column not in by_ref.loc[reference, "hidden_comments"].split(";")


# ---------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_table_of_the_report_is_recomputed_from_the_export(built):
    wide, dictionary, markdown = built
    ex = Export(wide, dictionary)
    margins = pd.read_csv(DEMO / "margins.csv", dtype={"category": str})
    tables = parse_tables(markdown)
    test_tables = []
    checked = 0
    for table in tables:
        h2, header = table["h2"], table["header"]
        if h2 == "Support for each theme":
            (check_levels if "Strongly support" in header else check_support)(ex, table)
        elif h2 == "Which themes matter most":
            check_ranking(ex, table)
        elif h2 == "Who answered":
            check_channels(ex, table)
        elif h2 == "Differences between groups":
            check_breakdown(ex, table)
        elif h2 == "Weighted to the population":
            check_weighted(ex, table, margins)
        elif h2 == "What people said" and table["h3"] == "Comments by language":
            check_languages(ex, table)
        elif h2 == "What people said":
            check_comment_groups(ex, table, markdown)
        elif h2 == "Responses not counted":
            (check_statuses if header[0] == "Status" else check_excluded)(ex, table)
        elif h2 == "Methods appendix" and table["h3"] == "Ranking scores":
            check_borda(ex, table)
        elif h2 == "Methods appendix" and table["h3"] == "Tests of differences between groups":
            test_tables.append(table)
            continue
        elif h2 == "Methods appendix" and table["h3"] == "Weighting":
            (check_effective_n if header[1] == "Effective sample size" else check_achieved)(ex, table, margins)
        else:
            pytest.fail(f"no recomputation for the table under '{h2} / {table['h3']}' with columns {header}")
        checked += 1
    check_tests(ex, test_tables)
    checked += len(test_tables)
    assert checked == len(tables) and checked >= 25
    # the per-level table is the one that was wrong: its Support column is "support" alone
    assert "Number of people at each level" in markdown


@pytest.mark.slow
def test_the_report_carries_the_consultations_title_from_the_csv_export(built):
    _, dictionary, markdown = built
    title = dictionary.loc[dictionary["column"] == "consultation", "codes"].iloc[0].partition("=")[2]
    assert title and markdown.splitlines()[0] == f"# Evidence report: {title}"
    assert not re.search(r"(?<![\d,.])1 (comments|responses|people|tests|days|weeks)\b", markdown)
    assert "+100 to +100" not in markdown
