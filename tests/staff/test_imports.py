"""Imports: a dry run with a row-by-row report, then all rows or none; never twice."""
from __future__ import annotations

import csv
import io
import zipfile
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
import xlsxwriter
from bs4 import BeautifulSoup

from consult.exports import columns
from consult.extensions import db
from consult.imports import ImportFileError, check_file, import_file
from consult.models import AuditEvent, ImportBatch, ModerationEvent, Response

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
    # two themes with the same rank: one message naming both
    assert (5, "rank__communities_first, rank__crime_prevention") in found
    assert (6, "respondent_type") in found  # required online, so required here too
    assert not {row for row, _ in found} & {2, 3, 4}
    assert count() == 0


def test_unknown_and_missing_columns_are_reported_on_the_header_row(pcp2021):
    check = check_file(pcp2021, "r.csv", csv_file([["x"]], header=["favourite_colour"]))
    # the rows are still checked on the columns that can be read: the respondent type is missing
    assert {(p.row, p.column) for p in check.problems} == {
        (1, "favourite_colour"), (1, "received_on"), (1, "channel"), (2, "respondent_type")}


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
    assert "nothing has been imported" in page and "&#39;fax&#39; is not a channel" in page
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
    expected = [c.column for c in columns(pcp2021) if not c.column.startswith("translation__")]
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


# Issue 10 item 12 and issue 12 item 6: every problem in one pass, in words staff use.

def problems_of(check) -> list[tuple[int, str, str]]:
    return [(p.row, p.column, p.problem) for p in check.problems]


def test_a_header_problem_does_not_hide_the_row_problems(pcp2021):
    header = ["received_on", "respondent_type", "district", "favourite_colour"]
    content = csv_file([["2021-06-14", "resident", "atlantis", "blue"],
                        ["2021-06-14", "resident", "fenland", "red"]], header=header)
    found = {(row, column) for row, column, _ in problems_of(check_file(pcp2021, "r.csv", content))}
    assert found == {(1, "favourite_colour"), (1, "channel"), (2, "district")}


def test_a_semicolon_separated_file_is_read_as_such_and_the_report_says_so(pcp2021):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    writer.writerows(GOOD)
    check = check_file(pcp2021, "excel-fr.csv", out.getvalue().encode("utf-8-sig"))
    assert check.ok, check.problems
    assert len(check.new_rows) == 3
    assert any("separated by semicolons" in note for note in check.notes)
    victim = next(r for r in check.new_rows if r["answers"]["respondent_type"] == "victim_or_witness")
    assert victim["answers"]["victim_crime_types"] == ["violence", "burglary"]
    assert check_file(pcp2021, "r.csv", csv_file(GOOD)).notes == []  # commas: nothing to say


@pytest.mark.parametrize("name, content, words", [
    ("responses.csv", b"%PDF-1.7\n%\xe2\xe3", "is a PDF document, not a spreadsheet"),
    ("responses.xlsx", b"\x89PNG\r\n\x1a\n\0\0", "is a picture (PNG), not a spreadsheet"),
    ("responses.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64,
     "is an older Excel (.xls) or Word (.doc) file"),
    ("responses.csv", b"\0\x01\x02binary\0stuff" * 10, "is not a spreadsheet or a text file"),
    ("responses.xlsx", b"PK\x03\x04 broken zip", "could not be opened as an Excel workbook"),
    ("responses.csv", "received_on\n2021-06-14 café".encode("cp1252"), "is not in UTF-8"),
    ("responses.txt", b"\xff\xfer\x00e\x00", "Unicode Text (UTF-16)"),
])
def test_a_file_that_is_not_a_spreadsheet_is_named_in_plain_words(pcp2021, name, content, words):
    with pytest.raises(ImportFileError) as refused:
        check_file(pcp2021, name, content)
    assert words in str(refused.value) and name in str(refused.value)


def test_the_import_page_shows_what_kind_of_file_was_chosen(pcp2021, signed_in):
    client = signed_in("engagement")
    url = f"/staff/consultations/{SLUG}/import"
    answer = client.post(url, data={"csrf_token": csrf_token(client, url),
                                    "file": (io.BytesIO(b"%PDF-1.4 ..."), "june.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 400
    page = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    message = page.find(id="file-error").get_text(" ", strip=True)
    assert "june.csv is a PDF document, not a spreadsheet" in message


STATUS_HEADER = HEADER + ["status", "status_reason", "hidden_comments"]


def test_a_status_in_the_file_is_applied_with_its_reason_and_recorded_as_a_moderation(
        pcp2021, staff):
    rows = [GOOD[0] + ["duplicate", "Same letter sent twice", ""],
            GOOD[1] + ["", "", "comment__communities_first"],
            GOOD[2] + ["valid", "", ""]]
    check = import_file(pcp2021, "moderated.csv", csv_file(rows, header=STATUS_HEADER),
                        user=staff["engagement"])
    assert check.ok, check.problems
    duplicate = db.session.scalar(sa.select(Response).where(Response.status == "duplicate"))
    assert duplicate.status_reason == "Same letter sent twice"
    events = db.session.scalars(sa.select(ModerationEvent).order_by(ModerationEvent.id)).all()
    assert [(e.action, e.response_id, e.old_status, e.new_status, e.reason, e.user_id)
            for e in events if e.action == "status"] == [
        ("status", duplicate.id, "valid", "duplicate", "Same letter sent twice",
         staff["engagement"].id)]
    hidden = [e for e in events if e.action == "hide_comment"]
    assert [e.question_key for e in hidden] == ["comment__communities_first"]
    assert "moderated.csv" in hidden[0].reason
    audits = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action.like("moderation.%"))).all()
    assert sorted((a.action, a.actor) for a in audits) == [
        ("moderation.hide_comment", "engagement@example.org"),
        ("moderation.status", "engagement@example.org")]
    assert {a.target for a in audits if a.action == "moderation.status"} == {duplicate.reference}
    assert all(a.details["source"] == "import" for a in audits)


def test_a_status_without_a_reason_or_a_reason_without_a_status_is_a_problem(pcp2021):
    rows = [GOOD[0] + ["campaign", "", ""], GOOD[2] + ["", "Looks odd", ""],
            GOOD[1] + ["spam", "x", ""]]
    found = problems_of(check_file(pcp2021, "s.csv", csv_file(rows, header=STATUS_HEADER)))
    assert [(row, column) for row, column, _ in found] == [
        (2, "status_reason"), (3, "status_reason"), (4, "status")]
    assert "a response marked 'campaign' needs a reason" in found[0][2]
    assert count() == 0


def test_one_rank_given_twice_is_one_message(pcp2021):
    themes = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
              "robust_enforcement"]
    header = ["received_on", "channel", "respondent_type"] + [f"rank__{t}" for t in themes]
    content = csv_file([["2021-06-14", "paper", "resident", "1", "1", "2", "3", "4"]], header=header)
    found = problems_of(check_file(pcp2021, "r.csv", content))
    assert len(found) == 1, found
    row, column, text = found[0]
    assert (row, column) == (2, "rank__communities_first, rank__crime_prevention")
    assert text == ("rank 1 is given to 2 themes (Putting Communities First, Crime Prevention); "
                    "give each theme a different number from 1 to 5")
    half = csv_file([["2021-06-14", "paper", "resident", "1", "2", "", "", ""]], header=header)
    found = problems_of(check_file(pcp2021, "r.csv", half))
    assert len(found) == 1 and "2 of the 5 themes are ranked; rank every theme or none" in found[0][2]


def test_contradicting_answers_in_a_file_are_a_message_in_the_files_terms(pcp2021):
    header = ["received_on", "channel", "respondent_type", "victim_support_offered",
              "victim_satisfaction"]
    content = csv_file([["2021-06-14", "paper", "victim_or_witness", "no", "satisfied"],
                        ["2021-06-14", "paper", "victim_or_witness", "no", "not_applicable"]],
                       header=header)
    assert problems_of(check_file(pcp2021, "r.csv", content)) == [
        (2, "victim_satisfaction", "'satisfied' cannot be given when victim_support_offered is "
         "'no'; with that answer, victim_satisfaction must be empty or 'not_applicable'")]


def test_a_csv_cell_over_128_kib_is_a_message_and_the_other_rows_are_checked(pcp2021, signed_in):
    header = ["received_on", "channel", "respondent_type", "comment__communities_first"]
    content = csv_file([["2021-06-14", "paper", "resident", "x" * 200_000],
                        ["2021-06-14", "fax", "resident", "fine"]], header=header)
    client = signed_in("engagement")
    url = f"/staff/consultations/{SLUG}/import"
    answer = client.post(url, data={"csrf_token": csrf_token(client, url),
                                    "file": (io.BytesIO(content), "long.csv")},
                         content_type="multipart/form-data")
    assert answer.status_code == 200
    page = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in page.find(id="problems").tbody.find_all("tr")]
    assert rows[0][0] == "2" and "a cell is longer than 131,072 characters" in rows[0][2]
    assert rows[1][:2] == ["3", "channel"]
    assert count() == 0


def xlsx_file(rows: list[list[Any]], header: list[str] = HEADER, formulas: dict | None = None
              ) -> bytes:
    data = io.BytesIO()
    workbook = xlsxwriter.Workbook(data, {"strings_to_formulas": False})
    sheet = workbook.add_worksheet("responses")
    sheet.write_row(0, 0, header)
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if (r, c) in (formulas or {}):
                sheet.write_formula(r, c, formulas[(r, c)], None, value)
            elif value:
                sheet.write_string(r, c, value)
    workbook.close()
    return data.getvalue()


def rezip(content: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, change(item.filename, source.read(item.filename)))
    return out.getvalue()


def test_rows_past_the_sheets_declared_dimension_are_read(pcp2021):
    content = xlsx_file(GOOD * 20)
    assert b'<dimension ref="A1:I61"/>' in zipfile.ZipFile(io.BytesIO(content)).read(
        "xl/worksheets/sheet1.xml")
    lying = rezip(content, lambda name, data: data.replace(b'<dimension ref="A1:I61"/>',
                                                           b'<dimension ref="A1:C2"/>'))
    check = check_file(pcp2021, "r.xlsx", lying)
    assert check.ok and check.rows == 60 and len(check.new_rows) == 60
    assert {r["answers"].get("district") for r in check.new_rows} == {"fenland", "cambridge",
                                                                       "peterborough"}


def test_a_formula_cell_is_read_as_its_saved_value_and_the_report_says_so(pcp2021):
    content = xlsx_file(GOOD, formulas={(1, 3): '=LOWER("FENLAND")'})
    check = check_file(pcp2021, "r.xlsx", content)
    assert check.ok and check.new_rows[0]["answers"]["district"] == "fenland"
    assert len(check.notes) == 1
    assert check.notes[0].startswith("1 cell (D2) holds a formula. Each is read as the value "
                                     "Excel last worked out")


def test_an_xlsx_that_unzips_to_far_more_than_its_size_is_refused_before_opening(pcp2021):
    bomb = rezip(xlsx_file(GOOD), lambda name, data: data + b" " * 8_000_000
                 if name == "xl/sharedStrings.xml" else data)
    assert len(bomb) < 100_000
    with pytest.raises(ImportFileError) as refused:
        check_file(pcp2021, "bomb.xlsx", bomb)
    assert "part of it (xl/sharedStrings.xml) unzips to 8 MB" in str(refused.value)


def test_an_xlsx_too_large_once_unzipped_is_refused_in_plain_words(pcp2021, monkeypatch):
    monkeypatch.setattr("consult.imports.MAX_UNCOMPRESSED", 5_000)
    with pytest.raises(ImportFileError) as refused:
        check_file(pcp2021, "big.xlsx", xlsx_file(GOOD * 20))
    assert "Split the responses into smaller files" in str(refused.value)


def test_the_check_is_a_plain_function_of_the_consultation_and_a_file_path(pcp2021, tmp_path):
    path = tmp_path / "responses.xlsx"
    path.write_bytes(xlsx_file(GOOD))
    check = check_file(pcp2021, path.name, path)
    assert check.ok and len(check.new_rows) == 3 and count() == 0
