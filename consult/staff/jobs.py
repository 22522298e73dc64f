"""A job's page: what it is doing (step, rows written), then its files, or why it failed.

The page refreshes itself with a ``Refresh`` header while the job is queued or running (no
JavaScript; the content security policy allows no inline script, and a header needs none), and
has a "Check again" button for the same. A finished import check goes on to the import page's
check result. Staff see a job, and download its files, with the
permission that lets them ask for it (export, report, import, purge).
"""
from __future__ import annotations

from typing import Any

from flask import Response, abort, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from .. import audit, jobs
from ..extensions import db
from ..models import Job
from . import bp
from .exports import FORMAT_NAMES
from .roles import can, requires

REFRESH_SECONDS = 3
# A job still waiting after this long suggests no job worker is running: the page says so.
WAITING_TOO_LONG_SECONDS = 120


class RetryForm(FlaskForm):
    pass


def job_or_404(job_id: int) -> Job:
    job = db.get_or_404(Job, job_id)
    if not can(jobs.KIND_PERMISSIONS[job.kind]):
        abort(403)
    return job


def title(job: Job) -> str:
    if job.kind == "export":
        name = FORMAT_NAMES.get(job.params.get("format", ""), "")
        return f"{name} export" + (", redacted" if job.params.get("redacted") else "")
    return jobs.KIND_NAMES[job.kind].capitalize()


@bp.route("/jobs/<int:job_id>")
@requires("view_dashboard")
def job_page(job_id: int) -> Any:
    job = job_or_404(job_id)
    jobs.check_lease(job)
    if job.kind == "import_check" and job.status == "done" and job.consultation is not None:
        # The check of a large file is done: its result is the import page's check, as for a
        # small file.
        return redirect(url_for("staff.job_import_check", slug=job.consultation.slug,
                                job_id=job.id))
    if (job.kind in ("themes", "model_codes") and job.status == "done"
            and job.consultation is not None):
        # The suggested codebook is made, or the model has coded the rest: the codebook's page
        # says what was done.
        return redirect(url_for("staff.workbench_codebook", slug=job.consultation.slug,
                                version=job.result.get("version")))
    expired = job.status == "done" and (not job.files and job.kind in ("export", "report")
                                        or job.expires_at is not None
                                        and job.expires_at <= jobs._now())
    waited = (jobs._now() - job.requested_at).total_seconds()
    page = make_response(render_template(
        "staff/job.html", job=job, title=title(job), expired=expired, form=RetryForm(),
        refresh=REFRESH_SECONDS, kind_name=jobs.KIND_NAMES[job.kind],
        no_worker=job.status == "queued" and waited > WAITING_TOO_LONG_SECONDS,
        waited_minutes=int(waited // 60)))
    if job.status in jobs.ACTIVE:
        page.headers["Refresh"] = str(REFRESH_SECONDS)
    return page


@bp.route("/jobs/<int:job_id>/retry", methods=["POST"])
@requires("view_dashboard")
def job_retry(job_id: int) -> Any:
    job = job_or_404(job_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    if job.status in jobs.ACTIVE:
        return redirect(url_for("staff.job_page", job_id=job.id), 303)
    if job.kind in ("import", "import_check"):
        # The uploaded file is not kept after a failure: it has to be chosen and checked again.
        return redirect(url_for("staff.import_page", slug=job.consultation.slug), 303)
    user = current_user._get_current_object()  # type: ignore[attr-defined]
    again, _ = jobs.retry(job, user)
    return redirect(url_for("staff.job_page", job_id=again.id), 303)


@bp.route("/jobs/<int:job_id>/files/<name>")
@requires("view_dashboard")
def job_download(job_id: int, name: str) -> Any:
    job = job_or_404(job_id)
    listed = {f["name"]: f for f in job.files}
    if job.status != "done" or name not in listed:
        abort(404)
    if job.expires_at is not None and job.expires_at <= jobs._now():
        return redirect(url_for("staff.job_page", job_id=job.id))
    meta = listed[name]
    audit.record(f"{job.kind} download", target=job.consultation.slug if job.consultation
                 else jobs.KIND_NAMES[job.kind], rows=job.result.get("rows"), job=job.id,
                 file=name, **jobs._audit_params(job))
    db.session.commit()
    body = Response(jobs.file_chunks(job.id, meta.get("stored", name)),
                    mimetype=meta["mimetype"])
    body.headers["Content-Length"] = str(meta["size"])
    body.headers["Content-Disposition"] = f'attachment; filename="{meta["download_name"]}"'
    return body
