"""Exports follow docs/export-format.md: columns, codes, formula-safe cells, audit."""
from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
import sqlalchemy as sa

from consult.exports import (
    columns, neutralise, redact, unneutralise, write_csv, write_json, write_xlsx,
)
from consult.extensions import db
from consult.models import AuditEvent

from .conftest import add_response

EXPECTED_COLUMNS = [
    "format_version", "consultation", "reference", "submitted_at", "received_on", "channel",
    "status", "status_reason", "hidden_comments", "language",
    "respondent_type", "district", "postcode_district",
    "support__safer_streets", "comment__safer_streets", "support__roads", "comment__roads",
    "rank__safer_streets", "rank__roads",
    "missing_from_plan", "contact_ways", "years_lived", "age_band",
    "translation__comment__safer_streets", "translation__comment__roads",
    "translation__missing_from_plan",
]
DANGEROUS = ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "\0NUL"]


def read_csv(consultation, redacted: bool = False) -> list[dict[str, str]]:
    """The CSV as a reader gets it: decoded as UTF-8 with its byte order mark."""
    out = io.StringIO(newline="")
    write_csv(consultation, out, redacted)
    text = out.getvalue().encode("utf-8").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_columns_follow_the_definition_order(consultation):
    assert [c.column for c in columns(consultation)] == EXPECTED_COLUMNS
    support = next(c for c in columns(consultation) if c.column == "support__roads")
    assert (support.question, support.theme, support.theme_title) == ("support", "roads",
                                                                      "Safer Roads")
    assert "strongly_support=Strongly support" in support.codes


def test_csv_row_carries_answers_with_the_contract_types(consultation):
    response = add_response(consultation, {
        "support__safer_streets": "support", "comment__safer_streets": "Line one\nline two",
        "rank__safer_streets": 2, "rank__roads": 1, "contact_ways": ["phone", "online"],
        "years_lived": 12})
    [row] = read_csv(consultation)
    assert list(row) == EXPECTED_COLUMNS
    assert row["format_version"] == "4"
    assert row["reference"] == response.reference
    assert row["submitted_at"] == "2021-06-10T12:00:00Z"
    assert row["received_on"] == "2021-06-10"
    assert row["comment__safer_streets"] == "Line one\nline two"
    assert row["contact_ways"] == "phone;online"
    assert (row["rank__safer_streets"], row["rank__roads"]) == ("2", "1")
    assert row["support__roads"] == "" and row["status"] == "valid"


@pytest.mark.parametrize("text", DANGEROUS)
def test_csv_cells_that_start_like_a_formula_are_prefixed(consultation, text):
    # PostgreSQL text columns cannot hold NUL (JSON answers can), so the reason goes without it
    reason = text.replace("\0", "")
    add_response(consultation, {"comment__roads": text, "missing_from_plan": "fine " + text},
                 status="invalid", status_reason=reason)
    [row] = read_csv(consultation)
    assert row["comment__roads"] == "'" + text
    assert row["status_reason"] == neutralise(reason)
    assert row["missing_from_plan"] == "fine " + text  # only a leading character is a risk


def test_neutralise_leaves_ordinary_text_alone():
    assert neutralise("A comment") == "A comment"
    assert neutralise("'quoted' words") == "'quoted' words"
    assert [neutralise(t)[0] for t in DANGEROUS] == ["'"] * len(DANGEROUS)


def test_text_that_already_starts_with_an_apostrophe_and_a_formula_is_guarded_again():
    # a reader takes one ' off a guarded cell, so the resident's own "'=x" must gain one
    assert neutralise("'=already") == "''=already"
    assert unneutralise(neutralise("'=already")) == "'=already"


def test_json_document_has_format_version_lists_and_integers(consultation):
    add_response(consultation, {"contact_ways": ["none"], "rank__roads": 1,
                                "comment__roads": "=1+1"}, hidden_comments=["comment__roads"])
    out = io.StringIO()
    assert write_json(consultation, out) == 1
    document = json.loads(out.getvalue())
    assert document["format"] == "consult-export" and document["format_version"] == 4
    assert document["consultation"]["slug"] == "test-consultation"
    assert [t["key"] for t in document["consultation"]["themes"]] == ["safer_streets", "roads"]
    assert [d["column"] for d in document["dictionary"]] == EXPECTED_COLUMNS
    [response] = document["responses"]
    assert response["contact_ways"] == ["none"]
    assert response["rank__roads"] == 1
    assert response["comment__roads"] == "=1+1"  # JSON is not a spreadsheet: text as written
    assert response["hidden_comments"] == ["comment__roads"]


def test_xlsx_has_the_four_sheets_and_no_formula(consultation, tmp_path):
    for text in DANGEROUS[:4]:
        add_response(consultation, {"comment__roads": text, "support__roads": "oppose",
                                    "years_lived": 3, "missing_from_plan": text})
    add_response(consultation, {"support__roads": "support"}, status="duplicate",
                 status_reason="same as another")
    path = tmp_path / "export.xlsx"
    assert write_xlsx(consultation, str(path)) == 5
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["responses", "support per theme", "comments",
                                   "data dictionary", "areas"]
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    responses = list(workbook["responses"].iter_rows(values_only=True))
    header = list(responses[0])
    assert header == EXPECTED_COLUMNS
    first = dict(zip(header, responses[1]))
    # the text as written, stored as text with Excel's quote prefix: no apostrophe in the cell
    assert first["comment__roads"] == "=1+1"
    cell = workbook["responses"].cell(2, header.index("comment__roads") + 1)
    assert cell.data_type == "s" and cell.quotePrefix
    assert first["years_lived"] == 3 and first["format_version"] == 4
    support = {row[0]: row for row in workbook["support per theme"].iter_rows(values_only=True)}
    roads = dict(zip(support["theme"], support["roads"]))
    assert roads["oppose"] == 4 and roads["support"] == 0  # the duplicate is not counted
    assert roads["valid_responses"] == 4
    comments = list(workbook["comments"].iter_rows(values_only=True))
    assert len(comments) == 1 + 4
    dictionary = list(workbook["data dictionary"].iter_rows(values_only=True))
    assert [r[0] for r in dictionary[1:]] == EXPECTED_COLUMNS


def test_redaction_replaces_emails_phones_and_postcodes():
    text = "Mail me at jo.bloggs+x@example.co.uk or ring 07700 900123 / 01223 456789, CB1 2AB."
    result = redact(text)
    for leaked in ("jo.bloggs", "07700", "01223", "CB1 2AB"):
        assert leaked not in result
    assert "[email removed]" in result and "[phone removed]" in result
    assert "[postcode removed]" in result
    assert redact("I live in CB1 and have for 20 years") == "I live in CB1 and have for 20 years"


def test_redacted_export_redacts_free_text_only(consultation):
    add_response(consultation, {"comment__roads": "call 07700 900123", "district": "cambridge",
                                "postcode_district": "CB1"})
    [row] = read_csv(consultation, redacted=True)
    assert row["comment__roads"] == "call [phone removed]"
    assert row["postcode_district"] == "CB1"


def test_cli_export_writes_csv_dictionary_and_audit(app, consultation, cli_runner, tmp_path):
    add_response(consultation, {"support__roads": "support"})
    out = tmp_path / "responses.csv"
    result = cli_runner.invoke(args=["export", "test-consultation", "--format", "csv",
                                     "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Exported 1 response to" in result.output
    with (tmp_path / "responses.dictionary.csv").open(newline="", encoding="utf-8-sig") as handle:
        dictionary = list(csv.DictReader(handle))
    assert [d["column"] for d in dictionary] == EXPECTED_COLUMNS
    assert list(dictionary[0]) == ["column", "question", "type", "theme", "theme_title", "label",
                                   "codes", "description", "scale", "levels"]
    with (tmp_path / "responses.areas.csv").open(newline="", encoding="utf-8-sig") as handle:
        areas = list(csv.DictReader(handle))
    assert list(areas[0]) == ["code", "name", "ons_code", "parent", "population",
                              "population_source", "population_year", "postcode_districts"]
    assert "responses.areas.csv" in result.output
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    assert (event.actor, event.target, event.rows) == ("command line", "test-consultation", 1)
    assert event.details["format"] == "csv"


def test_cli_export_refuses_an_unknown_consultation(cli_runner, tmp_path):
    result = cli_runner.invoke(args=["export", "nope", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code != 0
    assert "There is no consultation 'nope'" in result.output
    assert "Traceback" not in result.output


# Asking for an export in the staff pages, its progress, download, failure and audit:
# tests/staff/test_jobs.py.


def test_cli_export_into_a_missing_folder_says_so(consultation, cli_runner, tmp_path):
    result = cli_runner.invoke(args=["export", "test-consultation", "--out",
                                     str(tmp_path / "nowhere" / "x.csv")])
    assert result.exit_code != 0 and "does not exist" in result.output
