"""What the evidence report and the exports are made from, as one fingerprint.

The report is ``analysis.report``'s, built by a job (consult/jobs.py) from the consultation's
JSON export: the same contract (docs/export-format.md) and the same numbers as
``python -m analysis report`` on that export. The fingerprint changes with every new, moderated
or erased response and with the definition, so a file made from the same responses is offered
again instead of being made twice.
"""
from __future__ import annotations

import hashlib

import sqlalchemy as sa

from .extensions import db
from .models import Consultation, ModerationEvent, Response


def fingerprint(consultation: Consultation) -> tuple[str, int]:
    """A hash of everything the report and the exports depend on, and the number of responses."""
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

    from .coding.exported import coding_state

    parts = [consultation.slug, consultation.definition_sha256, count, last_id, last_at,
             moderation_count, last_moderation, analysis_version, coding_state(consultation)]
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]
    return digest, int(count)
