"""Exports: CSV (+ data dictionary), Excel and JSON, optionally redacted, written by a job.

Asking for an export answers at once with the job's page (consult/staff/jobs.py), which shows
the rows written and offers the file when it is ready. Two staff asking for the same export at
once share one job; an export of unchanged responses made in the last day is offered again.
Every request and every download is in the audit log."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice
from wtforms.validators import AnyOf

from .. import audit, jobs
from ..exports import write_areas_csv, write_dictionary_csv
from ..extensions import db
from ..models import Job
from ..reports import fingerprint
from . import bp, consultation_or_404
from .roles import requires
from .stats import COUNTING_RULE

FORMAT_CHOICES = [
    ("csv", "CSV (one row per response), with the data dictionary as a second download"),
    ("xlsx", "Excel workbook (responses, support per theme, comments, data dictionary)"),
    ("json", "JSON (format version 1, for other software)"),
]
FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel", "json": "JSON"}


class ExportForm(FlaskForm):
    format = RadioField("Format", choices=[SelectChoice(c, label) for c, label in FORMAT_CHOICES],
                        default="csv", validate_choice=False,
                        validators=[AnyOf([c for c, _ in FORMAT_CHOICES],
                                          message="Choose a format.")])
    redacted = BooleanField("Redact email addresses, phone numbers and postcodes in free text "
                            "(for sharing with partners)")


def recent_jobs(consultation: Any, kind: str, limit: int = 10) -> list[Job]:
    return list(db.session.scalars(sa.select(Job).where(
        Job.consultation_id == consultation.id, Job.kind == kind)
        .order_by(Job.id.desc()).limit(limit)))


def _page(consultation: Any, form: ExportForm, status: int = 200) -> Any:
    return render_template("staff/export.html", consultation=consultation, form=form,
                           counting_rule=COUNTING_RULE, jobs=recent_jobs(consultation, "export"),
                           format_names=FORMAT_NAMES), status


@bp.route("/consultations/<slug>/export", methods=["GET"])
@requires("export")
def export_page(slug: str) -> Any:
    return _page(consultation_or_404(slug), ExportForm())


@bp.route("/consultations/<slug>/export", methods=["POST"])
@requires("export")
def export_download(slug: str) -> Any:
    """Ask for an export: the job's page at once, never a wait for the file."""
    consultation = consultation_or_404(slug)
    form = ExportForm()
    if not form.validate_on_submit():
        return _page(consultation, form, 400)
    fmt = form.format.data or "csv"
    redacted = bool(form.redacted.data)
    digest, _ = fingerprint(consultation)
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    job, how = jobs.request_job("export", consultation, {"format": fmt, "redacted": redacted},
                                user, digest)
    return redirect(url_for("staff.job_page", job_id=job.id), 303)


def _csv_beside_export(slug: str, write: Any, part: str) -> Any:
    """A file that goes with the CSV export (``NAME.PART.csv``), written by ``write``."""
    import io

    consultation = consultation_or_404(slug)
    out = io.StringIO()
    write(consultation, out)
    data = io.BytesIO(out.getvalue().encode("utf-8"))
    return send_file(data, mimetype="text/csv", as_attachment=True,
                     download_name=f"{consultation.slug}.{part}.csv", max_age=0)


@bp.route("/consultations/<slug>/export/dictionary.csv", methods=["GET"])
@requires("export")
def export_dictionary(slug: str) -> Any:
    return _csv_beside_export(slug, write_dictionary_csv, "dictionary")


@bp.route("/consultations/<slug>/export/areas.csv", methods=["GET"])
@requires("export")
def export_areas(slug: str) -> Any:
    """The areas table that goes with the CSV export: each area's code, name and population."""
    return _csv_beside_export(slug, write_areas_csv, "areas")
