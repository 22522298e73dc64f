"""The codes of comments in the export (format version 4, docs/export-format.md).

For each comment column with a codebook version (the newest signed-off version of the question,
else its newest; ``model_codes.current_version``), four columns after the translations:

- ``codes__COLUMN``: the comment's codes, a list (``;``-joined in CSV and XLSX): people's codes
  where people coded it (settled, else the first coder's), the model's elsewhere;
- ``codes_source__COLUMN``: ``people`` or ``model`` (empty: not coded);
- ``codes_confidence__COLUMN``: for the model's codes, the lowest probability of the codes it
  chose (0 to 1); empty for people's;
- ``codes_quotable__COLUMN``: ``yes`` when people marked the comment a quotable example.

The JSON ``consultation.coding`` lists each coded column's version, codebook, sign-off and
the model's run with its agreement with people on the double-coded sample; the CSV and XLSX
carry the same figures in words in the ``codes_source__`` column's dictionary description.
"""
from __future__ import annotations

from typing import Any

from ..columns import Column, codes_text
from ..models import Consultation

PREFIXES = ("codes__", "codes_source__", "codes_confidence__", "codes_quotable__")
SOURCES = [("people", "Coded by people"), ("model", "Coded by the model")]


def _coded(consultation: Consultation) -> dict[str, Any]:
    if consultation.id is None:
        return {}
    from .model_codes import coded_columns

    return coded_columns(consultation)


def agreement_words(run: Any) -> str:
    """The model's agreement with people, in a sentence (for the dictionary and the report)."""
    if run is None:
        return "The model has not coded this question."
    figures = run.figures or {}
    said = (f"The model ({run.backend}) was trained on {run.trained_on} comments people coded "
            f"and coded {run.coded} others.")
    if figures.get("samples_f1") is None:
        return said + " No sample was double-coded, so its agreement with people is not known."
    return said + (f" On the {figures['double_coded']} double-coded comments, a model trained "
                   f"without them agreed with the {figures['compared_with']} with samples-F1 "
                   f"{figures['samples_f1']:.2f} (95% interval {figures['samples_f1_low']:.2f} "
                   f"to {figures['samples_f1_high']:.2f}).")


def coding_columns(consultation: Consultation, cols: list[Column]) -> list[Column]:
    from .model_codes import run_for

    out = []
    by_name = {c.column: c for c in cols}
    for column, version in _coded(consultation).items():
        if column not in by_name:
            continue
        base = by_name[column]
        names = [(c["name"], c.get("description") or c["name"]) for c in version.codes]
        signed = " It is signed off." if version.sign_off is not None else ""
        where = f"codebook {version.label} of {column}{signed}"
        out += [
            Column(f"codes__{column}", "", "comment_codes", base.theme, base.theme_title,
                   f"Codes: {base.label}", codes_text(names),
                   f"The codes of the comment in {column} ({where}): people's where people "
                   f"coded it, the model's elsewhere; codes_source__{column} says which.",
                   tuple(n for n, _ in names), None, "coding"),
            Column(f"codes_source__{column}", "", "code", base.theme, base.theme_title,
                   f"Who coded: {base.label}", codes_text(SOURCES),
                   f"Who gave codes__{column}: people (settled codes where two coders "
                   f"disagreed, else the first coder's) or the model; empty when not coded. "
                   + agreement_words(run_for(version)), ("people", "model"), None, "coding"),
            Column(f"codes_confidence__{column}", "", "confidence", base.theme, base.theme_title,
                   f"Model's confidence: {base.label}", "",
                   f"For the model's codes of {column}, the lowest probability (0 to 1) of the "
                   "codes it chose; empty for people's codes.", (), None, "coding"),
            Column(f"codes_quotable__{column}", "", "code", base.theme, base.theme_title,
                   f"Quotable: {base.label}", codes_text([("yes", "Marked quotable by people")]),
                   f"yes when people marked the comment in {column} a quotable example of its "
                   "codes; empty otherwise.", ("yes",), None, "coding"),
        ]
    return out


def coding_values(consultation: Consultation) -> dict[int, dict[str, Any]]:
    """{response id: {coding column: value}} for every coded comment."""
    from .model_codes import final_codes

    out: dict[int, dict[str, Any]] = {}
    for column, version in _coded(consultation).items():
        for rid, found in final_codes(version).items():
            out.setdefault(rid, {}).update({
                f"codes__{column}": found["codes"],
                f"codes_source__{column}": found["source"],
                f"codes_confidence__{column}": found["confidence"],
                f"codes_quotable__{column}": "yes" if found["quotable"] else None})
    return out


def coding_header(consultation: Consultation) -> list[dict[str, Any]]:
    """JSON ``consultation.coding``: one object per coded column."""
    from .model_codes import run_for

    out = []
    for column, version in _coded(consultation).items():
        run = run_for(version)
        sign_off = version.sign_off
        out.append({
            "column": column, "version": version.number,
            "codes": [{"name": c["name"], "description": c.get("description", "")}
                      for c in version.codes],
            "signed_off": sign_off is not None,
            "signed_off_at": sign_off.at.isoformat() if sign_off is not None else None,
            "people_agreement": ({"double_coded": sign_off.figures.get("double_coded"),
                                  "samples_f1": sign_off.figures.get("samples_f1"),
                                  "alpha": sign_off.figures.get("alpha")}
                                 if sign_off is not None else None),
            "model": None if run is None else {
                "backend": run.backend, "trained_on": run.trained_on, "coded": run.coded,
                "at": run.at.isoformat(), "agreement": dict(run.figures or {})},
        })
    return out


def coding_state(consultation: Consultation) -> str:
    """What the exports' coding columns depend on, for the fingerprint of an export or report
    (consult/reports.py): a file made before a coding, a codebook edit, a sign-off or the
    model's run changed is not offered again."""
    import sqlalchemy as sa

    from ..extensions import db
    from .models import CodebookVersion, Coding, ModelRun, SignOff

    of_consultation = CodebookVersion.consultation_id == consultation.id
    codings = db.session.execute(
        sa.select(sa.func.count(Coding.id), sa.func.max(Coding.id), sa.func.max(Coding.updated_at))
        .join(CodebookVersion, CodebookVersion.id == Coding.version_id)
        .where(of_consultation)).one()
    versions = db.session.execute(
        sa.select(sa.func.count(CodebookVersion.id), sa.func.max(CodebookVersion.updated_at))
        .where(of_consultation)).one()
    signed = db.session.scalar(sa.select(sa.func.count(SignOff.id)).join(
        CodebookVersion, CodebookVersion.id == SignOff.version_id).where(of_consultation))
    runs = db.session.scalar(sa.select(sa.func.max(ModelRun.at)).join(
        CodebookVersion, CodebookVersion.id == ModelRun.version_id).where(of_consultation))
    return repr((tuple(codings), tuple(versions), signed, runs))
