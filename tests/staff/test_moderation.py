"""Moderation changes a status or hides a comment, with a reason; nothing is deleted."""
from __future__ import annotations

import csv
import io

import sqlalchemy as sa

from consult.exports import write_csv
from consult.extensions import db
from consult.models import ModerationEvent, Response

from .conftest import add_response, csrf_token


def detail(response) -> str:
    return f"/staff/responses/{response.reference}"


def test_mark_a_response_duplicate_with_a_reason(consultation, signed_in, staff):
    response = add_response(consultation, {"comment__roads": "Same words"})
    client = signed_in("engagement")
    token = csrf_token(client, detail(response))
    answer = client.post(detail(response) + "/status", data={
        "csrf_token": token, "status": "duplicate", "reason": "Same as TST-AAAA-BBBB"})
    assert answer.status_code == 302
    db.session.refresh(response)
    assert (response.status, response.status_reason) == ("duplicate", "Same as TST-AAAA-BBBB")
    event = db.session.scalar(sa.select(ModerationEvent))
    assert (event.old_status, event.new_status, event.user_id) == ("valid", "duplicate",
                                                                   staff["engagement"].id)
    page = client.get(detail(response)).get_data(as_text=True)
    assert "Same as TST-AAAA-BBBB" in page and "Valid → Duplicate of another response" in page
    # still there, still exported, with its status
    out = io.StringIO()
    write_csv(consultation, out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert (row["status"], row["status_reason"]) == ("duplicate", "Same as TST-AAAA-BBBB")


def test_a_reason_is_required_and_statuses_are_checked(consultation, signed_in):
    response = add_response(consultation)
    client = signed_in("engagement")
    for data in ({"status": "invalid", "reason": ""}, {"status": "deleted", "reason": "x"}):
        token = csrf_token(client, detail(response))
        client.post(detail(response) + "/status", data={"csrf_token": token, **data})
        db.session.refresh(response)
        assert response.status == "valid"
    page = client.get(detail(response)).get_data(as_text=True)
    assert "Give a reason" in page or "Choose a status" in page


def test_hide_and_show_a_comment(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": "Names a person"})
    client = signed_in("engagement")
    for expected in (["comment__roads"], []):
        token = csrf_token(client, detail(response))
        answer = client.post(detail(response) + "/comments", data={
            "csrf_token": token, "column": "comment__roads", "reason": "names a person"})
        assert answer.status_code == 302
        db.session.refresh(response)
        assert response.hidden_comments == expected
        assert response.answers["comment__roads"] == "Names a person"  # never deleted
    actions = db.session.scalars(
        sa.select(ModerationEvent.action).order_by(ModerationEvent.id)).all()
    assert actions == ["hide_comment", "show_comment"]


def test_only_comment_columns_can_be_hidden(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": "x", "district": "fenland"})
    client = signed_in("engagement")
    token = csrf_token(client, detail(response))
    client.post(detail(response) + "/comments", data={
        "csrf_token": token, "column": "district", "reason": "no"})
    db.session.refresh(response)
    assert response.hidden_comments == []


def test_hidden_comments_are_listed_in_exports(consultation):
    add_response(consultation, {"comment__roads": "x"}, hidden_comments=["comment__roads"])
    out = io.StringIO()
    write_csv(consultation, out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["hidden_comments"] == "comment__roads" and row["comment__roads"] == "x"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 1


def test_control_characters_in_a_reason_are_dropped(consultation, signed_in):
    response = add_response(consultation)
    client = signed_in("engagement")
    token = csrf_token(client, detail(response))
    answer = client.post(detail(response) + "/status", data={
        "csrf_token": token, "status": "invalid", "reason": "test\x00 entry\x07"})
    assert answer.status_code == 302
    db.session.refresh(response)
    assert (response.status, response.status_reason) == ("invalid", "test entry")
