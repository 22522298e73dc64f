"""Exports as an officer opens them: the CSV in Excel on Windows (UTF-8 with a byte order mark,
every cell quoted, so a semicolon locale splits nothing outside quotes), the XLSX with a frozen,
filtered header, widths, numbers, dates and percentages, and formula-like text inert in both,
even behind invisible characters; and every reader of the files gets the text back as written.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re

import openpyxl
import pytest

from consult import exports
from consult.exports import (
    FORMULA_TRIGGERS, INVISIBLE, neutralise, unneutralise, write_csv, write_dictionary_csv,
    write_export, write_xlsx,
)
from consult.imports import check_file

from .conftest import add_response

POLISH = "Więcej policji na ulicach, proszę. Źle oświetlone przejście; Łukasz Żółć"
LITHUANIAN = "Daugiau policijos gatvėse. Ačiū, Šarūnė Žemaitė"
# invisible or blank characters a spreadsheet may skip before it reads a formula
INVISIBLE_STARTS = ["\ufeff", "\u200b", "\u00a0", "\u200e", "\u200f", "\u202e", "\u2066",
                    "\u2060", "\t", "\r", "\n", " ", "\u3000", "\ufeff\u200b "]


def starts_like_a_formula(cell: str) -> bool:
    """What a spreadsheet would run: a formula start behind invisible characters or quotes (a
    leading apostrophe makes the cell text)."""
    first = cell.lstrip(INVISIBLE + '"')[:1]
    return first != "" and first in FORMULA_TRIGGERS


def csv_text(consultation, redacted: bool = False) -> str:
    out = io.StringIO(newline="")
    write_csv(consultation, out, redacted)
    return out.getvalue()


def csv_rows(consultation) -> list[dict[str, str]]:
    text = csv_text(consultation).encode("utf-8").decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def xlsx(consultation, tmp_path, name: str = "export.xlsx") -> openpyxl.Workbook:
    path = tmp_path / name
    write_xlsx(consultation, str(path))
    return openpyxl.load_workbook(path)


def by_header(sheet) -> dict[str, int]:
    return {cell.value: cell.column for cell in sheet[1]}


# --- CSV -------------------------------------------------------------------------------------

def test_csv_is_utf8_with_a_byte_order_mark_and_keeps_polish_and_lithuanian(consultation):
    add_response(consultation, {"comment__roads": POLISH, "missing_from_plan": LITHUANIAN})
    data = csv_text(consultation).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf\"format_version\"")
    assert data.count(b"\xef\xbb\xbf") == 1
    [row] = csv_rows(consultation)
    assert row["comment__roads"] == POLISH and row["missing_from_plan"] == LITHUANIAN
    # what Excel on Windows does without the mark (reads the bytes as Windows-1252) garbles it
    assert POLISH not in data.decode("cp1252", errors="replace")


def test_dictionary_csv_has_the_byte_order_mark_and_quoted_cells(consultation):
    out = io.StringIO(newline="")
    write_dictionary_csv(consultation, out)
    text = out.getvalue()
    assert text.startswith('\ufeff"column","question","type"')
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert rows[0]["column"] == "format_version"


def test_every_csv_cell_is_quoted(consultation):
    add_response(consultation, {"comment__roads": 'He said "no", twice', "rank__roads": 1,
                                "years_lived": 4})
    text = csv_text(consultation)[1:]
    quoted = r'"(?:[^"]|"")*"'
    for line in text.split("\r\n")[:-1]:
        assert re.fullmatch(f"{quoted}(?:,{quoted})*", line), line


def test_a_semicolon_locale_sees_no_formula(consultation):
    payload = "safe text;=1+1;@SUM(2)"
    add_response(consultation, {"comment__roads": payload, "missing_from_plan": "a;-2+3;b"})
    text = csv_text(consultation).encode("utf-8").decode("utf-8-sig")
    # a spreadsheet in a locale whose list separator is ';' splits the same bytes on ';'
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=";"):
        for cell in row:
            assert not starts_like_a_formula(cell), f"a ';' reader sees a formula: {cell!r}"
    [row] = csv_rows(consultation)
    assert row["comment__roads"] == "safe text;'=1+1;'@SUM(2)"
    assert unneutralise(row["comment__roads"]) == payload


def test_a_reader_splitting_on_line_breaks_or_tabs_sees_no_formula(consultation):
    add_response(consultation, {"comment__roads": "Two points:\n=1+1\r\n-2+3+cmd|' /C calc'!A0",
                                "missing_from_plan": "a\t@SUM(1)\n\u200b\"=2"})
    text = csv_text(consultation)[1:]
    for piece in re.split(r'[;\t\r\n,]', text):
        assert not starts_like_a_formula(piece), piece
    [row] = csv_rows(consultation)
    assert unneutralise(row["comment__roads"]) == "Two points:\n=1+1\r\n-2+3+cmd|' /C calc'!A0"
    assert unneutralise(row["missing_from_plan"]) == "a\t@SUM(1)\n\u200b\"=2"


@pytest.mark.parametrize("invisible", INVISIBLE_STARTS, ids=lambda s: repr(s))
def test_formula_behind_invisible_characters_is_guarded(consultation, tmp_path, invisible):
    text = invisible + "=1+1"
    add_response(consultation, {"comment__roads": text})
    [row] = csv_rows(consultation)
    cell = row["comment__roads"]
    assert cell.startswith("'" + invisible[0]) and unneutralise(cell) == text
    assert cell == "'" + text or invisible[-1] in "\t\r\n"  # a ' also after a tab or break
    sheet = xlsx(consultation, tmp_path)["responses"]
    cell = sheet.cell(2, by_header(sheet)["comment__roads"])
    # line breaks as a cell holds them (LF)
    assert cell.value == text.replace("\r", "\n") and cell.data_type == "s" and cell.quotePrefix


@pytest.mark.parametrize("text", ["=1+1", "-2", "+3", "@SUM(1)", "\uff1d1+1", "'=x", "''-1",
                                  "\ufeff@A1", "\tTAB", "'\tTAB"])
def test_guard_is_taken_off_by_readers_exactly(text):
    guarded = neutralise(text)
    assert guarded == "'" + text and unneutralise(guarded) == text


@pytest.mark.parametrize("text", ["a;=1", "x;'=y", "one\n- two", "a;\n=1", ";;@x", "p\t+1",
                                  'q;"=1"', "=1;=2", "a;\u200b-1"])
def test_guard_after_separators_is_taken_off_by_readers_exactly(text):
    guarded = neutralise(text)
    assert guarded != text and unneutralise(guarded) == text


@pytest.mark.parametrize("text", ["A comment", "'quoted' words", "5 officers", "x=1", "",
                                  "'", "\u200bzero width first", "Łukasz: more patrols",
                                  "a;b;c", "line one\nline two", "x;'y", "well; fine"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text and unneutralise(text) == text


def test_code_and_fixed_columns_are_guarded_too(consultation):
    add_response(consultation, {"age_band": "=1+1", "contact_ways": ["@x", "phone"]},
                 status_reason="\u200b=2+2", status="invalid")
    [row] = csv_rows(consultation)
    assert row["age_band"] == "'=1+1" and row["contact_ways"] == "'@x;phone"
    assert row["status_reason"] == "'\u200b=2+2"


def test_redaction_still_applies_with_the_guard(consultation):
    add_response(consultation, {"comment__roads": "=call 07700 900123 or jo@example.org",
                                "missing_from_plan": "No digits, no at sign"})
    [row] = list(csv.DictReader(io.StringIO(
        csv_text(consultation, redacted=True)[1:], newline="")))
    assert row["comment__roads"] == "'=call [phone removed] or [email removed]"
    assert row["missing_from_plan"] == "No digits, no at sign"


# --- XLSX ------------------------------------------------------------------------------------

@pytest.fixture
def workbook(consultation, tmp_path):
    add_response(consultation, {"support__roads": "support", "support__safer_streets": "oppose",
                                "rank__roads": 1, "rank__safer_streets": 2, "years_lived": 12,
                                "comment__roads": "=HYPERLINK(\"http://x\")",
                                "contact_ways": ["phone", "online"]},
                 submitted_at=dt.datetime(2021, 6, 10, 9, 34, 56, tzinfo=dt.timezone.utc),
                 received_on=dt.date(2021, 6, 9), channel="paper")
    add_response(consultation, {"support__roads": "strongly_support",
                                "comment__roads": "  spaces kept <b>&amp;</b> end "})
    add_response(consultation, {"support__roads": "oppose"})
    add_response(consultation, {"support__roads": "dont_know"})
    add_response(consultation, {"support__roads": "support"}, status="duplicate",
                 status_reason="same as another")
    return xlsx(consultation, tmp_path)


def test_every_sheet_has_a_frozen_filtered_bold_header(workbook):
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        last = openpyxl.utils.get_column_letter(sheet.max_column)
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
        assert sheet.auto_filter.ref.split(":")[1].startswith(last), sheet.title
        assert all(cell.font.b for cell in sheet[1] if cell.value), sheet.title
    assert workbook["responses"].auto_filter.ref.endswith(f"{6}")  # header + 5 responses


def test_responses_sheet_holds_numbers_dates_and_times(workbook):
    sheet = workbook["responses"]
    col = by_header(sheet)
    submitted = sheet.cell(2, col["submitted_at"])
    assert submitted.is_date and submitted.value == dt.datetime(2021, 6, 10, 9, 34, 56)
    assert submitted.number_format == "yyyy-mm-dd hh:mm:ss"
    received = sheet.cell(2, col["received_on"])
    assert received.is_date and received.value == dt.datetime(2021, 6, 9)
    assert received.number_format == "yyyy-mm-dd"
    for name, value in (("rank__roads", 1), ("rank__safer_streets", 2), ("years_lived", 12),
                        ("format_version", 4)):
        cell = sheet.cell(2, col[name])
        assert cell.data_type == "n" and cell.value == value, name
    assert sheet.cell(2, col["contact_ways"]).value == "phone;online"
    assert sheet.cell(2, col["channel"]).value == "paper"
    assert sheet.cell(3, col["rank__roads"]).value is None


def test_text_is_stored_exactly_escaped_for_xml(workbook):
    sheet = workbook["responses"]
    cell = sheet.cell(3, by_header(sheet)["comment__roads"])
    assert cell.value == "  spaces kept <b>&amp;</b> end "
    assert not cell.quotePrefix


def test_formula_text_shows_without_an_apostrophe(workbook):
    for sheet_name, column in (("responses", "comment__roads"), ("comments", "comment")):
        sheet = workbook[sheet_name]
        cell = sheet.cell(2, by_header(sheet)[column])
        assert cell.value == "=HYPERLINK(\"http://x\")"
        assert cell.data_type == "s" and cell.quotePrefix, sheet_name


def test_support_sheet_counts_valid_responses_and_shows_shares_as_percentages(workbook):
    sheet = workbook["support per theme"]
    col = by_header(sheet)
    roads = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == "roads")
    count = {name: sheet.cell(roads, c).value for name, c in col.items()}
    # recomputed by hand from the fixture: 4 valid responses, the duplicate left out
    assert (count["strongly_support"], count["support"], count["oppose"],
            count["dont_know"]) == (1, 1, 1, 1)
    assert count["valid_responses"] == 4
    share = sheet.cell(roads, col["support_share_of_views"])
    assert share.data_type == "n" and share.value == pytest.approx(2 / 3)
    assert share.number_format == "0.0%"
    assert isinstance(count["support"], int)


def column_widths(sheet) -> dict[str, float]:
    """Each header's column width (a <col> element may cover several columns)."""
    by_index = {}
    for dim in sheet.column_dimensions.values():
        for index in range(dim.min, dim.max + 1):
            by_index[index] = dim.width
    return {cell.value: by_index.get(cell.column) for cell in sheet[1]}


def test_columns_are_wide_enough_for_their_content(workbook):
    sheet = workbook["responses"]
    widths = column_widths(sheet)
    for name, width in widths.items():
        assert width >= len(name), name
    assert widths["comment__roads"] >= 50 and widths["missing_from_plan"] >= 50
    assert widths["submitted_at"] >= 19 and widths["reference"] >= 14
    assert widths["support__roads"] >= len("strongly_support")
    assert column_widths(workbook["comments"])["comment"] >= 60


def test_the_api_path_writes_the_same_workbook(consultation, workbook, tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "_fast_rows_supported", lambda sheet: False)
    slow = xlsx(consultation, tmp_path, "slow.xlsx")
    for sheet in workbook.worksheets:
        other = slow[sheet.title]
        assert sheet.dimensions == other.dimensions, sheet.title
        for row, row_slow in zip(sheet.iter_rows(), other.iter_rows()):
            for cell, cell_slow in zip(row, row_slow):
                assert (cell.value, cell.data_type, cell.number_format, cell.quotePrefix) == (
                    cell_slow.value, cell_slow.data_type, cell_slow.number_format,
                    cell_slow.quotePrefix), f"{sheet.title}!{cell.coordinate}"


def test_long_text_is_cut_at_excels_cell_limit(consultation, tmp_path):
    add_response(consultation, {"comment__roads": "é" * 40000})
    sheet = xlsx(consultation, tmp_path)["responses"]
    assert sheet.cell(2, by_header(sheet)["comment__roads"]).value == "é" * 32767


# --- every reader reads what the app writes ---------------------------------------------------

ROUND_TRIP = ["=1+1", "'=already guarded by the resident", "\ufeff=1+1", "'quoted' words",
              POLISH, LITHUANIAN, "-5% is not enough"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_analysis_reads_back_the_text_as_written(consultation, tmp_path, fmt):
    from analysis.load import load

    for text in ROUND_TRIP:
        add_response(consultation, {"comment__roads": text, "support__roads": "support"},
                     submitted_at=dt.datetime(2021, 6, 10, 12, 0, 5, tzinfo=dt.timezone.utc))
    path = tmp_path / f"responses.{fmt}"
    if fmt == "csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            write_export(consultation, fmt, out)
        with (tmp_path / "responses.dictionary.csv").open("w", encoding="utf-8",
                                                          newline="") as out:
            write_dictionary_csv(consultation, out)
    else:
        write_export(consultation, fmt, str(path))
    data = load(path)
    assert sorted(data.comments["text"]) == sorted(ROUND_TRIP)
    assert set(data.responses["submitted_at"]) == {
        dt.datetime(2021, 6, 10, 12, 0, 5, tzinfo=dt.timezone.utc)}
    assert set(data.responses["received_on"].dt.date) == {dt.date(2021, 6, 10)}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_importer_reads_an_export(consultation, tmp_path, fmt):
    for text in ROUND_TRIP:
        add_response(consultation, {"comment__roads": text, "support__roads": "support",
                                    "rank__roads": 1, "rank__safer_streets": 2,
                                    "contact_ways": ["phone", "online"]})
    if fmt == "csv":
        content = csv_text(consultation).encode("utf-8")
    else:
        path = tmp_path / "responses.xlsx"
        write_xlsx(consultation, str(path))
        content = path.read_bytes()
    check = check_file(consultation, f"responses.{fmt}", content)
    assert not check.problems, check.problems
    assert sorted(r["answers"]["comment__roads"] for r in check.new_rows) == sorted(ROUND_TRIP)
    assert all(r["answers"]["contact_ways"] == ["phone", "online"] for r in check.new_rows)
    assert all(r["answers"]["rank__roads"] == 1 for r in check.new_rows)
    assert {r["received_on"] for r in check.new_rows} == {dt.date(2021, 6, 10)}


# --- progress --------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_progress_is_reported_in_rows_written(consultation, tmp_path, monkeypatch, fmt):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(exports, "STREAM_BATCH", 2)
    for _ in range(5):
        add_response(consultation)
    seen: list[int] = []
    if fmt == "xlsx":
        rows = write_export(consultation, fmt, str(tmp_path / "x.xlsx"), progress=seen.append)
    else:
        rows = write_export(consultation, fmt, io.StringIO(), progress=seen.append)
    assert rows == 5 and seen == [2, 4, 5]


def test_analysis_strips_the_guard_by_the_same_rule_as_the_exporter():
    # analysis/ cannot import consult/, so it states the rule again: both must agree everywhere
    from analysis.load import _GUARD_AFTER_SPLIT, _GUARDED_START

    from consult.exports import unguard_splits, unneutralise_start

    start, split = re.compile(_GUARDED_START), re.compile(_GUARD_AFTER_SPLIT)
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        for text in (f"'{chr(code)}=1", f"''{chr(code)}-1", f"'{chr(code)}"):
            assert start.sub("", text, count=1) == unneutralise_start(text), hex(code)
        text = f"a;'{chr(code)}@x\n''=;'"
        assert split.sub(r"\1", text) == unguard_splits(text), hex(code)


@pytest.mark.parametrize("redacted", [False, True])
def test_the_comments_sheet_shows_each_comment_beside_its_language_and_translation(
        consultation, tmp_path, redacted):
    from consult import comment_translations

    written = add_response(consultation, {"comment__roads": "Dziury w drodze, dzwon 07700 900123"},
                           language="pl")
    comment_translations.record(written, "comment__roads", "Potholes in the road, ring "
                                "07700 900123", "pl", None)
    add_response(consultation, {"comment__roads": "Fix the potholes"})
    path = tmp_path / "comments.xlsx"
    write_xlsx(consultation, str(path), redacted=redacted)
    sheet = openpyxl.load_workbook(path)["comments"]
    rows = [dict(zip([c.value for c in sheet[1]], [c.value for c in row]))
            for row in sheet.iter_rows(min_row=2)]
    by_reference = {r["reference"]: r for r in rows}
    polish = by_reference[written.reference]
    assert polish["language"] == "pl"
    phone = "[phone removed]" if redacted else "07700 900123"
    assert polish["comment"] == f"Dziury w drodze, dzwon {phone}"
    assert polish["translation"] == f"Potholes in the road, ring {phone}"
    english = next(r for r in rows if r["comment"] == "Fix the potholes")
    assert english["translation"] is None and english["language"] == "en"
