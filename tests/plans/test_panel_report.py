"""The Panel report: the same figures as a web page and as a Word document, recomputed here from
the updates themselves; accessible Word; the same bytes when run twice."""
from __future__ import annotations

import io
import zipfile
from collections import Counter

import docx
import pytest
from bs4 import BeautifulSoup
from docx.oxml.ns import qn

from consult.plans import report
from consult.plans.progress import UpdateInput, record_update

# Two periods keyed in as an officer would: (deliverable, status, direction, note, next steps).
H1 = [("patrols", "amber", "no_change", "Recruitment is slow", ""),
      ("lighting", "green", "no_change", "", "Survey of lamps"),
      ("watch", "not_started", "no_change", "", ""),
      ("speed", "red", "no_change", "Volunteers withdrew", ""),
      ("cameras", "green", "no_change", "", "")]
H2 = [("patrols", "green", "improving", "", "Full strength by June"),
      ("lighting", "complete", "improving", "", ""),
      ("speed", "amber", "improving", "New volunteers trained", ""),
      ("speed", "red", "no_change", "Volunteers withdrew again", "Recruit again"),  # a correction
      ("cameras", "amber", "worsening", "Supplier delay", "")]


@pytest.fixture
def two_periods(plan, deliverables, periods):
    for period, rows in (("2022-h1", H1), ("2022-h2", H2)):
        for key, status, direction, note, next_steps in rows:
            record_update(deliverables[key], periods[period],
                          UpdateInput(status, direction, note=note, next_steps=next_steps),
                          actor="officer@example.org")
    return plan, periods["2022-h2"]


def _expected_counts(rows, deliverable_themes):
    latest = {key: status for key, status, *_ in rows}  # a later row replaces an earlier one
    counts = Counter()
    for key, theme in deliverable_themes.items():
        counts[(theme, latest.get(key, "no_update"))] += 1
    return counts


def test_the_summary_counts_are_the_latest_update_of_each_deliverable(two_periods, deliverables):
    plan, period = two_periods
    data = report.build(plan, period)
    themes = {key: d.theme.title for key, d in deliverables.items()}
    expected = _expected_counts(H2, themes)
    for theme in data["themes"]:
        for code, count in theme["counts"].items():
            assert count == expected[(theme["title"], code)], (theme["title"], code)
    assert data["totals"]["no_update"] == 1  # 'watch' has nothing recorded in the second period
    assert [(i["title"], i["status"], i["note"]) for i in data["red_amber"]] == [
        ("Community speed watch", "red", "Volunteers withdrew again"),
        ("Average speed cameras", "amber", "Supplier delay")]
    assert [(i["title"], i["previous_status"], i["status"]) for i in data["changes"]] == [
        ("More foot patrols", "amber", "green"), ("Street lighting review", "green", "complete"),
        ("Average speed cameras", "green", "amber")]
    assert [i["title"] for i in data["completed"]] == ["Street lighting review"]
    # still to deliver and due within 9 months of 31 March 2023 (or with no due date stated)
    assert [i["title"] for i in data["coming"]] == ["More foot patrols", "Community speed watch",
                                                   "Average speed cameras"]
    assert data["later"] == 1 and data["horizon"] == "December 2023"
    assert data["coming"][1]["next_steps"] == "Recruit again"
    measure = data["themes"][0]["measures"][0]
    assert (measure["value"], measure["previous"], measure["trend"]) == (385, 410, "down (better)")


def _html_table(soup, caption_start):
    table = next(t for t in soup.find_all("table") if t.caption.get_text().startswith(caption_start))
    return [[c.get_text(" ", strip=True) for c in row.find_all(["th", "td"])]
            for row in table.find_all("tr")]


def _docx_table(document, index):
    return [[c.text for c in row.cells] for row in document.tables[index].rows]


def test_the_web_page_and_the_word_document_give_the_same_figures(app, two_periods, signed_in):
    plan, period = two_periods
    client = signed_in("viewer")
    answer = client.get("/staff/plans/test-plan/periods/2022-h2/report")
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    assert soup.html["lang"] == "en-GB"
    assert soup.h1.get_text() == "Test Plan 2021-24: delivery report for October 2022 to March 2023"
    summary = _html_table(soup, "Table 1")
    assert summary[0] == ["Theme", "Red", "Amber", "Green", "Complete", "Not started",
                          "No update recorded", "Total"]
    assert summary[1:] == [["Safer Streets", "0", "0", "1", "1", "0", "1", "3"],
                           ["Safer Roads", "1", "1", "0", "0", "0", "0", "2"],
                           ["All themes", "1", "1", "1", "1", "0", "1", "5"]]
    image = soup.find("img")
    assert image["alt"].startswith("Bar chart of the delivery status") and \
        "Safer Roads: 1 red, 1 amber" in image["alt"]
    red_amber = _html_table(soup, "Table 2")
    assert [r[1] for r in red_amber[1:]] == ["Community speed watch", "R2 Average speed cameras"]

    download = client.get("/staff/plans/test-plan/periods/2022-h2/report.docx")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(download.data))
    assert _docx_table(document, 0) == summary
    assert _docx_table(document, 1) == red_amber
    assert _docx_table(document, 2) == _html_table(soup, "Table 3")
    assert _docx_table(document, 3) == _html_table(soup, "Table 4")
    assert _docx_table(document, 4) == _html_table(soup, "Table 5")


def test_the_word_document_is_accessible(two_periods):
    plan, period = two_periods
    document = docx.Document(io.BytesIO(report.docx(report.build(plan, period))))
    headings = [(p.style.name, p.text) for p in document.paragraphs
                if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == ("Title", "Test Plan 2021-24: delivery report for October 2022 to March 2023")
    assert [h for h, _ in headings[1:]] == ["Heading 1"] * 6
    for table in document.tables:
        header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
        assert header is not None and header.get(qn("w:val")) == "true"
    pictures = document.inline_shapes
    assert len(pictures) == 1
    assert pictures[0]._inline.docPr.get("descr").startswith("Bar chart of the delivery status")
    lang = document.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:lang"))
    assert lang.get(qn("w:val")) == "en-GB"
    assert document.core_properties.language == "en-GB"


def test_run_twice_the_report_is_the_same_to_the_byte(two_periods):
    plan, period = two_periods
    first = report.docx(report.build(plan, period))
    second = report.docx(report.build(plan, period))
    assert first == second
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zipfile.ZipFile(io.BytesIO(first)).infolist())
    assert report.chart_png(report.build(plan, period)) == report.chart_png(report.build(plan, period))


def test_flask_plans_report_writes_the_same_report_as_the_workspace(app, two_periods, cli_runner,
                                                                    tmp_path, signed_in):
    result = cli_runner.invoke(args=["plans", "report", "test-plan", "2022-h2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = (tmp_path / "test-plan-2022-h2-panel-report.html").read_text()
    soup = BeautifulSoup(written, "html.parser")
    assert soup.style is not None and soup.find("link") is None  # a file that stands alone
    client = signed_in("viewer")
    served = BeautifulSoup(client.get("/staff/plans/test-plan/periods/2022-h2/report")
                           .get_data(as_text=True), "html.parser")
    for caption in ("Table 1", "Table 2", "Table 3", "Table 4", "Table 5"):
        assert _html_table(soup, caption) == _html_table(served, caption)
    client_docx = client.get("/staff/plans/test-plan/periods/2022-h2/report.docx").data
    assert (tmp_path / "test-plan-2022-h2-panel-report.docx").read_bytes() == client_docx
    again = cli_runner.invoke(args=["plans", "report", "test-plan", "2022-h2", "--out", str(tmp_path)])
    assert again.exit_code == 0
    assert (tmp_path / "test-plan-2022-h2-panel-report.html").read_text() == written


def test_an_unknown_period_is_explained(app, plan, cli_runner, tmp_path):
    result = cli_runner.invoke(args=["plans", "report", "test-plan", "2030", "--out", str(tmp_path)])
    assert result.exit_code != 0
    assert "test-plan has no reporting period '2030' (its periods: 2022-h1, 2022-h2)" in result.output


def test_the_first_period_says_there_is_nothing_to_compare_with(plan, periods, deliverables):
    data = report.build(plan, periods["2022-h1"])
    assert data["totals"]["no_update"] == 5
    record_update(deliverables["patrols"], periods["2022-h1"], UpdateInput("green", "no_change"),
                  actor="t")
    data = report.build(plan, periods["2022-h1"])
    assert data["previous_period"] is None
    assert data["totals"]["no_update"] == 4 and data["changes"] == []
    text = docx.Document(io.BytesIO(report.docx(data)))
    assert any("There is no earlier period to compare with" in p.text for p in text.paragraphs)
