"""Responses: a filtered, paginated list per consultation, and each response by its reference."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from .. import codes, retention, search
from ..exports import columns, question_options
from ..extensions import db, limiter
from ..models import ModerationEvent, Response, StaffUser
from ..organisation import area_options, consultation_areas
from ..survey.handlers import clean_text
from . import bp, consultation_or_404
from .roles import requires
from .stats import COUNTING_RULE

PER_PAGE = 50
# A search is counted up to this many matches ("more than 500 match"): counting every match of
# a common word at a million responses would cost more than showing the page.
SEARCH_COUNT_LIMIT = 500
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


def answer_options(consultation: Any) -> dict[str, list[tuple[str, str]]]:
    """The (code, label) pairs of each coded answer column, from the definition's options: a
    question's column is named after the question (``support__THEME``, ``age_band``)."""
    options = {question.key: question_options(question.type, question.spec or {})
               for question in consultation.questions}
    return {key: pairs for key, pairs in options.items() if pairs}


def district_options(consultation: Any) -> list[tuple[str, str]]:
    return answer_options(consultation).get("district") or [
        (o["code"], o["label"]) for o in area_options(consultation_areas(consultation))]


STATUS_NAMES = {code: label.split(":")[0] for code, label in codes.RESPONSE_STATUSES}


class Cursor(NamedTuple):
    """Where a page of the list starts: a response's (submitted_at, id), newest first."""

    submitted_at: dt.datetime
    id: int

    def text(self) -> str:
        return f"{self.submitted_at.astimezone(dt.timezone.utc).isoformat()}~{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        if not text:
            return None
        moment, _, number = text.partition("~")
        try:
            at = dt.datetime.fromisoformat(moment)
            ident = int(number)
        except ValueError:
            return None
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.timezone.utc)
        return cls(at, ident)


@dataclass
class ListPage:
    items: list[Response]
    total: int
    total_is_floor: bool  # more than ``total`` match (a search, counted only so far)
    newer: Cursor | None  # the "Newer" link starts before this one
    older: Cursor | None  # the "Older" link starts after this one
    first: bool


def _filtered_count(consultation: Any, filters: dict[str, str], days: dict[str, dt.date]) -> int:
    """How many responses match filters other than a search, from the running counts (the same
    totals the dashboard shows), so that no response is counted one by one."""
    from .. import counts

    return counts.count_responses(
        consultation.id, status=filters["status"], channel=filters["channel"],
        respondent_type=filters["type"], district=filters["district"],
        received_from=days.get("from"), received_to=days.get("to"))


def _conditions(consultation: Any, filters: dict[str, str],
                days: dict[str, dt.date]) -> list[Any]:
    conditions = [Response.consultation_id == consultation.id]
    if filters["type"]:
        conditions.append(Response.respondent_type == filters["type"])
    if filters["district"]:
        conditions.append(Response.district == filters["district"])
    if filters["channel"]:
        conditions.append(Response.channel == filters["channel"])
    if filters["status"]:
        conditions.append(Response.status == filters["status"])
    if filters["language"]:
        conditions.append(Response.language == filters["language"])
    if "from" in days:
        conditions.append(Response.received_on >= days["from"])
    if "to" in days:
        conditions.append(Response.received_on <= days["to"])
    if filters["q"]:
        # The free-text answers (comments and other text) and the reference, each searched
        # as a value, so that a column name or a code never matches.
        text_columns = [c.column for c in columns(consultation)
                        if c.type in ("text", "comment") and c.question]
        conditions.append(search.matches(Response.reference, Response.answers, text_columns,
                                         filters["q"], db.session.get_bind().dialect.name))
    return conditions


def list_query(consultation: Any, filters: dict[str, str], cursor: Cursor | None = None,
               newer: bool = False, days: dict[str, dt.date] | None = None) -> Any:
    """The SELECT of one page (and one more row, to know whether there is a next page)."""
    conditions = _conditions(consultation, _filters(filters), days or {})
    key = sa.tuple_(Response.submitted_at, Response.id)
    query = sa.select(Response).where(*conditions)
    if cursor is not None:
        query = query.where(key > tuple(cursor) if newer else key < tuple(cursor))
    if newer and cursor is not None:
        query = query.order_by(Response.submitted_at.asc(), Response.id.asc())
    else:
        query = query.order_by(Response.submitted_at.desc(), Response.id.desc())
    return query.limit(PER_PAGE + 1)


def _filters(filters: dict[str, str]) -> dict[str, str]:
    return {key: filters.get(key, "") for key in ("type", "district", "channel", "status",
                                                  "language", "q")}


def list_page(consultation: Any, filters: dict[str, str], cursor: Cursor | None,
              newer: bool = False, days: dict[str, dt.date] | None = None) -> ListPage:
    """One page of the responses matching ``filters``, newest first, starting after ``cursor``
    (or, with ``newer``, the page before it). Keyset pages: each page is read from the index
    on (consultation, submitted_at, id), never by skipping the responses before it."""
    days = days or {}
    filters = _filters(filters)
    conditions = _conditions(consultation, filters, days)
    rows = list(db.session.scalars(list_query(consultation, filters, cursor, newer, days)))
    more = len(rows) > PER_PAGE
    rows = rows[:PER_PAGE]
    if newer and cursor is not None:
        rows.reverse()
        has_newer, has_older = more, True
    else:
        has_newer, has_older = cursor is not None, more
    if filters["q"] and cursor is None and not more:
        # The first page holds every match: counting them again would read the search index a
        # second time (at a million responses, half the time of a search for a rare phrase).
        total, total_is_floor = min(len(rows), SEARCH_COUNT_LIMIT), len(rows) > SEARCH_COUNT_LIMIT
    elif filters["language"]:
        # the running counts have no language: counted by the database, over its index
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Response)
                                  .where(*conditions))
        total_is_floor = False
    elif filters["q"]:
        matching = sa.select(Response.id).where(*conditions).limit(SEARCH_COUNT_LIMIT + 1)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery()))
        total_is_floor = total > SEARCH_COUNT_LIMIT
        total = min(total, SEARCH_COUNT_LIMIT)
    else:
        total, total_is_floor = _filtered_count(consultation, filters, days), False
    return ListPage(
        items=rows, total=total or 0, total_is_floor=total_is_floor,
        newer=Cursor(rows[0].submitted_at, rows[0].id) if rows and has_newer else None,
        older=Cursor(rows[-1].submitted_at, rows[-1].id) if rows and has_older else None,
        first=cursor is None or (newer and not more))


@bp.route("/consultations/<slug>/responses")
@requires("view_responses")
def responses(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    args = request.args
    problems = []
    filters = {key: (args.get(key) or "").strip()[:200] for key in
               ("type", "district", "channel", "status", "language", "from", "to", "q")}
    days: dict[str, dt.date] = {}
    for key in ("from", "to"):
        if filters[key]:
            day = _date(filters[key])
            if day is None:
                problems.append(f"‘{filters[key]}’ is not a date. Use the form 2021-07-04.")
            else:
                days[key] = day
    before = Cursor.parse(args.get("before"))
    after = Cursor.parse(args.get("after"))
    page = list_page(consultation, filters, before or after, newer=before is not None,
                     days=days)
    link_args = {k: v for k, v in filters.items() if v}
    return render_template(
        "staff/responses.html", consultation=consultation, page=page, filters=filters,
        link_args=link_args, problems=problems, counting_rule=COUNTING_RULE,
        type_options=respondent_types(consultation),
        district_options=district_options(consultation),
        channel_options=codes.CHANNELS, status_options=codes.RESPONSE_STATUSES,
        language_options=codes.RESPONSE_LANGUAGES,
        type_labels=dict(respondent_types(consultation)),
        district_labels=dict(district_options(consultation)),
        channel_labels=dict(codes.CHANNELS), status_names=STATUS_NAMES,
    )


def response_by_reference(reference: str) -> Response | None:
    return db.session.scalar(sa.select(Response).where(Response.reference == reference.upper()))


def response_or_404(reference: str) -> Response:
    response = response_by_reference(reference)
    if response is None:
        abort(404)
    return response


def coded_answer(value: Any, options: list[tuple[str, str]]) -> str:
    """A coded answer as the respondent saw it: the label of each code, in the order given."""
    labels = dict(options)
    values = value if isinstance(value, list) else [value]
    return ", ".join(labels.get(str(v), str(v)) for v in values)


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
    from .. import comment_translations
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
    translations = comment_translations.translations_of(response)
    translators = {t.translated_by_id: None for t in translations.values() if t.translated_by_id}
    for user in (db.session.scalars(sa.select(StaffUser).where(StaffUser.id.in_(translators)))
                 if translators else []):
        translators[user.id] = user.email
    return render_template(
        "staff/response_detail.html", response=response, consultation=consultation, cols=cols,
        events=events, entered_by=entered_by, status_form=status_form, hide_form=HideForm(),
        erase_form=EraseForm(), counting_rule=COUNTING_RULE,
        status_labels=dict(codes.RESPONSE_STATUSES), status_names=STATUS_NAMES,
        channel_labels=dict(codes.CHANNELS), options=answer_options(consultation),
        coded_answer=coded_answer, translations=translations, translators=translators,
        translatable=set(comment_translations.translatable_columns(response)),
        language_label=codes.language_label,
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
