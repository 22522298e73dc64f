"""``flask`` commands. Each feature adds its group in ``init_app``.

Consultations: ``consultations load/demo/list``. Staff: ``users create/list/set-role/deactivate``,
``export``, ``import``, ``purge`` and ``erase``; each staff change is written to the audit log as
done from the command line.
"""
from __future__ import annotations

import functools
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from .extensions import db
from .models import Consultation, StaffUser
from .staff.roles import ROLES
from .staff.stats import plural

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
        raise click.ClickException(
            f"{failed} of {plural(len(targets), 'definition file')} "
            f"{'was' if failed == 1 else 'were'} not loaded; fix the problems listed above and "
            "run the command again")


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
                   f"{c.closes_at:%Y-%m-%d %H:%M} UTC\t{plural(counts.get(c.id, 0), 'response')}\t{c.title}")


users = AppGroup("users", help="Staff accounts: create, list, change role, deactivate.")


def _consultation(slug: str) -> Consultation:
    consultation = db.session.scalar(sa.select(Consultation).where(Consultation.slug == slug))
    if consultation is None:
        known = db.session.scalars(sa.select(Consultation.slug).order_by(Consultation.slug)).all()
        raise click.ClickException(
            f"There is no consultation '{slug}'. "
            + (f"Loaded consultations: {', '.join(known)}." if known
               else "Load one first with: flask --app consult consultations load"))
    return consultation


def _user(email: str) -> StaffUser:
    from .staff.accounts import find_user

    user = find_user(email)
    if user is None:
        raise click.ClickException(f"There is no staff account for {email}. "
                                   "See them with: flask --app consult users list")
    return user


def _ask_password(given: str | None, what: str) -> str:
    """The password given with --password, or asked for (twice, hidden) only once everything
    else has been checked, so that nobody types a password for a command that then fails."""
    if given is not None:
        return given
    return click.prompt(what, hide_input=True, confirmation_prompt=True)


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--name", default="", help="The person's name.")
@click.option("--password", default=None,
              help="The first password (asked for, hidden, when not given).")
def users_create(email: str, role: str, name: str, password: str | None) -> None:
    """Create a staff account."""
    from .staff.accounts import AccountError, create_user, new_email_problem

    problem = new_email_problem(email)
    if problem:
        raise click.ClickException(problem)
    password = _ask_password(password, "Password")
    try:
        user = create_user(email, name, role, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}).")


@users.command("list")
def users_list() -> None:
    """List staff accounts."""
    rows = db.session.scalars(sa.select(StaffUser).order_by(StaffUser.email)).all()
    if not rows:
        click.echo("No staff accounts yet. Create one with: flask --app consult users create "
                   "EMAIL --role admin")
    for user in rows:
        last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{user.role}\t{state}\tlast sign-in {last}")


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(email: str, role: str) -> None:
    """Change an account's role."""
    from .staff.accounts import set_role

    user = _user(email)
    set_role(user, role)
    click.echo(f"{user.email} is now {role}.")


@users.command("set-password")
@click.argument("email")
@click.option("--password", default=None,
              help="The new password (asked for, hidden, when not given).")
def users_set_password(email: str, password: str | None) -> None:
    """Set a new password for an account (its sessions end at once)."""
    from .staff.accounts import AccountError, set_password

    user = _user(email)
    password = _ask_password(password, "New password")
    try:
        set_password(user, password)
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{user.email} has a new password; their sessions have ended.")


@users.command("deactivate")
@click.argument("email")
def users_deactivate(email: str) -> None:
    """Stop an account from signing in (its sessions end at once)."""
    from .staff.accounts import set_active

    user = _user(email)
    set_active(user, False)
    click.echo(f"{user.email} is deactivated.")


@click.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "xlsx"]), default="csv",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The file to write; for CSV the data dictionary and the areas go beside "
                   "it (NAME.dictionary.csv, NAME.areas.csv).")
@click.option("--redacted", is_flag=True,
              help="Replace email addresses, phone numbers and postcodes in free text.")
def export_command(slug: str, fmt: str, out: str, redacted: bool) -> None:
    """Export a consultation's responses (docs/export-format.md, format version 2)."""
    from . import audit
    from .exports import write_areas_csv, write_dictionary_csv, write_export

    consultation = _consultation(slug)
    path = Path(out)
    if not path.parent.is_dir():
        raise click.ClickException(f"The folder {path.parent} does not exist. Create it, or "
                                   "choose another place for --out.")
    if fmt == "xlsx":
        rows = write_export(consultation, fmt, str(path), redacted)
    else:
        with path.open("w", encoding="utf-8", newline="") as handle:
            rows = write_export(consultation, fmt, handle, redacted)
    written = [str(path)]
    if fmt == "csv":
        for suffix, writer in ((".dictionary.csv", write_dictionary_csv),
                               (".areas.csv", write_areas_csv)):
            beside = path.with_name(path.name.removesuffix(".csv") + suffix)
            with beside.open("w", encoding="utf-8", newline="") as handle:
                writer(consultation, handle)
            written.append(str(beside))
    audit.record("export", target=slug, rows=rows, format=fmt, redacted=redacted, file=str(path))
    db.session.commit()
    click.echo(f"Exported {plural(rows, 'response')} to {', '.join(written[:-1])} and "
               f"{written[-1]}." if len(written) > 1 else
               f"Exported {plural(rows, 'response')} to {written[0]}.")


@click.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Check every row and report; store nothing.")
def import_command(slug: str, file: str, dry_run: bool) -> None:
    """Import responses from a CSV or XLSX file in the export's column layout."""
    from .imports import ImportFileError, check_file, import_file

    consultation = _consultation(slug)
    path = Path(file)
    content = path.read_bytes()
    try:
        check = (check_file if dry_run else import_file)(consultation, path.name, content)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    for note in check.notes:
        click.echo(f"note: {note}")
    if check.already_imported_file is not None:
        raise click.ClickException(
            f"{path.name} was already imported on {check.already_imported_file.at:%Y-%m-%d %H:%M}"
            " UTC; nothing added.")
    if check.problems:
        for p in check.problems:
            click.echo(f"row {p.row}, column {p.column or '-'}: {p.problem}", err=True)
        raise click.ClickException(f"{plural(len(check.problems), 'problem')}; nothing imported. "
                                   "Correct the rows above and try again.")
    skipped = (f" ({check.already_imported:,} already imported, skipped)"
               if check.already_imported else "")
    if dry_run:
        click.echo(f"{plural(check.rows, 'row')} checked, no problems: "
                   f"{plural(len(check.new_rows), 'response')} would be imported{skipped}. "
                   "Nothing stored (dry run).")
    else:
        click.echo(f"Imported {plural(len(check.new_rows), 'response')}{skipped}.")


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="Say what would be removed; remove nothing.")
def purge_command(dry_run: bool) -> None:
    """Remove expired drafts and responses past their consultation's retention period."""
    from .retention import purge

    result = purge(dry_run=dry_run)
    verb = "Would remove" if dry_run else "Removed"
    where = f" ({', '.join(result.consultations)})" if result.consultations else ""
    click.echo(f"{verb} {plural(result.drafts, 'expired draft')} and "
               f"{plural(result.responses, 'response')} past their retention period{where}.")


@click.command("erase")
@click.argument("reference")
@click.option("--reason", required=True, help="Why (for example: the respondent asked).")
def erase_command(reference: str, reason: str) -> None:
    """Erase one response for good, by its reference."""
    from .retention import erase

    if not erase(reference, reason):
        raise click.ClickException(f"There is no response with the reference {reference}. "
                                   "Check it and try again.")
    click.echo(f"Erased response {reference.upper()}.")


def _database_problem(error: Exception) -> str:
    """What a database error met by a command means, in words for the operator."""
    cause = getattr(error, "orig", None) or error
    text = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    # SQLite: "no such table: x"; PostgreSQL (psycopg's UndefinedTable): relation "x" does not exist
    missing = ("no such table" in text or type(cause).__name__ == "UndefinedTable"
               or ("relation" in text and "does not exist" in text))
    if missing:
        return ("The database has no Consult tables yet (" + text + "): create them with "
                "`flask --app consult db upgrade` (`make db` does it and loads the shipped "
                "consultations), then run the command again.")
    return (f"The database could not be used ({text}). Check DATABASE_URL and that the "
            "database is running, then run the command again.")


def _guarded(callback):
    @functools.wraps(callback)
    def run(*args, **kwargs):
        from sqlalchemy.exc import OperationalError, ProgrammingError

        try:
            return callback(*args, **kwargs)
        except (OperationalError, ProgrammingError) as error:
            raise click.ClickException(_database_problem(error)) from None

    run._consult_guarded = True  # type: ignore[attr-defined]
    return run


def guard_database_errors(app: Flask) -> None:
    """Every command of the app ends with a message, not a traceback, when the database has no
    tables yet or cannot be reached (run after every command group is added)."""
    def walk(command: click.Command) -> None:
        if command.callback is not None and not getattr(command.callback, "_consult_guarded", False):
            command.callback = _guarded(command.callback)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    for command in app.cli.commands.values():
        walk(command)


def init_app(app: Flask) -> None:
    app.cli.add_command(consultations)
    app.cli.add_command(users)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(purge_command)
    app.cli.add_command(erase_command)
