"""The coding workbench: choose a comment question and a codebook version, edit the codebook,
code comments one after another with the model's suggestions, double-code a sample blind,
see agreement, settle disagreements and sign off (consult/coding/work.py does the work).

Every page works as plain forms; consult/static/staff/workbench.js adds keyboard shortcuts.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm

from ..coding import work
from ..coding.models import CodebookVersion, DoubleCodingAssignment
from ..extensions import db
from ..models import StaffUser, as_id
from . import bp, consultation_or_404
from .roles import PERMISSIONS, requires


class PostForm(FlaskForm):
    """The CSRF check of a workbench form; its fields are read from ``request.form``."""


@contextmanager
def _change() -> Iterator[None]:
    """One change asked for on a workbench page: committed when it is made; when the workbench
    refuses it, undone, with the reason shown on the next page."""
    try:
        yield
        db.session.commit()
    except work.WorkbenchError as error:
        db.session.rollback()
        flash(str(error))


def _user() -> StaffUser:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _version(consultation: Any, value: Any) -> CodebookVersion:
    if not value:
        flash("Choose a question and a codebook version.")
        abort(redirect(url_for("staff.workbench", slug=consultation.slug)))
    version_id = as_id(value)
    version = db.session.get(CodebookVersion, version_id) if version_id else None
    if version is None or version.consultation_id != consultation.id:
        abort(404)
    try:
        work.column_or_error(consultation, version.column)
    except work.WorkbenchError:
        abort(404)  # the question is no longer in the consultation's definition
    return version


def _checked_post() -> bool:
    if not PostForm().validate_on_submit():
        flash("The form had expired: try again.")
        return False
    return True


def _home(slug: str, **values: Any) -> Any:
    return redirect(url_for("staff.workbench", slug=slug, **values))


def coders() -> list[StaffUser]:
    roles = PERMISSIONS["code_comments"]
    return list(db.session.scalars(sa.select(StaffUser).where(
        StaffUser.active.is_(True), StaffUser.role.in_(roles)).order_by(StaffUser.email)))


@bp.route("/consultations/<slug>/workbench")
@requires("code_comments")
def workbench(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    assigned = {a.version_id for a in db.session.scalars(sa.select(DoubleCodingAssignment).where(
        DoubleCodingAssignment.coder_id == _user().id))}
    return render_template("staff/workbench/index.html", consultation=consultation,
                           progress=work.progress(consultation), coders=coders(),
                           assigned=assigned, min_coded=work.MIN_CODED)


@bp.route("/consultations/<slug>/workbench/versions", methods=["POST"])
@requires("code_comments")
def workbench_start(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    if not _checked_post():
        return _home(slug)
    column = request.form.get("column", "")
    if (request.form.get("start") == "themes" and column in
            {c.column for c in work.comment_columns(consultation)}
            and work.themes_need_a_job(consultation, column)):
        from .. import jobs

        job, _ = jobs.request_job("themes", consultation, {"column": column}, _user(),
                                  fingerprint=str(jobs._max_response_id(consultation)))
        return redirect(url_for("staff.job_page", job_id=job.id))
    try:
        version = work.start_version(consultation, request.form.get("column", ""),
                                     request.form.get("start", ""), _user())
    except work.WorkbenchError as error:
        db.session.rollback()
        flash(str(error))
        return _home(slug)
    db.session.commit()
    flash(f"Started codebook {version.label} with {len(version.codes)} codes.")
    return redirect(url_for("staff.workbench_codebook", slug=slug, version=version.id))


@bp.route("/consultations/<slug>/workbench/codebook", methods=["GET", "POST"])
@requires("code_comments")
def workbench_codebook(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.values.get("version"))
    if request.method == "POST":
        if _checked_post():
            with _change():
                flash(work.edit_codebook(version, request.form.get("action", ""), request.form))
        return redirect(url_for("staff.workbench_codebook", slug=slug, version=version.id,
                                code=request.form.get("name", "")))
    column = work.column_or_error(consultation, version.column)
    listed = request.args.get("code", "")
    coded_with: list[work.Comment] = []
    blind = work.has_open_sample(version, _user())
    pool = work.comments(consultation, version.column)
    if listed in version.names and not blind:
        codes = work.people_codes(version)
        coded_with = [c for c in pool if listed in codes.get(c.response_id, [])]
    from ..coding.model_codes import model_codings, run_for

    return render_template("staff/workbench/codebook.html", consultation=consultation,
                           version=version, column=column, listed=listed, coded_with=coded_with,
                           counts=None if blind else work.code_counts(version, pool),
                           model_run=run_for(version),
                           model_coded=len(model_codings(version)), min_coded=work.MIN_CODED)


# The comments an analyst skipped, per codebook version, kept in their session (the most recent
# SKIPS_KEPT): "code next" offers them again only once every other comment is coded.
SKIPS_KEPT = 200


def _skipped(version: CodebookVersion) -> set[int]:
    return set(session.get("workbench_skipped", {}).get(str(version.id), []))


def _skip(version: CodebookVersion, response_id: int) -> None:
    kept = dict(session.get("workbench_skipped", {}))
    ids = [i for i in kept.get(str(version.id), []) if i != response_id] + [response_id]
    kept[str(version.id)] = ids[-SKIPS_KEPT:]
    session["workbench_skipped"] = kept


@bp.route("/consultations/<slug>/workbench/code", methods=["GET", "POST"])
@requires("code_comments")
def workbench_code(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.values.get("version"))
    column = work.column_or_error(consultation, version.column)
    pool = work.comments(consultation, version.column)
    by_reference = {c.reference: c for c in pool}
    user = _user()
    if request.method == "POST":
        comment = by_reference.get(request.form.get("reference", ""))
        if comment is None:
            flash("That comment is not one to code here (hidden, or its response is not "
                  "counted).")
            return redirect(url_for("staff.workbench_code", slug=slug, version=version.id))
        if not _checked_post():
            return redirect(url_for("staff.workbench_code", slug=slug, version=version.id,
                                    reference=comment.reference))
        kind = work.coding_kind(version, comment.response_id, user)
        chosen = request.form.getlist("codes")
        try:
            new = work._clean(request.form.get("new_code"), "code name", work.MAX_NAME)
            if new:
                work.edit_codebook(version, "add", {"name": new})
                chosen.append(new)
            model = None if kind == "second" else work.train(
                version, {c.response_id: c for c in pool})
            work.save_coding(version, comment, kind, user, chosen,
                             request.form.get("quotable") == "yes",
                             work.suggestion(model, comment.text))
            db.session.commit()
        except work.WorkbenchError as error:
            db.session.rollback()
            flash(str(error))
            return redirect(url_for("staff.workbench_code", slug=slug, version=version.id,
                                    reference=comment.reference))
        flash(f"Coded {comment.reference}.")
        return redirect(url_for("staff.workbench_code", slug=slug, version=version.id,
                                second="1" if kind == "second" else None))
    skip = by_reference.get(request.args.get("skip", ""))
    if skip is not None:
        # "Code next" from a comment left uncoded: it comes after the others from now on.
        _skip(version, skip.response_id)
        return redirect(url_for("staff.workbench_code", slug=slug, version=version.id,
                                second=request.args.get("second") or None))
    reference = request.args.get("reference")
    if reference:
        comment = by_reference.get(reference)
        if comment is None:
            abort(404)
        kind = work.coding_kind(version, comment.response_id, user)
    else:
        kind = "second" if request.args.get("second") == "1" else "first"
        comment = work.next_comment(version, pool, user, kind, _skipped(version))
    existing = (work.codings(version, kind).get(comment.response_id)
                if comment is not None else None)
    suggestions: list[dict[str, Any]] = []
    if comment is not None and kind == "first":
        suggestions = work.suggestion(work.train(version, {c.response_id: c for c in pool}),
                                      comment.text)
    if existing is not None:
        checked = set(existing.codes)
    else:
        checked = {s["code"] for s in suggestions if s["suggested"]}
    coded = set(work.codings(version, "first"))
    done_second = set(work.codings(version, "second"))
    mine = [a.response_id for a in db.session.scalars(sa.select(DoubleCodingAssignment).where(
        DoubleCodingAssignment.version_id == version.id,
        DoubleCodingAssignment.coder_id == user.id))]
    return render_template(
        "staff/workbench/code.html", consultation=consultation, version=version, column=column,
        comment=comment, kind=kind, existing=existing, checked=checked,
        confidence={s["code"]: s["confidence"] for s in suggestions},
        suggested=[s for s in suggestions if s["suggested"]], min_coded=work.MIN_CODED,
        n_comments=len(pool), n_coded=sum(1 for c in pool if c.response_id in coded),
        n_mine=len(mine), n_mine_done=sum(1 for r in mine if r in done_second))


@bp.route("/consultations/<slug>/workbench/sample", methods=["POST"])
@requires("code_comments")
def workbench_sample(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.form.get("version"))
    if _checked_post():
        coder = next((u for u in coders() if str(u.id) == request.form.get("coder")), None)
        size = request.form.get("size", "")
        with _change():
            if coder is None:
                raise work.WorkbenchError("Choose the second coder.")
            if not size.isdigit():
                raise work.WorkbenchError("Give the sample size as a whole number.")
            n = work.draw_sample(version, coder, int(size), _user())
            flash(f"{n} comments are to be double-coded blind by {coder.email}.")
    return redirect(url_for("staff.workbench_agreement", slug=slug, version=version.id))


@bp.route("/consultations/<slug>/workbench/agreement")
@requires("code_comments")
def workbench_agreement(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.args.get("version"))
    pool = work.comments(consultation, version.column)
    user = _user()
    blind = work.has_open_sample(version, user)
    figures = None if blind else work.agreement(version, pool)
    return render_template(
        "staff/workbench/agreement.html", consultation=consultation, version=version,
        column=work.column_or_error(consultation, version.column), blind=blind,
        figures=figures, disagreements=[] if blind else work.disagreements(version, pool),
        coders=coders(), n_boot=work.N_BOOT)


@bp.route("/consultations/<slug>/workbench/settle", methods=["POST"])
@requires("code_comments")
def workbench_settle(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.form.get("version"))
    if _checked_post():
        pool = {c.reference: c for c in work.comments(consultation, version.column)}
        comment = pool.get(request.form.get("reference", ""))
        with _change():
            if comment is None or work.has_open_sample(version, _user()):
                raise work.WorkbenchError("That comment cannot be settled here.")
            work.settle(version, comment, request.form.getlist("codes"), _user())
            flash(f"Settled the codes of {comment.reference}.")
    return redirect(url_for("staff.workbench_agreement", slug=slug, version=version.id))


@bp.route("/consultations/<slug>/workbench/sign-off", methods=["POST"])
@requires("sign_off_coding")
def workbench_sign_off(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    version = _version(consultation, request.form.get("version"))
    if _checked_post():
        with _change():
            work.sign_off(version, work.comments(consultation, version.column), _user(),
                          request.form.get("note", ""))
            flash(f"Signed off codebook {version.label} and its coding.")
    return redirect(url_for("staff.workbench_agreement", slug=slug, version=version.id))


@bp.route("/consultations/<slug>/workbench/model-codes", methods=["POST"])
@requires("code_comments")
def workbench_model_codes(slug: str) -> Any:
    """Ask a job worker to train the model on people's codes and code the other comments."""
    from .. import jobs
    from ..coding import model_codes

    consultation = consultation_or_404(slug)
    version = _version(consultation, request.form.get("version"))
    if not _checked_post():
        return redirect(url_for("staff.workbench_codebook", slug=slug, version=version.id))
    job, _ = jobs.request_job("model_codes", consultation, {"version": version.id}, _user(),
                              fingerprint=model_codes.fingerprint(version))
    return redirect(url_for("staff.job_page", job_id=job.id))
