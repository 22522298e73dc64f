"""The evidence report's coded comments: for each comment question the export carries codes for
(format 4, ``codes__COLUMN``), how many comments have each code, with a 95% Wilson interval,
people's codes where people coded a comment and the model's elsewhere, said which; how well the
model agreed with people on the double-coded sample; and quotes for each code.

- Counted: the comments that may be quoted (counted responses, not hidden) with codes. A
  comment may have several codes, so the shares do not add up to 100%.
- Share of a code: comments with the code over coded comments; interval
  :func:`analysis.tally.wilson_interval` (the report's one interval for a share).
- By view: for a comment question about a theme, the same counts split by what each commenter
  said of that theme on its support question (supporting it, neither, opposing it, no view or
  not answered), each share of that group's coded comments with its own Wilson interval, so
  what supporters and opposers asked for can be told apart.
- Agreement: from the JSON export's ``consultation.coding`` (the model's run as stored when it
  coded the question: a model trained without the double-coded sample, against people's
  settled codes on that sample). A CSV or XLSX export says it in the data dictionary only, so a report
  from one says the figure is not in the export rather than guess it.
- Quotes for a code: comments people marked quotable with that code where any exist, else
  comments people coded with it, else (said so) comments the model coded with it; in
  reference order, redacted, ``QUOTES_PER_CODE`` at most.
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from .load import ConsultationData
from .tally import wilson_interval

QUOTES_PER_CODE = 2


def _pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.0f}%"


def _codebook(data: ConsultationData, column: str) -> list[tuple[str, str]]:
    """The codes of ``column`` in the codebook's order, with descriptions: from the JSON
    header, else from the dictionary's codes of ``codes__COLUMN``."""
    for entry in data.consultation.get("coding") or []:
        if entry.get("column") == column and entry.get("codes"):
            return [(c["name"], c.get("description") or "") for c in entry["codes"]]
    from .load import _codes_of

    return list(_codes_of(data.dictionary, f"codes__{column}").items())


def agreement_text(data: ConsultationData, column: str) -> str:
    entry = next((e for e in data.consultation.get("coding") or [] if e.get("column") == column),
                 None)
    if entry is None:
        return ("How well the model agreed with people is not in this export (a JSON export "
                "carries it; a CSV or XLSX export has it in the data dictionary).")
    words = []
    people = entry.get("people_agreement") or {}
    if entry.get("signed_off"):
        words.append(f"Codebook version {entry.get('version')} and people's coding were "
                     "signed off by a lead analyst.")
    if people.get("samples_f1") is not None:
        words.append(f"Two people coded {people.get('double_coded')} comments independently "
                     f"and agreed with samples-F1 {people['samples_f1']:.2f}.")
    model = entry.get("model")
    if model is None:
        words.append("The model has not coded this question: every code below is people's.")
        return " ".join(words)
    words.append(f"The model ({model.get('backend')}) learnt from {model.get('trained_on')} "
                 f"comments people coded and coded the other {model.get('coded')}.")
    found = model.get("agreement") or {}
    if found.get("samples_f1") is None:
        words.append("No sample was double-coded, so how well the model agrees with people is "
                     "not known.")
    else:
        words.append(
            f"On the {found['double_coded']} double-coded comments, a model trained without them "
            f"agreed with the {found.get('compared_with', 'first coder')} with samples-F1 "
            f"{found['samples_f1']:.2f} (95% interval {found['samples_f1_low']:.2f} to "
            f"{found['samples_f1_high']:.2f}; 1 is full agreement).")
    return " ".join(words)


def code_table(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Per code: ``n`` comments with it, ``n_people``, ``n_model``, ``share`` of the coded
    comments and its Wilson ``low`` and ``high``."""
    codes = frame["codes"].str.split(";")
    n_coded = len(frame)
    rows = []
    for name in names:
        has = codes.apply(lambda c, name=name: name in c)
        rows.append({"code": name, "n": int(has.sum()),
                     "n_people": int((has & (frame["codes_source"] == "people")).sum()),
                     "n_model": int((has & (frame["codes_source"] == "model")).sum())})
    table = pd.DataFrame(rows, columns=["code", "n", "n_people", "n_model"])
    table["share"] = table["n"] / n_coded if n_coded else float("nan")
    low, high = wilson_interval(table["n"].to_numpy(), n_coded)
    table["low"], table["high"] = low, high
    return table


#: The groups of "by view", in the order shown, and how the report names them.
SIDES = (("supporting", "Support the theme"), ("neither", "Neither"),
         ("opposing", "Oppose the theme"), ("no_view", "No view or not answered"))


def sides_of(data: ConsultationData, frame: pd.DataFrame, theme: str) -> pd.Series:
    """Each comment's group (a key of ``SIDES``) by its writer's answer on ``theme``'s support
    question; "no_view" for no view, an unanswered question or no such answer."""
    scale = data.scale
    side = {**{c: "supporting" for c in scale.supporting}, **{c: "opposing" for c in scale.opposing},
            **{c: "neither" for c in scale.neutral}}
    support = data.support[data.support["theme"] == theme]
    level = dict(zip(support["reference"], support["level"].astype(str)))
    return frame["reference"].map(lambda r: side.get(level.get(r, ""), "no_view"))


def by_view(data: ConsultationData, frame: pd.DataFrame, theme: str,
            names: list[str]) -> list[dict[str, Any]]:
    """The code table of each group of ``SIDES`` (groups with no coded comment left out)."""
    groups = sides_of(data, frame, theme)
    out = []
    for key, label in SIDES:
        part = frame[(groups == key).to_numpy()]
        if not len(part):
            continue
        table = code_table(part, names)
        out.append({"side": key, "label": label, "n_coded": f"{len(part):,}",
                    "codes": [{"name": r.code, "n": f"{r.n:,}", "share": _pct(r.share),
                               "interval": f"{_pct(r.low)} to {_pct(r.high)}"}
                              for r in table.itertuples()]})
    return out


def quotes_for(frame: pd.DataFrame, code: str,
               redact: Callable[[str], str]) -> list[dict[str, Any]]:
    has = frame[frame["codes"].str.split(";").apply(lambda c: code in c)].sort_values(
        "reference", kind="stable")
    people = has[has["codes_source"] == "people"]
    for chosen, kind in ((people[people["quotable"]], "marked quotable by people"),
                         (people, "coded by people"),
                         (has[has["codes_source"] == "model"], "coded by the model")):
        if len(chosen):
            return [{"text": redact(r.text), "reference": r.reference, "source": kind}
                    for r in chosen.head(QUOTES_PER_CODE).itertuples()]
    return []


def coded_sections(data: ConsultationData, redact: Callable[[str], str] | None
                   ) -> list[dict[str, Any]]:
    """One section per coded comment question, in the order of the questions."""
    out = []
    comments = data.quotable_comments()
    if "codes" not in comments.columns:
        return out
    for question in data.free_text_questions:
        frame = comments[(comments["question"] == question.column) & (comments["codes"] != "")]
        if not len(frame):
            continue
        book = _codebook(data, question.column)
        names = [n for n, _ in book]
        names += sorted({c for cs in frame["codes"].str.split(";") for c in cs} - set(names))
        described = dict(book)
        table = code_table(frame, names)
        n_people = int((frame["codes_source"] == "people").sum())
        out.append({
            "column": question.column, "title": question.theme_title or question.label,
            "question": question.label, "n_coded": f"{len(frame):,}",
            "n_people": f"{n_people:,}", "n_model": f"{len(frame) - n_people:,}",
            "agreement": agreement_text(data, question.column),
            "by_view": (by_view(data, frame, question.theme, names)
                        if question.theme and question.theme in data.themes else []),
            "codes": [{"name": r.code, "description": described.get(r.code, ""),
                       "n": f"{r.n:,}", "n_people": f"{r.n_people:,}", "n_model": f"{r.n_model:,}",
                       "share": _pct(r.share), "interval": f"{_pct(r.low)} to {_pct(r.high)}",
                       "quotes": [] if redact is None else quotes_for(frame, r.code, redact)}
                      for r in table.itertuples()],
        })
    return out
