"""Routes of the public survey: start -> pages -> check your answers -> confirmation.

Answers are kept in a server-side Draft (the session holds its token). Database failures are
answered by the app-wide 503 page (``consult.errors``), which keeps what was posted.
"""
from __future__ import annotations

import datetime as dt

from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext
from sqlalchemy import select

from .. import content_languages, i18n
from ..extensions import db, limiter
from ..models import Consultation, Response, utcnow
from ..published import PublishedConsultation, published
from ..security import external_url
from . import bp, rendering
from .drafts import (find_by_code, normalise_code, remember, resume_code_for, save_answers,
                     session_draft)
from .forms import build_form, page_columns, validate_answers, validate_page
from .handlers import HANDLERS
from .journey import find_page, is_shown, next_page, previous_page, visible_pages
from .submission import InvalidAnswers, store_response


def current_organisation() -> dict:
    """The organisation file's contents, its texts in the page's language when they are given
    (imported here, not at the top: the organisation reads definitions, which read the question
    handlers of this package)."""
    from ..content_languages import localised_organisation
    from ..organisation import current

    return localised_organisation(current())


# The pages every resident goes through carry no rate limit (a crowd is met by admission control,
# consult/admission.py), so they are marked exempt and the limiter skips them at once; guessing
# resume codes is limited on the resume routes below.


def get_consultation(slug: str) -> PublishedConsultation:
    consultation = published(slug)
    if consultation is None:
        abort(404)
    # its texts in the page's language, or in Easy Read (consult/content_languages.py)
    return content_languages.for_request(consultation)


def not_open_page(consultation: PublishedConsultation):
    """Refuses an answer sent while the consultation is not open; any saved draft is left alone."""
    return render_template("survey/not_open.html", consultation=consultation,
                           status=consultation.status()), 403


@bp.get("/")
@limiter.exempt
def index():
    consultations = db.session.execute(
        select(Consultation).order_by(Consultation.closes_at.desc())).scalars().all()
    now = utcnow()
    open_now = [c for c in consultations if c.is_open(now)]
    others = [c for c in consultations if not c.is_open(now)]
    # each title in the page's language when the consultation offers it
    shown = {c.slug: content_languages.in_page_language(c) for c in consultations}
    return render_template("survey/index.html", open_now=open_now, others=others, now=now,
                           shown=shown)


@bp.get("/c/<slug>")
@limiter.exempt
def start(slug: str):
    consultation = get_consultation(slug)
    definition = consultation.definition
    draft = session_draft(consultation) if consultation.is_open() else None
    return render_template("survey/start.html", consultation=consultation, definition=definition,
                           status=consultation.status(), first_page=definition["pages"][0]["key"],
                           has_draft=draft is not None)


@bp.route("/c/<slug>/q/<page_key>", methods=["GET", "POST"])
@limiter.exempt
def page(slug: str, page_key: str):
    consultation = get_consultation(slug)
    definition = consultation.definition
    current = find_page(definition, page_key)
    if current is None:
        abort(404)
    if not consultation.is_open():
        if request.method == "POST":
            return not_open_page(consultation)
        return redirect(url_for(".start", slug=slug))
    draft = session_draft(consultation)
    answers = dict(draft.answers) if draft else {}
    returning = request.values.get("return_to") == "check"
    # Pages a change made from check your answers brought into the route, still to go through.
    pending = _page_keys(definition, request.values.get("then")) if returning else []
    if not is_shown(current, answers):
        if returning:
            return redirect(_after_change(slug, definition, answers, pending))
        following = next_page(definition, page_key, answers)
        return redirect(url_for(".page", slug=slug, page_key=following["key"]) if following
                        else url_for(".check", slug=slug))
    columns = page_columns(current)
    back = previous_page(definition, page_key, answers)
    back_url = url_for(".check", slug=slug) if returning else (
        url_for(".page", slug=slug, page_key=back["key"]) if back else url_for(".start", slug=slug))
    if request.method != "POST":  # GET, and HEAD (which must never save anything)
        key = rendering.page_key(consultation.fingerprint, current, columns, answers, back_url,
                                 (returning, tuple(pending)))
        return rendering.serve(key, lambda placeholder: _render_page(
            consultation, current, build_form(current, answers=answers, csrf=False), back_url,
            returning, pending, csrf_value=placeholder))
    form = build_form(current, formdata=request.form, csrf=False)  # CSRFProtect checked it
    saving = request.form.get("action") == "save"
    valid = validate_page(definition, current, form, answers)
    if not valid and not saving:
        return _render_page(consultation, current, form, back_url, returning, pending)
    kept, not_saved = _answers_to_keep(current, form, answers)
    if returning:
        still = _still_to_answer(definition, page_key, answers, kept, pending)
        resume_at = still[0] if still else "check"
    else:
        following = next_page(definition, page_key, kept)
        still, resume_at = [], following["key"] if following else "check"
    if not valid:  # saved for later with some answers refused: stay on this page when resumed
        resume_at = page_key
    draft = save_answers(consultation, draft, kept, resume_at, i18n.current_language())
    remember(consultation, draft)
    if saving:
        return redirect(url_for(".saved", slug=slug, not_saved=not_saved or None))
    if returning:
        return redirect(_after_change(slug, definition, kept, still))
    if resume_at == "check":
        return redirect(url_for(".check", slug=slug))
    return redirect(url_for(".page", slug=slug, page_key=resume_at))


def _page_keys(definition: dict, text: str | None) -> list[str]:
    keys = [k for k in (text or "").split(",") if k]
    return [k for k in keys if find_page(definition, k) is not None][:len(definition["pages"])]


def _answers_to_keep(current: dict, form, answers: dict) -> tuple[dict, list[str]]:
    """The draft's answers with this page's replaced by what was posted, question by question:
    a question whose answer was refused keeps the answer given before (if any) and is listed."""
    kept = dict(answers)
    not_saved = []
    for question in current["questions"]:
        if any(form[c].errors for c in question["columns"]):
            not_saved.append(question["key"])
            continue
        for column in question["columns"]:
            kept.pop(column, None)
        kept.update(HANDLERS[question["type"]].answers(question, form))
    return kept, not_saved


def _still_to_answer(definition: dict, page_key: str, before: dict, after: dict,
                     pending: list[str]) -> list[str]:
    """Pages to go through before going back to check your answers: those this change brought
    into the route, and those an earlier change did that are still to come, when they hold no
    answer yet (a page answered before, then hidden, shows its answers on check your answers)."""
    wanted = set(pending) | {p["key"] for p in visible_pages(definition, after)
                             if not is_shown(p, before)}
    wanted.discard(page_key)
    return [p["key"] for p in visible_pages(definition, after)
            if p["key"] in wanted and not any(c in after for c in page_columns(p))]


def _after_change(slug: str, definition: dict, answers: dict, pending: list[str]) -> str:
    shown = [k for k in pending if is_shown(find_page(definition, k), answers)]
    if not shown:
        return url_for(".check", slug=slug)
    return url_for(".page", slug=slug, page_key=shown[0], return_to="check",
                   then=",".join(shown[1:]) or None)


def _render_page(consultation: PublishedConsultation, current: dict, form, back_url: str,
                 returning: bool, pending: list[str], csrf_value: str | None = None) -> str:
    themes = consultation.themes
    theme = next((t for t in themes if t.key == current.get("theme")), None)
    return render_template("survey/page.html", consultation=consultation, page=current, form=form,
                           handlers=HANDLERS, back_url=back_url, returning=returning,
                           pending=",".join(pending), theme=theme,
                           theme_count=len(themes), csrf_value=csrf_value,
                           page_theme_number=themes.index(theme) + 1 if theme else None)


def _summary(consultation: PublishedConsultation, answers: dict) -> list[dict]:
    sections = []
    for page_def in visible_pages(consultation.definition, answers):
        rows = []
        for question in page_def["questions"]:
            lines = HANDLERS[question["type"]].summary(question, answers)
            rows.append({"question": question, "lines": lines})
        sections.append({"page": page_def, "rows": rows})
    return sections


@bp.route("/c/<slug>/check", methods=["GET", "POST"])
@limiter.exempt
def check(slug: str):
    consultation = get_consultation(slug)
    if not consultation.is_open():
        if request.method == "POST":
            return not_open_page(consultation)
        return redirect(url_for(".start", slug=slug))
    draft = session_draft(consultation, include_submitted=True)
    if draft is None:
        return redirect(url_for(".start", slug=slug))
    if draft.submitted_at is not None:
        return _confirmation_of(consultation, draft.token)
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            response = store_response(consultation, dict(draft.answers), channel="online",
                                      draft=draft, language=i18n.current_language())
        except InvalidAnswers as invalid:
            errors = invalid.errors
        else:
            _remember_reference(consultation, response)
            return redirect(url_for(".confirmation", slug=slug))
    pages_by_column = {c: p for p in consultation.definition["pages"] for c in page_columns(p)}
    error_list = [{"text": message, "href": url_for(".page", slug=slug, page_key=pages_by_column[col]["key"],
                                                    return_to="check")}
                  for col, message in errors.items() if col in pages_by_column]
    _, missing = validate_answers(consultation.definition, dict(draft.answers))
    return render_template("survey/check.html", consultation=consultation,
                           sections=_summary(consultation, dict(draft.answers)),
                           error_list=error_list,
                           incomplete=bool(missing)), (200 if not errors else 400)


def _confirmation_of(consultation: PublishedConsultation, token: str):
    response = db.session.execute(select(Response).where(Response.draft_token == token)).scalar_one_or_none()
    if response is None:  # a draft marked submitted always has its response; be safe regardless
        return redirect(url_for(".start", slug=consultation.slug))
    _remember_reference(consultation, response)
    return redirect(url_for(".confirmation", slug=consultation.slug))


def _remember_reference(consultation: PublishedConsultation, response: Response) -> None:
    refs = dict(session.get("submitted", {}))
    refs[consultation.slug] = response.reference
    session["submitted"] = refs


@bp.get("/c/<slug>/confirmation")
@limiter.exempt
def confirmation(slug: str):
    consultation = get_consultation(slug)
    reference = dict(session.get("submitted", {})).get(slug)
    if not reference:
        return redirect(url_for(".start", slug=slug))
    return render_template("survey/confirmation.html", consultation=consultation, reference=reference)


@bp.get("/c/<slug>/saved")
@limiter.exempt
def saved(slug: str):
    consultation = get_consultation(slug)
    if not consultation.is_open():
        return redirect(url_for(".start", slug=slug))
    draft = session_draft(consultation)
    if draft is None:
        return redirect(url_for(".start", slug=slug))
    code = resume_code_for(draft)
    db.session.commit()
    remember(consultation, draft)
    link = external_url(".resume_link", slug=slug, code=code)
    next_url = url_for(".page", slug=slug, page_key=draft.current_page) \
        if draft.current_page and draft.current_page != "check" else url_for(".check", slug=slug)
    return render_template("survey/saved.html", consultation=consultation, code=code, link=link,
                           next_url=next_url,
                           not_saved=_not_saved(consultation.definition, dict(draft.answers),
                                                request.args.getlist("not_saved")))


def _not_saved(definition: dict, answers: dict, keys: list[str]) -> list[dict]:
    """The questions whose answer was refused when saving, each with the answer kept instead."""
    wanted = set(keys)
    return [{"label": question["label"], "page": page_def["key"],
             "kept": HANDLERS[question["type"]].summary(question, answers)}
            for page_def in definition["pages"] for question in page_def["questions"]
            if question["key"] in wanted]


def _resume(consultation: PublishedConsultation, code: str):
    draft = find_by_code(consultation, code)
    if draft is None:
        return None
    remember(consultation, draft)
    if i18n.chosen() is None:  # saved answers come back in their language, unless one was chosen
        i18n.choose(draft.language)
    if draft.current_page and draft.current_page != "check" \
            and find_page(consultation.definition, draft.current_page):
        return redirect(url_for(".page", slug=consultation.slug, page_key=draft.current_page))
    return redirect(url_for(".check", slug=consultation.slug))


@bp.route("/c/<slug>/resume", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def resume(slug: str):
    consultation = get_consultation(slug)
    if not consultation.is_open():
        return redirect(url_for(".start", slug=slug))
    error = None
    typed = ""
    if request.method == "GET" and request.args.get("not_found"):
        error = gettext("We could not find saved answers for that link. Check you copied the whole "
                        "link, or type the code below. Saved answers are deleted when they are "
                        "submitted or when the consultation closes.")
    if request.method == "POST":
        typed = (request.form.get("code") or "")[:100]
        code = normalise_code(typed)
        if not typed.strip():
            error = gettext("Enter the code you were given when you saved your answers")
        elif code is None:
            error = gettext("Enter the code exactly as it was shown: 16 letters and numbers, like "
                            "ABCD-EFGH-JKLM-NPQR")
        else:
            answer = _resume(consultation, code)
            if answer is not None:
                return answer
            error = gettext("We could not find saved answers with that code. Check the code and try "
                            "again. Saved answers are deleted when they are submitted or when the "
                            "consultation closes.")
    return render_template("survey/resume.html", consultation=consultation, error=error,
                           typed=typed), (400 if error and request.method == "POST" else 200)


@bp.get("/c/<slug>/resume/<code>")
@limiter.limit("30 per minute")
def resume_link(slug: str, code: str):
    consultation = get_consultation(slug)
    if not consultation.is_open():
        return redirect(url_for(".start", slug=slug))
    normal = normalise_code(code)
    answer = _resume(consultation, normal) if normal else None
    if answer is not None:
        return answer
    return redirect(url_for(".resume", slug=slug, not_found=1))


@bp.get("/privacy")
@limiter.exempt
def privacy():
    consultations = [content_languages.in_page_language(c) for c in
                     db.session.execute(select(Consultation)).scalars().all()]
    return render_template("survey/privacy.html", consultations=consultations,
                           organisation=current_organisation())


def _long_date(iso: str) -> str:
    """"1 May 2021" for "2021-05-01" (in the page's language: "1 maja 2021")."""
    from babel.dates import format_date

    day = dt.date.fromisoformat(str(iso))
    language = i18n.current_language()
    if language != i18n.DEFAULT_LANGUAGE:
        return format_date(day, "long", locale=language)
    return f"{day.day} {day:%B %Y}"


@bp.get("/accessibility")
@limiter.exempt
def accessibility():
    return render_template("survey/accessibility.html", organisation=current_organisation(),
                           long_date=_long_date)
