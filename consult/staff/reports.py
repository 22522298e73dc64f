"""The evidence report, asked for from a consultation's page by analysts and admins.

The report is built by a job (consult/jobs.py) from the consultation's JSON export, with the
same figures as ``python -m analysis report`` on that export; the job's page shows how far it
has got and offers report.html and a ZIP with the Markdown version and the charts. A report of
unchanged responses made in the last day is offered again at once. Every request and every
download is in the audit log.
"""
from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import audit, jobs
from ..extensions import db
from ..reports import fingerprint
from . import bp, consultation_or_404
from .exports import recent_jobs
from .roles import requires
from .stats import COUNTING_RULE


class ReportForm(FlaskForm):
    pass


def _page(consultation: Any, responses: int, problem: str | None = None,
          status: int = 200) -> Any:
    return render_template("staff/report.html", consultation=consultation, responses=responses,
                           counting_rule=COUNTING_RULE, problem=problem, form=ReportForm(),
                           jobs=recent_jobs(consultation, "report")), status


@bp.route("/consultations/<slug>/report")
@requires("download_report")
def report_page(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    _, responses = fingerprint(consultation)
    return _page(consultation, responses)


@bp.route("/consultations/<slug>/report", methods=["POST"])
@requires("download_report")
def report_request(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    digest, responses = fingerprint(consultation)
    if not ReportForm().validate_on_submit():
        return _page(consultation, responses, "The form had expired. Ask for the report again.",
                     400)
    if responses == 0:
        return _page(consultation, 0, "There are no responses yet, so there is no report to "
                                      "build. Come back when responses have arrived.", 409)
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    job, how = jobs.request_job("report", consultation, {}, user, digest)
    return redirect(url_for("staff.job_page", job_id=job.id), 303)
