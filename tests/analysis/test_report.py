"""The evidence report: written twice it is the same; quotes are redacted, never hidden ones;
bad arguments give one plain line, never a traceback."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from analysis_helpers import DEMO, ROOT

from analysis.__main__ import main


@pytest.fixture(scope="module")
def reports(tmp_path_factory, demo):
    out = tmp_path_factory.mktemp("report")
    for run in ("one", "two"):
        assert main(["report", "--source", str(DEMO / "demo.json"), "--out", str(out / run),
                     "--weights", str(DEMO / "margins.csv"), "--quiet"]) == 0
    return out


@pytest.mark.slow
def test_the_report_is_the_same_every_run(reports):
    for name in ("report.html", "report.md", "charts/support.png", "charts/by_district.svg"):
        assert (reports / "one" / name).read_bytes() == (reports / "two" / name).read_bytes(), name


@pytest.mark.slow
def test_the_report_holds_the_figures_charts_and_methods(reports, demo):
    html = (reports / "one" / "report.html").read_text(encoding="utf-8")
    md = (reports / "one" / "report.md").read_text(encoding="utf-8")
    from analysis import tally
    table = tally.support_table(demo)
    for theme, row in table.iterrows():
        cell = f"{100 * row.support_low:.0f}% to {100 * row.support_high:.0f}%"
        words = f"between {100 * row.support_low:.0f}% and {100 * row.support_high:.0f}%"
        assert cell in html and cell in md
        assert words in html and words in md
    # self-contained: every chart embedded (responses per 1,000 residents only when the export
    # gives the residents)
    assert html.count('<img src="data:image/png;base64,') >= 12 + bool(demo.consultation["population"])
    # nothing fetched from elsewhere (a source cited in the text is no request)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", html)
    assert all(alt.strip() for alt in re.findall(r'alt="([^"]*)"', html))
    for words in ("Methods", "Wilson", "&lt;10", "Kish", "Holm", "Responses not counted", "@media print"):
        assert words in html
    assert (reports / "one" / "charts" / "support.svg").exists()
    assert "](charts/support.png)" in md


@pytest.mark.slow
def test_quotes_carry_references_are_redacted_and_never_hidden(reports, demo):
    html = (reports / "one" / "report.html").read_text(encoding="utf-8")
    said = html[html.index('<h2 id="said">'):html.index('<h2 id="separate">')]
    # quotes and the typical comment of each main point; near copies are shown once
    references = re.findall(r'<span class="ref">(PCP-[0-9A-Z-]+)</span>', said)
    assert len(references) >= 10
    valid = demo.responses.set_index("reference")["status"]
    assert all(valid[r] == "valid" for r in references)
    assert "useless idiot" not in html  # the moderator hid it
    assert "@example.com" not in html and "07700" not in html
    doc = json.loads((DEMO / "demo.json").read_text(encoding="utf-8"))
    assert any("@example.com" in (r.get("comment__crime_prevention") or "") for r in doc["responses"])


@pytest.mark.parametrize("args, words", [
    (["--source", "/nowhere/x.csv"], "There is no file at /nowhere/x.csv"),
    (["--source", "sqlite:////nowhere/at/all.db"], "There is no database file"),
    (["--source", "postgres+nodriver://u@h/db"], "not a database URL"),
    (["--source", str(DEMO / "demo.json"), "--weights", "/nowhere/m.csv"], "no population margins file"),
])
def test_bad_arguments_give_one_clear_line(tmp_path, capsys, args, words):
    assert main(["report", "--out", str(tmp_path / "out"), "--quiet", *args]) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_unknown_format_version_from_the_command_line(tmp_path):
    doc = json.loads((DEMO / "demo.json").read_text(encoding="utf-8"))
    doc["format_version"] = 5
    (tmp_path / "v5.json").write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analysis", "report", "--source", str(tmp_path / "v5.json"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "version 5" in done.stderr and "format versions 1, 2, 3 and 4" in done.stderr
    assert "Traceback" not in done.stderr


def test_report_on_a_consultation_with_no_responses_is_one_line_and_exit_2(app, tmp_path, capsys):
    runner = app.test_cli_runner()
    done = runner.invoke(args=["consultations", "load", str(ROOT / "instance" / "consultations" /
                                                              "police-and-crime-plan-2021.yaml")])
    assert done.exit_code == 0, done.output
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    assert main(["report", "--source", url, "--consultation", "police-and-crime-plan-2021",
                 "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "has no responses yet, so there is nothing to report on" in err
    assert not (tmp_path / "out" / "report.html").exists()


def test_report_on_an_export_with_no_responses_is_one_line_and_exit_2(tmp_path, capsys):
    header = (DEMO / "demo.csv").read_text(encoding="utf-8").splitlines()[0]
    (tmp_path / "empty.csv").write_text(header + "\n", encoding="utf-8")
    assert main(["report", "--source", str(tmp_path / "empty.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "has no responses yet" in err


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    "**loud** _quiet_ `code` ~~gone~~ a | b",
    "<!-- hidden --> &lt;b&gt; <http://example.org>",
    "# not a heading",
    "1. not a list",
])
def test_markdown_text_from_the_data_renders_as_the_same_plain_text(text):
    from bs4 import BeautifulSoup
    from markdown_it import MarkdownIt

    from analysis.report import markdown_text
    rendered = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(
        f"{markdown_text(text)}\n")
    soup = BeautifulSoup(rendered, "html.parser")
    assert [t.name for t in soup.find_all(True)] == ["p"]  # no tag, link, emphasis or code from the data
    assert soup.get_text().strip() == text


def _table(rows):
    import pandas as pd
    frame = pd.DataFrame(rows, columns=["title", "n_view", "support_share", "support_low", "support_high"])
    return frame.set_index(frame["title"].str.lower())


def test_headlines_name_every_theme_in_a_tie_and_say_how_many_answered():
    import pandas as pd

    from analysis.report import _headlines
    table = _table([("Roads", 200, 0.724, 0.66, 0.78), ("Drugs", 150, 0.716, 0.64, 0.78),
                    ("Youth", 90, 0.41, 0.31, 0.51)])
    lines = _headlines(table, pd.DataFrame())
    assert lines[0]["lead"] == "Most support" and lines[0]["names"] == ["Roads", "Drugs"]
    assert "72% each" in lines[0]["detail"] and "200 and 150 people" in lines[0]["detail"]
    assert lines[1]["names"] == ["Youth"]
    assert lines[1]["detail"] == "41% of the 90 people who gave a view support it (between 31% and 51%)"
    same = _headlines(_table([("Roads", 1, 1.0, 0.21, 1.0), ("Drugs", 1, 1.0, 0.21, 1.0)]), pd.DataFrame())
    assert len(same) == 1 and same[0]["lead"] == "All 2 themes had the same support"
    one = _headlines(_table([("Roads", 1, 1.0, 0.21, 1.0)]), pd.DataFrame())
    assert one[0]["detail"].startswith("100% of the 1 person who gave a view")


@pytest.mark.slow
def test_html_in_titles_and_comments_is_text_in_both_report_html_and_report_md(tmp_path):
    import pandas as pd
    from bs4 import BeautifulSoup
    from markdown_it import MarkdownIt

    import make_export
    assert make_export.main(["--responses", "80", "--seed", "3", "--out", str(tmp_path / "x"),
                             "--formats", "csv"]) == 0
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    wide = pd.read_csv(tmp_path / "x.csv", dtype=str, keep_default_na=False)
    wide.loc[wide["comment__crime_prevention"] != "", "comment__crime_prevention"] = (
        f"{attack} We need more police on the streets at night, please.")
    wide.to_csv(tmp_path / "x.csv", index=False)
    dictionary = pd.read_csv(tmp_path / "x.dictionary.csv", dtype=str, keep_default_na=False)
    dictionary.loc[dictionary["column"] == "support__crime_prevention", "theme_title"] = f"Crime {attack}"
    dictionary.loc[dictionary["column"] == "consultation", "codes"] = f"police-and-crime-plan-2021=Plan {attack}"
    dictionary.to_csv(tmp_path / "x.dictionary.csv", index=False)
    assert main(["report", "--source", str(tmp_path / "x.csv"), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    html = BeautifulSoup((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "html.parser")
    md = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    rendered = BeautifulSoup(MarkdownIt("commonmark", {"html": True}).enable("table").render(md), "html.parser")
    for page in (html, rendered):
        assert page.find("script") is None
        assert all(img.get("src", "").startswith(("data:image/png", "charts/")) for img in page.find_all("img"))
        assert attack in page.get_text()  # shown as the text it is, not dropped
    assert html.h1.get_text() == f"Plan {attack}"
    assert rendered.h1.get_text() == f"Evidence report: Plan {attack}"
