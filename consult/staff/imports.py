"""Importing responses from a file: template downloads, the dry run, the all-or-nothing import.

A file up to ``IMPORT_CHECK_JOB_BYTES`` is checked inside the request and kept under
instance/imports/ by its SHA-256 between the dry run and the import. A larger one is checked by
a job worker (an ``import_check`` job, with its progress on the job's page), kept with the job
in the database; its result is the same check page. Either way staff confirm exactly the file
they checked, and the import itself is a job."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import xlsxwriter
from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField
from wtforms.validators import DataRequired, Optional, Regexp

from .. import jobs
from ..extensions import db
from ..imports import ImportCheck, ImportFileError, check_file, template_columns
from ..models import Job, as_id
from . import bp, consultation_or_404
from .exports import recent_jobs
from .roles import requires

SHA256 = re.compile(r"^[0-9a-f]{64}$")


class UploadForm(FlaskForm):
    file = FileField("Choose a CSV or Excel file",
                     validators=[FileRequired("Choose a file to check.")])


class ConfirmForm(FlaskForm):
    sha256 = HiddenField(validators=[DataRequired(), Regexp(SHA256)])
    filename = HiddenField(validators=[DataRequired()])
    # The import check job that checked the file, when a job worker did.
    job = HiddenField(validators=[Optional(), Regexp(r"^[0-9]{1,12}$")])


def _store_dir() -> Path:
    path = Path(current_app.config.get("IMPORTS_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored(sha256: str, filename: str) -> Path:
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    return _store_dir() / f"{sha256}{suffix}"


@bp.route("/consultations/<slug>/import", methods=["GET"])
@requires("import_responses")
def import_page(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    return render_template("staff/import.html", consultation=consultation, form=UploadForm(),
                           check=None, jobs=recent_jobs(consultation, "import_check", limit=5))


@bp.route("/consultations/<slug>/import", methods=["POST"])
@requires("import_responses")
def import_upload(slug: str) -> Any:
    """The dry run: check every row and report; nothing is stored."""
    consultation = consultation_or_404(slug)
    form = UploadForm()
    if not form.validate_on_submit():
        return render_template("staff/import.html", consultation=consultation, form=form,
                               check=None), 400
    upload = form.file.data
    filename = Path(upload.filename or "upload").name[:200]
    content = upload.read()
    if len(content) > jobs.setting("IMPORT_CHECK_JOB_BYTES"):
        # A large file is checked by a job worker; its page shows the progress, then the check.
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        job, _ = jobs.start_import_check(consultation, filename, content, user)
        return redirect(url_for("staff.job_page", job_id=job.id), 303)
    try:
        check = check_file(consultation, filename, content)
    except ImportFileError as error:
        form.file.errors = [str(error)]
        return render_template("staff/import.html", consultation=consultation, form=form,
                               check=None), 400
    confirm = None
    if check.ok and check.new_rows:
        _stored(check.file_sha256, filename).write_bytes(content)
        confirm = ConfirmForm(sha256=check.file_sha256, filename=filename)
    return render_template("staff/import.html", consultation=consultation, form=UploadForm(),
                           check=check, confirm=confirm)


def _check_job(consultation: Any, job_id: int) -> Job:
    job = db.session.get(Job, job_id) if as_id(job_id) else None
    if job is None or job.kind != "import_check" or job.consultation_id != consultation.id:
        abort(404)
    return job


@bp.route("/consultations/<slug>/import/checked/<int:job_id>")
@requires("import_responses")
def job_import_check(slug: str, job_id: int) -> Any:
    """The result of a check a job worker ran (a job's page, hence its name): the same page as a
    check inside the request."""
    consultation = consultation_or_404(slug)
    job = _check_job(consultation, job_id)
    if job.status != "done":
        return redirect(url_for("staff.job_page", job_id=job.id))
    check = ImportCheck.from_summary(consultation, job.result["check"])
    confirm = None
    if check.ok and check.new_responses and jobs.checked_upload(job):
        confirm = ConfirmForm(sha256=check.file_sha256, filename=check.filename, job=str(job.id))
    return render_template("staff/import.html", consultation=consultation, form=UploadForm(),
                           check=check, confirm=confirm, checked_job=job)


@bp.route("/consultations/<slug>/import/confirm", methods=["POST"])
@requires("import_responses")
def import_confirm(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    if form.job.data:
        check = _check_job(consultation, as_id(form.job.data) or 0)
        if check.params.get("sha256") != form.sha256.data or not jobs.checked_upload(check):
            flash("That file is no longer waiting to be imported. Choose it again and check it.")
            return redirect(url_for("staff.import_page", slug=slug))
        job, _ = jobs.start_import_of_checked(check, user)
        return redirect(url_for("staff.job_page", job_id=job.id))
    path = _stored(form.sha256.data or "", form.filename.data or "")
    if not path.exists():
        flash("That file is no longer waiting to be imported. Choose it again and check it.")
        return redirect(url_for("staff.import_page", slug=slug))
    content = path.read_bytes()
    # The import itself is a job (consult/jobs.py): a file of thousands of rows is checked and
    # stored by a job worker, and the job's page says how many were imported.
    job, _ = jobs.start_import(consultation, form.filename.data or "", content, user)
    path.unlink(missing_ok=True)
    return redirect(url_for("staff.job_page", job_id=job.id))


@bp.route("/consultations/<slug>/import/template.<fmt>")
@requires("import_responses")
def import_template(slug: str, fmt: str) -> Any:
    consultation = consultation_or_404(slug)
    header = template_columns(consultation)
    if fmt == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(header)
        data = io.BytesIO(out.getvalue().encode("utf-8"))
        mimetype = "text/csv"
    elif fmt == "xlsx":
        data = io.BytesIO()
        workbook = xlsxwriter.Workbook(data, {"strings_to_formulas": False})
        sheet = workbook.add_worksheet("responses")
        for c, name in enumerate(header):
            sheet.write_string(0, c, name)
        workbook.close()
        data.seek(0)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    return send_file(data, mimetype=mimetype, as_attachment=True,
                     download_name=f"{consultation.slug}-import-template.{fmt}", max_age=0)
