"""Imports: a dry run with a row-by-row report, then all rows or none; never twice."""
from __future__ import annotations

import csv
import io

import openpyxl
import sqlalchemy as sa
import xlsxwriter

from consult.exports import columns
from consult.extensions import db
from consult.imports import check_file, import_file
from consult.models import AuditEvent, ImportBatch, Response

from .conftest import csrf_token

SLUG = "police-and-crime-plan-2021"
HEADER = ["received_on", "channel", "respondent_type", "district", "support__communities_first",
          "comment__communities_first", "rank__communities_first", "rank__crime_prevention",
          "victim_crime_types"]
GOOD = [
    ["2021-06-14", "paper", "resident", "fenland", "support", "More patrols", "", "", ""],
    ["2021-06-15", "event", "victim_or_witness", "cambridge", "dont_know", "'=1+1", "", "",
     "violence;burglary"],
    ["2021-06-15", "email", "business", "peterborough", "", "", "", "", "violence"],
]


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Response)) or 0


def test_dry_run_reports_every_problem_with_row_and_column(pcp2021):
    rows = GOOD + [
        ["2021-13-01", "pigeon", "resident", "atlantis", "very much", "", "1", "1", ""],
        ["", "paper", "", "fenland", "", "", "", "", ""],
    ]
    check = check_file(pcp2021, "responses.csv", csv_file(rows))
    found = {(p.row, p.column) for p in check.problems}
    assert {(5, "received_on"), (5, "channel"), (5, "district"),
            (5, "support__communities_first"), (6, "received_on")} <= found
    assert (5, "rank__*") in found  # two themes with the same rank
    assert (6, "respondent_type") in found  # required online, so required here too
    assert not {row for row, _ in found} & {2, 3, 4}
    assert count() == 0


def test_unknown_and_missing_columns_are_reported_on_the_header_row(pcp2021):
    check = check_file(pcp2021, "r.csv", csv_file([["x"]], header=["favourite_colour"]))
    assert {(p.row, p.column) for p in check.problems} == {
        (1, "favourite_colour"), (1, "received_on"), (1, "channel")}


def test_import_stores_every_row_in_one_go_and_never_twice(pcp2021, staff):
    content = csv_file(GOOD)
    check = import_file(pcp2021, "responses.csv", content, user=staff["engagement"])
    assert check.ok and len(check.new_rows) == 3 and count() == 3
    stored = db.session.scalars(sa.select(Response).order_by(Response.received_on,
                                                              Response.channel)).all()
    assert {r.channel for r in stored} == {"paper", "event", "email"}
    victim = next(r for r in stored if r.respondent_type == "victim_or_witness")
    assert victim.answers["comment__communities_first"] == "=1+1"  # the export's ' taken off
    assert victim.answers["victim_crime_types"] == ["violence", "burglary"]
    business = next(r for r in stored if r.respondent_type == "business")
    assert "victim_crime_types" not in business.answers  # not asked of a business
    assert all(r.entered_by_id == staff["engagement"].id for r in stored)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
    assert (event.actor, event.rows) == ("engagement@example.org", 3)

    again = import_file(pcp2021, "responses.csv", content)
    assert again.already_imported_file is not None and count() == 3
    # the same rows in another file (another order, a blank line) add nothing either
    reordered = csv_file([GOOD[2], GOOD[0], [""] * len(HEADER), GOOD[1]])
    third = import_file(pcp2021, "again.csv", reordered)
    assert third.ok and third.already_imported == 3 and third.new_rows == [] and count() == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 2


def test_one_bad_row_means_nothing_is_imported(pcp2021):
    rows = GOOD + [["2021-06-16", "paper", "resident", "fenland", "maybe", "", "", "", ""]]
    check = import_file(pcp2021, "responses.csv", csv_file(rows))
    assert not check.ok and count() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ImportBatch)) == 0


def test_identical_paper_forms_in_one_file_are_both_kept(pcp2021):
    check = import_file(pcp2021, "twins.csv", csv_file([GOOD[0], GOOD[0]]))
    assert check.ok and count() == 2


def test_xlsx_files_are_imported_too(pcp2021, tmp_path):
    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {"strings_to_formulas": False})
    sheet = workbook.add_worksheet("responses")
    for c, name in enumerate(HEADER):
        sheet.write_string(0, c, name)
    for r, row in enumerate(GOOD, start=1):
        for c, value in enumerate(row):
            if value.isdigit():
                sheet.write_number(r, c, int(value))
            elif value:
                sheet.write_string(r, c, value)
    workbook.close()
    check = import_file(pcp2021, "responses.xlsx", data.getvalue())
    assert check.ok, check.problems
    assert count() == 3


def test_a_file_that_is_not_a_table_gets_a_clear_message(pcp2021, signed_in):
    client = signed_in("engagement")
    url = f"/staff/consultations/{SLUG}/import"
    for name, content in [("x.xlsx", b"not a zip"), ("x.csv", b"\xff\xfe\x00bad"),
                          ("x.pdf", b"%PDF"), ("x.csv", b"")]:
        answer = client.post(url, data={"csrf_token": csrf_token(client, url),
                                        "file": (io.BytesIO(content), name)},
                             content_type="multipart/form-data")
        assert answer.status_code == 400, name
        page = answer.get_data(as_text=True)
        assert "govuk-error-message" in page and "Traceback" not in page


def test_staff_check_then_import_in_the_browser_flow(pcp2021, signed_in):
    client = signed_in("engagement")
    url = f"/staff/consultations/{SLUG}/import"
    bad = csv_file(GOOD + [["2021-06-16", "fax", "resident", "", "", "", "", "", ""]])
    answer = client.post(url, data={"csrf_token": csrf_token(client, url),
                                    "file": (io.BytesIO(bad), "bad.csv")},
                         content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert "nothing has been imported" in page and "&#39;fax&#39; is not one of" in page
    assert count() == 0
    big = csv_file(GOOD * 400)  # over the public 64 KiB request limit
    assert len(big) > 64 * 1024
    answer = client.post(url, data={"csrf_token": csrf_token(client, url),
                                    "file": (io.BytesIO(big), "big.csv")},
                         content_type="multipart/form-data")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "The file is ready to import" in page
    assert count() == 0  # the dry run stores nothing
    import re

    fields = dict(re.findall(r'name="(sha256|filename|csrf_token)" type="hidden" value="([^"]+)"',
                             page))
    answer = client.post(f"{url}/confirm", data=fields)
    assert answer.status_code == 302
    assert count() == 1200


def test_the_template_has_the_export_columns(pcp2021, signed_in):
    client = signed_in("engagement")
    url = f"/staff/consultations/{SLUG}/import/template"
    csv_template = client.get(url + ".csv").get_data(as_text=True)
    expected = [c.column for c in columns(pcp2021)]
    assert next(csv.reader(io.StringIO(csv_template))) == expected
    xlsx = client.get(url + ".xlsx").get_data()
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx))["responses"]
    assert [c.value for c in sheet[1]] == expected


def test_cli_import_dry_run_then_import(pcp2021, cli_runner, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes(csv_file(GOOD))
    result = cli_runner.invoke(args=["import", SLUG, str(path), "--dry-run"])
    assert result.exit_code == 0 and "Nothing stored" in result.output and count() == 0
    result = cli_runner.invoke(args=["import", SLUG, str(path)])
    assert result.exit_code == 0 and "Imported 3 responses" in result.output and count() == 3
    result = cli_runner.invoke(args=["import", SLUG, str(path)])
    assert result.exit_code != 0 and "already imported" in result.output and count() == 3
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([["soon", "paper", "resident", "", "", "", "", "", ""]]))
    result = cli_runner.invoke(args=["import", SLUG, str(bad)])
    assert result.exit_code != 0 and "row 2, column received_on" in result.output
