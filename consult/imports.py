"""Importing responses from other channels (CSV or XLSX in the export's column layout).

``check_file`` is the dry run: every row is validated and every problem reported with its row
number, column and what is wrong. ``import_file`` checks again and stores every new row in one
transaction, or nothing. A file already imported is refused, and a row already imported (same
content, same place among identical rows) is skipped, so importing twice adds nothing.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

import sqlalchemy as sa

from . import audit
from .exports import FORMAT_VERSION, Column, columns, unguard_splits, unneutralise_start
from .extensions import db
from .models import CHANNELS, RESPONSE_STATUSES, Consultation, ImportBatch, Response, StaffUser
from .survey.forms import validate_answers
from .survey.handlers import clean_text
from .survey.journey import shown_answers
from .survey.submission import new_reference

DEFAULT_TEXT_LIMIT = 5000
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
# Filled in by the app on import: they may be left empty (or kept as exported).
APP_COLUMNS = {"format_version", "consultation", "reference", "submitted_at"}
REQUIRED_COLUMNS = ("received_on", "channel")
MAX_ROWS = 100_000


class ImportFileError(ValueError):
    """The file cannot be read as a table of responses."""


@dataclass
class RowProblem:
    row: int
    column: str
    problem: str


@dataclass
class ImportCheck:
    filename: str
    file_sha256: str
    rows: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    already_imported: int = 0
    already_imported_file: ImportBatch | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.already_imported_file is None


def read_table(filename: str, content: bytes) -> Iterator[list[Any]]:
    """The file's rows (header first) as lists of cell values."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
            raise ImportFileError(
                "The file could not be opened as an Excel workbook (.xlsx). Save it as .xlsx "
                "or as CSV and try again.") from error
        sheet = workbook["responses"] if "responses" in workbook.sheetnames else workbook.active
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
        workbook.close()
        return
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ImportFileError(
                "The CSV file is not in UTF-8. Save it as 'CSV UTF-8' and try again.") from error
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [unguard_splits(cell) for cell in row]  # the export's ' after ';' taken off
        return
    raise ImportFileError("Choose a CSV (.csv) or Excel (.xlsx) file.")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    # Line breaks as \n, control characters (NUL included: PostgreSQL refuses it) removed.
    text = clean_text(value)
    # Exports neutralise formula-like cells with a leading '; take it off again.
    return unneutralise_start(text)


def _value(col: Column, raw: str, n_themes: int) -> tuple[Any, str | None]:
    """The stored value of one cell, or a problem in plain English."""
    if raw == "":
        return None, None
    if col.type in ("code", "support"):
        if col.code_list and raw not in col.code_list:
            return None, f"'{raw}' is not one of the codes: {', '.join(col.code_list)}"
        return raw, None
    if col.type == "codes":
        codes = [c.strip() for c in raw.split(";") if c.strip()]
        wrong = [c for c in codes if col.code_list and c not in col.code_list]
        if wrong:
            return None, (f"{', '.join(repr(c) for c in wrong)} not among the codes: "
                          f"{', '.join(col.code_list)} (separate codes with ;)")
        if "none" in codes and len(codes) > 1:
            return None, "'none' (none of these) cannot be given with other codes"
        return codes, None
    if col.type in ("rank", "integer"):
        try:
            number = int(raw)
        except ValueError:
            return None, f"'{raw}' is not a whole number"
        if col.type == "rank" and not 1 <= number <= n_themes:
            return None, f"a rank is from 1 to {n_themes}; '{raw}' is not"
        return number, None
    if col.question_type == "postcode_district":
        code = raw.upper().replace(" ", "")
        if not OUTWARD_CODE.match(code):
            return None, f"'{raw}' is not the first half of a postcode (like CB1 or PE13)"
        return code, None
    limit = col.max_length or DEFAULT_TEXT_LIMIT
    if len(raw) > limit:
        return None, f"the text is {len(raw)} characters long; the most is {limit}"
    return raw, None


def _import_key(consultation: Consultation, content: dict[str, Any], occurrence: int) -> str:
    canonical = json.dumps([consultation.slug, content, occurrence], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_file(consultation: Consultation, filename: str, content: bytes,
               today: dt.date | None = None) -> ImportCheck:
    """Validate every row (the dry run). Nothing is written."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    check = ImportCheck(filename=filename, file_sha256=hashlib.sha256(content).hexdigest())
    check.already_imported_file = db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.consultation_id == consultation.id,
                                     ImportBatch.file_sha256 == check.file_sha256))
    rows = read_table(filename, content)
    header_row = next(rows, None)
    if not header_row or not any(_text(h) for h in header_row):
        raise ImportFileError("The file is empty. Download the template, fill it in and try again.")
    header = [_text(h) for h in header_row]
    cols = {c.column: c for c in columns(consultation)}
    n_themes = len(consultation.themes)
    for index, name in enumerate(header, start=1):
        if name and name not in cols:
            check.problems.append(RowProblem(1, name or f"column {index}",
                                             "this column is not in the template; remove it "
                                             "or check its spelling"))
    dupes = [name for name, n in Counter(h for h in header if h).items() if n > 1]
    for name in dupes:
        check.problems.append(RowProblem(1, name, "this column appears more than once"))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            check.problems.append(RowProblem(1, name, "this column is missing; it must be filled"
                                             " in on every row"))
    if check.problems:
        return check

    seen: Counter[str] = Counter()
    keys: list[str] = []
    for row_number, row in enumerate(rows, start=2):
        cells = {name: _text(row[i]) if i < len(row) else "" for i, name in enumerate(header)
                 if name}
        if not any(cells.values()):
            continue  # blank lines at the end of a sheet
        check.rows += 1
        if check.rows > MAX_ROWS:
            check.problems.append(RowProblem(row_number, "", f"a file can hold at most {MAX_ROWS}"
                                             " rows; split it into smaller files"))
            break
        problems_before = len(check.problems)

        def problem(column: str, text: str, row_number: int = row_number) -> None:
            check.problems.append(RowProblem(row_number, column, text))

        if cells.get("format_version") not in ("", None, str(FORMAT_VERSION)):
            problem("format_version", f"this app reads format version {FORMAT_VERSION}; "
                                      f"the row says '{cells['format_version']}'")
        if cells.get("consultation") not in ("", None, consultation.slug):
            problem("consultation", f"the row is for '{cells['consultation']}', not "
                                    f"'{consultation.slug}'")
        received_on = None
        try:
            received_on = dt.date.fromisoformat(cells.get("received_on", ""))
            if received_on > today:
                problem("received_on", "the date received is in the future")
        except ValueError:
            problem("received_on", f"'{cells.get('received_on', '')}' is not a date like "
                                   "2021-07-04 (year-month-day)")
        channel = cells.get("channel", "")
        if channel not in CHANNELS:
            problem("channel", f"'{channel}' is not one of: {', '.join(CHANNELS)}")
        status = cells.get("status") or "valid"
        if status not in RESPONSE_STATUSES:
            problem("status", f"'{status}' is not one of: {', '.join(RESPONSE_STATUSES)}")

        answers: dict[str, Any] = {}
        for name, raw in cells.items():
            col = cols[name]
            if not col.question:
                continue
            value, why = _value(col, raw, n_themes)
            if why:
                problem(name, why)
            elif value is not None:
                answers[name] = value
        ranks = [v for k, v in answers.items() if k.startswith("rank__")]
        if len(ranks) != len(set(ranks)):
            problem("rank__*", "two themes have the same rank; give each theme a different rank")
        # The survey's own checks (required answers, ranges, all themes ranked or none), and
        # only the answers the survey's routing would have asked for.
        reported = {p.column for p in check.problems[problems_before:]}
        answers, refused = validate_answers(consultation.definition, answers)
        for name, why in refused.items():
            if name not in reported:
                problem(name, why)
        answers = shown_answers(consultation.definition, answers)
        hidden = [c.strip() for c in (cells.get("hidden_comments") or "").split(";") if c.strip()]
        for name in hidden:
            if name not in cols or cols[name].type != "comment":
                problem("hidden_comments", f"'{name}' is not a comment column")
        if len(check.problems) > problems_before:
            continue
        content = {
            "received_on": received_on.isoformat() if received_on else None,
            "channel": channel, "status": status,
            "status_reason": cells.get("status_reason", ""),
            "hidden_comments": hidden, "answers": answers,
        }
        seen_key = json.dumps(content, sort_keys=True)
        seen[seen_key] += 1
        key = _import_key(consultation, content, seen[seen_key])
        keys.append(key)
        check.new_rows.append({**content, "received_on": received_on, "import_key": key,
                               "row": row_number})
    if keys and not check.problems:
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            existing.update(db.session.scalars(
                sa.select(Response.import_key)
                .where(Response.import_key.in_(keys[start:start + 500]))))
        check.already_imported = len(existing)
        check.new_rows = [r for r in check.new_rows if r["import_key"] not in existing]
    return check


def import_file(consultation: Consultation, filename: str, content: bytes,
                user: StaffUser | None = None) -> ImportCheck:
    """Check the file, then store all its new rows in one transaction (or nothing)."""
    check = check_file(consultation, filename, content)
    if not check.ok:
        return check
    now = dt.datetime.now(dt.timezone.utc)
    try:
        for row in check.new_rows:
            answers = row["answers"]
            db.session.add(Response(
                reference=new_reference(consultation.definition["reference_prefix"]),
                consultation_id=consultation.id,
                import_key=row["import_key"],
                submitted_at=now,
                received_on=row["received_on"],
                channel=row["channel"],
                respondent_type=answers.get("respondent_type"),
                district=answers.get("district"),
                status=row["status"],
                status_reason=row["status_reason"],
                hidden_comments=row["hidden_comments"],
                answers=answers,
                entered_by_id=user.id if user else None,
            ))
        db.session.add(ImportBatch(consultation_id=consultation.id, file_sha256=check.file_sha256,
                                   filename=filename[:300], rows=len(check.new_rows),
                                   user_id=user.id if user else None))
        audit.record("import", target=consultation.slug, rows=len(check.new_rows), user=user,
                     filename=filename, file_sha256=check.file_sha256,
                     skipped_already_imported=check.already_imported)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return check


def template_columns(consultation: Consultation) -> list[str]:
    return [c.column for c in columns(consultation)]
