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
        cell = f"{100 * row.support_low:.0f}–{100 * row.support_high:.0f}%"
        assert cell in html and cell in md
    assert html.count('<img src="data:image/png;base64,') >= 13  # self-contained
    assert "http://" not in html and "https://" not in html
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
    doc["format_version"] = 3
    (tmp_path / "v3.json").write_text(json.dumps(doc), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "analysis", "report", "--source", str(tmp_path / "v3.json"),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "version 3" in done.stderr and "format version 1" in done.stderr
    assert "Traceback" not in done.stderr
