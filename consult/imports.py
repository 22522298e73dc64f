"""Importing responses from other channels (CSV or XLSX in the export's column layout).

``check_file`` is the dry run: every row is validated and every problem reported with its row
number, column and what is wrong, in one pass (a problem with the header does not hide those of
the rows). It is a plain function of (consultation, file name, file bytes or path) returning an
``ImportCheck``, so that a large file can be checked off the web request. ``import_file`` checks
again and stores every new row in one transaction, or nothing; a status or a hidden comment given
in the file is recorded as a moderation (a ``ModerationEvent`` and an audit event) by the person
importing. A file already imported is refused, and a row already imported (same content, same
place among identical rows) is skipped, so importing twice adds nothing.

What a file is comes from its content, not its name: a PDF, an old .xls or a picture is named
as such; an XLSX is checked for its uncompressed size before it is opened (a zip bomb, or a cell
of hundreds of megabytes, is refused) and read in full whatever the sheet says its size is; a
formula's value is taken as Excel last worked it out, and the report says which cells held one;
a CSV separated by semicolons or tabs is read as such and the report says so.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import sqlalchemy as sa

from . import audit
from .exports import READABLE_VERSIONS, Column, columns, unguard_splits, unneutralise_start
from .extensions import db
from .models import Consultation, ImportBatch, Response, StaffUser
from .survey.handlers import clean_text, handler_for
from .survey.journey import broken_checks
from .survey.submission import NewResponse, add_responses, check_response

# Filled in by the app on import: they may be left empty (or kept as exported).
APP_COLUMNS = {"format_version", "consultation", "reference", "submitted_at"}
REQUIRED_COLUMNS = ("received_on", "channel")
# The columns of a response's own fields, checked with its answers by ``check_response``.
META_COLUMNS = ("received_on", "channel", "status", "status_reason", "hidden_comments",
                "language")
MAX_ROWS = 100_000
# An XLSX is a zip of XML files. Before opening one: at most this much XML once unzipped (a
# 100,000-row export is about 60 MB), and no part unzipping to more than MAX_RATIO times its
# zipped size (a zip bomb, or one cell repeating a character millions of times).
MAX_UNCOMPRESSED = 400 * 1024 * 1024
MAX_RATIO = 100
RATIO_CHECKED_FROM = 4 * 1024 * 1024
# The file types people pick by mistake, by the bytes they start with.
NOT_SPREADSHEETS = [
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an older Excel (.xls) or Word (.doc) file"),
    (b"{\\rtf", "a Rich Text (.rtf) document"),
    (b"\x89PNG", "a picture (PNG)"),
    (b"\xff\xd8\xff", "a picture (JPEG)"),
    (b"GIF8", "a picture (GIF)"),
    (b"\x1f\x8b", "a compressed (.gz) file"),
    (b"Rar!", "a compressed (.rar) file"),
    (b"7z\xbc\xaf", "a compressed (.7z) file"),
]
# The check page lists this many problems (each at most MAX_PROBLEM_TEXT characters) and counts
# the rest.
SHOWN_PROBLEMS = 500
MAX_PROBLEM_TEXT = 1000
SEPARATORS = {",": "commas", ";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


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
    # What staff should know about how the file was read, though nothing is wrong with it.
    notes: list[str] = field(default_factory=list)
    new_rows: list[dict[str, Any]] = field(default_factory=list)
    already_imported: int = 0
    already_imported_file: ImportBatch | None = None
    # A check read back from its summary (a check run as a job) keeps the counts, not the rows.
    new_count: int | None = None
    problem_count: int | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and self.already_imported_file is None

    @property
    def new_responses(self) -> int:
        return len(self.new_rows) if self.new_count is None else self.new_count

    @property
    def problems_found(self) -> int:
        return len(self.problems) if self.problem_count is None else self.problem_count

    def summary(self, shown: int = SHOWN_PROBLEMS) -> dict[str, Any]:
        """What the check page shows, as JSON: the counts, the notes and the first ``shown``
        problems (a check run as a job keeps this, not the rows)."""
        return {"filename": self.filename, "file_sha256": self.file_sha256, "rows": self.rows,
                "problems": [[p.row, p.column, p.problem[:MAX_PROBLEM_TEXT]]
                             for p in self.problems[:shown]],
                "problem_count": self.problems_found, "notes": self.notes,
                "new_count": self.new_responses, "already_imported": self.already_imported}

    @classmethod
    def from_summary(cls, consultation: Consultation, data: dict[str, Any]) -> "ImportCheck":
        """The check a ``summary`` describes; whether the file has been imported since is
        looked up again."""
        check = cls(filename=data["filename"], file_sha256=data["file_sha256"], rows=data["rows"],
                    problems=[RowProblem(*p) for p in data["problems"]],
                    notes=list(data["notes"]), already_imported=data["already_imported"],
                    new_count=data["new_count"], problem_count=data["problem_count"])
        check.already_imported_file = _imported_batch(consultation, check.file_sha256)
        return check


def _imported_batch(consultation: Consultation, sha256: str) -> ImportBatch | None:
    return db.session.scalar(
        sa.select(ImportBatch).where(ImportBatch.consultation_id == consultation.id,
                                     ImportBatch.file_sha256 == sha256))


@dataclass
class Table:
    """The rows of a file as (row number as a spreadsheet shows it, cell values), header first;
    ``formulas`` gets the cells (like ``F12``) whose value a formula worked out, as they are read;
    ``cell_problems`` the rows a cell of which could not be read."""

    rows: Iterator[tuple[int, list[Any]]]
    notes: list[str] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)
    cell_problems: list[RowProblem] = field(default_factory=list)


def _kind_of(content: bytes) -> str | None:
    for magic, kind in NOT_SPREADSHEETS:
        if content.startswith(magic):
            return kind
    return None


def read_table(filename: str, content: bytes, known_columns: set[str] | None = None) -> Table:
    """The file's rows, by what the file holds (an XLSX or a CSV), whatever its name says.

    Raises ImportFileError, in plain words, for a file that is not a spreadsheet, is too large
    once unzipped, or is not text in UTF-8. ``known_columns`` helps tell the separator of a CSV.
    """
    table = Table(rows=iter(()))
    kind = _kind_of(content)
    if kind is not None:
        raise ImportFileError(
            f"{filename} is {kind}, not a spreadsheet. Save the responses from Excel as "
            "Excel Workbook (.xlsx) or as CSV UTF-8 (.csv) and choose that file.")
    if content.startswith(b"PK\x03\x04"):
        table.rows = _xlsx_rows(filename, content, table)
        return table
    if filename.lower().endswith((".xlsx", ".xlsm", ".xls")):
        raise ImportFileError(
            f"{filename} could not be opened as an Excel workbook (.xlsx): it is damaged or "
            "is another kind of file. Open it in Excel, save it as Excel Workbook (.xlsx) or "
            "CSV UTF-8, and try again.")
    text = _decode(filename, content)
    if "\x00" in text[:4096]:
        raise ImportFileError(
            f"{filename} is not a spreadsheet or a text file. Save the responses from Excel "
            "as Excel Workbook (.xlsx) or as CSV UTF-8 (.csv) and choose that file.")
    separator = _separator(text, known_columns or set())
    if separator != ",":
        table.notes.append(f"The columns in this file are separated by {SEPARATORS[separator]}, "
                           "not commas; it was read that way.")
    table.rows = _csv_rows(text, separator, table)
    return table


def _decode(filename: str, content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError(
            f"{filename} is saved as Unicode Text (UTF-16). In Excel, choose Save As, then "
            "'CSV UTF-8 (Comma delimited)', and try again.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[:error.start].count(b"\n") + 1
        raise ImportFileError(
            f"{filename} is not in UTF-8 (the first character that is not is on line {line}). "
            "In Excel, choose Save As, then 'CSV UTF-8 (Comma delimited)', and try again.") from error


def _separator(text: str, known: set[str]) -> str:
    """The separator that makes the most template column names of the first line."""
    first = text.split("\n", 1)[0][:100_000]
    best, best_known = ",", -1
    for candidate in SEPARATORS:
        names = {c.strip().strip('"').lstrip("\ufeff") for c in first.split(candidate)}
        score = len(names & known) if known else len(names) - 1
        if score > best_known and (candidate == "," or score > 1):
            best, best_known = candidate, score
    return best


def _csv_rows(text: str, separator: str, table: Table) -> Iterator[tuple[int, list[Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    number = 0
    failures = 0
    while True:
        number += 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            failures += 1
            why = (f"a cell is longer than {csv.field_size_limit():,} characters, far more than "
                   "any answer can be" if "field larger" in str(error)
                   else f"this line cannot be read as CSV ({error})")
            table.cell_problems.append(RowProblem(number, "", why))
            if failures >= 100:
                table.cell_problems.append(RowProblem(number, "", "reading stopped here: too "
                                                      "many lines cannot be read as CSV"))
                return
            yield number, []
            continue
        yield number, [unguard_splits(cell) for cell in row]  # the export's ' after ';' taken off


def _xlsx_rows(filename: str, content: bytes, table: Table) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the workbook's ``responses`` sheet (else its first), every one of them."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise ImportFileError(
            f"{filename} could not be opened as an Excel workbook (.xlsx): it is damaged. Open "
            "it in Excel, save it again as Excel Workbook (.xlsx) or as CSV UTF-8, and try "
            "again.") from error
    unzipped = sum(m.file_size for m in members)
    if unzipped > MAX_UNCOMPRESSED:
        raise ImportFileError(
            f"{filename} holds {unzipped / 1e6:,.0f} MB once unzipped; the most this service "
            f"reads is {MAX_UNCOMPRESSED / 1e6:,.0f} MB. Split the responses into smaller files.")
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM and \
                member.file_size > MAX_RATIO * max(member.compress_size, 1):
            raise ImportFileError(
                f"{filename} is refused: part of it ({member.filename}) unzips to "
                f"{member.file_size / 1e6:,.0f} MB from {member.compress_size / 1e3:,.0f} KB, "
                "which no table of responses does (a cell repeating the same text millions of "
                "times, or a file made to exhaust the server). Check the file and save it again.")
    from openpyxl import load_workbook
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a file that is not XLSX
        raise ImportFileError(
            f"{filename} could not be opened as an Excel workbook (.xlsx). Save it as .xlsx or "
            "as CSV UTF-8 and try again.") from error
    sheet = workbook["responses"] if "responses" in workbook.sheetnames else workbook.worksheets[0]
    formulas = table.formulas

    class Parser(WorkSheetParser):
        # The value a formula last gave, as Excel saved it; and which cells held one.
        def parse_cell(self, element):  # type: ignore[no-untyped-def]
            cell = super().parse_cell(element)
            if element.find(FORMULA_TAG) is not None:
                formulas.append(element.get("r") or f"row {cell['row']}")
            return cell

    def rows() -> Iterator[tuple[int, list[Any]]]:
        # Every row in the sheet's XML: the <dimension> a sheet declares is not trusted (a
        # file whose dimension says A1:I4 may hold a thousand rows more).
        try:
            with sheet._get_source() as source:
                parser = Parser(source, sheet._shared_strings, data_only=True,
                                epoch=workbook.epoch, date_formats=workbook._date_formats,
                                timedelta_formats=workbook._timedelta_formats)
                for number, cells in parser.parse():
                    values: list[Any] = [None] * (max((c["column"] for c in cells), default=0))
                    for cell in cells:
                        values[cell["column"] - 1] = cell["value"]
                    yield number, values
        except Exception as error:  # a damaged sheet: say where reading stopped
            raise ImportFileError(
                f"{filename}: the sheet '{sheet.title}' is damaged and could not be read to the "
                "end. Open it in Excel, save it again, and try again.") from error
        finally:
            workbook.close()

    return rows()


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


def _value(col: Column, raw: str) -> tuple[Any, str | None]:
    """The stored value of one cell, or a problem in plain English: read by the handler of the
    column's question type."""
    if raw == "":
        return None, None
    return handler_for(col.question_type).read_cell(col, raw)


def _import_key(consultation: Consultation, content: dict[str, Any], occurrence: int) -> str:
    canonical = json.dumps([consultation.slug, content, occurrence], sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _codes(codes: list[str] | tuple[str, ...]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


def check_file(consultation: Consultation, filename: str, content: bytes | str | Path,
               today: dt.date | None = None,
               progress: Callable[[int], None] | None = None) -> ImportCheck:
    """Validate every row (the dry run) and report every problem; nothing is written.

    ``progress`` is told the number of rows checked so far, every thousand rows (a check run as
    a job shows it on the job's page).

    ``content`` is the file's bytes or its path. Raises ImportFileError only when the file
    cannot be read as a table at all (not a spreadsheet, empty, too large once unzipped).
    """
    if isinstance(content, (str, Path)):
        content = Path(content).read_bytes()
    today = today or dt.datetime.now(dt.timezone.utc).date()
    check = ImportCheck(filename=filename, file_sha256=hashlib.sha256(content).hexdigest())
    check.already_imported_file = _imported_batch(consultation, check.file_sha256)
    cols = {c.column: c for c in columns(consultation)}
    table = read_table(filename, content, set(cols))
    check.notes.extend(table.notes)
    rows = table.rows
    first = next(rows, None)
    if first is None or not any(_text(h) for h in first[1]):
        raise ImportFileError(f"{filename} is empty, or its first row (the column names) is "
                              "blank. Download the template, fill it in and try again.")
    header_number, header_row = first
    header = [_text(h) for h in header_row]
    problems = check.problems

    # The header: each problem once; the rows are still checked, on the columns that can be read.
    counts = Counter(h for h in header if h)
    usable: list[tuple[int, str]] = []
    for index, name in enumerate(header):
        if not name:
            continue
        if name not in cols:
            problems.append(RowProblem(header_number, name, "this column is not in the template; "
                                       "remove it or correct its name (the data dictionary lists "
                                       "the columns)"))
        elif counts[name] > 1:
            if header.index(name) == index:
                problems.append(RowProblem(header_number, name, f"this column is there "
                                           f"{counts[name]} times; keep one of them (its cells "
                                           "are not checked until then)"))
        else:
            usable.append((index, name))
    read = {name for _, name in usable}
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append(RowProblem(header_number, name, "this column is missing; it must be "
                                       "there and filled in on every row"))
    blank_named = [i for i, name in enumerate(header) if not name]

    definition = consultation.definition
    question_of = {c: q for p in definition["pages"] for q in p["questions"] for c in q["columns"]}
    rank_columns = [c for c in cols if cols[c].type == "rank"]
    theme_titles = {c: cols[c].theme_title for c in rank_columns}
    n_themes = len(consultation.themes)
    seen: Counter[str] = Counter()
    keys: list[str] = []
    for row_number, row in rows:
        cells = {name: _text(row[i]) if i < len(row) else "" for i, name in usable}
        if not any(cells.values()):
            if not any(_text(v) for v in row):
                continue  # blank lines at the end of a sheet
        check.rows += 1
        if progress is not None and check.rows % 1000 == 0:
            progress(check.rows)
        if check.rows > MAX_ROWS:
            problems.append(RowProblem(row_number, "", f"a file can hold at most {MAX_ROWS:,} "
                                       "rows; split it into smaller files"))
            break
        problems_before = len(problems)

        def problem(column: str, text: str, row_number: int = row_number) -> None:
            problems.append(RowProblem(row_number, column, text))

        stray = [i for i in blank_named if i < len(row) and _text(row[i])]
        if stray:
            problem("", f"{len(stray)} cell{'s' if len(stray) > 1 else ''} under a column with "
                        "no name; give the column its name from the template, or empty it")
        if cells.get("format_version") not in ("", None, *map(str, READABLE_VERSIONS)):
            problem("format_version", "this service reads format versions "
                    f"{', '.join(map(str, READABLE_VERSIONS[:-1]))} and {READABLE_VERSIONS[-1]}; "
                    "the row says "
                    f"'{cells['format_version']}'")
        if cells.get("consultation") not in ("", None, consultation.slug):
            problem("consultation", f"the row is for '{cells['consultation']}', not "
                                    f"'{consultation.slug}'")
        received_on = None
        if "received_on" in read:
            raw_date = cells.get("received_on", "")
            try:
                received_on = dt.date.fromisoformat(raw_date)
            except ValueError:
                problem("received_on", "the date received is missing" if not raw_date else
                        f"'{raw_date}' is not a date like 2021-07-04 (year-month-day)")
        # The response's own fields are checked with its answers, below; their problems go here.
        meta_at = len(problems)

        answers: dict[str, Any] = {}
        for name, raw in cells.items():
            col = cols[name]
            if not col.question:
                continue
            value, why = _value(col, raw)
            if why:
                problem(name, why)
            elif value is not None:
                answers[name] = value
        reported = {p.column for p in problems[problems_before:]}
        # Ranks: one message per number given twice, and one for a ranking left half done.
        ranks = {c: answers[c] for c in rank_columns if c in answers}
        by_rank: dict[int, list[str]] = {}
        for column, rank in ranks.items():
            by_rank.setdefault(rank, []).append(column)
        for rank, shared in sorted(by_rank.items()):
            if len(shared) > 1:
                titles = ", ".join(theme_titles[c] for c in shared)
                problem(", ".join(shared), f"rank {rank} is given to {len(shared)} themes "
                                           f"({titles}); give each theme a different number "
                                           f"from 1 to {n_themes}")
        unranked = [c for c in rank_columns if c not in ranks and c not in reported]
        if ranks and unranked and not any(c in reported for c in rank_columns):
            problem(", ".join(unranked), f"{len(ranks)} of the {n_themes} themes are ranked; "
                                         "rank every theme or none (not ranked: "
                                         f"{', '.join(theme_titles[c] for c in unranked)})")
        if ranks and (unranked or len(by_rank) < len(ranks)):
            reported.update(rank_columns)
        # Answers that contradict each other (the definition's checks), in the file's terms.
        for broken in broken_checks(definition, answers):
            when, then = broken["if"], broken["then"]
            allowed = (f"empty or {_codes(then['in'])}" if then["in"] else "empty")
            given = answers.get(then["question"])
            problem(then["question"], f"'{_flat(given)}' cannot be given when "
                                      f"{when['question']} is '{_flat(answers.get(when['question']))}'"
                                      f"; with that answer, {then['question']} must be {allowed}")
            reported.add(then["question"])
        # The check every response is held to, whatever its channel (consult/survey/submission):
        # the survey's own checks (required answers, ranges) on the answers the survey's routing
        # would have asked for, the channel, the date and the moderation given; one message per
        # question.
        hidden = [c.strip() for c in (cells.get("hidden_comments") or "").split(";") if c.strip()]
        new, refused = check_response(
            definition, answers, channel=cells.get("channel", ""), received_on=received_on,
            status=cells.get("status") or "valid", status_reason=cells.get("status_reason", ""),
            hidden_comments=hidden, language=cells.get("language") or "en", today=today)
        meta = []
        for name in META_COLUMNS:
            why = refused.pop(name, None)
            if why and (name in read or name not in REQUIRED_COLUMNS):
                meta.append(RowProblem(row_number, name, why))
        problems[meta_at:meta_at] = meta
        for name, why in refused.items():
            question = question_of.get(name)
            siblings = question["columns"] if question else [name]
            if any(c in reported for c in siblings):
                continue
            reported.update(siblings)
            if name not in cells or not cells[name]:
                problem(name, "this answer is required, as it is online"
                        + (f"; give one of: {', '.join(cols[name].code_list)}"
                           if name in cols and cols[name].code_list else ""))
            else:
                problem(name, f"the survey does not accept this answer: {why}")
        if len(problems) > problems_before:
            continue
        content_key = {
            "received_on": received_on.isoformat() if received_on else None,
            "channel": new.channel, "status": new.status, "status_reason": new.status_reason,
            "hidden_comments": hidden, "answers": new.answers,
        }
        if new.language != "en":  # (English rows keep the keys they had before the column)
            content_key["language"] = new.language
        seen_key = json.dumps(content_key, sort_keys=True)
        seen[seen_key] += 1
        key = _import_key(consultation, content_key, seen[seen_key])
        keys.append(key)
        check.new_rows.append({**content_key, "received_on": received_on, "import_key": key,
                               "row": row_number})
    if table.cell_problems:
        problems.extend(table.cell_problems)
        problems.sort(key=lambda p: p.row)
    if table.formulas:
        shown = ", ".join(table.formulas[:5]) + (", ..." if len(table.formulas) > 5 else "")
        check.notes.append(
            f"{len(table.formulas):,} cell{'s' if len(table.formulas) > 1 else ''} ({shown}) "
            f"hold{'s' if len(table.formulas) == 1 else ''} a formula. Each is read as the value "
            "Excel last worked out for it and saved in the file, not as the formula; if a value "
            "looks wrong in the rows, replace the formula with the answer itself.")
    if keys and not check.problems:
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            existing.update(db.session.scalars(
                sa.select(Response.import_key)
                .where(Response.import_key.in_(keys[start:start + 500]))))
        check.already_imported = len(existing)
        check.new_rows = [r for r in check.new_rows if r["import_key"] not in existing]
    return check


def _flat(value: Any) -> str:
    return ";".join(map(str, value)) if isinstance(value, list) else str(value)


def _new_response(row: dict[str, Any]) -> NewResponse:
    """The checked response of a row of ``ImportCheck.new_rows``."""
    return NewResponse(answers=row["answers"], channel=row["channel"],
                       received_on=row["received_on"], status=row["status"],
                       status_reason=row["status_reason"],
                       hidden_comments=list(dict.fromkeys(row["hidden_comments"])),
                       import_key=row["import_key"], language=row.get("language", "en"))


def import_file(consultation: Consultation, filename: str, content: bytes | str | Path,
                user: StaffUser | None = None) -> ImportCheck:
    """Check the file, then store all its new rows in one transaction (or nothing).

    A status other than valid, and each hidden comment, is recorded as a moderation by ``user``
    (a ModerationEvent with the file's reason, and an audit event), as if done on the
    response's page.
    """
    check = check_file(consultation, filename, content)
    if not check.ok:
        return check
    user_id = user.id if user else None
    try:
        # Every row through the one row builder every response uses, with its moderation.
        _, moderated = add_responses(
            consultation, (_new_response(row) for row in check.new_rows), user,
            source="import", filename=filename)
        db.session.add(ImportBatch(consultation_id=consultation.id, file_sha256=check.file_sha256,
                                   filename=filename[:300], rows=len(check.new_rows),
                                   user_id=user_id))
        audit.record("import", target=consultation.slug, rows=len(check.new_rows), user=user,
                     filename=filename, file_sha256=check.file_sha256,
                     skipped_already_imported=check.already_imported, moderations=moderated)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return check


def template_columns(consultation: Consultation) -> list[str]:
    """The columns of the import template: the export's, less staff translations (recorded on
    a response's page, never imported; an export's translation columns are read past) and the
    comments' codes (given in the coding workbench; read past too)."""
    return [c.column for c in columns(consultation)
            if c.type != "translation" and c.question_type != "coding"]
