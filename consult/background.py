"""Long jobs a staff page asks for, run in a child process: large exports and the report.

A web worker serves residents on a few threads of one process; minutes of CPU work inside it (an
Excel export of 100,000 responses, the evidence report with its charts and clustering) would hold
the process's interpreter lock and slow every resident it serves. The page starts a child process
and waits for it, which costs the worker nothing but one waiting thread.

``python -m consult.background export SLUG FORMAT OUT [--redacted]`` and
``python -m consult.background report SLUG OUT`` are the child's entry points; they open the same
database as the parent.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from flask import Flask, current_app

from .extensions import db

# Past this a job is given up (an Excel export of 100,000 responses takes about two minutes).
JOB_TIMEOUT_SECONDS = 900


class JobFailed(Exception):
    """The child process failed; the message says why in plain English."""


def run(job: str, *args: str, timeout: int = JOB_TIMEOUT_SECONDS) -> str:
    """Run ``job`` with ``args`` in a child process on the current app's database; returns what
    it printed."""
    env = dict(os.environ)
    env["CONSULT_JOB_DATABASE_URI"] = db.engine.url.render_as_string(hide_password=False)
    env["CONSULT_JOB_CONFIG"] = "testing" if current_app.testing else os.environ.get(
        "CONSULT_ENV", "development")
    env.setdefault("MPLBACKEND", "Agg")
    try:
        finished = subprocess.run(  # noqa: S603 (our own module, no shell, fixed arguments)
            [sys.executable, "-m", "consult.background", job, *args],
            env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )
    except subprocess.TimeoutExpired:
        raise JobFailed(f"it took longer than {timeout // 60} minutes and was stopped") from None
    if finished.returncode != 0:
        current_app.logger.error("%s %s failed: %s", job, args, (finished.stderr or "")[-4000:])
        raise JobFailed(_reason(finished.stderr))
    return finished.stdout


def _reason(stderr: str | None) -> str:
    lines = [line.strip() for line in (stderr or "").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    return "the job stopped without saying why"


def _child_app() -> Flask:
    from . import create_app

    return create_app(os.environ.get("CONSULT_JOB_CONFIG", "development"),
                      {"SQLALCHEMY_DATABASE_URI": os.environ["CONSULT_JOB_DATABASE_URI"]})


def _consultation(slug: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    from .models import Consultation

    found = db.session.execute(
        sa.select(Consultation).where(Consultation.slug == slug)).scalar_one_or_none()
    if found is None:
        raise JobFailed(f"there is no consultation called {slug}")
    return found


def _export(slug: str, fmt: str, out: Path, redacted: bool) -> int:
    from .exports import write_export

    consultation = _consultation(slug)
    if fmt == "xlsx":
        return write_export(consultation, fmt, str(out), redacted)
    with out.open("w", encoding="utf-8", newline="") as handle:
        return write_export(consultation, fmt, handle, redacted)


def _report(slug: str, out: Path) -> None:
    """Export the consultation as JSON into ``out``, build the report there, remove the export."""
    from analysis.load import LoadError, load
    from analysis.report import build_report

    from .exports import write_json

    consultation = _consultation(slug)
    export = out / "export.json"
    try:
        with export.open("w", encoding="utf-8") as handle:
            write_json(consultation, handle)
        build_report(load(export, consultation=slug), out, progress=False)
    except LoadError as error:
        raise JobFailed(str(error)) from None
    finally:
        # The export holds every answer unredacted; the report keeps only redacted quotes.
        export.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m consult.background")
    sub = parser.add_subparsers(dest="job", required=True)
    export = sub.add_parser("export")
    export.add_argument("slug")
    export.add_argument("format", choices=["csv", "json", "xlsx"])
    export.add_argument("out", type=Path)
    export.add_argument("--redacted", action="store_true")
    report = sub.add_parser("report")
    report.add_argument("slug")
    report.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    with _child_app().app_context():
        try:
            if args.job == "export":
                rows = _export(args.slug, args.format, args.out, args.redacted)
                print(rows)
            else:
                _report(args.slug, args.out)
        except JobFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
