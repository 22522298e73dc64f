"""``flask`` commands. Each feature adds its group in ``init_app``."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

consultations = AppGroup("consultations", help="Load consultation definitions, make demo copies, list them.")


@consultations.command("load")
@click.argument("paths", nargs=-1, type=click.Path(dir_okay=True, path_type=Path))
def load_command(paths: tuple[Path, ...]) -> None:
    """Validate definition files and write their consultations (default: every file in
    instance/consultations/). Loading an unchanged file changes nothing."""
    from .definitions import DefinitionError, definition_files, load_file

    targets: list[Path] = []
    for path in paths or (Path(current_app.config["CONSULTATIONS_DIR"]),):
        if path.is_dir():
            found = definition_files(path)
            if not found:
                raise click.ClickException(f"{path}: there are no .yaml definition files in this folder")
            targets.extend(found)
        elif path.exists():
            targets.append(path)
        else:
            raise click.ClickException(f"{path}: there is no such file or folder")
    failed = 0
    for path in targets:
        try:
            result = load_file(path)
        except DefinitionError as error:
            failed += 1
            click.echo(str(error), err=True)
            continue
        click.echo(f"{result.slug}: {result.action} (from {path})")
    if failed:
        raise click.ClickException(f"{failed} of {len(targets)} definition file(s) were not loaded; "
                                   "fix the problems listed above and run the command again")


@consultations.command("demo")
@click.argument("slug")
@click.option("--days", default=28, show_default=True, type=click.IntRange(1, 365),
              help="How many days the demo stays open.")
def demo_command(slug: str, days: int) -> None:
    """Open a demo copy SLUG-demo of a consultation from now, marked "Demo" on every page."""
    from .definitions import DefinitionError, make_demo
    from .models import Consultation

    try:
        result = make_demo(slug, days=days)
    except (LookupError, DefinitionError) as error:
        raise click.ClickException(str(error)) from error
    from .extensions import db

    demo = db.session.execute(select(Consultation).where(Consultation.slug == result.slug)).scalar_one()
    click.echo(f"{result.slug}: {result.action}; open from {demo.opens_at:%Y-%m-%d %H:%M} "
               f"to {demo.closes_at:%Y-%m-%d %H:%M} UTC at /c/{result.slug}")


@consultations.command("list")
def list_command() -> None:
    """List the consultations with their dates, status and number of responses."""
    from .extensions import db
    from .models import Consultation, Response

    counts = dict(db.session.execute(
        select(Response.consultation_id, func.count()).group_by(Response.consultation_id)).all())
    rows = db.session.execute(select(Consultation).order_by(Consultation.opens_at)).scalars().all()
    if not rows:
        click.echo("No consultations yet: load them with 'flask consultations load'.")
        return
    for c in rows:
        demo = " (demo)" if c.is_demo else ""
        click.echo(f"{c.slug}{demo}\t{c.status()}\t{c.opens_at:%Y-%m-%d %H:%M} to "
                   f"{c.closes_at:%Y-%m-%d %H:%M} UTC\t{counts.get(c.id, 0)} response(s)\t{c.title}")


def init_app(app: Flask) -> None:
    app.cli.add_command(consultations)
