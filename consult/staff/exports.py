"""Export downloads: CSV (+ data dictionary), Excel and JSON, optionally redacted.

The file is written to a temporary file on disk (rows streamed from the database), the audit
log records who exported what and how many rows, then the file is sent."""
from __future__ import annotations

import tempfile
from typing import Any

from flask import render_template, send_file
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice
from wtforms.validators import AnyOf

from .. import audit
from ..exports import write_dictionary_csv, write_export
from ..extensions import db
from . import bp, consultation_or_404
from .roles import requires
from .stats import COUNTING_RULE

FORMAT_CHOICES = [
    ("csv", "CSV (one row per response), with the data dictionary as a second download"),
    ("xlsx", "Excel workbook (responses, support per theme, comments, data dictionary)"),
    ("json", "JSON (format version 1, for other software)"),
]
MIMETYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportForm(FlaskForm):
    format = RadioField("Format", choices=[SelectChoice(c, label) for c, label in FORMAT_CHOICES],
                        default="csv", validate_choice=False,
                        validators=[AnyOf([c for c, _ in FORMAT_CHOICES],
                                          message="Choose a format.")])
    redacted = BooleanField("Redact email addresses, phone numbers and postcodes in free text "
                            "(for sharing with partners)")


@bp.route("/consultations/<slug>/export", methods=["GET"])
@requires("export")
def export_page(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    return render_template("staff/export.html", consultation=consultation, form=ExportForm(),
                           counting_rule=COUNTING_RULE)


@bp.route("/consultations/<slug>/export", methods=["POST"])
@requires("export")
def export_download(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    form = ExportForm()
    if not form.validate_on_submit():
        return render_template("staff/export.html", consultation=consultation, form=form,
                               counting_rule=COUNTING_RULE), 400
    fmt = form.format.data or "csv"
    redacted = bool(form.redacted.data)
    # Deleted as soon as it is closed: on disk only while it is being sent.
    spool = tempfile.NamedTemporaryFile(suffix="." + fmt, delete=True)
    if fmt == "xlsx":
        rows = write_export(consultation, fmt, spool.name, redacted)
    else:
        with open(spool.name, "w", encoding="utf-8", newline="") as out:
            rows = write_export(consultation, fmt, out, redacted)
    audit.record("export", target=consultation.slug, rows=rows, format=fmt, redacted=redacted)
    db.session.commit()
    suffix = "-redacted" if redacted else ""
    handle = open(spool.name, "rb")
    spool.close()  # the open handle keeps the data until the download is sent
    return send_file(handle, mimetype=MIMETYPES[fmt], as_attachment=True,
                     download_name=f"{consultation.slug}{suffix}.{fmt}", max_age=0)


@bp.route("/consultations/<slug>/export/dictionary.csv", methods=["GET"])
@requires("export")
def export_dictionary(slug: str) -> Any:
    import io

    consultation = consultation_or_404(slug)
    out = io.StringIO()
    write_dictionary_csv(consultation, out)
    data = io.BytesIO(out.getvalue().encode("utf-8"))
    return send_file(data, mimetype="text/csv", as_attachment=True,
                     download_name=f"{consultation.slug}.dictionary.csv", max_age=0)
