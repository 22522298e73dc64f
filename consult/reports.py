"""The evidence report of a consultation, for staff to download from its dashboard.

The report is ``analysis.report``'s, built from the consultation's JSON export: the same
contract (docs/export-format.md) and the same numbers as ``python -m analysis report`` on that
export. Building it takes from seconds to a minute (charts, clustering of comments), so it runs
in a child process and a web worker keeps serving residents meanwhile. A built report is kept
under ``instance/reports/SLUG/FINGERPRINT/``, where the fingerprint changes with every new,
moderated or erased response, so a second download of unchanged responses is immediate.

``python -m consult.reports SLUG OUT`` is the child process's entry point.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Consultation, ModerationEvent, Response

# A report of a very large consultation may take minutes; past this it is given up.
BUILD_TIMEOUT_SECONDS = 900


class ReportError(Exception):
    """The report could not be built; the message says why in plain English."""


@dataclass(frozen=True)
class BuiltReport:
    folder: Path
    responses: int

    @property
    def html(self) -> Path:
        return self.folder / "report.html"

    def zip_bytes(self) -> bytes:
        """report.html, report.md and the charts, in one ZIP file."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(self.folder.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(self.folder).as_posix())
        return buffer.getvalue()


def fingerprint(consultation: Consultation) -> tuple[str, int]:
    """A hash of everything the report depends on, and the number of responses."""
    count, last_id, last_at = db.session.execute(
        sa.select(sa.func.count(Response.id), sa.func.max(Response.id),
                  sa.func.max(Response.submitted_at))
        .where(Response.consultation_id == consultation.id)
    ).one()
    moderation_count, last_moderation = db.session.execute(
        sa.select(sa.func.count(ModerationEvent.id), sa.func.max(ModerationEvent.id))
        .join(Response, Response.id == ModerationEvent.response_id)
        .where(Response.consultation_id == consultation.id)
    ).one()
    from analysis import __version__ as analysis_version

    parts = [consultation.slug, consultation.definition_sha256, count, last_id, last_at,
             moderation_count, last_moderation, analysis_version]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]
    return digest, int(count)


def reports_root() -> Path:
    return Path(current_app.config.get("REPORTS_DIR") or Path(current_app.instance_path) / "reports")


def build(consultation: Consultation) -> BuiltReport:
    """The report for the responses as they are now: built in a child process unless kept."""
    digest, responses = fingerprint(consultation)
    parent = reports_root() / consultation.slug
    folder = parent / digest
    if (folder / "report.html").exists():
        return BuiltReport(folder, responses)
    parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".building-", dir=parent))
    env = dict(os.environ)
    env["CONSULT_REPORT_DATABASE_URI"] = db.engine.url.render_as_string(hide_password=False)
    env["CONSULT_REPORT_CONFIG"] = "testing" if current_app.testing else os.environ.get(
        "CONSULT_ENV", "development")
    env.setdefault("MPLBACKEND", "Agg")
    try:
        finished = subprocess.run(  # noqa: S603 (our own module, no shell, fixed arguments)
            [sys.executable, "-m", "consult.reports", consultation.slug, str(work)],
            env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(work, ignore_errors=True)
        raise ReportError(f"Building the report took longer than {BUILD_TIMEOUT_SECONDS // 60} "
                          "minutes and was stopped. An analyst can build it from an export with "
                          "'python -m analysis report'.") from None
    if finished.returncode != 0 or not (work / "report.html").exists():
        shutil.rmtree(work, ignore_errors=True)
        reason = _last_line(finished.stderr) or "the report builder stopped without saying why"
        current_app.logger.error("report for %s failed: %s", consultation.slug, finished.stderr[-4000:])
        raise ReportError(f"The report could not be built: {reason}")
    try:
        os.replace(work, folder)
    except OSError:
        # Another request built the same report at the same moment: keep theirs.
        shutil.rmtree(work, ignore_errors=True)
    for old in parent.iterdir():
        if old.is_dir() and old.name != digest and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)
    return BuiltReport(folder, responses)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    for line in reversed(lines):
        if line.startswith("error:"):
            return line[len("error:"):].strip()
    return ""


def _build_in_child(slug: str, out: Path) -> int:
    """Export the consultation as JSON into ``out``, build the report there, remove the export."""
    from analysis.load import LoadError, load
    from analysis.report import build_report

    from . import create_app
    from .exports import write_json

    app = create_app(os.environ.get("CONSULT_REPORT_CONFIG", "development"),
                     {"SQLALCHEMY_DATABASE_URI": os.environ["CONSULT_REPORT_DATABASE_URI"]})
    with app.app_context():
        consultation = db.session.execute(
            sa.select(Consultation).where(Consultation.slug == slug)).scalar_one_or_none()
        if consultation is None:
            print(f"error: there is no consultation called {slug}", file=sys.stderr)
            return 2
        export = out / "export.json"
        try:
            with export.open("w", encoding="utf-8") as handle:
                write_json(consultation, handle)
            data = load(export, consultation=slug)
            build_report(data, out, progress=False)
        except LoadError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        finally:
            # The export holds every answer unredacted; the report keeps only redacted quotes.
            export.unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print("usage: python -m consult.reports SLUG OUT_FOLDER", file=sys.stderr)
        sys.exit(2)
    sys.exit(_build_in_child(sys.argv[1], Path(sys.argv[2])))
