"""The evidence report: ``python -m analysis report --source SOURCE --out DIR``.

Writes ``DIR/report.html`` (one self-contained, printable file: charts embedded, print styles),
``DIR/report.md`` and ``DIR/charts/*.png|svg``. Every figure comes from :mod:`analysis.tally`
(and :mod:`analysis.weighting` when ``--weights`` is given); quotes are the most representative
comments of each theme, redacted with :func:`analysis.text.redact_pii`, never from comments a
moderator hid or from responses that are not counted. Seeds are fixed and outputs sorted, so the
same source gives the same files.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from analysis import charts, tally, wording
from analysis import languages as comment_languages
from analysis.load import ConsultationData, LoadError, Scale, load

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "report"
FIELD_LABELS = {"respondent_type": "type of respondent", "district": "district", "channel": "channel",
                "age_band": "age", "sex": "sex", "gender_identity": "gender identity",
                "ethnicity": "ethnic group", "disability": "disability", "religion": "religion"}
QUOTES_PER_STANCE = {"support": 2, "oppose": 2, "neither": 1}
STANCE_TITLE = {"support": "from people who support it", "oppose": "from people who oppose it",
                "neither": "from people who neither support nor oppose it, or don't know"}
SEED = 2021


def scale_words(data: ConsultationData) -> dict[str, str]:
    """The scale's levels in words for the methods note, from the export's labels: ``view``
    (the levels that give a view), ``supporting``, ``opposing`` (joined by "plus"),
    ``no_view_quoted`` (``"Don't know" and `` or empty), ``no_view_said`` and ``no_view_told``
    (the levels with no number, for the support section's sentences)."""
    scale = data.scale

    def words(codes: list[str], joiner: str) -> str:
        labels = [data.level_label(c).lower() for c in codes]
        if not labels:
            return "none of the levels"
        return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])}{joiner}{labels[-1]}"

    no_view = " and ".join(f'"{data.level_label(c)}"' for c in scale.no_view)
    answered = " or ".join(f'"{data.level_label(c)}"' for c in scale.no_view)
    return {"view": words(scale.view_codes, " or "), "supporting": words(scale.supporting, " plus "),
            "opposing": words(scale.opposing, " plus "), "no_view_quoted": f"{no_view} and " if no_view else "",
            # "people who said "Don't know" or did not answer"; "12 people answered "Don't know""
            "no_view_said": f"said {answered} or " if answered else "",
            "no_view_told": f"answered {answered}" if answered else "gave no view"}


def stance_of(scale: Scale) -> dict[str, str]:
    """``{level: stance}``: a level with a positive number is ``support``, a negative one
    ``oppose``; 0, no number (don't know) and not answered are ``neither``."""
    out = {code: "support" for code in scale.supporting}
    out.update({code: "oppose" for code in scale.opposing})
    return {code: out.get(code, "neither") for code in scale.codes}


def pct(x: Any, digits: int = 0) -> str:
    return "–" if x is None or pd.isna(x) else f"{100 * x:.{digits}f}%"


def interval(low: Any, high: Any) -> str:
    return "–" if pd.isna(low) or pd.isna(high) else f"{100 * low:.0f}–{100 * high:.0f}%"


def count(x: Any) -> str:
    return "–" if pd.isna(x) else f"{int(round(x)):,}"


def p_value(p: Any) -> str:
    if pd.isna(p):
        return "not tested"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


# ---------------------------------------------------------------------------------------------
# quotes


@dataclass
class Quote:
    text: str
    reference: str
    level: str
    stance: str
    group_size: int


def _redactor():
    try:
        from analysis.text import redact_pii
    except ImportError:  # never quote unredacted text
        return None
    return redact_pii


def representative_comments(data: ConsultationData, question: str, per_stance: dict[str, int] | None = None,
                            min_words: int = 6, max_words: int = 90,
                            shown: list[str] | tuple[str, ...] = ()) -> tuple[list[Quote], int]:
    """The most representative comments of one free-text question, and how many there were.

    ``question``: a theme's key or a free-text question's column (see
    :meth:`ConsultationData.free_text_question`). Comments are those a reader may see
    (:meth:`ConsultationData.quotable_comments`). For a theme's comments, they are grouped by the
    commenter's view of the theme (support, oppose, neither / don't know; ``per_stance`` quotes
    each, default :data:`QUOTES_PER_STANCE`); other questions' answers form one group
    (``{"all": 4}``). Within a group the comments closest (cosine similarity of TF-IDF vectors)
    to the group's centroid come first, ties broken on the reference, so the choice is
    reproducible. No quote shares more than half its words with another quote or with a text of
    ``shown`` (:func:`analysis.text.too_similar`), so near copies never appear together.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from analysis.text import too_similar, word_set

    chosen = data.free_text_question(question)
    part = data.quotable_comments(chosen.column)
    if part.empty:
        return [], 0
    if chosen.theme:
        per_stance = QUOTES_PER_STANCE if per_stance is None else per_stance
        levels = data.support[data.support["theme"] == chosen.theme].set_index("row")["level"]
        part = part.assign(level=levels.reindex(part["row"]).astype(str).to_numpy())
        part = part.assign(stance=part["level"].map(stance_of(data.scale)).fillna("neither"))
    else:
        per_stance = {"all": 4} if per_stance is None else per_stance
        part = part.assign(level="", stance=next(iter(per_stance), "all"))
    part = part.sort_values("reference", kind="stable").reset_index(drop=True)
    words = part["text"].str.split().str.len()
    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=1)
    try:
        matrix = vectorizer.fit_transform(part["text"])
    except ValueError:  # only stop words
        return [], len(part)
    quotes: list[Quote] = []
    taken = [word_set(t) for t in shown]
    for stance, how_many in per_stance.items():
        idx = np.flatnonzero((part["stance"] == stance).to_numpy())
        if len(idx) == 0:
            continue
        centroid = np.asarray(matrix[idx].mean(axis=0)).ravel()
        norm = np.linalg.norm(centroid)
        scores = (matrix[idx] @ centroid) / (norm if norm else 1)
        eligible = ((words.iloc[idx] >= min_words) & (words.iloc[idx] <= max_words)).to_numpy()
        order = sorted(range(len(idx)), key=lambda i: (not eligible[i], -round(float(scores[i]), 12),
                                                        part["reference"].iloc[idx[i]]))
        got = 0
        for i in order:
            if got >= how_many:
                break
            row = part.iloc[idx[i]]
            text_words = word_set(row["text"])
            if any(too_similar(text_words, other) for other in taken):
                continue
            taken.append(text_words)
            got += 1
            quotes.append(Quote(text=row["text"], reference=row["reference"], level=row["level"],
                                stance=stance, group_size=len(idx)))
    return quotes, len(part)


def comment_groups(data: ConsultationData, question: str, max_groups: int = 5) -> list[dict[str, Any]]:
    """The main points raised in answer to one free-text question (a theme's key or a
    question's column): groups of similar comments a reader may see, largest first, each with
    ``size``, ``share`` (of the question's comments), ``terms`` (the words that mark the group),
    ``label`` (a readable name: a phrase from the group's typical comments, :func:`analysis.cluster.theme_labels`) and its most
    typical comment (redacted) with its ``reference``. No two typical comments share more than
    half their words. Uses :class:`analysis.cluster.CommentClusterer` (seeded); an empty list
    when it is not installed or there are fewer than 20 comments."""
    try:
        from analysis.cluster import CommentClusterer, cluster_labels
    except ImportError:
        return []
    from analysis.text import too_similar, word_set

    part = data.quotable_comments(data.free_text_question(question).column).sort_values("reference", kind="stable")
    if len(part) < 20:
        return []
    redact = _redactor()
    if redact is None:  # the marking words come from the texts: never from unredacted ones
        return []
    texts, refs = [redact(t) for t in part["text"].tolist()], part["reference"].tolist()
    model = CommentClusterer(random_state=0, max_clusters=8).fit(texts)
    groups = []
    taken: list[frozenset[str]] = []
    # a phrase people wrote (analysis.cluster.theme_labels), else the marking words
    labels = {**cluster_labels(model.top_terms_), **getattr(model, "theme_labels_", {})}
    for cluster in range(model.n_clusters_):
        if len(groups) >= max_groups:
            break
        typical = next((i for i in model.representative_[cluster]
                        if not any(too_similar(word_set(texts[i]), other) for other in taken)), None)
        terms = list(model.top_terms_[cluster])
        group = {"size": int(model.sizes_[cluster]), "share": float(model.sizes_[cluster] / len(texts)),
                 "terms": terms[:5], "label": labels[cluster], "text": "", "reference": ""}
        if typical is not None:
            taken.append(word_set(texts[typical]))
            group.update(text=texts[typical], reference=refs[typical])
        groups.append(group)
    return groups


def free_text_section(data: ConsultationData, question: str, redact) -> dict[str, Any]:
    """Everything the report says about one free-text question: its heading, how many counted
    responses answered it (and how many answers were left out, and why), the main points raised
    and representative quotes, no two of the section's quotes sharing more than half their
    words. ``redact`` is :func:`analysis.text.redact_pii`, or None to withhold every text."""
    chosen = data.free_text_question(question)
    counted = int((data.responses["status"] == "valid").sum())
    groups = comment_groups(data, chosen.column) if redact is not None else []
    typical = [g["text"] for g in groups if g["text"]]
    # comments analysed in a staff translation (analysis.languages.split_comments)
    c = data.comments
    translated = set(zip(c.loc[c["translated"], "reference"], c.loc[c["translated"], "question"])) \
        if "translated" in c and len(c) else set()
    quotes, n_comments = representative_comments(data, chosen.column, shown=typical)
    left_out = data.comments_left_out(chosen.column)

    def people(n: int, one: str = "comment", many: str = "comments") -> str:
        return f"{n:,} {one if n == 1 else many}"

    return {
        "title": chosen.title, "question": chosen.label, "column": chosen.column, "is_theme": bool(chosen.theme),
        "n_comments": f"{n_comments:,}", "n_counted": f"{counted:,}",
        "answered": (f"{people(n_comments, 'person', 'people')} of the {counted:,} counted responses "
                     f"answered ({pct(n_comments / counted) if counted else '–'})."),
        "left_out": " and ".join(
            part for part in (
                f"{people(left_out['hidden'])} hidden by a moderator" if left_out["hidden"] else "",
                f"{people(left_out['not_counted'])} in responses not counted" if left_out["not_counted"] else "")
            if part),
        "groups": [{"share": pct(g["share"]), "size": f"{g['size']:,}", "terms": ", ".join(g["terms"]),
                    "label": g["label"], "text": g["text"], "reference": g["reference"],
                    "translated": (g["reference"], chosen.column) in translated} for g in groups],
        "quotes": [] if redact is None else [
            {"text": redact(q.text), "reference": q.reference, "level": data.level_label(q.level) if q.level else "",
             "stance": STANCE_TITLE.get(q.stance, ""), "group_size": f"{q.group_size:,}",
             "translated": (q.reference, chosen.column) in translated} for q in quotes],
    }


def _languages_section(split: "comment_languages.LanguageSplit", data: ConsultationData,
                       redact) -> dict[str, Any]:
    """The report's comments by language: how many came in each (small counts hidden), and the
    comments in other languages waiting for a translation, grouped by language, with their
    references (their text redacted, or withheld when redaction is not available)."""
    questions = {q.column: q.title for q in data.free_text_questions}
    waiting = []
    for code, part in split.for_translation.groupby("language", sort=False):
        waiting.append({
            "code": code, "language": comment_languages.language_name(code),
            "n": f"{len(part):,}",
            "comments": [{"reference": r.reference, "question": questions.get(r.question, r.question),
                          "text": redact(r.text) if redact is not None else ""}
                         for r in part.itertuples()],
        })
    waiting.sort(key=lambda g: (-int(g["n"].replace(",", "")), g["code"]))
    total = int(split.counts.sum()) if len(split.counts) else 0
    return {
        "analysis_language": comment_languages.language_name(split.analysis_language),
        "detected_among": ", ".join(comment_languages.language_name(c) for c in split.languages
                                    if c not in split.unsupported),
        "unsupported": ", ".join(comment_languages.language_name(c) for c in split.unsupported),
        "rows": comment_languages.language_rows(split), "total": f"{total:,}",
        "waiting": waiting, "n_waiting": f"{len(split.for_translation):,}",
        "n_translated": f"{split.n_translated:,}",
        "min_words": comment_languages.MIN_WORDS,
        "min_confidence": pct(comment_languages.MIN_CONFIDENCE),
        "sure_confidence": pct(comment_languages.SURE_CONFIDENCE),
    }


# ---------------------------------------------------------------------------------------------
# building the report


def _range(low: Any, high: Any) -> str:
    """A 95% interval for a table cell: "70% to 75%"."""
    return "–" if pd.isna(low) or pd.isna(high) else f"{100 * low:.0f}% to {100 * high:.0f}%"


def _points_cell(low: Any, high: Any) -> str:
    return "–" if pd.isna(low) or pd.isna(high) else f"{wording.points(low)} to {wording.points(high)}"


def _support_rows(table: pd.DataFrame, scale: Scale) -> list[dict[str, Any]]:
    view_levels = scale.view_codes
    rows = []
    for theme, r in table.iterrows():
        rows.append({
            "theme": theme, "title": r["title"], "n_view": count(r["n_view"]),
            "people": wording.counted(r["n_view"], "person"),
            "support": pct(r["support_share"]), "support_interval": _range(r["support_low"], r["support_high"]),
            "support_words": wording.percent_range(r["support_low"], r["support_high"]),
            "oppose": pct(r["oppose_share"]), "oppose_interval": _range(r["oppose_low"], r["oppose_high"]),
            "oppose_words": wording.percent_range(r["oppose_low"], r["oppose_high"]),
            "neither": pct(r["share_neither"]),
            "net": wording.points(r["net_support"]), "net_interval": _points_cell(r["net_low"], r["net_high"]),
            "net_words": wording.points_range(r["net_low"], r["net_high"]),
            "dont_know": count(r["n_no_view"]), "not_answered": count(r["n_not_answered"]),
            "dont_know_words": wording.counted(r["n_no_view"], "person"),
            "not_answered_words": wording.counted(r["n_not_answered"], "person"),
            "no_view": not r["n_view"],
            "levels": [count(r[f"n_{lv}"]) for lv in view_levels],
        })
    return rows


def _ties(table: pd.DataFrame, column: str, rounding) -> tuple[list[str], list[str]]:
    """Titles sharing the highest and the lowest value of ``column`` once rounded as published."""
    values = table[column].map(rounding)
    known = values.dropna()
    if known.empty:
        return [], []
    return (table.loc[known[known == known.max()].index, "title"].tolist(),
            table.loc[known[known == known.min()].index, "title"].tolist())


def _headlines(table: pd.DataFrame, ranking: pd.DataFrame) -> list[dict[str, Any]]:
    """The summary's headlines: most and least support (ties named together, with how many people
    gave a view), and the theme ranked most important. Each is ``{"lead", "names", "detail"}``."""
    def share_of(titles: list[str]) -> pd.DataFrame:
        return table[table["title"].isin(titles)]

    def detail(rows: pd.DataFrame) -> str:
        share = pct(rows["support_share"].iloc[0])
        if len(rows) == 1:
            r = rows.iloc[0]
            return (f"{share} of the {wording.counted(r['n_view'], 'person')} who gave a view support it "
                    f"({wording.percent_range(r['support_low'], r['support_high'])})")
        people = wording.join([f"{int(n):,}" for n in rows["n_view"]])
        return f"{share} each of the people who gave a view ({people} people)"

    out: list[dict[str, Any]] = []
    with_view = table[table["n_view"] > 0]
    top, bottom = _ties(with_view, "support_share", lambda x: round(100 * x))
    if top:
        if len(with_view) == 1:
            out.append({"lead": "Support", "names": top, "detail": detail(share_of(top))})
        elif set(top) == set(with_view["title"]):
            out.append({"lead": f"All {len(top)} themes had the same support", "names": [],
                        "detail": detail(share_of(top))})
        else:
            out.append({"lead": "Most support", "names": top, "detail": detail(share_of(top))})
            out.append({"lead": "Least support", "names": bottom, "detail": detail(share_of(bottom))})
    if len(ranking):
        ranked = ranking.reset_index()
        first, _ = _ties(ranked, "borda", lambda x: round(x, 2))
        people = wording.counted(ranking["people"].iloc[0], "person")
        put_first = wording.join([f"{pct(ranked.loc[ranked['title'] == t, 'first_share'].iloc[0])} put "
                                  f"{'it' if len(first) == 1 else t} first" for t in first])
        out.append({"lead": "Ranked most important" + (" (a tie)" if len(first) > 1 else ""), "names": first,
                    "detail": f"by the {people} who ranked the themes; {put_first}"})
    return out


def _published_counts(counts: pd.Series) -> list[str]:
    hidden = tally.hidden_parts(counts.to_numpy())
    return [tally.published_count(v, h) for v, h in zip(counts.to_numpy(), hidden)]


def _breakdown_section(data: ConsultationData, field: str) -> dict[str, Any]:
    bd = tally.breakdown(data, field)
    t = bd.table
    groups = list(dict.fromkeys(t["label"]))
    cells: dict[str, dict[str, str]] = {g: {} for g in groups}
    for r in t.itertuples():
        if r.hidden_view:
            text = tally.published_count(r.n_view, True)
        elif r.hidden_supporting:
            text = f"– (n={r.n_view:,})"
        else:
            text = f"{pct(r.support_share)} (n={r.n_view:,})"
        cells[r.label][r.theme] = text
    rows = [{"group": g, "cells": [cells[g].get(theme, "") for theme in data.themes]} for g in groups]
    tests = []
    for r in bd.tests.itertuples():
        tests.append({"theme": data.theme_titles[r.theme], "chi2": "–" if pd.isna(r.chi2) else f"{r.chi2:.1f}",
                      "dof": r.dof, "p": r.p_value, "v": "–" if pd.isna(r.cramers_v) else f"{r.cramers_v:.2f}",
                      "cramers_v": r.cramers_v,
                      "size": tally.effect_size_words(r.cramers_v), "n": f"{r.n:,}", "groups": r.groups})
    return {"field": field, "label": FIELD_LABELS.get(field, field.replace("_", " ")), "breakdown": bd,
            "rows": rows, "tests": tests}


def _findings(section: dict[str, Any]) -> list[str]:
    """What the tests of one breakdown mean, in words, from the Holm-adjusted p-values."""
    label = section["label"]
    differ, alike, untested = [], [], []
    for t in section["tests"]:
        if t["p_holm_value"] is None or pd.isna(t["p_holm_value"]):
            untested.append(t["theme"])
        elif t["p_holm_value"] < 0.05:
            differ.append(f"{t['theme']} ({'a ' + t['size'] if t['size'] != 'negligible' else 'a very small'} "
                          "difference)")
        else:
            alike.append(t["theme"])
    lines = []
    if differ:
        lines.append(f"Support differs by {label} more than chance would explain for {wording.join(differ)}.")
    if alike:
        lines.append(f"No clear difference by {label} for {wording.join(alike)}.")
    if untested and not differ and not alike:
        lines.append(f"Not compared: for no theme did two or more groups have {tally.MIN_CELL} or more people "
                     "with a view.")
    elif untested:
        lines.append(f"Not compared for {wording.join(untested)}: fewer than two groups had "
                     f"{tally.MIN_CELL} or more people with a view.")
    return lines


def _image(fig, directory: Path, name: str) -> dict[str, str]:
    paths = charts.save(fig, directory / "charts", name)
    data = paths["png"].read_bytes()
    return {"name": name, "alt": fig.alt_text, "png": f"charts/{name}.png", "svg": f"charts/{name}.svg",
            "data_uri": "data:image/png;base64," + base64.b64encode(data).decode("ascii")}


def _source_description(source: str) -> dict[str, str]:
    path = Path(source)
    if "://" not in source and path.is_file():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return {"name": path.name, "sha256": digest, "kind": "export file"}
    return {"name": source, "sha256": "", "kind": "database"}


def _dates_in_words(opens_at: Any, closes_at: Any) -> str:
    """"30 June to 30 July 2021" (UK time), or "" when the source does not carry the dates."""
    if not opens_at or not closes_at:
        return ""
    start, end = (pd.Timestamp(v).tz_convert("Europe/London") for v in (opens_at, closes_at))
    first = f"{start.day} {start:%B}" + ("" if start.year == end.year else f" {start.year}")
    return f"{first} to {end.day} {end:%B %Y}"


LINE_START = re.compile(r"(?m)^((?:> ?)*[ \t]*)(?:([-+#=])|(\d+)([.)])(?=\s|$))")
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~])|<(?=[A-Za-z/!?])|&(?=#?\w+;)")


def markdown_text(value: Any) -> Any:
    """Text from the data made inert in Markdown: characters that would start emphasis, code,
    links, tables or strikethrough are backslash-escaped, and so is any ``<`` that could open an
    HTML tag, comment or autolink and any ``&`` that would start an entity. Figures such as
    ``<10`` are left as they are. Values marked safe (:class:`markupsafe.Markup`) pass through."""
    from markupsafe import Markup

    if value is None or isinstance(value, (Markup, int, float)):
        return value
    text = MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(0), str(value))
    # a line of the data that starts like a heading, list item or rule would be read as one
    return LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2) else m.group(3) + "\\" + m.group(4)),
                          text)


def markdown_code(value: Any) -> Any:
    """``value`` as a Markdown code span, fenced with more backticks than it holds."""
    from markupsafe import Markup

    text = " ".join(str(value).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return Markup(f"{fence}{pad}{text}{pad}{fence}")  # nosec B704: a Markdown code span, not HTML


def _environment(markdown: bool):
    """The Jinja environment for one output: HTML autoescaped; Markdown escaped by
    :func:`markdown_text` on every value printed (titles, labels, quotes come from the data)."""
    from urllib.parse import quote

    import jinja2
    from markupsafe import Markup

    env = jinja2.Environment(  # nosec B701: Markdown is escaped by markdown_text (finalize)
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=not markdown and
                             jinja2.select_autoescape(enabled_extensions=("html", "html.j2")),
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined, finalize=markdown_text if markdown else None)
    env.filters["counted"] = lambda n, noun: wording.counted(str(n).replace(",", ""), noun)
    env.filters["code"] = markdown_code if markdown else (lambda v: v)
    env.filters["path"] = (lambda v: Markup(quote(str(v)))) if markdown else (lambda v: v)  # nosec B704
    return env


def build_report(data: ConsultationData, out: Path, margins_path: str | None = None,
                 population_path: str | None = None, progress: bool = True,
                 analysis_language: str = "en",
                 languages: str | list[str] | tuple[str, ...] | None = None) -> dict[str, Path]:
    """Compute every table, chart and quote for ``data`` and write the report into ``out``.

    Comments are analysed in ``analysis_language``: each comment's language is detected among
    ``languages`` (default :data:`analysis.languages.DEFAULT_LANGUAGES`), and comments in another
    language are left out of the main points and quotes (their staff translations are used,
    marked as translated) and listed for translation (:func:`analysis.languages.split_comments`).

    Returns the paths written (``html``, ``markdown``). Raises :class:`LoadError` when no
    response is counted (there is nothing to report)."""
    from analysis import weighting

    out.mkdir(parents=True, exist_ok=True)
    steps = ["support per theme", "ranking", "who answered", "breakdowns", "weighting", "quotes", "writing"]
    bar = tqdm(total=len(steps), desc="report", unit="step", file=sys.stderr, disable=not progress)

    def step(name: str) -> None:
        bar.set_postfix_str(name)

    meta = data.consultation
    titles = data.theme_titles
    counted = tally.require_counted(data, "report on")
    context: dict[str, Any] = {"consultation": meta, "title": meta.get("title") or meta.get("slug") or "",
                               "dates": _dates_in_words(meta.get("opens_at"), meta.get("closes_at")),
                               "source": _source_description(data.source),
                               "format_version": data.format_version, "notes": list(data.notes),
                               "level_labels": [data.level_label(lv) for lv in data.scale.view_codes],
                               "scale_words": scale_words(data),
                               "no_view_label": " / ".join(data.level_label(lv) for lv in data.scale.no_view)
                               or "No view",
                               "min_cell": tally.MIN_CELL, "themes": [{"key": k, "title": titles[k]} for k in data.themes]}
    step(steps[0])
    table = tally.support_table(data)
    context["support"] = _support_rows(table, data.scale)
    context["support_chart"] = _image(charts.support_chart(table), out, "support")
    statuses = tally.status_summary(data)
    context["statuses"] = [{"status": r.status, "responses": f"{r.responses:,}", "share": pct(r.share, 1),
                            "counted": r.counted} for r in statuses.itertuples()]
    total = int(statuses["responses"].sum())
    context["counted"] = f"{counted:,}"
    context["counted_words"] = wording.counted(counted, "response")
    context["counted_verb"] = "is" if counted == 1 else "are"
    context["total"] = f"{total:,}"
    context["not_counted"] = f"{total - counted:,}"
    context["not_counted_words"] = wording.counted(total - counted, "more response")
    context["not_counted_verb"] = "was" if total - counted == 1 else "were"
    excluded = []
    for status in ("campaign", "duplicate", "invalid"):
        n = int(statuses.loc[statuses["status"] == status, "responses"].sum())
        if n:
            t = tally.support_table(data, status=status)
            small = t["n_view"] < tally.MIN_CELL
            excluded.append({"status": status, "n": f"{n:,}", "words": wording.counted(n, f"{status} response"),
                             "rows": [
                {"title": r["title"], "n_view": tally.published_count(r["n_view"]),
                 "support": "–" if small[theme] else pct(r["support_share"]),
                 "oppose": "–" if small[theme] else pct(r["oppose_share"])}
                for theme, r in t.iterrows()]})
    context["excluded"] = excluded
    bar.update()

    step(steps[1])
    ranking = tally.ranking_table(data, seed=SEED)
    if len(ranking):
        context["ranking"] = [{
            "title": r.title, "n": f"{r.n:,}", "mean_rank": f"{r.mean_rank:.2f}",
            "mean_rank_interval": f"{r.mean_rank_low:.2f} to {r.mean_rank_high:.2f}",
            "borda": f"{r.borda:.2f}", "borda_interval": f"{r.borda_low:.2f} to {r.borda_high:.2f}",
            "first": pct(r.first_share), "first_interval": _range(r.first_share_low, r.first_share_high),
            "first_words": wording.percent_range(r.first_share_low, r.first_share_high),
        } for r in ranking.itertuples()]
        context["ranking_people"] = wording.counted(ranking["people"].iloc[0], "person")
        context["ranking_chart"] = _image(charts.ranking_chart(ranking), out, "ranking")
        context["k"] = len(data.themes)
    context["headlines"] = _headlines(table, ranking)
    bar.update()

    step(steps[2])
    context["timeline_chart"] = _image(charts.timeline_chart(data), out, "timeline")
    override = charts.read_population_csv(population_path) if population_path else None
    population, population_note = charts.population_figures(data, override)
    context["population_note"] = population_note
    if "district" in data.responses.columns and population:
        context["representativeness_chart"] = _image(
            charts.representativeness_chart(data, population, population_note), out, "representativeness")
    valid = data.responses["status"] == "valid"
    channels = data.responses.loc[valid, "channel"].value_counts()
    channels = channels[channels > 0]
    context["channels"] = [{"channel": str(k).capitalize(), "n": n}
                           for k, n in zip(channels.index, _published_counts(channels))]
    bar.update()

    step(steps[3])
    sections = []
    for field in tqdm(tally.available_breakdowns(data), desc="breakdowns", unit="field", file=sys.stderr,
                      leave=False, disable=not progress):
        section = _breakdown_section(data, field)
        section["chart"] = _image(charts.breakdown_chart(section["breakdown"], titles, section["label"]), out,
                                  f"by_{field}")
        sections.append(section)
    all_p = [t["p"] for s in sections for t in s["tests"]]
    adjusted = iter(tally.holm(all_p))
    for s in sections:
        for t in s["tests"]:
            t["p_holm_value"] = next(adjusted)
            t["p_holm"] = p_value(t["p_holm_value"])
            t["p"] = p_value(t["p"])
        s["findings"] = _findings(s)
        del s["breakdown"]
    context["breakdowns"] = sections
    context["n_tests"] = sum(1 for p in all_p if not pd.isna(p))
    context["n_tests_words"] = wording.counted(context["n_tests"], "test")
    bar.update()

    step(steps[4])
    if margins_path:
        margins = weighting.read_margins(margins_path)
        result = weighting.weighted_support(data, margins)
        unweighted = table
        context["weighting"] = {
            "file": Path(margins_path).name, "variables": wording.join(
                [FIELD_LABELS.get(v, v.replace("_", " ")) for v in margins]),
            "n_weighted": f"{result.n_weighted:,}", "n_excluded": f"{result.n_excluded:,}",
            "n_weighted_words": wording.counted(result.n_weighted, "response"),
            "n_excluded_words": wording.counted(result.n_excluded, "valid response"),
            "effective_n": f"{result.effective_n:,.0f}", "design_effect": f"{result.design_effect:.2f}",
            "max_weight": f"{np.nanmax(result.weights):.2f}", "min_weight": f"{np.nanmin(result.weights):.2f}",
            "rows": [{"title": r["title"], "unweighted": pct(unweighted.loc[theme, "support_share"]),
                      "weighted": pct(r["support_share"]), "interval": _range(r["support_low"], r["support_high"]),
                      "oppose": pct(r["oppose_share"]), "n_eff": f"{r['n_effective']:,.0f}"}
                     for theme, r in result.table.iterrows()],
            "achieved": [{"variable": FIELD_LABELS.get(r.variable, r.variable).capitalize(), "category": data.label(r.variable, r.category),
                          "target": pct(r.target, 1), "unweighted": pct(r.unweighted, 1),
                          "weighted": pct(r.weighted, 1)} for r in result.achieved.itertuples()],
        }
    bar.update()

    step(steps[5])
    redact = _redactor()
    split = comment_languages.split_comments(data, analysis_language,
                                             comment_languages.parse_languages(languages))
    context["languages"] = _languages_section(split, data, redact)
    quote_sections = [free_text_section(split.data, q.column, redact) for q in tqdm(
        data.free_text_questions, desc="quotes", unit="question", file=sys.stderr, leave=False,
        disable=not progress)]
    waiting = split.for_translation["question"].value_counts()
    for section in quote_sections:
        n = int(waiting.get(section["column"], 0))
        section["other_language"] = (f"{n:,} {'comment' if n == 1 else 'comments'} in another language "
                                     f"{'is' if n == 1 else 'are'} listed for translation instead") if n else ""
    context["quotes"] = quote_sections
    from .coded import coded_sections

    # format 4: counts per code per comment question, people's codes and the model's, said which
    context["coded"] = coded_sections(data, redact)
    context["redaction_available"] = redact is not None
    hidden = int(data.comments["hidden"].sum()) if len(data.comments) else 0
    context["hidden_comments"] = f"{hidden:,}"
    bar.update()

    step(steps[6])
    html = _environment(markdown=False).get_template("report.html.j2").render(**context)
    markdown = _environment(markdown=True).get_template("report.md.j2").render(**context)
    paths = {"html": out / "report.html", "markdown": out / "report.md"}
    paths["html"].write_text(html, encoding="utf-8")
    paths["markdown"].write_text(markdown, encoding="utf-8")
    bar.update()
    bar.close()
    return paths


# ---------------------------------------------------------------------------------------------
# command line


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", required=True,
                        help="an export file (.csv, .json, .xlsx) or a database URL, e.g. sqlite:///instance/consult.db")
    parser.add_argument("--out", required=True, help="folder to write report.html, report.md and charts/ into")
    parser.add_argument("--consultation", metavar="SLUG", help="which consultation (needed for a database with several)")
    parser.add_argument("--weights", metavar="MARGINS_CSV",
                        help="rake to population margins (CSV: variable,category,population) and add weighted figures")
    parser.add_argument("--population", metavar="CSV",
                        help="residents per district (CSV: district,population) for the representativeness chart, "
                             "instead of the consultation's own figures")
    parser.add_argument("--analysis-language", default="en", metavar="CODE",
                        help="the language comments are analysed in (default: en); comments in "
                             "another language are listed for translation, or analysed in their "
                             "staff translation")
    parser.add_argument("--languages", metavar="CODES",
                        help="the languages to detect comments in, comma-separated ISO 639-1 codes "
                             "(default: en,pl,lt,ro,pt,ru,lv,bg,sk,hu,ur,pa,bn,ar,ku)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def cli_main(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        if out.exists() and not out.is_dir():
            raise LoadError(f"--out {out} is a file; give a folder to write the report into.")
        if args.weights and not Path(args.weights).exists():
            raise LoadError(f"There is no population margins file at {args.weights}.")
        if args.population and not Path(args.population).exists():
            raise LoadError(f"There is no population file at {args.population}.")
        data = load(args.source, args.consultation)
        paths = build_report(data, out, args.weights, args.population, progress=not args.quiet,
                             analysis_language=(getattr(args, "analysis_language", None) or "en").lower(),
                             languages=getattr(args, "languages", None))
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PermissionError as error:
        print(f"error: cannot write to {error.filename}: permission denied. Choose another --out folder.",
              file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: {error.strerror}: {error.filename}", file=sys.stderr)
        return 2
    print(f"wrote {paths['html']} and {paths['markdown']}")
    return 0
