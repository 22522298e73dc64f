"""What the coding workbench does with its tables.

- Which comments are coded: those of counted (valid) responses that are not hidden, with text.
- Codebook versions: started empty or from the themes ``analysis.cluster`` suggests, edited
  (add, rename, describe, add an example, merge, split); every change is checked by
  ``analysis.coding.Codebook`` and audited.
- The model's suggestions: ``analysis.coding.ThemeCoder`` trained on people's codes so far
  (settled codes where a disagreement was settled, else the first coder's); no suggestion until
  ``MIN_CODED`` comments are coded with at least two different codes.
- "Code next": the uncoded comment the model learns most from, by uncertainty sampling
  (``ThemeCoder.suggest_next``: the comment whose decision on some code is nearest its
  threshold); in comment order while there is no model.
- The double-coded sample, agreement figures (``analysis.coding.agreement_report``), the
  disagreements, settling them and the lead analyst's sign-off.
"""
from __future__ import annotations

import math
import random
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from analysis.coding import Codebook, CodebookError, ThemeCoder, agreement_report

from .. import audit
from ..exports import columns
from ..extensions import db
from ..models import Consultation, Response, StaffUser
from .models import CodebookVersion, Coding, DoubleCodingAssignment, SignOff

# The model suggests codes once this many comments are coded, with at least two codes in use.
MIN_CODED = 10
# Bootstrap resamples of the samples-F1 interval (percentile bootstrap over comments).
N_BOOT = 1000
# Suggested themes for more comments than this are found by a job worker (consult/jobs.py,
# kind "themes"): clustering 5,000 comments takes several seconds, far more takes minutes.
THEMES_IN_REQUEST = 2000
MAX_NAME = 60
MAX_TEXT = 1000


class WorkbenchError(ValueError):
    """Something the workbench cannot do, in words for the analyst."""


# --------------------------------------------------------------------------- comments

def comment_columns(consultation: Consultation) -> list[Any]:
    """The free-text columns of the consultation (comments on a theme and other free text)."""
    return [c for c in columns(consultation) if c.question_type == "free_text"]


def column_or_error(consultation: Consultation, column: str) -> Any:
    for c in comment_columns(consultation):
        if c.column == column:
            return c
    raise WorkbenchError(f"{consultation.title} has no comment question '{column}'.")


@dataclass(frozen=True)
class Comment:
    """A comment as coded: ``text`` is what people and the model code — the staff translation
    where the comment has one (a comment in another language is coded once translated), else
    what the resident wrote; ``original`` is always what the resident wrote, and ``language``
    the language it was written in when a translation stands in for it (else "")."""

    response_id: int
    reference: str
    text: str
    original: str = ""
    language: str = ""

    def __post_init__(self) -> None:
        if not self.original:
            object.__setattr__(self, "original", self.text)

    @property
    def translated(self) -> bool:
        return self.text != self.original

    @property
    def language_name(self) -> str:
        from ..codes import language_label

        return language_label(self.language) if self.language else ""


def comments(consultation: Consultation, column: str) -> list[Comment]:
    """The comments coded for ``column``: counted responses only, hidden comments left out,
    each in its staff translation where it has one."""
    from ..models import CommentTranslation

    rows = db.session.execute(
        sa.select(Response.id, Response.reference, Response.answers, Response.hidden_comments,
                  CommentTranslation.text, CommentTranslation.source_language)
        .outerjoin(CommentTranslation, sa.and_(CommentTranslation.response_id == Response.id,
                                               CommentTranslation.column == column))
        .where(Response.consultation_id == consultation.id, Response.status == "valid")
        .order_by(Response.id)).all()
    out = []
    for rid, reference, answers, hidden, translation, language in rows:
        text = (answers or {}).get(column)
        if isinstance(text, str) and text.strip() and column not in (hidden or []):
            if isinstance(translation, str) and translation.strip():
                out.append(Comment(rid, reference, translation, text, language or ""))
            else:
                out.append(Comment(rid, reference, text))
    return out


# --------------------------------------------------------------------------- codebooks

def checked_codes(codes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The codes as ``Codebook`` reads them, or WorkbenchError with its message."""
    if not codes:
        return []
    for code in codes:
        if len(code.get("name", "")) > MAX_NAME:
            raise WorkbenchError(f"Keep a code name under {MAX_NAME} characters.")
    try:
        book = Codebook.from_dict({"codes": codes}, source="The codebook")
    except CodebookError as error:
        raise WorkbenchError(str(error)) from None
    return [{"name": c.name, "description": c.description, "examples": list(c.examples)}
            for c in book.codes]


def codebook_of(version: CodebookVersion) -> Codebook | None:
    return Codebook.from_dict({"codes": version.codes}) if version.codes else None


def suggested_codes(texts: list[str]) -> list[dict[str, Any]]:
    """A starting codebook from the themes the clusterer finds in ``texts``."""
    from analysis.cluster import CommentClusterer

    if len(texts) < 20:
        raise WorkbenchError(f"There are {len(texts)} comments; themes are suggested from 20 "
                             "or more. Start an empty codebook instead.")
    try:
        model = CommentClusterer(random_state=0).fit(texts)
        book = model.to_codebook(texts)
    except ValueError as error:   # e.g. comments too alike to fall into groups
        raise WorkbenchError(f"No themes could be suggested from these comments ({error}). "
                             "Start an empty codebook instead.") from None
    return checked_codes([{"name": c.name, "description": c.description,
                           "examples": list(c.examples)} for c in book.codes])


def start_version(consultation: Consultation, column: str, start: str,
                  user: StaffUser | None) -> CodebookVersion:
    """A new codebook version for ``column``: ``start`` is "empty", "themes" or "copy:N"."""
    column_or_error(consultation, column)
    existing = db.session.scalars(sa.select(CodebookVersion).where(
        CodebookVersion.consultation_id == consultation.id,
        CodebookVersion.column == column)).all()
    if start == "empty":
        codes: list[dict[str, Any]] = []
    elif start == "themes":
        codes = suggested_codes([c.text for c in comments(consultation, column)])
    elif start.startswith("copy:"):
        source = next((v for v in existing if str(v.number) == start[5:]), None)
        if source is None:
            raise WorkbenchError("There is no such version to copy.")
        codes = [dict(c) for c in source.codes]
    else:
        raise WorkbenchError("Choose how to start the codebook: empty, from the suggested "
                             "themes, or a copy of a version.")
    version = CodebookVersion(consultation_id=consultation.id, column=column,
                              number=max((v.number for v in existing), default=0) + 1,
                              codes=codes, started_from=start,
                              created_by_id=user.id if user is not None else None)
    db.session.add(version)
    db.session.flush()
    audit.record("coding.version_start", target=f"{consultation.slug} {column} {version.label}",
                 rows=len(codes), user=user, started_from=start)
    return version


def themes_need_a_job(consultation: Consultation, column: str) -> bool:
    return len(comments(consultation, column)) > THEMES_IN_REQUEST


def run_themes_job(job: Any, beat: Any) -> None:
    """The job (kind "themes") that starts a codebook version from the suggested themes of a
    question with many comments; the version is stored with the finished job."""
    from ..jobs import JobFailed

    consultation = db.session.get(Consultation, job.consultation_id)
    column = str(job.params.get("column", ""))
    beat.set_step("Finding the themes in the comments")
    try:
        version = start_version(consultation, column, "themes", job.requested_by)
    except WorkbenchError as error:
        raise JobFailed(str(error).rstrip(".")) from None
    beat.rows = len(comments(consultation, column))
    beat.result = {"version": version.id, "column": column, "codes": len(version.codes)}


def _not_signed_off(version: CodebookVersion) -> None:
    if version.sign_off is not None:
        raise WorkbenchError(f"The codebook {version.label} is signed off and no longer "
                             "changes: start a new version (a copy) to change it.")


def _recode(version: CodebookVersion, mapping: dict[str, str]) -> int:
    """Replace code names in every coding of the version; returns the codings changed."""
    changed = 0
    for coding in db.session.scalars(sa.select(Coding).where(Coding.version_id == version.id)):
        new = list(dict.fromkeys(mapping.get(c, c) for c in coding.codes))
        if new != coding.codes:
            coding.codes = new
            changed += 1
    return changed


def _clean(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > limit:
        raise WorkbenchError(f"Keep the {what} under {limit} characters.")
    return text


def edit_codebook(version: CodebookVersion, action: str, form: Any) -> str:
    """Change the codebook as ``action`` says (fields from ``form``); returns what was done."""
    _not_signed_off(version)
    codes = [dict(c, examples=list(c.get("examples", []))) for c in version.codes]
    names = [c["name"] for c in codes]
    name = _clean(form.get("name"), "code name", MAX_NAME)

    def find(n: str) -> dict[str, Any]:
        if n not in names:
            raise WorkbenchError(f"There is no code '{n}' in this codebook." if n
                                 else "Choose a code.")
        return codes[names.index(n)]

    recoded = 0
    details: dict[str, Any] = {"code": name}
    if action == "add":
        if not name:
            raise WorkbenchError("Give the new code a name.")
        codes.append({"name": name, "description": _clean(form.get("description"), "description"),
                      "examples": []})
        done = f"Added the code {name}."
    elif action == "rename":
        new = _clean(form.get("new_name"), "new name", MAX_NAME)
        if not new:
            raise WorkbenchError("Give the new name.")
        find(name)["name"] = new
        details["new_name"] = new
        checked_codes(codes)
        recoded = _recode(version, {name: new})
        done = f"Renamed {name} to {new}."
    elif action == "describe":
        find(name)["description"] = _clean(form.get("description"), "description")
        done = f"Described {name}."
    elif action == "example":
        example = _clean(form.get("example"), "example")
        if not example:
            raise WorkbenchError("Write the example phrase.")
        find(name)["examples"].append(example)
        done = f"Added an example to {name}."
    elif action == "merge":
        into = _clean(form.get("into"), "code name", MAX_NAME)
        if into == name:
            raise WorkbenchError("Choose two different codes to merge.")
        keep, gone = find(into), find(name)
        keep["examples"] += [e for e in gone["examples"] if e not in keep["examples"]]
        if gone["description"] and gone["description"] not in keep["description"]:
            keep["description"] = " ".join(filter(None, [keep["description"],
                                                         gone["description"]]))
        codes.remove(gone)
        details["into"] = into
        recoded = _recode(version, {name: into}) if codes else 0
        done = f"Merged {name} into {into}."
    elif action == "split":
        new = _clean(form.get("new_name"), "new name", MAX_NAME)
        if not new:
            raise WorkbenchError("Give the name of the code split off.")
        find(name)
        codes.insert(names.index(name) + 1, {
            "name": new, "description": _clean(form.get("description"), "description"),
            "examples": []})
        details["new_name"] = new
        done = (f"Split {new} off {name}: the comments coded {name} are listed below to "
                "recode those that belong to it.")
    else:
        raise WorkbenchError("Choose what to change in the codebook.")
    version.codes = checked_codes(codes)
    audit.record(f"coding.codebook_{action}", target=_target(version), rows=recoded, **details)
    return done


def _target(version: CodebookVersion) -> str:
    consultation = db.session.get(Consultation, version.consultation_id)
    return f"{consultation.slug} {version.column} {version.label}"


# --------------------------------------------------------------------------- codings

def codings(version: CodebookVersion, kind: str) -> dict[int, Coding]:
    return {c.response_id: c for c in db.session.scalars(sa.select(Coding).where(
        Coding.version_id == version.id, Coding.kind == kind))}


def people_codes(version: CodebookVersion) -> dict[int, list[str]]:
    """Each coded comment's codes: settled ones where a disagreement was settled, else the
    first coder's."""
    out = {rid: c.codes for rid, c in codings(version, "first").items()}
    out.update({rid: c.codes for rid, c in codings(version, "settled").items()})
    return out


# The last few models trained, by what they were trained on: showing a comment and saving its
# codes use the same model without training it twice. Each holds its TF-IDF vocabularies, so
# only a few are kept per process.
def code_counts(version: CodebookVersion, pool: list[Comment]) -> dict[str, dict[str, int]]:
    """Per code: the comments coded with it (people's codes) and how many of those are marked
    quotable examples."""
    ids = {c.response_id for c in pool}
    quotable = {rid for kind in ("first", "settled")
                for rid, c in codings(version, kind).items() if c.is_quotable}
    out = {name: {"coded": 0, "quotable": 0} for name in version.names}
    for rid, codes in people_codes(version).items():
        for code in codes:
            if rid in ids and code in out:
                out[code]["coded"] += 1
                out[code]["quotable"] += rid in quotable
    return out


_MODELS: OrderedDict[tuple, ThemeCoder] = OrderedDict()
_MODELS_KEPT = 4


def train(version: CodebookVersion, by_id: dict[int, Comment],
          leave_out: set[int] = frozenset(), backend: str = "tfidf") -> ThemeCoder | None:
    """The model trained on people's codes so far (``leave_out``: comments not learnt from),
    or None while there are fewer than ``MIN_CODED`` coded comments or fewer than two codes.

    The workbench's suggestions, made while the analyst waits, use TF-IDF (``backend``); the
    job that codes the rest asks for "auto", the best backend installed."""
    book = codebook_of(version)
    coded = {rid: codes for rid, codes in people_codes(version).items()
             if rid in by_id and rid not in leave_out}
    used = {c for codes in coded.values() for c in codes}
    if book is None or len(coded) < MIN_CODED or len(used) < 2:
        return None
    key = (version.id, backend, repr(version.codes),
           tuple(sorted((k, tuple(v)) for k, v in coded.items())))
    if key in _MODELS:
        _MODELS.move_to_end(key)
        return _MODELS[key]
    ids = sorted(coded)
    _MODELS[key] = ThemeCoder(codebook=book, backend=backend).fit(
        [by_id[i].text for i in ids], [coded[i] for i in ids])
    while len(_MODELS) > _MODELS_KEPT:
        _MODELS.popitem(last=False)
    return _MODELS[key]


def suggestion(model: ThemeCoder | None, text: str) -> list[dict[str, Any]]:
    """Every code with the model's probability, the suggested ones (``suggested``) first."""
    if model is None:
        return []
    proba = model.predict_proba([text])
    suggested = set(model.predict_from_proba(proba)[0])
    rows = [{"code": name, "confidence": round(float(proba.at[0, name]), 3),
             "suggested": name in suggested} for name in model.codes_]
    return sorted(rows, key=lambda r: (not r["suggested"], -r["confidence"]))


def next_comment(version: CodebookVersion, pool: list[Comment], user: StaffUser,
                 kind: str, skipped: set[int] | frozenset[int] = frozenset()) -> Comment | None:
    """The next comment to code: for a second coder the next of their sample; otherwise the
    uncoded comment the model learns most from (uncertainty sampling), in order without one.

    Comments the analyst skipped (``skipped``, response ids) come after every other one: once
    only skipped comments are left, they are offered again."""
    by_id = {c.response_id: c for c in pool}
    if kind == "second":
        done = set(codings(version, "second"))
        mine = [by_id[a.response_id] for a in db.session.scalars(
            sa.select(DoubleCodingAssignment).where(
                DoubleCodingAssignment.version_id == version.id,
                DoubleCodingAssignment.coder_id == user.id).order_by(DoubleCodingAssignment.id))
            if a.response_id not in done and a.response_id in by_id]
        mine = [c for c in mine if c.response_id not in skipped] or mine
        return mine[0] if mine else None
    coded = set(codings(version, "first"))
    left = [c for c in pool if c.response_id not in coded]
    left = [c for c in left if c.response_id not in skipped] or left
    if not left:
        return None
    model = train(version, by_id)
    if model is None:
        return left[0]
    return left[model.suggest_next([c.text for c in left], n=1)[0]]


def coding_kind(version: CodebookVersion, response_id: int, user: StaffUser) -> str:
    """"second" when the comment is in ``user``'s part of the double-coded sample."""
    assigned = db.session.scalar(sa.select(DoubleCodingAssignment).where(
        DoubleCodingAssignment.version_id == version.id,
        DoubleCodingAssignment.response_id == response_id))
    return "second" if assigned is not None and assigned.coder_id == user.id else "first"


def save_coding(version: CodebookVersion, comment: Comment, kind: str, user: StaffUser,
                codes: list[str], quotable: bool, suggested: list[dict[str, Any]]) -> Coding:
    _not_signed_off(version)
    unknown = [c for c in codes if c not in version.names]
    if unknown:
        raise WorkbenchError(f"Not a code of this codebook: {', '.join(unknown)}.")
    if not codes:
        raise WorkbenchError("Choose at least one code for the comment.")
    coding = codings(version, kind).get(comment.response_id)
    before = coding.codes if coding is not None else None
    if coding is None:
        coding = Coding(version_id=version.id, response_id=comment.response_id, kind=kind)
        db.session.add(coding)
    picked = [s for s in suggested if s.get("suggested")]
    coding.coder_id = user.id
    coding.codes = [c for c in version.names if c in codes]
    coding.is_quotable = quotable
    coding.suggested = [{"code": s["code"], "confidence": s["confidence"]} for s in picked]
    coding.suggestion_confidence = min((s["confidence"] for s in picked), default=None)
    audit.record(f"coding.{kind}", target=comment.reference, rows=1, version=_target(version),
                 codes=coding.codes, before=before, quotable=quotable,
                 accepted=bool(picked) and {s["code"] for s in picked} == set(coding.codes))
    return coding


# --------------------------------------------------------------------------- two coders

def draw_sample(version: CodebookVersion, coder: StaffUser, size: int,
                by: StaffUser) -> int:
    """Assign ``size`` comments first-coded by someone else to ``coder``, drawn at random
    (seeded by the version, so the draw can be repeated), to code blind."""
    _not_signed_off(version)
    if size < 1 or size > 1000:
        raise WorkbenchError("Give a sample size between 1 and 1,000.")
    taken = set(db.session.scalars(sa.select(DoubleCodingAssignment.response_id).where(
        DoubleCodingAssignment.version_id == version.id)))
    candidates = sorted(rid for rid, c in codings(version, "first").items()
                        if c.coder_id != coder.id and rid not in taken)
    if not candidates:
        raise WorkbenchError(f"No comment coded by someone other than {coder.email} is left "
                             "to double-code.")
    chosen = random.Random(f"{version.id}:{len(taken)}").sample(candidates,
                                                                min(size, len(candidates)))
    for rid in sorted(chosen):
        db.session.add(DoubleCodingAssignment(version_id=version.id, response_id=rid,
                                              coder_id=coder.id, assigned_by_id=by.id))
    audit.record("coding.sample", target=_target(version), rows=len(chosen),
                 second_coder=coder.email)
    return len(chosen)


def has_open_sample(version: CodebookVersion, user: StaffUser) -> bool:
    """Whether ``user`` still has comments of the sample to code (they are then kept blind)."""
    done = set(codings(version, "second"))
    return any(rid not in done for rid in db.session.scalars(
        sa.select(DoubleCodingAssignment.response_id).where(
            DoubleCodingAssignment.version_id == version.id,
            DoubleCodingAssignment.coder_id == user.id)))


def _number(value: Any) -> float | None:
    """A figure, or None where it is undefined (NaN: a code neither coder varied on)."""
    value = float(value)
    return None if math.isnan(value) else value


def _figures(report: dict[str, Any]) -> dict[str, Any]:
    table = report["per_code"]
    return {"samples_f1": report["samples_f1"], "samples_f1_low": report["samples_f1_low"],
            "samples_f1_high": report["samples_f1_high"], "alpha": _number(report["alpha"]),
            "per_code": [{"code": code, "kappa": _number(row.kappa), "alpha": _number(row.alpha),
                          "f1": float(row.f1), "coder_a": int(row.coder_a),
                          "coder_b": int(row.coder_b)}
                         for code, row in table.iterrows()]}


def agreement(version: CodebookVersion, pool: list[Comment],
              backend: str = "tfidf") -> dict[str, Any] | None:
    """Agreement on the double-coded sample: first coder and second coder, and each with the
    model. The model's codes for the sample come from a model trained without the sample's
    comments (people's codes elsewhere), so it is judged on comments it did not learn from.
    ``backend`` is the model's (see :func:`train`); ``model_backend`` in the result says which
    ran."""
    by_id = {c.response_id: c for c in pool}
    first, second = codings(version, "first"), codings(version, "second")
    ids = sorted(rid for rid in second if rid in first and rid in by_id)
    if not ids or not version.names:
        return None
    a = [first[i].codes for i in ids]
    b = [second[i].codes for i in ids]
    out: dict[str, Any] = {"n": len(ids), "names": version.names,
                           "people": _figures(agreement_report(a, b, version.names, N_BOOT))}
    model = train(version, by_id, leave_out=set(ids), backend=backend)
    if model is not None:
        out["model_backend"] = model.backend_
        predicted = model.predict([by_id[i].text for i in ids])
        out["first_model"] = _figures(agreement_report(a, predicted, version.names, N_BOOT))
        out["second_model"] = _figures(agreement_report(b, predicted, version.names, N_BOOT))
        # People's codes as they stand: settled where the two coders disagreed and it was
        # settled, else the first coder's. This is what the model's quality is quoted against.
        settled = people_codes(version)
        out["settled_model"] = _figures(agreement_report([settled[i] for i in ids], predicted,
                                                         version.names, N_BOOT))
        out["n_settled"] = sum(1 for i in ids if i in codings(version, "settled"))
    return out


def disagreements(version: CodebookVersion, pool: list[Comment]) -> list[dict[str, Any]]:
    by_id = {c.response_id: c for c in pool}
    first, second = codings(version, "first"), codings(version, "second")
    settled = codings(version, "settled")
    out = []
    for rid in sorted(second):
        if rid in first and rid in by_id and set(first[rid].codes) != set(second[rid].codes):
            out.append({"comment": by_id[rid], "first": first[rid], "second": second[rid],
                        "settled": settled.get(rid)})
    return out


def settle(version: CodebookVersion, comment: Comment, codes: list[str],
           user: StaffUser) -> Coding:
    first = codings(version, "first").get(comment.response_id)
    second = codings(version, "second").get(comment.response_id)
    if first is None or second is None:
        raise WorkbenchError("Only a comment both coders have coded can be settled.")
    return save_coding(version, comment, "settled", user, codes,
                       first.is_quotable or second.is_quotable, [])


def sign_off(version: CodebookVersion, pool: list[Comment], user: StaffUser,
             note: str) -> SignOff:
    _not_signed_off(version)
    if not version.names:
        raise WorkbenchError("An empty codebook cannot be signed off.")
    open_ones = [d for d in disagreements(version, pool) if d["settled"] is None]
    if open_ones:
        raise WorkbenchError(
            "Settle the disagreement between the two coders before signing off."
            if len(open_ones) == 1 else
            f"Settle the {len(open_ones)} disagreements between the two coders before signing "
            "off.")
    figures = agreement(version, pool) or {}
    coded = people_codes(version)
    figures = {"comments": len(pool), "coded": sum(1 for c in pool if c.response_id in coded),
               "double_coded": figures.get("n", 0),
               "samples_f1": figures.get("people", {}).get("samples_f1"),
               "alpha": figures.get("people", {}).get("alpha")}
    record = SignOff(version_id=version.id, user_id=user.id, note=_clean(note, "note"),
                     figures=figures)
    db.session.add(record)
    audit.record("coding.sign_off", target=_target(version), rows=figures["coded"], **figures)
    return record


def progress(consultation: Consultation) -> list[dict[str, Any]]:
    """Per comment question: comments to code and, per codebook version, how many are coded
    (by people), double-coded, coded by the model and whether it is signed off."""
    versions = db.session.scalars(sa.select(CodebookVersion).where(
        CodebookVersion.consultation_id == consultation.id).order_by(
        CodebookVersion.column, CodebookVersion.number)).all()
    out = []
    for column in comment_columns(consultation):
        pool = comments(consultation, column.column)
        ids = {c.response_id for c in pool}
        rows = []
        for v in (v for v in versions if v.column == column.column):
            coded = people_codes(v)
            rows.append({"version": v, "coded": len(ids & set(coded)),
                         "double_coded": len(ids & set(codings(v, "second"))),
                         "model_coded": len(ids & set(codings(v, "model")))})
        out.append({"column": column, "comments": len(pool), "versions": rows})
    return out
