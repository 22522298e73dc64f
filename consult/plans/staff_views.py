"""The plan pages of the staff workspace (on the staff blueprint, under /staff/plans).

Everyone signed in may read plans, their progress and the Panel report; the delivery role (and
admins) record progress, edit deliverables, add periods and publish (see consult/staff/roles.py).
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from .. import audit
from ..extensions import db
from ..staff import bp
from ..staff.roles import requires
from ..survey.handlers import clean_text
from . import periods as periods_module
from . import report as panel_report
from .codes import DIRECTIONS, NOTE_REQUIRED, STATUS_HINTS, STATUS_TAGS, STATUSES
from .models import Deliverable, Plan, ReportingPeriod
from .progress import (
    UpdateError,
    UpdateInput,
    current_update,
    current_updates,
    history,
    measure_series,
    parse_evidence,
    previous_period,
    proposed_direction,
    record_update,
    set_measure_value,
)

NOT_STATED = panel_report.NOT_STATED


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def plan_or_404(plan_slug: str) -> Plan:
    return db.first_or_404(sa.select(Plan).where(Plan.slug == plan_slug))


def period_or_404(plan: Plan, period_key: str) -> ReportingPeriod:
    period = next((p for p in plan.periods if p.key == period_key), None)
    if period is None:
        abort(404)
    return period


def deliverable_or_404(plan: Plan, ref: str) -> Deliverable:
    deliverable = next((d for d in plan.deliverables if d.key == ref), None)
    if deliverable is None:
        abort(404)
    return deliverable


def _common() -> dict[str, Any]:
    return {"STATUSES": STATUSES, "DIRECTIONS": DIRECTIONS, "STATUS_TAGS": STATUS_TAGS,
            "NOT_STATED": NOT_STATED, "month_year": panel_report.month_year,
            "long_date": panel_report.long_date}


@bp.route("/plans")
@requires("view_plans")
def plans() -> Any:
    found = db.session.scalars(sa.select(Plan).order_by(Plan.published_on.desc(), Plan.slug)).all()
    return render_template("plans/staff/plans.html", plans=found, **_common())


@bp.route("/plans/<plan_slug>")
@requires("view_plans")
def plan_detail(plan_slug: str) -> Any:
    plan = plan_or_404(plan_slug)
    latest = plan.periods[-1] if plan.periods else None
    publications = {p.id: periods_module.period_publication(p) for p in plan.periods}
    return render_template("plans/staff/plan.html", plan=plan, latest=latest,
                           updates=current_updates(latest), publications=publications,
                           live=periods_module.live_publication(plan), **_common())


@bp.route("/plans/<plan_slug>/deliverables/<ref>")
@requires("view_plans")
def deliverable_detail(plan_slug: str, ref: str) -> Any:
    plan = plan_or_404(plan_slug)
    deliverable = deliverable_or_404(plan, ref)
    return render_template("plans/staff/deliverable.html", plan=plan, deliverable=deliverable,
                           history=history(deliverable), measure_series=measure_series,
                           **_common())


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class DeliverableForm(FlaskForm):
    reference = StringField("Reference (optional)", filters=[clean_text],
                            validators=[Length(max=20, message="Keep the reference to 20 characters or fewer.")])
    title = TextAreaField("Title", filters=[clean_text], validators=[
        InputRequired("Give the title."), Length(max=1000, message="Keep the title to 1,000 characters or fewer.")])
    purpose = TextAreaField("What it is for (optional)", filters=[clean_text],
                            validators=[Length(max=5000, message="Keep it to 5,000 characters or fewer.")])
    lead = StringField("Lead (optional)", filters=[clean_text],
                       validators=[Length(max=300, message="Keep the lead to 300 characters or fewer.")])
    partners = TextAreaField("Partners (optional, one a line)",
                             validators=[Length(max=5000, message="Keep the partners to 5,000 characters or fewer.")])
    due_on = DateField("Due (optional)", validators=[Optional()],
                       render_kw={"autocomplete": "off"})


@bp.route("/plans/<plan_slug>/deliverables/<ref>/edit", methods=["GET", "POST"])
@requires("manage_plans")
def deliverable_edit(plan_slug: str, ref: str) -> Any:
    plan = plan_or_404(plan_slug)
    deliverable = deliverable_or_404(plan, ref)
    form = DeliverableForm()
    if form.validate_on_submit():
        new = {"reference": form.reference.data or "", "title": form.title.data or "",
               "purpose": form.purpose.data or "", "lead": form.lead.data or "",
               "partners": _lines(form.partners.data), "due_on": form.due_on.data}
        clash = next((d for d in plan.deliverables if d is not deliverable and new["reference"]
                      and d.reference == new["reference"]), None)
        if clash is not None:
            form.reference.errors.append(f"{new['reference']} is already the reference of "
                                         f"‘{clash.title}’.")
        else:
            changed = {name: {"from": _jsonable(getattr(deliverable, name)),
                              "to": _jsonable(value)}
                       for name, value in new.items() if getattr(deliverable, name) != value}
            if changed:
                audit.record("plan.deliverable.edit", target=f"{plan.slug}/{deliverable.key}",
                             changes=changed)
                for name, value in new.items():
                    setattr(deliverable, name, value)
                db.session.commit()
                flash(f"‘{deliverable.title}’ is saved.")
            else:
                flash("Nothing was changed.")
            return redirect(url_for("staff.deliverable_detail", plan_slug=plan.slug, ref=ref))
    elif not form.is_submitted():
        form.reference.data, form.title.data = deliverable.reference, deliverable.title
        form.purpose.data, form.lead.data = deliverable.purpose, deliverable.lead
        form.partners.data = "\n".join(deliverable.partners or [])
        form.due_on.data = deliverable.due_on
    return render_template("plans/staff/deliverable_edit.html", plan=plan,
                           deliverable=deliverable, form=form, **_common())


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


class PeriodForm(FlaskForm):
    key = StringField("Key", filters=[clean_text], validators=[InputRequired("Give the period a key, such as 2022-h1.")])
    title = StringField("Title", filters=[clean_text], validators=[InputRequired("Give the period a title, such as ‘April to September 2022’.")])
    starts_on = DateField("First day", validators=[InputRequired("Enter the first day of the period.")])
    ends_on = DateField("Last day", validators=[InputRequired("Enter the last day of the period.")])


@bp.route("/plans/<plan_slug>/periods/new", methods=["GET", "POST"])
@requires("manage_plans")
def period_new(plan_slug: str) -> Any:
    plan = plan_or_404(plan_slug)
    form = PeriodForm()
    if form.validate_on_submit():
        try:
            period = periods_module.add_period(plan, form.key.data, form.title.data,
                                               form.starts_on.data, form.ends_on.data,
                                               user=_user())
        except periods_module.PeriodError as error:
            form.key.errors.append(str(error))
        else:
            flash(f"The period ‘{period.title}’ is added.")
            return redirect(url_for("staff.period_detail", plan_slug=plan.slug,
                                    period_key=period.key))
    return render_template("plans/staff/period_new.html", plan=plan, form=form, **_common())


@bp.route("/plans/<plan_slug>/periods/<period_key>")
@requires("view_plans")
def period_detail(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    before = previous_period(period)
    updates = current_updates(period)
    return render_template("plans/staff/period.html", plan=plan, period=period, before=before,
                           updates=updates, previous=current_updates(before),
                           recorded=len(updates), publication=periods_module.period_publication(period),
                           **_common())


class UpdateForm(FlaskForm):
    status = RadioField("Status", choices=[SelectChoice(c, label) for c, label in STATUSES.items()], validate_choice=False)
    direction = RadioField("Direction of travel", choices=[SelectChoice(c, label) for c, label in DIRECTIONS.items()],
                           validate_choice=False)
    note = TextAreaField("Note", filters=[clean_text])
    next_steps = TextAreaField("Next steps in the next 6 to 9 months (optional)", filters=[clean_text])
    evidence = TextAreaField("Evidence links (optional)")
    checked_status = HiddenField()


@bp.route("/plans/<plan_slug>/periods/<period_key>/deliverables/<ref>", methods=["GET", "POST"])
@requires("record_progress")
def progress_update(plan_slug: str, period_key: str, ref: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    deliverable = deliverable_or_404(plan, ref)
    before = previous_period(period)
    previous = current_update(deliverable, before)
    current = current_update(deliverable, period)
    form = UpdateForm()
    proposal = None
    confirm = None
    if form.validate_on_submit():
        status = form.status.data or ""
        proposal = proposed_direction(deliverable, period, status) if status in STATUSES else None
        evidence, evidence_problems = parse_evidence(form.evidence.data or "")
        data = UpdateInput(status=status, direction=form.direction.data or "",
                           note=form.note.data or "", next_steps=form.next_steps.data or "",
                           evidence=evidence)
        if evidence_problems:
            form.evidence.errors = list(evidence_problems)
        if proposal is not None and form.checked_status.data != status and previous is not None:
            # Nothing is saved yet: the person confirms the direction the previous period
            # suggests, or chooses another, and sends the form again.
            form.direction.data = proposal
            confirm = (f"It was {STATUSES[previous.status].lower()} in {before.title} and you "
                       f"have chosen {STATUSES[status].lower()}, so the proposed direction of "
                       f"travel is ‘{DIRECTIONS[proposal]}’. Confirm it, or choose another, and "
                       "save again.")
        elif not evidence_problems:
            try:
                record_update(deliverable, period, data, user=_user())
            except UpdateError as error:
                for name, message in error.problems.items():
                    getattr(form, name).errors = [message]
            else:
                flash(f"Progress on ‘{deliverable.title}’ in {period.title} is recorded.")
                return redirect(url_for("staff.period_detail", plan_slug=plan.slug,
                                        period_key=period.key) + f"#{deliverable.key}")
        form.checked_status.data = status
    elif not form.is_submitted() and current is not None:
        form.status.data, form.direction.data = current.status, current.direction
        form.note.data, form.next_steps.data = current.note, current.next_steps
        form.evidence.data = "\n".join(f"{e['label']} | {e['url']}" if e["label"] != e["url"]
                                       else e["url"] for e in current.evidence)
        form.checked_status.data = current.status
    return render_template("plans/staff/update.html", plan=plan, period=period,
                           deliverable=deliverable, form=form, before=before, previous=previous,
                           current=current, STATUS_HINTS=STATUS_HINTS, confirm=confirm,
                           NOTE_REQUIRED=NOTE_REQUIRED, **_common())


@bp.route("/plans/<plan_slug>/periods/<period_key>/measures", methods=["GET", "POST"])
@requires("record_progress")
def measure_values(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    measures = [m for t in plan.themes for m in t.measures]
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        parsed: dict[str, float | None] = {}
        for measure in measures:
            raw = (request.form.get(f"value-{measure.key}") or "").strip().replace(",", "")
            values[measure.key] = raw
            if raw == "":
                parsed[measure.key] = None
                continue
            try:
                number = float(raw)
                if number != number or number in (float("inf"), float("-inf")):
                    raise ValueError
                parsed[measure.key] = number
            except ValueError:
                errors[measure.key] = f"Enter a number for ‘{measure.title}’, such as 12 or 12.5"
        if not errors:
            for measure in measures:
                set_measure_value(measure, period, parsed[measure.key], user=_user())
            db.session.commit()
            flash(f"The measures for {period.title} are saved.")
            return redirect(url_for("staff.period_detail", plan_slug=plan.slug,
                                    period_key=period.key))
    else:
        for measure in measures:
            value = next((v.value for v in measure.values if v.period_id == period.id), None)
            values[measure.key] = "" if value is None else f"{value:g}"
    return render_template("plans/staff/measures.html", plan=plan, period=period,
                           measures=measures, values=values, errors=errors, form=FlaskForm(),
                           **_common())


@bp.route("/plans/<plan_slug>/periods/<period_key>/report")
@requires("view_plans")
def panel_report_page(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    data = panel_report.build(plan, period)
    return panel_report.html(data, standalone=False,
                             back=url_for("staff.period_detail", plan_slug=plan.slug,
                                          period_key=period.key))


@bp.route("/plans/<plan_slug>/periods/<period_key>/report.docx")
@requires("view_plans")
def panel_report_docx(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    data = panel_report.build(plan, period)
    audit.record("plan.report", target=f"{plan.slug}/{period.key}", format="docx")
    db.session.commit()
    name = f"{plan.slug}-{period.key}-panel-report.docx"
    return Response(panel_report.docx(data), headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/plans/<plan_slug>/periods/<period_key>/publish", methods=["POST"])
@requires("manage_plans")
def period_publish(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    periods_module.publish(period, user=_user())
    flash(f"The progress of {period.title} is published on the public plan page.")
    return redirect(url_for("staff.period_detail", plan_slug=plan.slug, period_key=period.key))


@bp.route("/plans/<plan_slug>/periods/<period_key>/withdraw", methods=["POST"])
@requires("manage_plans")
def period_withdraw(plan_slug: str, period_key: str) -> Any:
    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    if periods_module.withdraw(period, user=_user()):
        flash(f"The progress of {period.title} is withdrawn from the public plan page.")
    else:
        flash(f"The progress of {period.title} was not published.")
    return redirect(url_for("staff.period_detail", plan_slug=plan.slug, period_key=period.key))


@bp.route("/plans/<plan_slug>/periods/<period_key>/progress.<fmt>")
@requires("view_plans")
def progress_export(plan_slug: str, period_key: str, fmt: str) -> Any:
    from . import spreadsheets

    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    name = f"{plan.slug}-{period.key}-progress.{fmt}"
    if fmt == "csv":
        out = io.StringIO()
        rows = spreadsheets.write_csv(plan, period, out)
        body, kind = out.getvalue().encode("utf-8"), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        out_bytes = io.BytesIO()
        rows = spreadsheets.write_xlsx(plan, period, out_bytes)
        body = out_bytes.getvalue()
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        abort(404)
    audit.record("plan.export", target=f"{plan.slug}/{period.key}", rows=rows, format=fmt)
    db.session.commit()
    return Response(body, headers={"Content-Type": kind,
                                   "Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/plans/<plan_slug>/periods/<period_key>/import", methods=["GET", "POST"])
@requires("record_progress")
def progress_import(plan_slug: str, period_key: str) -> Any:
    from . import spreadsheets

    plan = plan_or_404(plan_slug)
    period = period_or_404(plan, period_key)
    result, error, dry_run = None, None, True
    if request.method == "POST":
        upload = request.files.get("file")
        dry_run = request.form.get("dry_run") == "1"
        if upload is None or not upload.filename:
            error = "Choose a CSV or Excel file to import."
        else:
            try:
                rows = spreadsheets.read_table(upload.read(spreadsheets.MAX_ROWS * 2000),
                                               upload.filename)
            except spreadsheets.SpreadsheetError as problem:
                error = str(problem)
            else:
                result = spreadsheets.check(plan, period, rows)
                if not result.problems and not dry_run:
                    spreadsheets.apply(plan, period, result, filename=upload.filename, user=_user())
                    flash(f"Imported: {spreadsheets.summary(result)}.")
                    return redirect(url_for("staff.period_detail", plan_slug=plan.slug,
                                            period_key=period.key))
    return render_template("plans/staff/import.html", plan=plan, period=period, result=result,
                           error=error, dry_run=dry_run, summary=spreadsheets.summary, **_common())
