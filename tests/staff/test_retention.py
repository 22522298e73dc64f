"""Retention (flask purge) and erasure (flask erase, admin page): explicit, logged."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from consult.extensions import db
from consult.models import AuditEvent, Draft, ModerationEvent, Response
from consult.retention import purge

from .conftest import add_consultation, add_response, csrf_token, tiny_definition

UTC = dt.timezone.utc


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def test_purge_removes_expired_drafts_and_responses_past_retention(app, consultation):
    old_definition = tiny_definition()
    old_definition["slug"] = "old-consultation"
    old = add_consultation(old_definition, closes_at=dt.datetime(2016, 7, 1, tzinfo=UTC),
                           opens_at=dt.datetime(2016, 6, 1, tzinfo=UTC), retention_days=365)
    kept = add_response(consultation)
    gone = add_response(old)
    db.session.add(ModerationEvent(response_id=gone.id, action="status", reason="x"))
    db.session.add_all([
        Draft(consultation_id=consultation.id, token="expired", answers={"a": 1},
              expires_at=dt.datetime(2021, 1, 1, tzinfo=UTC)),
        Draft(consultation_id=consultation.id, token="live", answers={},
              expires_at=dt.datetime(2099, 1, 1, tzinfo=UTC)),
    ])
    db.session.commit()
    now = dt.datetime(2022, 1, 1, tzinfo=UTC)
    preview = purge(now=now, dry_run=True)
    assert (preview.drafts, preview.responses) == (1, 1) and count(Response) == 2
    result = purge(now=now)
    assert (result.drafts, result.responses, result.consultations) == (1, 1, ["old-consultation"])
    assert db.session.scalars(sa.select(Response.reference)).all() == [kept.reference]
    assert db.session.scalars(sa.select(Draft.token)).all() == ["live"]
    assert count(ModerationEvent) == 0
    logged = {e.action: e.rows for e in db.session.scalars(sa.select(AuditEvent))}
    assert logged == {"purge.responses": 1, "purge.drafts": 1}


def test_cli_purge_and_erase(app, consultation, cli_runner):
    consultation.closes_at = dt.datetime.now(UTC) + dt.timedelta(days=30)  # still within retention
    db.session.commit()
    response = add_response(consultation)
    result = cli_runner.invoke(args=["purge"])
    assert result.exit_code == 0 and "Removed 0 expired drafts and 0 responses" in result.output
    result = cli_runner.invoke(args=["erase", response.reference.lower(), "--reason", "asked"])
    assert result.exit_code == 0 and f"Erased response {response.reference}" in result.output
    assert count(Response) == 0
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "erase"))
    assert (event.target, event.details["reason"]) == (response.reference, "asked")
    result = cli_runner.invoke(args=["erase", "TST-NOPE-NOPE", "--reason", "asked"])
    assert result.exit_code != 0 and "There is no response with the reference" in result.output


def test_an_admin_erases_a_response_from_its_page(consultation, signed_in):
    response = add_response(consultation)
    client = signed_in("admin")
    url = f"/staff/responses/{response.reference}"
    token = csrf_token(client, url)
    client.post(url + "/erase", data={"csrf_token": token, "reason": ""})
    assert count(Response) == 1  # a reason is required
    answer = client.post(url + "/erase", data={"csrf_token": token, "reason": "they asked"})
    assert answer.status_code == 302 and count(Response) == 0
    audit = client.get("/staff/audit").get_data(as_text=True)
    assert "erase" in audit and response.reference in audit and "they asked" in audit
