"""``flask plans``: load plan files, list plans, add a reporting period, write the Panel report."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from .. import audit
from ..extensions import db

plans = AppGroup("plans", help="Load plans, add reporting periods, write the Panel report.")


def _plan(slug: str):
    from .progress import plan_by_slug

    plan = plan_by_slug(slug)
    if plan is None:
        raise click.ClickException(f"There is no plan {slug!r}. 'flask plans list' shows the "
                                   "plans loaded; 'flask plans load' loads them.")
    return plan


def _period(plan, key: str):
    period = next((p for p in plan.periods if p.key == key), None)
    if period is None:
        known = ", ".join(p.key for p in plan.periods) or "none yet"
        raise click.ClickException(f"{plan.slug} has no reporting period {key!r} (its periods: "
                                   f"{known}). Add one with 'flask plans add-period'.")
    return period


@plans.command("load")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=True, path_type=Path))
def load_command(paths: tuple[Path, ...]) -> None:
    """Validate plan files and write their plans (default: every file in instance/plans/).
    Load the consultations first: a plan's themes are linked to its consultation's."""
    from .definitions import PlanError, load_file, plan_files

    targets: list[Path] = []
    for path in paths or (Path(current_app.config.get("PLANS_DIR")
                               or Path(current_app.instance_path) / "plans"),):
        if path.is_dir():
            found = plan_files(path)
            if not found:
                raise click.ClickException(f"{path}: there are no .yaml plan files in this folder")
            targets.extend(found)
        elif path.exists():
            targets.append(path)
        else:
            raise click.ClickException(f"{path}: there is no such file or folder")
    failed = 0
    for path in targets:
        try:
            result = load_file(path)
        except PlanError as error:
            failed += 1
            click.echo(str(error), err=True)
            continue
        if result.action != "unchanged":
            audit.record("plan.load", target=result.slug, action_taken=result.action,
                         path=str(path))
            db.session.commit()
        click.echo(f"{result.slug}: {result.action} (from {path})")
    if failed:
        raise click.ClickException(f"{failed} of {len(targets)} plan file(s) were not loaded; fix "
                                   "the problems listed above and run the command again")


@plans.command("list")
def list_command() -> None:
    """The plans loaded, with their themes, deliverables and reporting periods."""
    from sqlalchemy import select

    from .models import Plan

    found = db.session.scalars(select(Plan).order_by(Plan.slug)).all()
    if not found:
        click.echo("No plan is loaded. Load them with 'flask plans load'.")
    for plan in found:
        periods = ", ".join(p.key for p in plan.periods) or "no reporting period yet"
        count = len(plan.deliverables)
        click.echo(f"{plan.slug}: {plan.title} - {len(plan.themes)} themes, "
                   f"{count} {plan.item_name}{'' if count == 1 else 's'}; periods: {periods}")


@plans.command("add-period")
@click.argument("slug")
@click.argument("key")
@click.option("--title", required=True, help="As the Panel knows it, e.g. 'April to September 2022'.")
@click.option("--starts", "starts_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--ends", "ends_on", required=True, type=click.DateTime(["%Y-%m-%d"]))
def add_period_command(slug: str, key: str, title: str, starts_on: dt.datetime,
                       ends_on: dt.datetime) -> None:
    """Add a reporting period KEY (such as 2022-h1) to plan SLUG."""
    from .periods import PeriodError, add_period

    plan = _plan(slug)
    try:
        add_period(plan, key, title, starts_on.date(), ends_on.date())
    except PeriodError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{slug}: period {key} added ({title}).")


@plans.command("report")
@click.argument("slug")
@click.argument("period_key")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write panel-report.html and panel-report.docx into.")
def report_command(slug: str, period_key: str, out: Path) -> None:
    """Write the Panel report of plan SLUG for PERIOD_KEY as HTML and Word."""
    from . import report

    plan = _plan(slug)
    period = _period(plan, period_key)
    data = report.build(plan, period)
    out.mkdir(parents=True, exist_ok=True)
    stem = f"{plan.slug}-{period.key}-panel-report"
    with current_app.test_request_context():
        page = report.html(data, standalone=True)
    (out / f"{stem}.html").write_text(page, encoding="utf-8")
    (out / f"{stem}.docx").write_bytes(report.docx(data))
    audit.record("plan.report", target=f"{plan.slug}/{period.key}", via="command line")
    db.session.commit()
    click.echo(f"Wrote {out / (stem + '.html')} and {out / (stem + '.docx')}.")


@plans.command("export")
@click.argument("slug")
@click.argument("period_key")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="xlsx", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(slug: str, period_key: str, fmt: str, out: Path) -> None:
    """Write the period's deliverables and progress as a spreadsheet (also the import template)."""
    from . import spreadsheets

    plan = _plan(slug)
    period = _period(plan, period_key)
    if fmt == "csv":
        with out.open("w", encoding="utf-8", newline="") as handle:
            rows = spreadsheets.write_csv(plan, period, handle)
    else:
        with out.open("wb") as handle:
            rows = spreadsheets.write_xlsx(plan, period, handle)
    audit.record("plan.export", target=f"{plan.slug}/{period.key}", rows=rows, format=fmt)
    db.session.commit()
    click.echo(f"Wrote {rows} deliverables to {out}.")


@plans.command("import")
@click.argument("slug")
@click.argument("period_key")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing.")
def import_command(slug: str, period_key: str, file: Path, dry_run: bool) -> None:
    """Import deliverables and progress updates for PERIOD_KEY from a CSV or XLSX file: all of
    it, or nothing if any row has a problem."""
    from . import spreadsheets

    plan = _plan(slug)
    period = _period(plan, period_key)
    try:
        rows = spreadsheets.read_table(file.read_bytes(), file.name)
    except spreadsheets.SpreadsheetError as error:
        raise click.ClickException(str(error)) from error
    result = spreadsheets.check(plan, period, rows)
    if result.problems:
        for line in result.problems:
            click.echo(f"  - {line}", err=True)
        raise click.ClickException(f"{len(result.problems)} problem(s) in {file.name}; nothing was "
                                   "imported. Fix them and run the command again.")
    if dry_run:
        click.echo(f"{spreadsheets.summary(result)}. No problems. Nothing stored (dry run).")
        return
    spreadsheets.apply(plan, period, result, filename=file.name, actor="command line")
    click.echo(f"Imported: {spreadsheets.summary(result)}.")
