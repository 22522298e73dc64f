"""Staff pages of "We asked, you said, we did" (on the staff blueprint), and the public page."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import audit
from ..extensions import db
from ..models import Consultation
from ..published import published
from ..staff import bp, consultation_or_404
from ..staff.roles import requires
from ..survey.handlers import clean_text
from . import results
from .codes import STATUS_TAGS

public_bp = Blueprint("results", __name__)


def _text(name: str) -> str:
    return clean_text(request.form.get(name, "")) or ""


@bp.route("/consultations/<slug>/results", methods=["GET", "POST"])
@requires("publish_results")
def results_edit(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    page = results.page_for(consultation, create=True)
    error = None
    if request.method == "POST":
        decisions = {t.key: {"you_said": _text(f"you_said__{t.key}"),
                             "we_did": _text(f"we_did__{t.key}"),
                             "deliverables": request.form.getlist(f"deliverables__{t.key}")}
                     for t in consultation.themes}
        try:
            results.save_draft(page, consultation, intro=_text("intro"),
                               results_expected=_text("results_expected"), decisions=decisions)
        except results.ResultsError as problem:
            error = str(problem)
        else:
            flash("The draft is saved. Nothing public changes until you publish.")
            return redirect(url_for("staff.results_edit", slug=slug))
    plans = results.linked_plans(consultation)
    return render_template("plans/results/edit.html", consultation=consultation, page=page,
                           decisions={d.theme_key: d for d in page.decisions}, plans=plans,
                           error=error)


@bp.route("/consultations/<slug>/results/quotes", methods=["GET", "POST"])
@requires("publish_results")
def results_quotes(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    page = results.page_for(consultation, create=True)
    theme_key = request.values.get("theme") or (consultation.themes[0].key if consultation.themes else "")
    error = None
    if request.method == "POST":
        action = request.form.get("action", "choose")
        reference = (request.form.get("reference") or "").strip().upper()
        quote = next((q for q in page.quotes if q.response_reference == reference
                      and q.theme_key == theme_key), None)
        try:
            if action == "choose":
                results.choose_quote(page, consultation, reference, theme_key)
                flash(f"The comment of {reference} is chosen. Read it, edit it if it could "
                      "identify anyone, and approve it.")
            elif quote is None:
                raise results.ResultsError("That quote is not chosen for this theme.")
            elif action == "approve":
                results.approve_quote(quote, _text("text"), actor=current_user.email)
                flash(f"The quote from {reference} is approved.")
            elif action == "remove":
                results.remove_quote(quote)
                flash(f"The quote from {reference} is removed.")
            else:
                abort(400)
        except results.ResultsError as problem:
            error = str(problem)
        else:
            return redirect(url_for("staff.results_quotes", slug=slug, theme=theme_key))
    theme = next((t for t in consultation.themes if t.key == theme_key), None)
    if theme is None:
        abort(404)
    suggested = results.suggestions(consultation, theme.key) if request.args.get("suggest") else None
    return render_template("plans/results/quotes.html", consultation=consultation, page=page,
                           theme=theme, quotes=[q for q in page.quotes if q.theme_key == theme.key],
                           suggested=suggested, error=error)


@bp.route("/consultations/<slug>/results/preview")
@requires("publish_results")
def results_preview(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    page = results.page_for(consultation, create=True)
    try:
        content = results.build_content(page, consultation)
    except results.ResultsError as problem:
        flash(str(problem))
        return redirect(url_for("staff.results_edit", slug=slug))
    audit.record("results.preview", target=slug)
    db.session.commit()
    return render_template("plans/results/public.html", content=content, preview=True,
                           statuses=results.deliverable_status(content), STATUS_TAGS=STATUS_TAGS,
                           published_at=None, consultation=consultation)


@bp.route("/consultations/<slug>/results/publish", methods=["POST"])
@requires("publish_results")
def results_publish(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    page = results.page_for(consultation, create=True)
    try:
        results.publish(page, consultation)
    except results.ResultsError as problem:
        flash(str(problem))
    else:
        flash("The page is published. Its figures are frozen until you publish again.")
    return redirect(url_for("staff.results_edit", slug=slug))


@bp.route("/consultations/<slug>/results/withdraw", methods=["POST"])
@requires("publish_results")
def results_withdraw(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    page = results.page_for(consultation, create=True)
    try:
        results.withdraw(page, consultation)
    except results.ResultsError as problem:
        flash(str(problem))
    else:
        flash("The page is withdrawn: residents see that the results are not available.")
    return redirect(url_for("staff.results_edit", slug=slug))


@public_bp.route("/c/<slug>/results")
def public_results(slug: str) -> Any:
    consultation = published(slug)
    if consultation is None:
        abort(404)
    row = db.session.execute(sa.select(Consultation).where(Consultation.slug == slug)).scalar_one()
    page = results.page_for(row)
    if page is None or page.status != "published":
        return render_template("plans/results/not_published.html", consultation=consultation,
                               page=page), 404
    return render_template("plans/results/public.html", content=page.content, preview=False,
                           statuses=results.deliverable_status(page.content),
                           STATUS_TAGS=STATUS_TAGS, published_at=page.published_at,
                           consultation=consultation)


def results_notice_helper() -> dict[str, Any]:
    """``results_notice(slug)`` for the consultation's start and confirmation pages."""
    return {"results_notice": results.notice}
