"""Campaign (template) responses: groups of comments that are copies or near copies of one text.

A campaign is a group of responses sent from one template: identical after normalising, or the
same template with small edits, changed names, or sentences added before or after it.

How it works
------------
1. Each text is normalised (:func:`analysis.text.normalise`, links and emails collapsed) and
   reduced to its words; texts with the same words are one *distinct text* (so every pair of
   texts identical after normalising always shares a campaign, however short).
2. Each distinct text becomes a set of word 3-shingles (three consecutive words), with numbers
   and common first names masked so that "I, John Smith, of 12 Mill Road" and "I, Sarah Smith,
   of 4 Mill Road" share most shingles; shingles made only of stop words are left out.
3. Candidate pairs come from a sparse shingle-by-text matrix multiplied by its transpose in
   blocks of rows (only pairs that share shingles are ever touched), giving the exact number of
   shingles each pair shares.
4. Text A *covers* text B when at least ``threshold`` of A's shingles are in B (containment of
   A in B). A template plus added lines is still covered by the template; a hybrid of two
   templates covers neither of them.
5. Groups are stars, not chains: distinct texts are taken in order of how many responses they
   cover; each one not yet in a group starts a group with every text it covers that is not yet
   in a group. Every member is therefore covered by its group's leader (the template), so two
   different templates are never joined through one text that mixes them.
6. Groups of at least ``min_size`` responses are campaigns, numbered 1, 2, ... from the largest.

Public API: :func:`find_campaigns`, :func:`campaign_summary`, :func:`collapse_campaigns`, and
the ``python -m analysis campaigns`` command (:func:`cli_arguments`, :func:`cli_main`).
"""
from __future__ import annotations

import argparse
import functools
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analysis.text import _FAST_TOKENS, FIRST_NAMES, STOP_WORDS, normalise

__all__ = [
    "DEFAULT_THRESHOLD",
    "campaign_summary",
    "cli_arguments",
    "cli_main",
    "collapse_campaigns",
    "find_campaigns",
]

DEFAULT_THRESHOLD = 0.6
SHINGLE_SIZE = 3
_FIRST_NAMES_FOLDED = frozenset(name.casefold() for name in FIRST_NAMES)
_BLOCK_ROWS = 2048
_DIGIT = re.compile(r"\d")


# ---------------------------------------------------------------------------------------------
# Preparing texts
# ---------------------------------------------------------------------------------------------


def _as_series(texts: Iterable[str] | pd.Series) -> pd.Series:
    if isinstance(texts, pd.Series):
        return texts
    if isinstance(texts, (str, bytes)):
        raise TypeError("find_campaigns() takes a list or Series of texts, not a single text")
    return pd.Series(list(texts), dtype=object)


def _words(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return _FAST_TOKENS.findall(normalise(text, links=True))


def _key(text: object, words: list[str]) -> str:
    """What two texts must share to be 'identical after normalising'.

    Deliberately coarse, so that it is at least as coarse as any usual normalisation: the
    letters and digits of the normalised text (links and emails collapsed), accents removed,
    with nothing between them: case, spacing, punctuation, apostrophes, hyphens and accents
    never tell two copies apart. A text with no letters or digits is compared as normalised.
    """
    if words:
        joined = unicodedata.normalize("NFKD", "".join(words))
        return "".join(ch for ch in joined if ch.isalnum())
    if isinstance(text, str):
        return normalise(text)  # only punctuation or symbols: compare them as written
    return ""


@functools.lru_cache(maxsize=500_000)
def _masked(word: str) -> str:
    if _DIGIT.search(word):
        return "0"
    if word in _FIRST_NAMES_FOLDED:
        return "[name]"
    return word


def _shingles(words: Sequence[str], size: int = SHINGLE_SIZE) -> set[str]:
    masked = [_masked(word) for word in words]
    if len(masked) < size:
        return {" ".join(masked)} if masked and not set(masked) <= STOP_WORDS else set()
    content = [word not in STOP_WORDS for word in masked]
    return {
        " ".join(masked[i : i + size])
        for i in range(len(masked) - size + 1)
        if any(content[i : i + size])
    }


@dataclass
class _Distinct:
    """The distinct texts of a collection and how the collection maps onto them."""

    codes: np.ndarray  # per input text: index of its distinct text, -1 for blank
    copies: np.ndarray  # per distinct text: how many input texts have it
    first: np.ndarray  # per distinct text: position of its first input text
    words: list[list[str]]  # per distinct text


def _distinct(series: pd.Series, progress: bool = False) -> _Distinct:
    # Work once per different raw text: campaigns repeat the same string many times.
    raw_codes, raw_texts = pd.factorize(
        pd.Series(series.array, dtype=object).where(series.notna().to_numpy(), ""), sort=False
    )
    words_of_key: dict[str, list[str]] = {}
    raw_keys = []
    if progress:
        from tqdm.auto import tqdm

        raw_texts = tqdm(raw_texts, desc="reading texts", unit="text", file=sys.stderr,
                         miniters=1000)
    for text in raw_texts:
        words = _words(text)
        key = _key(text, words)
        raw_keys.append(key)
        if key and key not in words_of_key:
            words_of_key[key] = words
    keys = np.asarray(raw_keys + [""], dtype=object)[raw_codes]
    codes, uniques = pd.factorize(pd.Series(keys, dtype=object), sort=False)
    codes = np.asarray(codes, dtype=np.int64)
    blank = [i for i, key in enumerate(uniques) if key == ""]
    if blank:  # blank texts belong to no campaign: drop the "" key and renumber
        b = blank[0]
        codes = np.where(codes == b, -1, np.where(codes > b, codes - 1, codes))
        uniques = [key for key in uniques if key != ""]
    n = len(uniques)
    valid = codes >= 0
    copies = np.bincount(codes[valid], minlength=n)
    first = np.full(n, len(codes), dtype=np.int64)
    np.minimum.at(first, codes[valid], np.flatnonzero(valid))
    return _Distinct(codes, copies, first, [words_of_key[key] for key in uniques])


def _shingle_matrix(words: list[list[str]]) -> sp.csr_matrix:
    vocabulary: dict[str, int] = {}
    indptr = [0]
    indices: list[int] = []
    for text_words in words:
        for shingle in _shingles(text_words):
            indices.append(vocabulary.setdefault(shingle, len(vocabulary)))
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.int32)
    matrix = sp.csr_matrix(
        (data, np.asarray(indices, dtype=np.int32), np.asarray(indptr, dtype=np.int64)),
        shape=(len(words), max(len(vocabulary), 1)),
    )
    matrix.sum_duplicates()
    return matrix


# ---------------------------------------------------------------------------------------------
# Finding campaigns
# ---------------------------------------------------------------------------------------------


_BATCH = 256
MIN_SHARE = 0.25


def _star_groups(
    matrix: sp.csr_matrix,
    copies: np.ndarray,
    threshold: float,
    min_shingles: int,
    progress: bool,
) -> tuple[np.ndarray, list[int]]:
    """Group id per distinct text (-1 for none) and the leader (template) of each group.

    Distinct texts are taken as leaders in order of how widely their shingles are shared
    (the mean, over a text's shingles, of the number of responses holding that shingle: the
    template of a campaign has the highest, a text with added lines or edits less). A leader
    not yet in a group starts one with every text not yet in a group that it covers: holding at
    least ``threshold`` of the leader's shingles, and with the leader making up at least
    MIN_SHARE of the text (a sentence quoted inside long letters does not lead them).

    Each leader's shared counts with every text come from one sparse product, in batches of
    leaders; texts taken into a group are never leaders themselves, so a campaign of thousands
    of letters costs one product per leader, not one per letter.
    """
    n = matrix.shape[0]
    sizes = np.diff(matrix.indptr).astype(np.int64)
    transpose = matrix.T.tocsr()
    responses_per_shingle = transpose @ copies
    spread = (matrix @ responses_per_shingle) / np.maximum(sizes, 1)
    needed = np.maximum(np.ceil(threshold * sizes - 1e-9), 1).astype(np.int64)
    can_lead = sizes >= min_shingles
    group = np.full(n, -1, dtype=np.int64)
    leaders: list[int] = []

    # Copies of a text too short to lead near copies are a group by themselves.
    for i in np.flatnonzero(~can_lead & (copies >= 2)):
        group[i] = len(leaders)
        leaders.append(int(i))

    order = np.flatnonzero(can_lead)
    order = order[np.lexsort((order, sizes[order], -copies[order], -spread[order]))]
    batches = range(0, len(order), _BATCH)
    if progress:
        from tqdm.auto import tqdm

        batches = tqdm(batches, desc="finding campaigns", unit="batch", file=sys.stderr)
    for start in batches:
        batch = order[start : start + _BATCH]
        batch = batch[group[batch] < 0]
        if len(batch) == 0:
            continue
        shared = (matrix[batch] @ transpose).tocsr()
        for row, i in enumerate(batch):
            if group[i] >= 0:
                continue
            cols = shared.indices[shared.indptr[row] : shared.indptr[row + 1]]
            counts = shared.data[shared.indptr[row] : shared.indptr[row + 1]]
            taken = (
                (counts >= needed[i])
                & (counts >= MIN_SHARE * sizes[cols])
                & (group[cols] < 0)
                & (cols != i)
            )
            members = cols[taken]
            if len(members) == 0 and copies[i] < 2:
                continue
            group[i] = len(leaders)
            group[members] = len(leaders)
            leaders.append(int(i))
    return group, leaders


@dataclass
class _Result:
    labels: pd.Series
    leaders: dict[int, int]  # campaign id -> input position of its template text


def _detect(
    texts: Iterable[str] | pd.Series,
    threshold: float,
    min_size: int,
    min_shingles: int,
    progress: bool,
) -> _Result:
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be above 0 and at most 1, not {threshold}")
    if min_size < 2:
        raise ValueError(
            f"min_size must be at least 2 (a campaign has two responses), not {min_size}"
        )
    if min_shingles < 1:
        raise ValueError(f"min_shingles must be at least 1, not {min_shingles}")
    series = _as_series(texts)
    distinct = _distinct(series, progress)
    n = len(distinct.copies)
    labels = pd.Series(pd.array([pd.NA] * len(series), dtype="Int64"), index=series.index,
                       name="campaign")
    if n == 0:
        return _Result(labels, {})
    matrix = _shingle_matrix(distinct.words)
    group, group_leaders = _star_groups(matrix, distinct.copies, threshold, min_shingles, progress)

    in_group = group >= 0
    if not in_group.any():
        return _Result(labels, {})
    group_size = np.bincount(group[in_group], weights=distinct.copies[in_group]).astype(np.int64)
    group_first = np.full(len(group_size), np.iinfo(np.int64).max)
    np.minimum.at(group_first, group[in_group], distinct.first[in_group])
    big = np.flatnonzero(group_size >= min_size)
    ranked = big[np.lexsort((group_first[big], -group_size[big]))]
    campaign_of_group = np.full(len(group_size), -1, dtype=np.int64)
    campaign_of_group[ranked] = np.arange(1, len(ranked) + 1)

    campaign_of_distinct = np.where(in_group, campaign_of_group[np.maximum(group, 0)], -1)
    per_text = np.where(
        distinct.codes >= 0, campaign_of_distinct[np.maximum(distinct.codes, 0)], -1
    )
    labels[:] = pd.array(np.where(per_text > 0, per_text, 0), dtype="Int64")
    labels = labels.mask(per_text <= 0)
    labels.name = "campaign"

    leaders = {
        int(campaign_of_group[g]): int(distinct.first[group_leaders[g]]) for g in ranked
    }
    return _Result(labels, leaders)


def find_campaigns(
    texts: Iterable[str] | pd.Series,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
    min_shingles: int = 5,
    progress: bool = False,
) -> pd.Series:
    """Campaign id of each text: a nullable integer Series aligned with ``texts``.

    ``texts``: a list or pandas Series of comments (None, NaN and blank texts are allowed and
    belong to no campaign). Returns a Series of dtype ``Int64`` named ``campaign`` with the
    same index as ``texts`` when it is a Series (else 0..n-1): campaign 1 is the largest, and
    ``<NA>`` marks texts in no campaign.

    Texts identical after normalising (case, spacing, punctuation, links) always share a
    campaign. A text also joins a campaign when at least ``threshold`` (0-1) of the template's
    word 3-shingles appear in it: small edits, changed names and added sentences keep it in.
    Only texts of at least ``min_shingles`` shingles (about 7 words) can be templates for such
    near copies. Groups of fewer than ``min_size`` responses are not campaigns. ``progress``
    shows a progress bar on standard error.
    """
    return _detect(texts, threshold, min_size, min_shingles, progress).labels


def _template_text(series: pd.Series, positions: np.ndarray) -> int:
    """Position (in ``series``) of the medoid: the text that covers the most of the others."""
    if len(positions) == 1:
        return int(positions[0])
    sample = positions[:300]
    distinct = _distinct(series.iloc[sample].reset_index(drop=True))
    matrix = _shingle_matrix(distinct.words).astype(np.float64)
    sizes = np.maximum(np.asarray(matrix.sum(axis=1)).ravel(), 1)
    shared = (matrix @ matrix.T).toarray()
    cover = shared / sizes[:, None]
    weight = cover @ distinct.copies
    best = int(np.lexsort((np.arange(len(weight)), sizes, -weight))[0])
    return int(sample[distinct.first[best]])


def campaign_summary(
    texts: Iterable[str] | pd.Series,
    labels: pd.Series,
    *,
    references: Sequence[str] | pd.Series | None = None,
    examples: int = 3,
) -> pd.DataFrame:
    """One row per campaign: what it is and who sent it.

    ``texts`` and ``labels`` as given to and returned by :func:`find_campaigns` (same length and
    order). ``references``: the responses' references (default: the index of ``labels``).
    Columns: ``campaign``, ``size`` (responses), ``distinct_texts`` (different wordings),
    ``template`` (the medoid: the member text that most of the others contain),
    ``example_references`` (the first ``examples`` references, joined by ", "). Sorted by
    campaign id; empty when there are no campaigns.
    """
    series = _as_series(texts).reset_index(drop=True)
    original_index = pd.Series(labels).index
    labels = pd.Series(labels).reset_index(drop=True)
    if len(series) != len(labels):
        raise ValueError(
            f"texts ({len(series)}) and labels ({len(labels)}) must be the same length"
        )
    if references is None:
        refs = pd.Series(original_index.astype(str))
    else:
        refs = pd.Series(list(references), dtype=object).astype(str)
    rows = []
    present = labels.dropna().astype(int)
    for campaign, positions in present.groupby(present).groups.items():
        positions = np.asarray(sorted(positions), dtype=np.int64)
        members = series.iloc[positions]
        rows.append(
            {
                "campaign": int(campaign),
                "size": len(positions),
                "distinct_texts": int(
                    pd.Series([_key(t, _words(t)) for t in members]).nunique()
                ),
                "template": series.iloc[_template_text(series, positions)],
                "example_references": ", ".join(refs.iloc[positions[:examples]]),
            }
        )
    columns = ["campaign", "size", "distinct_texts", "template", "example_references"]
    return pd.DataFrame(rows, columns=columns).sort_values("campaign").reset_index(drop=True)


def collapse_campaigns(frame: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """``frame`` with each campaign counted once, for tallies that count campaigns separately.

    ``labels``: campaign ids aligned with ``frame``'s rows (as from :func:`find_campaigns` on
    one of its columns). Keeps every row that is in no campaign and the first row of each
    campaign, and adds the columns ``campaign`` (the id, or <NA>) and ``campaign_size`` (the
    number of responses that row stands for: 1 outside campaigns). Tally the result to count
    each campaign as one voice, and report ``campaign_size`` beside it.
    """
    if len(frame) != len(labels):
        raise ValueError(
            f"frame ({len(frame)} rows) and labels ({len(labels)}) must be the same length"
        )
    ids = pd.array(pd.Series(labels).to_numpy(), dtype="Int64")
    result = frame.copy()
    result["campaign"] = ids
    sizes = result.groupby("campaign", dropna=True)["campaign"].transform("size")
    result["campaign_size"] = sizes.fillna(1).astype("int64")
    first_of_campaign = ~pd.Series(ids, index=result.index).duplicated() | pd.isna(ids)
    return result[first_of_campaign.to_numpy()]


# ---------------------------------------------------------------------------------------------
# Command line: python -m analysis campaigns
# ---------------------------------------------------------------------------------------------

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")


class _InputError(Exception):
    """A problem with the analyst's input, said in plain English."""


def _quote_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _is_export(source: str) -> bool:
    """True for what analysis.load reads: a database URL, or a Consult export file."""
    from analysis.load import is_export

    return is_export(source)


def _export_texts(args: argparse.Namespace) -> tuple[pd.Series, str, str]:
    """Texts per counted response of an export or database, read through analysis.load."""
    from analysis.load import LoadError, load

    if args.id_col not in (None, "reference"):
        raise _InputError("An export is keyed by its reference column: leave out --id-col.")
    try:
        data = load(args.source, getattr(args, "consultation", None))
    except LoadError as error:
        raise _InputError(str(error))
    return export_texts(data, args.question or args.text_col)


def export_texts(data, wanted: str | None = None) -> tuple[pd.Series, str, str]:
    """Texts per counted response of the frames :func:`analysis.load.load` read: only comments a
    reader may see (:meth:`~analysis.load.ConsultationData.quotable_comments`), so that the
    summary never shows a hidden comment or a response that is not counted; of one free-text
    question (``wanted``: a theme's key or a column) or of all, joined per response. Returns
    (texts indexed by reference, ``"reference"``, what was read in words); the series'
    ``attrs`` say how many answers were left out and why."""
    from analysis.load import LoadError

    try:
        if wanted is not None:
            question = data.free_text_question(wanted)
            comments = data.quotable_comments(question.column)
            left_out = data.comments_left_out(question.column)
            what = (f"comments on {question.theme_title}" if question.theme
                    else f"answers to '{question.label}'")
        else:
            comments = data.quotable_comments()
            left_out = data.comments_left_out()
            n_questions = len(data.free_text_questions)
            what = f"{n_questions} free-text {'question' if n_questions == 1 else 'questions'}, joined per response"
    except LoadError as error:
        raise _InputError(str(error))
    counted = (data.responses["status"] == "valid").to_numpy()
    references = data.responses["reference"].astype(str)
    joined = comments.groupby("row", sort=True)["text"].agg(
        lambda texts: "\n\n".join(t for t in texts if isinstance(t, str) and t.strip())
    )
    texts = pd.Series("", index=range(len(references)), dtype=object)
    texts.loc[joined.index] = joined.to_numpy()
    texts = texts[counted]
    texts.index = pd.Index(references[counted].to_numpy(), name="reference")
    texts.attrs.update(left_out, responses_not_counted=int((~counted).sum()))
    return texts, "reference", what


def _texts_for(args: argparse.Namespace) -> tuple[pd.Series, str, str]:
    """(texts indexed by response id, id column name, what was read in words)."""
    if _is_export(str(args.source)):
        return _export_texts(args)
    from analysis.load import LoadError, read_table

    path = Path(args.source)
    try:
        rows = read_table(path)
    except LoadError as error:
        raise _InputError(str(error)) from None
    if rows.empty:
        raise _InputError(f"{path} has no rows to read.")
    columns = [str(c) for c in rows.columns]
    if args.question is not None:
        raise _InputError("--question needs a Consult export; for another file use --text-col.")
    if args.text_col is None:
        raise _InputError(
            f"Say which column of {path} holds the texts with --text-col. Its columns are: "
            f"{', '.join(columns)}."
        )
    if args.text_col not in rows.columns:
        raise _InputError(
            f"{path} has no column '{args.text_col}'. Its columns are: {', '.join(columns)}."
        )
    id_column = args.id_col or "reference"
    if id_column in rows.columns:
        ids = rows[id_column].astype(str)
    elif args.id_col is not None:
        raise _InputError(
            f"{path} has no column '{args.id_col}' for --id-col. Its columns are: "
            f"{', '.join(columns)}."
        )
    else:
        id_column, ids = "row", pd.Series(np.arange(1, len(rows) + 1).astype(str))

    column = rows[args.text_col].astype(object)
    texts = column.where(column.notna(), "").astype(str)
    texts = pd.Series(texts.to_numpy(dtype=object), index=pd.Index(ids.to_numpy(), name=id_column))
    return texts, id_column, args.text_col


def _summary_text(
    source: str, what: str, texts: pd.Series, labels: pd.Series, summary: pd.DataFrame,
    threshold: float, limit: int | None = None,
) -> str:
    answered = int(texts.map(lambda t: isinstance(t, str) and bool(t.strip())).sum())
    in_campaigns = int(labels.notna().sum())
    lines = [
        f"Campaigns in {source} ({what})",
        f"{len(texts):,} {'response' if len(texts) == 1 else 'responses'}, {answered:,} with a comment.",
    ]
    not_counted = texts.attrs.get("responses_not_counted", 0)
    hidden = texts.attrs.get("hidden", 0)
    if not_counted or hidden:
        parts = []
        if not_counted:
            parts.append(f"{not_counted:,} {'response' if not_counted == 1 else 'responses'} already marked "
                         "duplicate, campaign or invalid (not counted)")
        if hidden:
            parts.append(f"{hidden:,} {'comment' if hidden == 1 else 'comments'} hidden by a moderator")
        lines.append(f"Left out: {' and '.join(parts)}.")
    if summary.empty:
        lines.append("No campaigns found: no two comments are copies or near copies of one text.")
        return "\n".join(lines) + "\n"
    share = in_campaigns / answered if answered else 0
    lines.append(
        f"{len(summary):,} {'campaigns hold' if len(summary) != 1 else 'campaign holds'} "
        f"{in_campaigns:,} responses ({share:.0%} of those with a comment)."
    )
    lines.append(f"(near copies: at least {threshold:.0%} of a template's word triples)")
    from analysis.text import redact_pii

    shown = summary if limit is None else summary.head(limit)
    for row in shown.itertuples(index=False):
        template = " ".join(redact_pii(str(row.template)).split())
        if len(template) > 160:
            template = template[:157] + "..."
        lines.append("")
        wordings = ("1 wording" if row.distinct_texts == 1
                    else f"{row.distinct_texts:,} different wordings")
        lines.append(f"Campaign {row.campaign}: {row.size:,} responses, {wordings}")
        lines.append(f"  template: \"{template}\"")
        lines.append(f"  e.g. {row.example_references}")
    if len(shown) < len(summary):
        lines.append("")
        lines.append(f"... and {len(summary) - len(shown):,} smaller campaigns: --summary FILE "
                     "writes them all.")
    return "\n".join(lines) + "\n"


def _fraction(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number; give a share such as 0.6")
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError(
            f"{value} is not between 0 and 1; give a share such as 0.6"
        )
    return number


def _campaign_size(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number; give 2 or more")
    if number < 2:
        raise argparse.ArgumentTypeError(
            f"{value} is too small: a campaign has at least 2 responses"
        )
    return number


def cli_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m analysis campaigns``."""
    parser.description = (
        "Find campaign (template) responses: comments that are copies or near copies of one "
        "text. Writes a CSV with each response's campaign id and prints a summary."
    )
    parser.add_argument("--source", required=True, metavar="FILE",
                        help="a Consult export (CSV, JSON or XLSX) or database URL, read by "
                             "analysis.load; or any CSV, JSON list or JSON Lines file of texts")
    parser.add_argument("--out", required=True, metavar="FILE",
                        help="where to write the CSV of response id, campaign and campaign_size")
    parser.add_argument("--text-col", metavar="COLUMN",
                        help="the column holding the texts (needed for a file that is not an "
                             "export)")
    parser.add_argument("--question", metavar="KEY",
                        help="in an export, look at one free-text question (a theme such as "
                             "crime_prevention, or a question such as missing_from_plan) instead of "
                             "all comments of a response")
    parser.add_argument("--consultation", metavar="SLUG",
                        help="which consultation (needed for a database with several)")
    parser.add_argument("--id-col", metavar="COLUMN",
                        help="the column of response ids (default: reference; row numbers if "
                             "absent)")
    parser.add_argument("--summary", metavar="FILE",
                        help="write the readable summary to FILE instead of the screen")
    parser.add_argument("--threshold", type=_fraction, default=DEFAULT_THRESHOLD, metavar="SHARE",
                        help=f"share of a template's word triples a near copy must contain "
                             f"(default {DEFAULT_THRESHOLD})")
    parser.add_argument("--min-size", type=_campaign_size, default=2, metavar="N",
                        help="smallest number of responses that makes a campaign (default 2)")


def cli_main(args: argparse.Namespace) -> int:
    """Run ``python -m analysis campaigns``; 0 when done, 2 on a problem with the input."""
    try:
        texts, id_column, what = _texts_for(args)
        out = Path(args.out)
        if out.is_dir():
            raise _InputError(f"--out {out} is a folder; give a file name such as campaigns.csv.")
        if not out.parent.exists():
            raise _InputError(f"The folder {out.parent} for --out does not exist. Create it first.")
        result = _detect(texts, args.threshold, args.min_size, 5, progress=len(texts) >= 2000)
        labels = result.labels
        summary = campaign_summary(texts, labels)
        sizes = labels.map(labels.value_counts()).astype("Int64")
        table = pd.DataFrame(
            {
                id_column: [_quote_cell(v) for v in texts.index],
                "campaign": labels.array,
                "campaign_size": sizes.array,
            }
        )
        table.to_csv(out, index=False)
        if args.summary:
            report = _summary_text(args.source, what, texts, labels, summary, args.threshold)
            Path(args.summary).write_text(report, encoding="utf-8")
            print(f"Wrote {out} and the summary {args.summary}.")
        else:
            sys.stdout.write(
                _summary_text(args.source, what, texts, labels, summary, args.threshold, limit=20)
            )
            print(f"\nWrote {out}: one row per response with its campaign id.")
        return 0
    except _InputError as error:
        print(f"Error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"Error: could not read or write a file: {error.strerror or error} "
              f"({error.filename or ''}). Check the path and its permissions.", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Stopped: nothing was written.", file=sys.stderr)
        return 130
