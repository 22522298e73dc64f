"""The model codes the rest: a background job (kind "model_codes") trains
``analysis.coding.ThemeCoder`` on people's codes of a codebook version and codes every comment
of the question that nobody coded, with its confidence.

- Trained on people's codes as ``work.people_codes`` gives them: the settled codes where a
  disagreement was settled, else the first coder's. The blind second coder's codes are never
  training data, so the double-coded sample's second codes stay a fair yardstick.
- How well the model agrees with people is measured on the double-coded sample by a model
  trained the same way *without* the sample's comments (``work.agreement``: the model against
  the first coder), so the figure is never of comments the model learnt from; it is kept with
  the run (``ModelRun.figures``) and travels in the exports' JSON header and the report.
- The model's codes are ``Coding`` rows of kind "model" (no coder): ``codes``, ``suggested``
  (each chosen code with its probability) and ``suggestion_confidence`` (the lowest of
  those). People's codings are never touched; running the job again replaces the model's rows.
- A signed-off version may be coded by the model: sign-off fixes people's codes, and the
  model's codes of the rest are the step after it.
- Which version a question's codes come from in exports and the report: the newest signed-off
  version of the question, else its newest version (``current_version``).
"""
from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa


from .. import audit
from ..extensions import db
from ..models import Consultation, utcnow
from . import work
from .models import CodebookVersion, Coding, ModelRun, SignOff

MODEL_KIND = "model"


def fingerprint(version: CodebookVersion) -> str:
    """Changes whenever what the job would make changes: the codebook, people's codes, or the
    comments there are."""
    consultation = db.session.get(Consultation, version.consultation_id)
    pool = work.comments(consultation, version.column)
    state = repr((version.codes, sorted(work.people_codes(version).items()),
                  [c.response_id for c in pool]))
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def model_codings(version: CodebookVersion) -> dict[int, Coding]:
    return work.codings(version, MODEL_KIND)


def run_for(version: CodebookVersion) -> ModelRun | None:
    return db.session.scalar(sa.select(ModelRun).where(ModelRun.version_id == version.id))


def code_the_rest(version: CodebookVersion, user: Any = None,
                  job_id: int | None = None) -> ModelRun:
    """Train on people's codes and code every comment nobody coded; replaces the model's
    earlier codes of the version. WorkbenchError when there is too little to learn from."""
    consultation = db.session.get(Consultation, version.consultation_id)
    pool = work.comments(consultation, version.column)
    by_id = {c.response_id: c for c in pool}
    model = work.train(version, by_id, backend="auto")
    if model is None:
        raise work.WorkbenchError(
            f"The model learns from people's codes: code at least {work.MIN_CODED} comments, "
            "with at least two different codes, first.")
    people = work.people_codes(version)
    rest = [c for c in pool if c.response_id not in people]
    db.session.execute(sa.delete(Coding).where(Coding.version_id == version.id,
                                               Coding.kind == MODEL_KIND))
    if rest:
        proba = model.predict_proba([c.text for c in rest])
        P, column = proba.to_numpy(), {name: j for j, name in enumerate(proba.columns)}
        for i, (comment, names) in enumerate(zip(rest, model.predict_from_proba(proba))):
            picked = [{"code": name, "confidence": round(float(P[i, column[name]]), 3)}
                      for name in names]
            db.session.add(Coding(
                version_id=version.id, response_id=comment.response_id, kind=MODEL_KIND,
                coder_id=None, codes=[p["code"] for p in picked], is_quotable=False,
                suggested=picked,
                suggestion_confidence=min((p["confidence"] for p in picked), default=None)))
    figures: dict[str, Any] = {}
    agreement = work.agreement(version, pool, backend="auto")
    if agreement and "settled_model" in agreement:
        found = agreement["settled_model"]
        figures = {"double_coded": agreement["n"], "compared_with": "people's settled codes",
                   "samples_f1": found["samples_f1"], "samples_f1_low": found["samples_f1_low"],
                   "samples_f1_high": found["samples_f1_high"], "alpha": found["alpha"]}
    run = run_for(version)
    if run is None:
        run = ModelRun(version_id=version.id)
        db.session.add(run)
    run.job_id, run.user_id = job_id, getattr(user, "id", None)
    run.at = utcnow()
    run.backend = str(model.backend_)
    run.trained_on = sum(1 for rid in people if rid in by_id)
    run.coded = len(rest)
    run.figures = figures
    db.session.flush()
    audit.record("coding.model_codes", target=work._target(version), rows=len(rest), user=user,
                 trained_on=run.trained_on, backend=run.backend, job=job_id, **figures)
    return run


def run_model_codes_job(job: Any, beat: Any) -> None:
    """The job (kind "model_codes"): ``job.params["version"]`` is the codebook version."""
    from ..jobs import JobFailed

    version = db.session.get(CodebookVersion, int(job.params.get("version", 0) or 0))
    if version is None or version.consultation_id != job.consultation_id:
        raise JobFailed("the codebook version it was for no longer exists")
    beat.set_step("Training the model on people's codes and coding the other comments")
    try:
        run = code_the_rest(version, job.requested_by, job.id)
    except work.WorkbenchError as error:
        raise JobFailed(str(error).rstrip(".")) from None
    db.session.commit()
    beat.rows = run.coded
    beat.result = {"version": version.id, "column": version.column, "coded": run.coded,
                   "trained_on": run.trained_on, "backend": run.backend,
                   "figures": run.figures}


# --------------------------------------------------------------------------- readers

def current_version(consultation: Consultation, column: str) -> CodebookVersion | None:
    """The version a question's codes come from: newest signed off, else newest."""
    versions = db.session.scalars(sa.select(CodebookVersion).where(
        CodebookVersion.consultation_id == consultation.id, CodebookVersion.column == column)
        .order_by(CodebookVersion.number.desc())).all()
    signed = set(db.session.scalars(sa.select(SignOff.version_id).where(
        SignOff.version_id.in_([v.id for v in versions])))) if versions else set()
    return next((v for v in versions if v.id in signed), versions[0] if versions else None)


def coded_columns(consultation: Consultation) -> dict[str, CodebookVersion]:
    """{comment column: the version its codes come from}, for every column with a codebook
    version that has codes."""
    out = {}
    for column in sorted(set(db.session.scalars(sa.select(CodebookVersion.column).where(
            CodebookVersion.consultation_id == consultation.id)))):
        version = current_version(consultation, column)
        if version is not None and version.names:
            out[column] = version
    return out


def final_codes(version: CodebookVersion) -> dict[int, dict[str, Any]]:
    """Each comment's codes for exports and the report: {response id: {"codes", "source",
    "confidence", "quotable"}}: people's where they exist ("people": settled, else the first
    coder's; quotable if either coding marked it), the model's elsewhere ("model", with the
    lowest probability of its chosen codes)."""
    out: dict[int, dict[str, Any]] = {}
    for rid, coding in model_codings(version).items():
        out[rid] = {"codes": list(coding.codes), "source": "model",
                    "confidence": coding.suggestion_confidence, "quotable": False}
    quotable = {rid for kind in ("first", "settled")
                for rid, c in work.codings(version, kind).items() if c.is_quotable}
    for rid, codes in work.people_codes(version).items():
        out[rid] = {"codes": list(codes), "source": "people", "confidence": None,
                    "quotable": rid in quotable}
    return out

