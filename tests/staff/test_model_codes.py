"""The model codes the rest: a job trains on people's codes of a codebook version (never the
blind second coder's) and codes every other comment with its confidence, kept apart from
people's codes; running it again replaces only the model's codes; it is audited."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from analysis.coding import Codebook, ThemeCoder, _decide
from consult.coding import model_codes, work
from consult.coding.models import Coding, ModelRun
from consult.extensions import db
from consult.models import AuditEvent

from .test_workbench import (COLUMN, _codebook, _double_code, base, code, comments,  # noqa: F401
                             post, start)


def _ask(client, version):
    return post(client, f"{base()}/codebook?version={version.id}|{base()}/model-codes",
                version=version.id)


@pytest.mark.parametrize("role", ["viewer", "engagement", "delivery"])
def test_only_coders_ask_the_model(client, signed_in, comments, role):
    version = work.start_version(comments[0][0].consultation, COLUMN, "empty", None)
    db.session.commit()
    signed_in(role)
    assert _ask(client, version).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelRun)) == 0


def test_too_few_codes_fail_the_job_with_a_reason(client, signed_in, comments):
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    answer = _ask(client, version)
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "code at least" in page and "Traceback" not in page
    assert not model_codes.model_codings(version)


def test_the_model_codes_the_rest_from_peoples_codes(client, signed_in, comments):
    signed_in("analyst")
    version = start(client)
    _codebook(client, version)
    coded = comments[:12]
    for response, topic in coded:
        code(client, version, response.reference, [topic], quotable="yes")
    answer = _ask(client, version)
    assert "/staff/jobs/" in answer.headers["Location"]
    page = client.get(answer.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "trained on 12 comments people coded, coded 12 other comments" in page
    # the backend in words, as the run recorded it (12 coded comments: not fine-tuned)
    assert re.search(r"The model \((sentence embeddings beside TF-IDF|TF-IDF)\), trained", page)
    listing = client.get(base()).get_data(as_text=True)
    assert "<td class=\"govuk-table__cell govuk-table__cell--numeric\" data-model-coded>12</td>" in listing
    rows = model_codes.model_codings(version)
    rest = [(r, t) for r, t in comments[12:]]
    assert set(rows) == {r.id for r, _ in rest}
    # recomputed another way: a coder fitted here on the same 12 comments gives the same codes
    # and probabilities
    model = ThemeCoder(codebook=Codebook.from_dict({"codes": version.codes})).fit(
        [r.answers[COLUMN] for r, _ in coded], [[t] for _, t in coded])
    P = model.predict_proba([r.answers[COLUMN] for r, _ in rest]).to_numpy()
    chosen = _decide(P, model.thresholds_, model.min_codes)
    for i, (response, _) in enumerate(rest):
        row = rows[response.id]
        expected = [n for j, n in enumerate(model.codes_) if chosen[i, j]]
        assert row.codes == expected and row.coder_id is None
        assert row.suggestion_confidence == pytest.approx(
            min(P[i, j] for j in range(len(model.codes_)) if chosen[i, j]), abs=1e-3)
    # people's codes are untouched and stay people's
    assert work.people_codes(version) == {r.id: [t] for r, t in coded}
    final = model_codes.final_codes(version)
    assert {final[r.id]["source"] for r, _ in coded} == {"people"}
    assert {final[r.id]["source"] for r, _ in rest} == {"model"}
    event = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "coding.model_codes")).one()
    assert event.rows == 12 and event.details["trained_on"] == 12
    assert event.actor == "analyst@example.org"
    # coding more and training again replaces the model's codes, never people's
    for response, topic in comments[12:16]:
        code(client, version, response.reference, [topic])
    _ask(client, version)
    rows = model_codes.model_codings(version)
    assert set(rows) == {r.id for r, _ in comments[16:]}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModelRun)) == 1
    assert len(work.codings(version, "first")) == 16


def test_the_second_coders_codes_are_never_learnt_from(client, signed_in, comments):
    version, second, sample = _double_code(client, signed_in, comments)
    topic_of = {r.id: t for r, t in comments}
    reference_of = {r.id: r.reference for r, _ in comments}
    for rid in sorted(sample):      # the second coder gives every comment a wrong code
        code(client, version, reference_of[rid],
             ["drugs" if topic_of[rid] != "drugs" else "lighting"])
    # 4 comments are left uncoded (their first codings removed); the model trained on the
    # first coder's codes only codes them
    left = [(r, t) for r, t in comments if r.id not in sample][-4:]
    db.session.execute(sa.delete(Coding).where(
        Coding.kind == "first", Coding.response_id.in_([r.id for r, _ in left])))
    db.session.commit()
    _ask(client, version)      # asked by the second analyst, who is a coder too
    run = model_codes.run_for(version)
    assert run.trained_on == 20 and run.coded == 4
    pool = work.comments(comments[0][0].consultation, COLUMN)
    expected = work.agreement(version, pool, backend="auto")["settled_model"]
    assert run.figures["double_coded"] == len(sample)
    assert run.figures["samples_f1"] == pytest.approx(expected["samples_f1"])
    trained = [(r, t) for r, t in comments if (r, t) not in left]
    model = ThemeCoder(codebook=Codebook.from_dict({"codes": version.codes})).fit(
        [r.answers[COLUMN] for r, _ in trained], [[t] for _, t in trained])
    predicted = model.predict([r.answers[COLUMN] for r, _ in left])
    rows = model_codes.model_codings(version)
    assert [rows[r.id].codes for r, _ in left] == predicted
