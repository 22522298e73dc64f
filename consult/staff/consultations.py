"""Consultations: the list with status and counts; open and close dates."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateTimeLocalField
from wtforms.validators import InputRequired

from .. import audit
from ..extensions import db
from ..models import Consultation, Response
from . import bp, consultation_or_404
from .roles import requires


@bp.route("/consultations")
@requires("view_dashboard")
def consultations() -> Any:
    items = db.session.scalars(sa.select(Consultation).order_by(Consultation.opens_at.desc())).all()
    counts = dict(db.session.execute(
        sa.select(Response.consultation_id, sa.func.count())
        .where(Response.status == "valid").group_by(Response.consultation_id)).all())
    return render_template("staff/consultations.html", consultations=items, counts=counts,
                           now=dt.datetime.now(dt.timezone.utc))


class DatesForm(FlaskForm):
    opens_at = DateTimeLocalField("Opens (UTC)", format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired("Enter the date and time it opens.")])
    closes_at = DateTimeLocalField("Closes (UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[InputRequired("Enter the date and time it closes.")])


@bp.route("/consultations/<slug>/dates", methods=["GET", "POST"])
@requires("manage_consultations")
def consultation_dates(slug: str) -> Any:
    consultation = consultation_or_404(slug)
    form = DatesForm()
    if form.validate_on_submit():
        opens = form.opens_at.data.replace(tzinfo=dt.timezone.utc)  # type: ignore[union-attr]
        closes = form.closes_at.data.replace(tzinfo=dt.timezone.utc)  # type: ignore[union-attr]
        if closes <= opens:
            form.closes_at.errors.append("The closing date must be after the opening date.")
        else:
            audit.record("consultation.dates", target=consultation.slug,
                         old_opens_at=consultation.opens_at.isoformat(),
                         old_closes_at=consultation.closes_at.isoformat(),
                         opens_at=opens.isoformat(), closes_at=closes.isoformat())
            consultation.opens_at, consultation.closes_at = opens, closes
            db.session.commit()
            flash(f"The dates of ‘{consultation.title}’ are changed.")
            return redirect(url_for("staff.consultations"))
    elif not form.is_submitted():
        form.opens_at.data = consultation.opens_at.replace(tzinfo=None)
        form.closes_at.data = consultation.closes_at.replace(tzinfo=None)
    return render_template("staff/consultation_dates.html", consultation=consultation, form=form)


class DefinitionUploadForm(FlaskForm):
    file = FileField("Definition file (.yaml)",
                     validators=[FileRequired("Choose a definition file to load.")])


@bp.route("/consultations/load", methods=["GET", "POST"])
@requires("manage_consultations")
def consultation_load() -> Any:
    """Load a new definition, or update one: validated as `flask consultations load` does, and
    refused when the change would orphan answers already given."""
    from ..definitions import DefinitionError, load_file

    form = DefinitionUploadForm()
    problems: list[str] = []
    if form.validate_on_submit():
        name = Path(form.file.data.filename or "definition.yaml").name[:100]
        if not name.lower().endswith((".yaml", ".yml")):
            form.file.errors = ["Choose a YAML file (.yaml or .yml)."]
        else:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / name
                path.write_bytes(form.file.data.read())
                try:
                    result = load_file(path)
                except DefinitionError as error:
                    problems = list(error.problems)
                else:
                    audit.record("consultation.load", target=result.slug, outcome=result.action,
                                 filename=name)
                    db.session.commit()
                    flash(f"{name}: consultation ‘{result.slug}’ {result.action}.")
                    return redirect(url_for("staff.consultations"))
    status = 400 if (problems or form.errors) else 200
    return render_template("staff/consultation_load.html", form=form, problems=problems), status
