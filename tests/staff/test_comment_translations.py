"""Staff record a translation of a comment beside the original (audited); the export carries it
as translation__COLUMN (format 3) and analysis.load reads it back."""
from __future__ import annotations

import csv
import io
import json

import sqlalchemy as sa

from consult.exports import write_csv, write_json
from consult.extensions import db
from consult.models import AuditEvent, CommentTranslation, Response

from .conftest import add_response, csrf_token

POLISH = "Potrzebujemy więcej patroli w nocy na naszej ulicy"
ENGLISH = "We need more patrols at night on our street"


def detail(response) -> str:
    return f"/staff/responses/{response.reference}"


def post_translation(client, response, column, text, source="pl"):
    return client.post(detail(response) + "/translation", data={
        "csrf_token": csrf_token(client, detail(response)), "column": column,
        "source_language": source, "text": text})


def test_an_analyst_records_a_translation_kept_beside_the_original(consultation, signed_in,
                                                                   staff):
    response = add_response(consultation, {"comment__roads": POLISH}, language="pl")
    client = signed_in("analyst")
    page = client.get(detail(response)).get_data(as_text=True)
    assert "Record a translation" in page and "Polish (pl)" in page
    assert post_translation(client, response, "comment__roads", ENGLISH).status_code == 302
    row = db.session.scalar(sa.select(CommentTranslation))
    assert (row.column, row.text, row.source_language, row.translated_by_id) == (
        "comment__roads", ENGLISH, "pl", staff["analyst"].id)
    db.session.refresh(response)
    assert response.answers["comment__roads"] == POLISH  # the original is never changed
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action.like("translation.%")))
    assert (event.action, event.target, event.details["text"]) == (
        "translation.record", response.reference, ENGLISH)
    page = client.get(detail(response)).get_data(as_text=True)
    assert ENGLISH in page and POLISH in page and "analyst@example.org" in page


def test_a_change_and_a_removal_are_audited_with_the_text_before(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": POLISH}, language="pl")
    client = signed_in("engagement")
    post_translation(client, response, "comment__roads", "More patrols")
    post_translation(client, response, "comment__roads", ENGLISH)
    post_translation(client, response, "comment__roads", "")
    events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("translation.%"))
                                .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["translation.record", "translation.change",
                                          "translation.remove"]
    assert events[1].details["old_text"] == "More patrols"
    assert events[2].details["old_text"] == ENGLISH
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTranslation)) == 0


def test_a_viewer_cannot_record_a_translation(app, consultation, signed_in):
    response = add_response(consultation, {"comment__roads": POLISH})
    client = signed_in("viewer")
    app.config["WTF_CSRF_ENABLED"] = False  # the role check must refuse, not the CSRF check
    assert client.post(detail(response) + "/translation",
                       data={"column": "comment__roads", "text": ENGLISH}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTranslation)) == 0


def test_only_a_free_text_answer_of_the_response_can_be_translated(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": POLISH})
    client = signed_in("engagement")
    post_translation(client, response, "comment__safer_streets", ENGLISH)  # not answered
    post_translation(client, response, "respondent_type", ENGLISH)  # not free text
    post_translation(client, response, "comment__roads", ENGLISH, source="Polish language!")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTranslation)) == 0


def test_the_export_carries_the_translation_and_analysis_reads_it(consultation, signed_in,
                                                                 tmp_path):
    from analysis.load import load

    translated = add_response(consultation, {"comment__roads": POLISH}, language="pl")
    plain = add_response(consultation, {"comment__roads": "Fix the potholes"})
    post_translation(signed_in("analyst"), translated, "comment__roads", ENGLISH)
    out = io.StringIO(newline="")
    write_csv(consultation, out)
    rows = {r["reference"]: r for r in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))}
    assert rows[translated.reference]["translation__comment__roads"] == ENGLISH
    assert rows[translated.reference]["comment__roads"] == POLISH
    assert rows[plain.reference]["translation__comment__roads"] == ""
    buffer = io.StringIO()
    write_json(consultation, buffer)
    document = json.loads(buffer.getvalue())
    by_ref = {r["reference"]: r for r in document["responses"]}
    assert by_ref[translated.reference]["translation__comment__roads"] == ENGLISH
    [entry] = [d for d in document["dictionary"] if d["column"] == "translation__comment__roads"]
    assert entry["type"] == "translation" and "recorded by staff" in entry["description"]
    path = tmp_path / "export.json"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    data = load(path)
    comments = data.comments.set_index("reference")
    assert comments.loc[translated.reference, "translation"] == ENGLISH
    assert comments.loc[plain.reference, "translation"] == ""
    assert "translation__comment__roads" not in {q.column for q in data.free_text_questions}
    assert dict(zip(data.responses["reference"], data.responses["language"])) == {
        translated.reference: "pl", plain.reference: "en"}


def test_erasing_a_response_erases_its_translations(consultation, signed_in):
    from consult import retention

    response = add_response(consultation, {"comment__roads": POLISH})
    post_translation(signed_in("engagement"), response, "comment__roads", ENGLISH)
    assert retention.erase(response.reference, "asked")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentTranslation)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_the_redacted_export_redacts_translations_as_it_redacts_comments(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": POLISH})
    post_translation(signed_in("engagement"), response, "comment__roads",
                     "Write to jan.kowalski@example.org about the patrols")
    out = io.StringIO(newline="")
    write_csv(consultation, out, redacted=True)
    [row] = csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))
    assert row["translation__comment__roads"] == "Write to [email removed] about the patrols"
