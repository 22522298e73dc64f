"""Deliverables and progress updates in and out of spreadsheets (CSV or Excel).

Partners send updates in spreadsheets. The export of a period is also the template to fill in:
one row per deliverable, with its details and its current update. Importing checks every row
first and reports each problem with its row and column; only a file with no problem is stored,
all of it in one transaction (the dry run stops after the check). Rows that say what is already
recorded add nothing, so the same file twice changes nothing. A row with a key the plan does not
have adds a deliverable to the theme it names.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Any, IO

from .. import audit
from ..exports import neutralise
from ..extensions import db
from .codes import DIRECTIONS, STATUSES
from .models import Deliverable, Plan, ReportingPeriod
from .progress import (
    UpdateInput,
    check_update,
    current_updates,
    parse_evidence,
    proposed_direction,
    record_update,
)

COLUMNS = ["theme", "key", "reference", "title", "lead", "partners", "due_on", "period",
           "status", "direction", "note", "next_steps", "evidence"]
REQUIRED_COLUMNS = {"key", "status"}
DELIVERABLE_FIELDS = ("reference", "title", "lead", "partners", "due_on")
MAX_ROWS = 5000
MAX_CELL = 5000


class SpreadsheetError(ValueError):
    """A file that cannot be read at all (not a table, no key column, too big)."""


def export_rows(plan: Plan, period: ReportingPeriod) -> list[list[str]]:
    updates = current_updates(period)
    rows = [COLUMNS]
    for theme in plan.themes:
        for d in theme.deliverables:
            u = updates.get(d.id)
            rows.append([theme.key, d.key, d.reference, d.title, d.lead, "; ".join(d.partners or []),
                         d.due_on.isoformat() if d.due_on else "", period.key,
                         STATUSES[u.status] if u else "", DIRECTIONS[u.direction] if u else "",
                         u.note if u else "", u.next_steps if u else "",
                         "\n".join(f"{e['label']} | {e['url']}" for e in u.evidence) if u else ""])
    return rows


def write_csv(plan: Plan, period: ReportingPeriod, out: IO[str]) -> int:
    writer = csv.writer(out)
    rows = export_rows(plan, period)
    for row in rows:
        writer.writerow([neutralise(str(c)) for c in row])
    return len(rows) - 1


def write_xlsx(plan: Plan, period: ReportingPeriod, out: IO[bytes]) -> int:
    import xlsxwriter

    rows = export_rows(plan, period)
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                         "strings_to_urls": False, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("Progress")
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, str(value), bold if r == 0 else wrap)
    sheet.freeze_panes(1, 0)
    for c, width in enumerate([18, 22, 10, 50, 20, 24, 12, 10, 12, 12, 40, 40, 40]):
        sheet.set_column(c, c, width)
    codes = workbook.add_worksheet("Codes")
    codes.write_row(0, 0, ["status", "direction"], bold)
    for i, label in enumerate(STATUSES.values(), start=1):
        codes.write_string(i, 0, label)
    for i, label in enumerate(DIRECTIONS.values(), start=1):
        codes.write_string(i, 1, label)
    if len(rows) > 1:
        sheet.data_validation(1, 8, len(rows) - 1, 8, {"validate": "list",
                                                       "source": list(STATUSES.values())})
        sheet.data_validation(1, 9, len(rows) - 1, 9, {"validate": "list",
                                                       "source": list(DIRECTIONS.values())})
    workbook.close()
    return len(rows) - 1


def read_table(data: bytes, filename: str) -> list[dict[str, str]]:
    """The rows of a CSV or XLSX file as {column: text}, with the header row's names."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many types for a broken file
            raise SpreadsheetError(f"{filename} is not an Excel workbook that can be read "
                                   f"({type(error).__name__}); save it again as .xlsx") from None
        sheet = workbook.worksheets[0]
        grid = [["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime)
                                       else v.isoformat() if isinstance(v, dt.date) else str(v))
                 for v in row] for row in sheet.iter_rows(values_only=True)]
        workbook.close()
    elif name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SpreadsheetError(f"{filename} is not UTF-8 text; save it as CSV UTF-8") from None
        grid = list(csv.reader(io.StringIO(text)))
    else:
        raise SpreadsheetError(f"{filename}: send a .csv or .xlsx file")
    grid = [row for row in grid if any(str(c).strip() for c in row)]
    if not grid:
        raise SpreadsheetError(f"{filename} is empty")
    header = [str(c).strip().lower() for c in grid[0]]
    missing = REQUIRED_COLUMNS - set(header)
    if missing:
        raise SpreadsheetError(f"{filename} has no {', '.join(sorted(missing))} column; start from "
                               "the exported spreadsheet, whose first row names the columns")
    if len(grid) - 1 > MAX_ROWS:
        raise SpreadsheetError(f"{filename} has {len(grid) - 1:,} rows; the most is {MAX_ROWS:,}")
    rows = []
    for values in grid[1:]:
        rows.append({h: (str(values[i]).strip() if i < len(values) else "")
                     for i, h in enumerate(header) if h})
    return rows


def _code(value: str, codes: dict[str, str]) -> str | None:
    wanted = value.strip().lower().replace("_", " ")
    for code, label in codes.items():
        if wanted in (code.replace("_", " "), label.lower()):
            return code
    return None


def _unguard(value: str) -> str:
    # The export puts ' before text a spreadsheet could run as a formula; take it off again.
    return value[1:] if value.startswith("'") and value[1:2] in "=+-@\t\r" else value


@dataclass
class RowPlan:
    row: int
    key: str
    update: UpdateInput | None = None
    deliverable_changes: dict[str, Any] = field(default_factory=dict)
    new_deliverable: dict[str, Any] | None = None


@dataclass
class ImportCheck:
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    planned: list[RowPlan] = field(default_factory=list)

    @property
    def updates(self) -> int:
        return sum(1 for p in self.planned if p.update is not None)

    @property
    def changed(self) -> int:
        return sum(1 for p in self.planned if p.deliverable_changes)

    @property
    def added(self) -> int:
        return sum(1 for p in self.planned if p.new_deliverable is not None)


def check(plan: Plan, period: ReportingPeriod, rows: list[dict[str, str]]) -> ImportCheck:
    """Every row checked; nothing stored."""
    result = ImportCheck(rows=len(rows))
    deliverables = {d.key: d for d in plan.deliverables}
    themes = {t.key: t for t in plan.themes}
    updates = current_updates(period)
    seen: dict[str, int] = {}
    for number, raw in enumerate(rows, start=2):
        row = {k: _unguard(v) for k, v in raw.items()}
        where = f"row {number}"

        def problem(column: str, message: str) -> None:
            result.problems.append(f"{where}, {column}: {message}")

        for column, value in row.items():
            if len(value) > MAX_CELL:
                problem(column, f"is {len(value):,} characters long; the most is {MAX_CELL:,}")
        key = row.get("key", "")
        if not key:
            problem("key", "is empty; every row names its deliverable's key")
            continue
        if key in seen:
            problem("key", f"{key!r} is also on row {seen[key]}; give each deliverable one row")
            continue
        seen[key] = number
        if row.get("period") and row["period"] != period.key:
            problem("period", f"{row['period']!r} is not this import's period ({period.key})")
        planned = RowPlan(row=number, key=key)
        deliverable = deliverables.get(key)
        due = None
        if row.get("due_on"):
            try:
                due = dt.date.fromisoformat(row["due_on"][:10])
            except ValueError:
                problem("due_on", f"{row['due_on']!r} is not a date; write it as 2022-09-30")
        partners = [p.strip() for p in row.get("partners", "").replace("\n", ";").split(";") if p.strip()]
        given = {"reference": row.get("reference", ""), "title": row.get("title", ""),
                 "lead": row.get("lead", ""), "partners": partners, "due_on": due}
        if deliverable is None:
            theme = themes.get(row.get("theme", ""))
            if theme is None:
                problem("theme", f"{key!r} is not a deliverable of {plan.slug}; to add it, give the "
                        f"key of its theme ({', '.join(themes)})")
                continue
            if not given["title"]:
                problem("title", f"give the title of the new deliverable {key!r}")
                continue
            planned.new_deliverable = {"theme": theme, **given}
        else:
            for name in DELIVERABLE_FIELDS:
                if name not in row:
                    continue  # a column left out changes nothing
                if name == "title" and not given["title"]:
                    problem("title", "is empty; a deliverable keeps its title")
                    continue
                if getattr(deliverable, name) != given[name]:
                    planned.deliverable_changes[name] = given[name]
        status_text = row.get("status", "")
        if status_text:
            status = _code(status_text, STATUSES)
            if status is None:
                problem("status", f"{status_text!r} is not a status; use one of "
                        f"{', '.join(STATUSES.values())}")
                continue
            direction_text = row.get("direction", "")
            direction = _code(direction_text, DIRECTIONS) if direction_text else None
            if direction_text and direction is None:
                problem("direction", f"{direction_text!r} is not a direction of travel; use one of "
                        f"{', '.join(DIRECTIONS.values())}")
                continue
            if direction is None and deliverable is not None:
                direction = proposed_direction(deliverable, period, status)
            if direction is None:
                problem("direction", "is empty and there is no earlier update to propose one from; "
                        "write Improving, No change or Worsening")
                continue
            evidence, evidence_problems = parse_evidence(row.get("evidence", ""))
            for message in evidence_problems:
                problem("evidence", message)
            data = UpdateInput(status=status, direction=direction, note=row.get("note", ""),
                               next_steps=row.get("next_steps", ""), evidence=evidence)
            for column, message in check_update(data).items():
                problem(column, message)
            existing = updates.get(deliverable.id) if deliverable is not None else None
            same = existing is not None and (existing.status, existing.direction, existing.note,
                                             existing.next_steps, existing.evidence) == \
                (data.status, data.direction, data.note.strip(), data.next_steps.strip(), data.evidence)
            if not same:
                planned.update = data
        if planned.update or planned.deliverable_changes or planned.new_deliverable:
            result.planned.append(planned)
    return result


def apply(plan: Plan, period: ReportingPeriod, result: ImportCheck, *, filename: str,
          user: Any = None, actor: str | None = None) -> None:
    """Store a checked import, all of it or (on any error) none of it."""
    if result.problems:
        raise SpreadsheetError("the file has problems; nothing was imported")
    try:
        deliverables = {d.key: d for d in plan.deliverables}
        for planned in result.planned:
            if planned.new_deliverable is not None:
                item = dict(planned.new_deliverable)
                theme = item.pop("theme")
                deliverable = Deliverable(key=planned.key, plan_id=plan.id,
                                          position=max((d.position for d in plan.deliverables), default=0) + 1,
                                          **item)
                theme.deliverables.append(deliverable)
                db.session.flush()
                deliverables[planned.key] = deliverable
                audit.record("plan.deliverable.add", target=f"{plan.slug}/{planned.key}", user=user,
                             actor=actor, source="import")
            deliverable = deliverables[planned.key]
            if planned.deliverable_changes:
                audit.record("plan.deliverable.edit", target=f"{plan.slug}/{planned.key}", user=user,
                             actor=actor, source="import",
                             changes={k: {"from": _jsonable(getattr(deliverable, k)), "to": _jsonable(v)}
                                      for k, v in planned.deliverable_changes.items()})
                for name, value in planned.deliverable_changes.items():
                    setattr(deliverable, name, value)
            if planned.update is not None:
                record_update(deliverable, period, planned.update, user=user, actor=actor,
                              source="import", commit=False)
        audit.record("plan.import", target=f"{plan.slug}/{period.key}", rows=result.rows,
                     user=user, actor=actor, filename=filename[:200], updates=result.updates,
                     changed=result.changed, added=result.added)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def summary(result: ImportCheck) -> str:
    return (f"{result.rows} rows checked: {result.updates} progress update(s), "
            f"{result.changed} deliverable(s) changed, {result.added} added")


