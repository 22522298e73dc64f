"""The Panel report for a reporting period: one set of figures, written as a printable HTML
page and as a Word document.

``build`` gathers everything from the database into plain data; ``html`` and ``docx`` only lay
that data out, so both say the same thing. Nothing in it reads the clock: run twice on the same
data, it gives the same content (and the same bytes).
"""
from __future__ import annotations

import base64
import calendar
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from flask import render_template

from .codes import DIRECTIONS, STATUS_COLOURS, STATUSES, SUMMARY_ORDER, measure_trend
from .models import Plan, ReportingPeriod
from .progress import current_updates, measure_series, previous_period

NOT_STATED = "not stated"
NO_UPDATE = "no_update"
NO_UPDATE_LABEL = "No update recorded"
LOOKAHEAD_MONTHS = 9
CSS = Path(__file__).resolve().parents[1] / "static" / "plans" / "panel-report.css"


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_year(day: dt.date | None) -> str:
    return f"{day:%B %Y}" if day else NOT_STATED


def long_date(day: dt.date | dt.datetime | None) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def status_label(code: str) -> str:
    return STATUSES.get(code, NO_UPDATE_LABEL)


def build(plan: Plan, period: ReportingPeriod) -> dict[str, Any]:
    """Everything the Panel report says about ``period``, as plain data."""
    before = previous_period(period)
    now_updates = current_updates(period)
    then_updates = current_updates(before)
    horizon = _add_months(period.ends_on, LOOKAHEAD_MONTHS)
    columns = list(SUMMARY_ORDER) + [NO_UPDATE]
    themes, red_amber, changes, completed, coming = [], [], [], [], []
    later = 0
    totals = {code: 0 for code in columns}
    latest = None
    for theme in plan.themes:
        counts = {code: 0 for code in columns}
        measures = []
        for deliverable in theme.deliverables:
            update = now_updates.get(deliverable.id)
            earlier = then_updates.get(deliverable.id)
            status = update.status if update else NO_UPDATE
            counts[status] += 1
            totals[status] += 1
            if update is not None and (latest is None or update.recorded_at > latest):
                latest = update.recorded_at
            item = {
                "theme": theme.title, "reference": deliverable.reference,
                "title": deliverable.title, "lead": deliverable.lead or NOT_STATED,
                "due": month_year(deliverable.due_on), "status": status,
                "status_label": status_label(status),
                "direction": DIRECTIONS[update.direction] if update else "",
                "note": update.note if update else "",
                "next_steps": update.next_steps if update else "",
                "previous_status": earlier.status if earlier else NO_UPDATE,
                "previous_status_label": status_label(earlier.status) if earlier else NO_UPDATE_LABEL,
            }
            if status in ("red", "amber"):
                red_amber.append(item)
            if before is not None and update is not None and (earlier is None or earlier.status != update.status):
                changes.append(item)
            if status == "complete" and item["previous_status"] != "complete":
                completed.append(item)
            if status != "complete":
                if deliverable.due_on is None or deliverable.due_on <= horizon:
                    coming.append(item)
                else:
                    later += 1
        for measure in theme.measures:
            series = measure_series(measure)
            value = next((v for p, v in series if p.id == period.id), None)
            prior = [v for p, v in series if p.starts_on < period.starts_on]
            previous = prior[-1] if prior else None
            measures.append({
                "title": measure.title, "unit": measure.unit,
                "deliverable": measure.deliverable.title if measure.deliverable else "",
                "value": value, "previous": previous,
                "trend": measure_trend(previous, value, measure.higher_is_better)
                if value is not None else "no value for this period",
            })
        themes.append({"key": theme.key, "title": theme.title, "counts": counts,
                       "total": len(theme.deliverables), "measures": measures})
    red_amber.sort(key=lambda i: 0 if i["status"] == "red" else 1)  # stable: theme order kept
    shown = [c for c in columns if totals[c] or c != NO_UPDATE]
    return {
        "plan": {"slug": plan.slug, "title": plan.title, "organisation": plan.organisation,
                 "item_name": plan.item_name, "years": plan.years},
        "period": {"key": period.key, "title": period.title,
                   "starts_on": long_date(period.starts_on), "ends_on": long_date(period.ends_on)},
        "previous_period": before.title if before else None,
        "horizon": month_year(horizon),
        "columns": [{"code": c, "label": status_label(c)} for c in shown],
        "themes": themes,
        "totals": totals,
        "total": sum(t["total"] for t in themes),
        "red_amber": red_amber,
        "changes": changes,
        "completed": completed,
        "coming": coming,
        "later": later,
        "has_measures": any(t["measures"] for t in themes),
        "as_at": latest or dt.datetime.combine(period.ends_on, dt.time(), dt.timezone.utc),
    }


def chart_alt_text(data: dict[str, Any]) -> str:
    parts = []
    for theme in data["themes"]:
        counts = ", ".join(f"{theme['counts'][c['code']]} {c['label'].lower()}"
                           for c in data["columns"] if theme["counts"][c["code"]])
        parts.append(f"{theme['title']}: {counts or 'none'}")
    return (f"Bar chart of the delivery status of each theme's {data['plan']['item_name']}s in "
            f"{data['period']['title']}. " + "; ".join(parts) + ".")


def chart_png(data: dict[str, Any]) -> bytes:
    """A horizontal stacked bar per theme; each status has its own colour and hatching, and its
    count written on the bar, so colour is not the only way to tell them apart."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    hatches = {"red": "xx", "amber": "//", "green": "", "complete": "..", "not_started": "--",
               NO_UPDATE: "\\\\"}
    themes = data["themes"]
    figure = Figure(figsize=(8, 0.7 * len(themes) + 1.6), dpi=100)
    axes = figure.subplots()
    labels = [t["title"] for t in themes][::-1]
    left = [0] * len(themes)
    for column in data["columns"]:
        code = column["code"]
        values = [t["counts"][code] for t in themes][::-1]
        bars = axes.barh(labels, values, left=left, label=column["label"],
                         color=STATUS_COLOURS.get(code, "#ffffff"), edgecolor="#0b0c0c",
                         hatch=hatches.get(code, ""))
        for bar, value in zip(bars, values):
            if value:
                dark = code in ("red", "green", "complete")
                axes.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                          str(value), ha="center", va="center", fontsize=10, fontweight="bold",
                          color="#ffffff" if dark else "#0b0c0c",
                          bbox=None)
        left = [a + b for a, b in zip(left, values)]
    axes.set_xlabel(f"Number of {data['plan']['item_name']}s")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.25 if len(themes) > 2 else -0.4),
                ncol=3, frameon=False)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def html(data: dict[str, Any], *, standalone: bool, back: str | None = None) -> str:
    """The printable page. ``standalone`` puts the stylesheet in the page (a file to send);
    otherwise it links the app's copy (the page served in the workspace)."""
    chart = base64.b64encode(chart_png(data)).decode("ascii")
    return render_template("plans/panel_report.html", data=data, chart=chart,
                           alt=chart_alt_text(data), standalone=standalone, back=back,
                           css=CSS.read_text(encoding="utf-8") if standalone else None,
                           STATUSES=STATUSES, number=_number, item_label=_item_label)


# ---------------------------------------------------------------------------------------------
# Word
# ---------------------------------------------------------------------------------------------

def _set_language(document: Any, tag: str = "en-GB") -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr_default = defaults.find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), tag)
    document.core_properties.language = tag


def _header_row(row: Any) -> None:
    """Mark a table row as its header row, repeated at the top of each page."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _table(document: Any, caption: str, headings: list[str], rows: list[list[str]]) -> None:
    document.add_paragraph(caption, style="Caption")
    table = document.add_table(rows=1, cols=len(headings))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headings):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    _header_row(table.rows[0])
    for values in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, values):
            cell.text = text


def _picture(document: Any, png: bytes, alt: str, title: str) -> None:
    from docx.shared import Cm

    document.add_picture(io.BytesIO(png), width=Cm(16))
    inline = document.inline_shapes[-1]._inline
    doc_pr = inline.docPr
    doc_pr.set("descr", alt)
    doc_pr.set("title", title)


def _item_label(item: dict[str, Any]) -> str:
    return f"{item['reference']} {item['title']}" if item["reference"] else item["title"]


def docx(data: dict[str, Any]) -> bytes:
    """The Word document: real headings, tables with marked header rows, alternative text on
    the chart, language en-GB, fixed core properties; the same bytes for the same data."""
    import docx as python_docx

    document = python_docx.Document()
    _set_language(document)
    plan, period = data["plan"], data["period"]
    item = plan["item_name"]
    title = f"{plan['title']}: delivery report for {period['title']}"
    props = document.core_properties
    props.title, props.author = title, plan["organisation"] or plan["title"]
    props.subject = "Police and Crime Panel: delivery of the Plan"
    props.last_modified_by = props.author
    props.revision = 1
    stamp = data["as_at"].astimezone(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    props.created = props.modified = stamp
    props.last_printed = stamp
    props.comments = ""

    document.add_heading(title, level=0)
    document.add_paragraph((f"{plan['organisation']}. " if plan["organisation"] else "")
                           + f"Reporting period: {period['title']} ({period['starts_on']} to "
                           f"{period['ends_on']}).")
    document.add_paragraph(f"This report covers {data['total']} {item}s across "
                           f"{len(data['themes'])} themes."
                           + (f" Changes are against {data['previous_period']}."
                              if data["previous_period"] else " There is no earlier period to "
                              "compare with."))

    document.add_heading("Delivery status by theme", level=1)
    columns = data["columns"]
    _table(document, f"Table 1: number of {item}s by status and theme",
           ["Theme"] + [c["label"] for c in columns] + ["Total"],
           [[t["title"]] + [str(t["counts"][c["code"]]) for c in columns] + [str(t["total"])]
            for t in data["themes"]]
           + [["All themes"] + [str(data["totals"][c["code"]]) for c in columns]
              + [str(data["total"])]])
    document.add_paragraph("")
    _picture(document, chart_png(data), chart_alt_text(data), "Delivery status by theme")

    document.add_heading(f"Red and amber {item}s", level=1)
    if data["red_amber"]:
        _table(document, f"Table 2: {item}s rated red or amber, red first",
               ["Theme", item.capitalize(), "Status", "Direction of travel", "Lead", "Note"],
               [[i["theme"], _item_label(i), i["status_label"], i["direction"], i["lead"],
                 i["note"]] for i in data["red_amber"]])
    else:
        document.add_paragraph(f"No {item} is rated red or amber.")

    document.add_heading("What changed since the last period", level=1)
    if not data["previous_period"]:
        document.add_paragraph("There is no earlier period to compare with.")
    elif data["changes"]:
        _table(document, "Table 3: status changes since the last period",
               ["Theme", item.capitalize(), "Was", "Now", "Direction of travel"],
               [[i["theme"], _item_label(i), i["previous_status_label"], i["status_label"],
                 i["direction"]] for i in data["changes"]])
    else:
        document.add_paragraph("No status changed since the last period.")

    document.add_heading("Completed in this period", level=1)
    if data["completed"]:
        for i in data["completed"]:
            document.add_paragraph(f"{_item_label(i)} ({i['theme']})", style="List Bullet")
    else:
        document.add_paragraph(f"No {item} was completed in this period.")

    document.add_heading(f"Coming in the next 6 to 9 months (to {data['horizon']})", level=1)
    if data["coming"]:
        _table(document, f"Table 4: {item}s still to deliver, with their next steps",
               ["Theme", item.capitalize(), "Due", "Lead", "Next steps"],
               [[i["theme"], _item_label(i), i["due"], i["lead"], i["next_steps"] or NOT_STATED]
                for i in data["coming"]])
    else:
        document.add_paragraph(f"Every {item} is complete or due later.")
    if data["later"]:
        document.add_paragraph(f"{data['later']} further {item}(s) are due after {data['horizon']}.")

    if data["has_measures"]:
        document.add_heading("Measures", level=1)
        _table(document, "Table 5: measures with their value this period and the trend",
               ["Theme", "Measure", "This period", "Previous period", "Trend"],
               [[t["title"], m["title"], _number(m["value"], m["unit"]),
                 _number(m["previous"], m["unit"]), m["trend"]]
                for t in data["themes"] for m in t["measures"]])
    out = io.BytesIO()
    document.save(out)
    return _fixed_zip(out.getvalue())


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "none"
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return f"{text} {unit}".strip()


def _fixed_zip(data: bytes) -> bytes:
    """The same package with fixed member dates, so the file is byte-for-byte reproducible."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
