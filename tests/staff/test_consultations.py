"""Consultations: the list, dates, loading a definition file."""
from __future__ import annotations

import io
from pathlib import Path

import sqlalchemy as sa

from consult.extensions import db
from consult.models import AuditEvent, Consultation

from .conftest import SHIPPED_2021, csrf_token

ROOT = Path(__file__).resolve().parents[2]


def upload(client, name: str, content: bytes):
    return client.post("/staff/consultations/load", data={
        "csrf_token": csrf_token(client, "/staff/consultations/load"),
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_load_a_definition_file_then_see_it_listed(app, signed_in):
    client = signed_in("engagement")
    answer = upload(client, "police-and-crime-plan-2021.yaml", (ROOT / SHIPPED_2021).read_bytes())
    assert answer.status_code == 302
    page = client.get("/staff/consultations").get_data(as_text=True)
    assert "police-and-crime-plan-2021" in page and "closed" in page
    assert db.session.scalar(sa.select(AuditEvent.action).where(
        AuditEvent.action == "consultation.load"))
    again = upload(client, "police-and-crime-plan-2021.yaml", (ROOT / SHIPPED_2021).read_bytes())
    assert again.status_code == 302
    assert "unchanged" in client.get("/staff/consultations").get_data(as_text=True)


def test_a_broken_definition_is_refused_with_its_problems(app, signed_in):
    client = signed_in("engagement")
    answer = upload(client, "broken.yaml", b"slug: [unclosed\n")
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert "The definition was not loaded" in page and "not valid YAML" in page
    answer = upload(client, "notes.txt", b"hello")
    assert answer.status_code == 400 and "Choose a YAML file" in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Consultation)) == 0


def test_change_the_dates(consultation, signed_in):
    client = signed_in("engagement")
    url = "/staff/consultations/test-consultation/dates"
    token = csrf_token(client, url)
    answer = client.post(url, data={"csrf_token": token, "opens_at": "2021-06-02T09:00",
                                    "closes_at": "2021-06-01T09:00"})
    assert "must be after the opening date" in answer.get_data(as_text=True)
    answer = client.post(url, data={"csrf_token": token, "opens_at": "2021-06-02T09:00",
                                    "closes_at": "2021-08-01T17:00"})
    assert answer.status_code == 302
    db.session.refresh(consultation)
    assert consultation.closes_at.isoformat() == "2021-08-01T17:00:00+00:00"
