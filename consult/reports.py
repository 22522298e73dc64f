"""The evidence report of a consultation, for staff to download from its dashboard.

The report is ``analysis.report``'s, built from the consultation's JSON export: the same
contract (docs/export-format.md) and the same numbers as ``python -m analysis report`` on that
export. Building it takes from seconds to a minute (charts, clustering of comments), so it runs
in a child process (consult/background.py). A built report is kept under
``instance/reports/SLUG/FINGERPRINT/``, where the fingerprint changes with every new, moderated or
erased response, so a second download of unchanged responses is immediate.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from . import background
from .extensions import db
from .models import Consultation, ModerationEvent, Response


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
    try:
        background.run("report", consultation.slug, str(work))
    except background.JobFailed as error:
        shutil.rmtree(work, ignore_errors=True)
        raise ReportError(f"The report could not be built: {error}.") from None
    if not (work / "report.html").exists():
        shutil.rmtree(work, ignore_errors=True)
        raise ReportError("The report could not be built: the report builder wrote no report.")
    try:
        os.replace(work, folder)
    except OSError:
        # Another request built the same report at the same moment: keep theirs.
        shutil.rmtree(work, ignore_errors=True)
    for old in parent.iterdir():
        if old.is_dir() and old.name != digest and not old.name.startswith(".building-"):
            shutil.rmtree(old, ignore_errors=True)
    return BuiltReport(folder, responses)
