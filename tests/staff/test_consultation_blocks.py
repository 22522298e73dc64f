"""A definition uploaded by staff includes blocks from the blocks folder, not from beside it."""
from __future__ import annotations

import io

from bs4 import BeautifulSoup

from consult.extensions import db
from consult.models import Consultation

from .conftest import csrf_token

DEFINITION = b"""\
slug: with-a-block
title: A consultation with a block
summary: What it is for.
reference_prefix: WB
opens_at: "2021-06-30 00:00"
closes_at: "2021-07-30 23:59"
themes:
  - {key: one, title: One, summary: The first, what_we_will_do: We will do one.}
pages:
  - key: about_you
    title: About you
    questions:
      - key: respondent_type
        type: single_choice
        label: Who are you?
        options:
          - {code: resident, label: A resident}
          - {code: business, label: A local business}
  - include: business-crime
  - include: equality-monitoring
"""


def upload(client, name: str, content: bytes):
    return client.post("/staff/consultations/load", data={
        "csrf_token": csrf_token(client, "/staff/consultations/load"),
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def test_an_uploaded_definition_includes_the_shipped_blocks(app, signed_in):
    client = signed_in("engagement")
    answer = upload(client, "with-a-block.yaml", DEFINITION)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    consultation = db.session.query(Consultation).filter_by(slug="with-a-block").one()
    assert [q.key for q in consultation.questions][:3] == ["respondent_type", "business_size",
                                                          "business_sector"]
    assert "religion" in [q.key for q in consultation.questions]


def test_an_upload_naming_a_block_there_is_not_is_refused_with_the_blocks_folder(app, signed_in, tmp_path):
    app.config["BLOCKS_FOLDER"] = str(tmp_path)
    (tmp_path / "business-crime.yaml").write_text("pages: [oops\n")
    client = signed_in("engagement")
    answer = upload(client, "with-a-block.yaml", DEFINITION)
    assert answer.status_code == 400
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    problems = [li.get_text(" ", strip=True) for li in soup.select("main li")]
    assert any(p.startswith(f"pages[1].include: block 'business-crime' ({tmp_path / 'business-crime.yaml'}): line ")
               and "not valid YAML" in p for p in problems), problems
    assert any(p.startswith("pages[2].include: block 'equality-monitoring'") and "no such block" in p
               for p in problems), problems
    assert db.session.query(Consultation).filter_by(slug="with-a-block").count() == 0
