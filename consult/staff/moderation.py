"""Moderation: hide or show a comment, mark a response duplicate, campaign or invalid (or valid
again), always with a reason. Nothing is deleted; each change is a ModerationEvent."""
from __future__ import annotations

from typing import Any

from flask import flash, redirect, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from .. import audit
from .. import codes
from ..exports import columns
from ..extensions import db
from ..models import ModerationEvent
from ..survey.handlers import clean_text
from . import bp
from .responses import response_or_404
from .roles import requires

REASON_MESSAGE = "Give a reason, so that others can see why."
REASON_LENGTH_MESSAGE = "Keep the reason under 500 characters."


class StatusForm(FlaskForm):
    status = RadioField("Status",
                        choices=[SelectChoice(c, label) for c, label in codes.RESPONSE_STATUSES],
                        validate_choice=False,
                        validators=[AnyOf(codes.STATUS_CODES, message="Choose a status.")])
    reason = StringField("Reason", filters=[clean_text], validators=[
        DataRequired(REASON_MESSAGE), Length(max=500, message=REASON_LENGTH_MESSAGE)])


class HideForm(FlaskForm):
    column = HiddenField(validators=[DataRequired("Choose the comment to hide or show.")])
    reason = StringField("Reason", filters=[clean_text], validators=[
        DataRequired(REASON_MESSAGE), Length(max=500, message=REASON_LENGTH_MESSAGE)])


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _flash_errors(form: FlaskForm) -> None:
    for errors in form.errors.values():
        for error in errors:
            flash(str(error))


@bp.route("/responses/<reference>/status", methods=["POST"])
@requires("moderate")
def response_status(reference: str) -> Any:
    response = response_or_404(reference)
    form = StatusForm()
    if form.validate_on_submit():
        old = response.status
        response.status = form.status.data
        response.status_reason = "" if form.status.data == "valid" else form.reason.data or ""
        db.session.add(ModerationEvent(response_id=response.id, user_id=_user().id,
                                       action="status", old_status=old,
                                       new_status=form.status.data, reason=form.reason.data))
        audit.record("moderation.status", target=response.reference, rows=1,
                     old_status=old, new_status=form.status.data)
        db.session.commit()
        flash(f"Response {response.reference} is now marked {form.status.data}.")
    else:
        _flash_errors(form)
    return redirect(url_for("staff.response_detail", reference=response.reference))


@bp.route("/responses/<reference>/comments", methods=["POST"])
@requires("moderate")
def response_comment_visibility(reference: str) -> Any:
    response = response_or_404(reference)
    form = HideForm()
    if form.validate_on_submit():
        column = form.column.data or ""
        comment_columns = {c.column for c in columns(response.consultation) if c.type == "comment"}
        if column not in comment_columns or column not in (response.answers or {}):
            flash("That comment is not part of this response.")
        else:
            hidden = list(response.hidden_comments or [])
            action = "show" if column in hidden else "hide"
            hidden = [c for c in hidden if c != column] if action == "show" else hidden + [column]
            response.hidden_comments = hidden
            db.session.add(ModerationEvent(response_id=response.id, user_id=_user().id,
                                           action=f"{action}_comment", question_key=column,
                                           reason=form.reason.data))
            audit.record(f"moderation.{action}_comment", target=response.reference, rows=1,
                         column=column)
            db.session.commit()
            flash(f"The comment is {'hidden' if action == 'hide' else 'shown again'}.")
    else:
        _flash_errors(form)
    return redirect(url_for("staff.response_detail", reference=response.reference))


class TranslationForm(FlaskForm):
    column = HiddenField(validators=[DataRequired("Choose the comment to translate.")])
    source_language = StringField("Language of the comment", filters=[clean_text],
                                  validators=[Length(max=20)])
    text = TextAreaField("Translation into English", validators=[Length(max=20_000)])


@bp.route("/responses/<reference>/translation", methods=["POST"])
@requires("translate_comments")
def response_translation(reference: str) -> Any:
    """Record, change or (empty) remove the translation of one comment, kept beside it."""
    from .. import comment_translations

    response = response_or_404(reference)
    form = TranslationForm()
    if form.validate_on_submit():
        try:
            done = comment_translations.record(
                response, form.column.data or "", form.text.data or "",
                form.source_language.data or "", _user())
        except comment_translations.TranslationError as error:
            flash(str(error))
        else:
            flash({"recorded": "The translation is recorded beside the comment.",
                   "changed": "The translation is changed.",
                   "removed": "The translation is removed; the comment is as written.",
                   "unchanged": "Nothing changed."}[done])
    else:
        _flash_errors(form)
    return redirect(url_for("staff.response_detail", reference=response.reference))
