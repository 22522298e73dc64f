"""Responses: a filtered, paginated list per consultation, and each response by its reference."""
from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import retention
from ..exports import CHANNEL_CODES, DISTRICT_CODES, STATUS_CODES, columns, question_options
from ..extensions import db, limiter
from ..models import ModerationEvent, Response, StaffUser
from ..survey.handlers import clean_text
from . import bp, consultation_or_404
from .roles import requires
from .stats import COUNTING_RULE

PER_PAGE = 50
# Looking up references that do not exist is how someone would guess them: a few dozen wrong
# ones a minute per account is far more than a person mistyping, far less than a guesser needs.
REFERENCE_GUESS_LIMIT = "30 per minute"


def _guesser_key() -> str:
    from flask_login import current_user

    if current_user.is_authenticated:
        return f"reference-guess:user:{current_user.id}"
    return f"reference-guess:ip:{request.remote_addr}"


def _not_found(response: Any) -> bool:
    return response.status_code == 404


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def respondent_types(consultation: Any) -> list[tuple[str, str]]:
    for question in consultation.questions:
        if question.key == "respondent_type":
            return question_options(question.type, question.spec or {})
    return []


@bp.route("/consultations/<slug>/responses")
@requires("view_responses")
def responses(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    args = request.args
    query = sa.select(Response).where(Response.consultation_id == consultation.id)
    problems = []
    filters = {key: (args.get(key) or "").strip()[:200] for key in
               ("type", "district", "channel", "status", "from", "to", "q")}
    if filters["type"]:
        query = query.where(Response.respondent_type == filters["type"])
    if filters["district"]:
        query = query.where(Response.district == filters["district"])
    if filters["channel"]:
        query = query.where(Response.channel == filters["channel"])
    if filters["status"]:
        query = query.where(Response.status == filters["status"])
    for key, op in (("from", "__ge__"), ("to", "__le__")):
        if filters[key]:
            day = _date(filters[key])
            if day is None:
                problems.append(f"‘{filters[key]}’ is not a date. Use the form 2021-07-04.")
            else:
                query = query.where(getattr(Response.received_on, op)(day))
    if filters["q"]:
        term = filters["q"].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{term}%"
        # The free-text answers (comments and other text) and the reference, each searched
        # as a value, so that a column name never matches.
        text_columns = [c.column for c in columns(consultation) if c.type in ("text", "comment")
                        and c.question]
        query = query.where(sa.or_(
            Response.reference.ilike(pattern, escape="\\"),
            *(Response.answers[name].as_string().ilike(pattern, escape="\\")
              for name in text_columns),
        ))
    query = query.order_by(Response.submitted_at.desc(), Response.id.desc())
    page = db.paginate(query, per_page=PER_PAGE, error_out=False, max_per_page=PER_PAGE)
    return render_template(
        "staff/responses.html", consultation=consultation, page=page, filters=filters,
        problems=problems, counting_rule=COUNTING_RULE,
        type_options=respondent_types(consultation), district_options=DISTRICT_CODES,
        channel_options=CHANNEL_CODES, status_options=STATUS_CODES,
    )


def response_or_404(reference: str) -> Response:
    return db.first_or_404(sa.select(Response).where(Response.reference == reference.upper()))


class EraseForm(FlaskForm):
    reason = StringField("Why is this response being erased?", filters=[clean_text], validators=[
        DataRequired("Say why the response is being erased (for example, the respondent asked)."),
        Length(max=500, message="Keep the reason under 500 characters.")])


@bp.route("/responses/<reference>")
@limiter.limit(REFERENCE_GUESS_LIMIT, key_func=_guesser_key, deduct_when=_not_found,
               error_message="Too many references that do not exist were looked up. Wait a "
                             "minute, then try again.")
@requires("view_responses")
def response_detail(reference: str) -> Any:
    from .moderation import HideForm, StatusForm

    response = response_or_404(reference)
    consultation = response.consultation
    cols = [c for c in columns(consultation) if c.question]
    events = db.session.execute(
        sa.select(ModerationEvent, StaffUser.email)
        .outerjoin(StaffUser, StaffUser.id == ModerationEvent.user_id)
        .where(ModerationEvent.response_id == response.id).order_by(ModerationEvent.at)).all()
    entered_by = (db.session.get(StaffUser, response.entered_by_id)
                  if response.entered_by_id else None)
    status_form = StatusForm(status=response.status)
    return render_template(
        "staff/response_detail.html", response=response, consultation=consultation, cols=cols,
        events=events, entered_by=entered_by, status_form=status_form, hide_form=HideForm(),
        erase_form=EraseForm(), counting_rule=COUNTING_RULE,
        status_labels=dict(STATUS_CODES), channel_labels=dict(CHANNEL_CODES),
    )


@bp.route("/responses/<reference>/erase", methods=["POST"])
@requires("erase")
def response_erase(reference: str) -> Any:
    response = response_or_404(reference)
    slug = response.consultation.slug
    form = EraseForm()
    if not form.validate_on_submit():
        for error in form.reason.errors:
            flash(str(error))
        return redirect(url_for("staff.response_detail", reference=response.reference))
    from flask_login import current_user

    if not retention.erase(response.reference, form.reason.data or "",
                           user=current_user._get_current_object()):  # type: ignore[attr-defined]
        abort(404)
    flash(f"Response {reference.upper()} has been erased. The audit log records who erased it "
          "and why.")
    return redirect(url_for("staff.responses", slug=slug))
