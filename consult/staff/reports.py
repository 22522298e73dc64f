"""The evidence report, downloaded from a consultation's dashboard by analysts and admins.

The same report as ``python -m analysis report`` on the consultation's export (see
consult/reports.py); each download is written to the audit log.
"""
from __future__ import annotations

import io
from typing import Any

from flask import render_template, send_file

from .. import audit
from ..extensions import db
from ..reports import ReportError, build, fingerprint
from . import bp, consultation_or_404
from .roles import requires
from .stats import COUNTING_RULE


@bp.route("/consultations/<slug>/report")
@requires("download_report")
def report_page(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    _, responses = fingerprint(consultation)
    return render_template("staff/report.html", consultation=consultation, responses=responses,
                           counting_rule=COUNTING_RULE)


@bp.route("/consultations/<slug>/report/report.html")
@requires("download_report")
def report_html(slug: str) -> Any:
    return _download(slug, "html")


@bp.route("/consultations/<slug>/report/report.zip")
@requires("download_report")
def report_zip(slug: str) -> Any:
    return _download(slug, "zip")


def _download(slug: str, kind: str) -> Any:
    consultation = consultation_or_404(slug)
    _, responses = fingerprint(consultation)
    if responses == 0:
        return render_template("staff/report.html", consultation=consultation, responses=0,
                               counting_rule=COUNTING_RULE,
                               problem="There are no responses yet, so there is no report to "
                                       "build. Come back when responses have arrived."), 409
    try:
        report = build(consultation)
    except ReportError as error:
        return render_template("staff/report.html", consultation=consultation,
                               responses=responses, counting_rule=COUNTING_RULE,
                               problem=f"{error} Try again in a minute; if it keeps failing, "
                                       "download an export and build the report with "
                                       "'python -m analysis report'."), 503
    audit.record("report download", target=consultation.slug, rows=report.responses,
                 format=kind)
    db.session.commit()
    # A report is a few megabytes: sent from memory, so no file stays open after the response.
    if kind == "html":
        body, mimetype = report.html.read_bytes(), "text/html"
    else:
        body, mimetype = report.zip_bytes(), "application/zip"
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                     download_name=f"{consultation.slug}-report.{kind}", max_age=0)
