"""Format 4: a coded comment question's codes in every export format (people's where people
coded, the model's elsewhere, said which, with the model's confidence and people's quotable
mark), with dictionary rows; analysis.load reads them back; the importer reads past them."""
from __future__ import annotations

import csv
import io
import json

import pytest

from analysis.load import load
from consult.coding import model_codes, work
from consult.exports import FORMAT_VERSION, columns, write_csv, write_dictionary_csv, write_json
from consult.extensions import db
from consult.imports import check_file, template_columns

from .test_workbench import COLUMN, _codebook, base, code, comments, post, start  # noqa: F401


@pytest.fixture
def coded(client, signed_in, comments):
    """12 comments coded by people (the first 3 marked quotable), the other 12 by the model."""
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    for i, (response, topic) in enumerate(comments[:12]):
        code(client, version, response.reference, [topic], **({"quotable": "yes"} if i < 3 else {}))
    post(client, f"{base()}/codebook?version={version.id}|{base()}/model-codes",
         version=version.id)
    assert len(model_codes.model_codings(version)) == 12
    return version


def _csv(consultation):
    out = io.StringIO()
    write_csv(consultation, out)
    return list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))


def test_the_csv_has_peoples_codes_and_the_models_with_their_source(coded, comments):
    consultation = comments[0][0].consultation
    assert FORMAT_VERSION == 4
    rows = {r["reference"]: r for r in _csv(consultation)}
    model_rows = model_codes.model_codings(coded)
    for i, (response, topic) in enumerate(comments):
        row = rows[response.reference]
        if i < 12:
            assert row[f"codes__{COLUMN}"] == topic
            assert row[f"codes_source__{COLUMN}"] == "people"
            assert row[f"codes_confidence__{COLUMN}"] == ""
            assert row[f"codes_quotable__{COLUMN}"] == ("yes" if i < 3 else "")
        else:
            stored = model_rows[response.id]
            assert row[f"codes__{COLUMN}"] == ";".join(stored.codes)
            assert row[f"codes_source__{COLUMN}"] == "model"
            assert float(row[f"codes_confidence__{COLUMN}"]) == pytest.approx(
                min(s["confidence"] for s in stored.suggested))
    out = io.StringIO()
    write_dictionary_csv(consultation, out)
    dictionary = {r["column"]: r for r in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))}
    assert dictionary[f"codes__{COLUMN}"]["type"] == "comment_codes"
    assert "patrols=Comments about patrols" in dictionary[f"codes__{COLUMN}"]["codes"]
    source = dictionary[f"codes_source__{COLUMN}"]
    assert "people=Coded by people" in source["codes"] and "trained on 12 comments" in source["description"]
    assert dictionary[f"codes_confidence__{COLUMN}"]["type"] == "confidence"


def test_analysis_reads_the_codes_from_json_and_csv(coded, comments, tmp_path):
    consultation = comments[0][0].consultation
    with (tmp_path / "e.json").open("w", encoding="utf-8") as handle:
        write_json(consultation, handle)
    with (tmp_path / "e.csv").open("w", encoding="utf-8", newline="") as handle:
        write_csv(consultation, handle)
    with (tmp_path / "e.dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        write_dictionary_csv(consultation, handle)
    doc = json.loads((tmp_path / "e.json").read_text(encoding="utf-8"))
    header = doc["consultation"]["coding"]
    assert [h["column"] for h in header] == [COLUMN]
    assert header[0]["model"]["trained_on"] == 12 and header[0]["model"]["coded"] == 12
    final = model_codes.final_codes(coded)
    reference_of = {r.id: r.reference for r, _ in comments}
    expected = {reference_of[rid]: ";".join(f["codes"]) for rid, f in final.items()}
    for name in ("e.json", "e.csv"):
        data = load(tmp_path / name)
        assert data.format_version == 4
        frame = data.comments[data.comments["question"] == COLUMN]
        assert dict(zip(frame["reference"], frame["codes"])) == expected
        assert sorted(frame["codes_source"].value_counts().items()) == [("model", 12), ("people", 12)]
        assert frame["quotable"].sum() == 3
        assert frame.loc[frame["codes_source"] == "people", "codes_confidence"].isna().all()
        assert frame.loc[frame["codes_source"] == "model", "codes_confidence"].between(0, 1).all()
        # the coding columns are not taken for questions of their own
        assert [q.column for q in data.free_text_questions] == [COLUMN] or COLUMN in [
            q.column for q in data.free_text_questions]
        assert not any(c.startswith("codes") for c in data.responses.columns)
    assert load(tmp_path / "e.json").consultation["coding"][0]["column"] == COLUMN


def test_the_importer_reads_past_the_codes(coded, comments):
    consultation = comments[0][0].consultation
    assert not any(c.startswith("codes") for c in template_columns(consultation))
    assert any(c.column.startswith("codes__") for c in columns(consultation))
    out = io.StringIO()
    write_csv(consultation, out)
    check = check_file(consultation, "back.csv", out.getvalue().encode("utf-8"))
    assert not [p for p in check.problems if "codes" in p.column], check.problems


def test_a_question_without_a_codebook_has_no_coding_columns(comments):
    consultation = comments[0][0].consultation
    assert not any(c.column.startswith("codes") for c in columns(consultation))
    work.start_version(consultation, COLUMN, "empty", None)   # a codebook with no codes yet
    db.session.commit()
    assert not any(c.column.startswith("codes") for c in columns(consultation))


def test_the_workbook_holds_the_codes_too(coded, comments, tmp_path):
    from consult.exports import write_export

    consultation = comments[0][0].consultation
    write_export(consultation, "xlsx", str(tmp_path / "e.xlsx"))
    data = load(tmp_path / "e.xlsx")
    frame = data.comments[data.comments["question"] == COLUMN]
    final = model_codes.final_codes(coded)
    reference_of = {r.id: r.reference for r, _ in comments}
    assert dict(zip(frame["reference"], frame["codes"])) == {
        reference_of[rid]: ";".join(f["codes"]) for rid, f in final.items()}
    assert (frame["codes_source"] == "model").sum() == 12


def test_an_export_made_before_the_model_coded_is_not_offered_again(client, signed_in, comments):
    from consult.reports import fingerprint

    consultation = comments[0][0].consultation
    before = fingerprint(consultation)[0]
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    after_codebook = fingerprint(consultation)[0]
    assert after_codebook != before
    for response, topic in comments[:12]:
        code(client, version, response.reference, [topic])
    coded_by_people = fingerprint(consultation)[0]
    assert coded_by_people != after_codebook
    post(client, f"{base()}/codebook?version={version.id}|{base()}/model-codes",
         version=version.id)
    assert fingerprint(consultation)[0] != coded_by_people
