"""Paper and event entry: staff key in a response through the same questions as the online
survey, with the channel and the date received. The answers are checked by the survey's
``check_response`` (the check every response is held to, whatever its channel) and written by
its ``write_response``: it counts like any other response, and the audit log says who keyed it
in."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectChoice, SelectField
from wtforms.validators import AnyOf, InputRequired

from .. import codes
from ..survey.forms import build_form, posted_answers
from ..survey.handlers import HANDLERS
from ..survey.submission import check_response, write_response
from . import bp, consultation_or_404
from .roles import requires

STAFF_CHANNELS = [(code, label) for code, label in codes.CHANNELS if code != "online"]


class EntryForm(FlaskForm):
    channel = RadioField(
        "How did the response reach you?",
        choices=[SelectChoice(c, label) for c, label in STAFF_CHANNELS], validate_choice=False,
        validators=[AnyOf([c for c, _ in STAFF_CHANNELS],
                          message="Choose how the response reached you.")])
    received_on = DateField(
        "Date received", validators=[InputRequired("Enter the date the response was received, "
                                                   "like 2021-07-04.")],
        format="%Y-%m-%d")
    # the language the respondent wrote in: the languages of codes.RESPONSE_LANGUAGES
    language = SelectField(
        "Language the response is written in",
        choices=[SelectChoice(c, label) for c, label in codes.RESPONSE_LANGUAGES],
        default=codes.DEFAULT_RESPONSE_LANGUAGE, validate_choice=False,
        validators=[AnyOf(codes.RESPONSE_LANGUAGE_CODES,
                          message="Choose the language the response is written in.")])


def date_warning(consultation: Any, received_on: dt.date | None) -> str | None:
    """Why a date received outside the consultation's dates deserves a second look, or None.

    A letter may arrive after the closing date and still be counted, so this is a warning that
    the person keying it in confirms, never a refusal."""
    if received_on is None:
        return None
    zone = ZoneInfo(consultation.definition.get("timezone") or "Europe/London")
    opens = consultation.opens_at.astimezone(zone).date()
    closes = consultation.closes_at.astimezone(zone).date()
    # closes_at is the first moment after the consultation, so midnight means the day before
    if consultation.closes_at.astimezone(zone).time() == dt.time(0):
        closes -= dt.timedelta(days=1)
    if received_on < opens:
        return (f"The date received, {received_on:%-d %B %Y}, is before the consultation opened "
                f"on {opens:%-d %B %Y}.")
    if received_on > closes:
        return (f"The date received, {received_on:%-d %B %Y}, is after the consultation closed "
                f"on {closes:%-d %B %Y}.")
    return None


def _page_forms(definition: dict[str, Any], formdata: Any = None) -> list[tuple[dict, Any]]:
    return [(page, build_form(page, formdata=formdata, csrf=False))
            for page in definition["pages"]]


@bp.route("/consultations/<slug>/entry", methods=["GET", "POST"])
@requires("enter_responses")
def entry_start(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    definition = consultation.definition
    form = EntryForm()
    errors: list[tuple[str, str]] = []
    warning = None
    if request.method == "POST":
        pages = _page_forms(definition, request.form)
        meta_ok = form.validate_on_submit()
        new, found = check_response(
            definition, posted_answers(definition, request.form),
            channel=form.channel.data or "", received_on=form.received_on.data,
            language=form.language.data or codes.DEFAULT_RESPONSE_LANGUAGE)
        # The channel, date and language as the form read them: its own message when it could not.
        for name in ("channel", "received_on", "language"):
            why = found.pop(name, None)
            if why and not form[name].errors:
                form[name].errors = [why]
                meta_ok = False
        fields = {name: page_form[name] for _, page_form in pages for name in page_form._fields}
        for name, why in found.items():
            if name in fields:
                fields[name].errors = [why]
            errors.append((name, why))
        if meta_ok and not errors:
            warning = date_warning(consultation, form.received_on.data)
            confirmed = request.form.get("date_confirmed") == (
                form.received_on.data.isoformat() if form.received_on.data else None)
            if confirmed:
                warning = None
        if meta_ok and not errors and warning is None:
            response = write_response(
                consultation, new,
                entered_by=current_user._get_current_object())  # type: ignore[attr-defined]
            flash(f"Response {response.reference} is stored ({response.channel}, "
                  f"{codes.language_label(response.language)}, received "
                  f"{response.received_on.isoformat()}). Write the reference on the paper "
                  "form. The form below is empty, ready for the next one.")
            return redirect(url_for("staff.entry_start", slug=slug))
        errors = [(f"{name}", message) for name, message in form.errors.items()
                  for message in message[:1]] + errors
    else:
        pages = _page_forms(definition)
        form.received_on.data = dt.datetime.now(dt.timezone.utc).date()
    themes = {t.key: t for t in consultation.themes}
    return render_template("staff/entry.html", consultation=consultation, form=form,
                           pages=pages, handlers=HANDLERS, themes=themes, errors=errors,
                           warning=warning, paper_entry=True,
                           codes_response_languages=codes.RESPONSE_LANGUAGES)
