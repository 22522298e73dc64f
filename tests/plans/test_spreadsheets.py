"""Deliverables and progress in and out of CSV and Excel: the export is the template, the import
is checked row by row with a dry run, then stored all or nothing, and the same file twice adds
nothing."""
from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from openpyxl import load_workbook

from consult.extensions import db
from consult.models import AuditEvent
from consult.plans import spreadsheets
from consult.plans.models import Deliverable, ProgressUpdate
from consult.plans.progress import UpdateInput, current_updates, record_update

from staff.conftest import csrf_token


def _csv(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def _exported(plan, period):
    out = io.StringIO()
    spreadsheets.write_csv(plan, period, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def _fill(rows, key, **values):
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("key")] == key:
            for name, value in values.items():
                row[header.index(name)] = value
    return rows


def _count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_export_lists_every_deliverable_with_its_current_update(plan, deliverables, periods):
    record_update(deliverables["speed"], periods["2022-h1"],
                  UpdateInput("amber", "no_change", note="=HYPERLINK(\"x\")"), actor="t")
    rows = _exported(plan, periods["2022-h1"])
    assert rows[0] == spreadsheets.COLUMNS
    by_key = {r[1]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert list(by_key) == ["patrols", "lighting", "watch", "speed", "cameras"]
    assert by_key["speed"]["status"] == "Amber" and by_key["speed"]["note"].startswith("'=")
    assert by_key["lighting"]["partners"] == "Parish councils"
    assert by_key["lighting"]["due_on"] == "2023-06-30"


def test_a_filled_in_export_imports_all_or_nothing_with_a_dry_run(plan, deliverables, periods):
    h1 = periods["2022-h1"]
    rows = _exported(plan, h1)
    _fill(rows, "patrols", status="green", direction="Improving", lead="Chief Inspector")
    _fill(rows, "speed", status="Red", direction="worsening", note="")  # red needs a note
    _fill(rows, "cameras", status="blue")
    table = spreadsheets.read_table(_csv(rows), "progress.csv")
    result = spreadsheets.check(plan, h1, table)
    assert result.problems == [
        "row 5, note: Write a note saying why it is red and what is being done: the Panel reads it",
        "row 6, status: 'blue' is not a status; use one of Not started, Green, Amber, Red, Complete"]
    with pytest.raises(spreadsheets.SpreadsheetError):
        spreadsheets.apply(plan, h1, result, filename="progress.csv", actor="t")
    assert _count(ProgressUpdate) == 0 and deliverables["patrols"].lead == ""
    _fill(rows, "speed", note="Volunteers left")
    _fill(rows, "cameras", status="")
    result = spreadsheets.check(plan, h1, spreadsheets.read_table(_csv(rows), "progress.csv"))
    assert not result.problems and (result.updates, result.changed, result.added) == (2, 1, 0)
    spreadsheets.apply(plan, h1, result, filename="progress.csv", actor="partner import")
    updates = current_updates(h1)
    assert {d.key: updates[d.id].status for d in plan.deliverables if d.id in updates} == {
        "patrols": "green", "speed": "red"}
    assert deliverables["patrols"].lead == "Chief Inspector"
    assert updates[deliverables["speed"].id].source == "import"
    # the same file again adds nothing
    again = spreadsheets.check(plan, h1, spreadsheets.read_table(_csv(rows), "progress.csv"))
    assert again.planned == [] and not again.problems
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["plan.deliverable.edit", "plan.progress", "plan.progress", "plan.import"]


def test_a_row_with_a_new_key_adds_a_deliverable_to_its_theme(plan, periods):
    rows = [spreadsheets.COLUMNS,
            ["roads", "signs", "", "New speed signs", "", "Parish A; Parish B", "2023-01-31",
             "2022-h1", "Not started", "No change", "", "", ""],
            ["nowhere", "ghost", "", "Ghost", "", "", "", "", "", "", "", "", ""]]
    result = spreadsheets.check(plan, periods["2022-h1"], spreadsheets.read_table(_csv(rows), "x.csv"))
    assert result.problems == ["row 3, theme: 'ghost' is not a deliverable of test-plan; to add it, "
                               "give the key of its theme (streets, roads)"]
    result = spreadsheets.check(plan, periods["2022-h1"],
                                spreadsheets.read_table(_csv(rows[:2]), "x.csv"))
    spreadsheets.apply(plan, periods["2022-h1"], result, filename="x.csv", actor="t")
    added = db.session.scalars(sa.select(Deliverable).where(Deliverable.key == "signs")).one()
    assert (added.theme.key, added.partners, added.due_on.isoformat()) == \
        ("roads", ["Parish A", "Parish B"], "2023-01-31")
    assert [d.key for d in added.theme.deliverables][-1] == "signs"


def test_the_direction_may_be_left_for_the_previous_period_to_propose(plan, deliverables, periods):
    record_update(deliverables["cameras"], periods["2022-h1"], UpdateInput("green", "no_change"), actor="t")
    rows = _fill(_exported(plan, periods["2022-h2"]), "cameras", status="amber", note="Supplier")
    result = spreadsheets.check(plan, periods["2022-h2"], spreadsheets.read_table(_csv(rows), "x.csv"))
    assert not result.problems
    assert result.planned[0].update.direction == "worsening"


@pytest.mark.parametrize("data, name, message", [
    (b"key,status\n", "x.txt", "send a .csv or .xlsx file"),
    (b"\xff\xfe\x00bad", "x.csv", "is not UTF-8 text"),
    (b"title,lead\nA,B\n", "x.csv", "has no key, status column"),
    (b"not a zip", "x.xlsx", "is not an Excel workbook that can be read"),
    (b"", "x.csv", "is empty"),
])
def test_a_file_that_cannot_be_read_is_explained(data, name, message):
    with pytest.raises(spreadsheets.SpreadsheetError) as caught:
        spreadsheets.read_table(data, name)
    assert message in str(caught.value)


def test_the_excel_export_reads_back_in(plan, periods):
    out = io.BytesIO()
    spreadsheets.write_xlsx(plan, periods["2022-h1"], out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).worksheets[0]
    assert [c.value for c in sheet[1]] == spreadsheets.COLUMNS
    table = spreadsheets.read_table(out.getvalue(), "progress.xlsx")
    assert [r["key"] for r in table] == ["patrols", "lighting", "watch", "speed", "cameras"]
    assert spreadsheets.check(plan, periods["2022-h1"], table).planned == []


def test_the_workspace_import_page_dry_runs_then_imports(plan, periods, signed_in, client):
    signed_in("delivery")
    url = "/staff/plans/test-plan/periods/2022-h1/import"
    rows = _fill(_exported(plan, periods["2022-h1"]), "watch", status="Complete", direction="Improving")
    token = csrf_token(client, url)
    answer = client.post(url, data={"csrf_token": token, "dry_run": "1",
                                    "file": (io.BytesIO(_csv(rows)), "progress.csv")},
                         content_type="multipart/form-data")
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    assert "Dry run, no problems" in soup.select_one(".govuk-inset-text").get_text()
    assert _count(ProgressUpdate) == 0
    answer = client.post(url, data={"csrf_token": token,
                                    "file": (io.BytesIO(_csv(rows)), "progress.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 302 and _count(ProgressUpdate) == 1
    download = client.get("/staff/plans/test-plan/periods/2022-h1/progress.csv")
    assert "attachment" in download.headers["Content-Disposition"]
    assert "Complete" in download.get_data(as_text=True)


def test_flask_plans_export_and_import(app, plan, periods, cli_runner, tmp_path):
    path = tmp_path / "progress.csv"
    assert cli_runner.invoke(args=["plans", "export", "test-plan", "2022-h1", "--format", "csv",
                                   "--out", str(path)]).exit_code == 0
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    path.write_bytes(_csv(_fill(rows, "speed", status="amber", direction="No change")))
    result = cli_runner.invoke(args=["plans", "import", "test-plan", "2022-h1", str(path), "--dry-run"])
    assert result.exit_code != 0 and "row 5, note: Write a note" in result.output
    path.write_bytes(_csv(_fill(rows, "speed", note="Fewer volunteers")))
    result = cli_runner.invoke(args=["plans", "import", "test-plan", "2022-h1", str(path), "--dry-run"])
    assert result.exit_code == 0 and "Nothing stored (dry run)" in result.output
    assert _count(ProgressUpdate) == 0
    result = cli_runner.invoke(args=["plans", "import", "test-plan", "2022-h1", str(path)])
    assert result.exit_code == 0 and "1 progress update(s)" in result.output
    assert _count(ProgressUpdate) == 1
