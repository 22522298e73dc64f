"""Responses from an export file or a database URL, as tidy pandas frames.

``load(source, consultation=None)`` reads one of

* a CSV export (``NAME.csv``, with ``NAME.dictionary.csv`` beside it when there is one),
* a JSON export (``{"format": "consult-export", "format_version": 1, ...}``),
* an XLSX export (sheets ``responses`` and ``data dictionary``),
* a database URL (``sqlite:///instance/consult.db``, ``postgresql+psycopg://...``), read with
  plain SQL from the tables ``consultation``, ``theme`` and ``response``,

and returns a :class:`ConsultationData` holding four frames (see docs/export-format.md for the
columns they come from):

``responses``
    one row per response: ``reference``, ``submitted_at`` (UTC timestamp), ``received_on``,
    ``channel``, ``status``, ``status_reason``, ``hidden_comments`` (``;``-separated column
    names) and every question that is not expanded per theme (coded questions as pandas
    categoricals in the order of the data dictionary, multiple choice as ``;``-joined codes).
``support``
    one row per response and theme: ``row`` (the response's position in ``responses``),
    ``reference``, ``theme`` and ``level`` (a categorical of :data:`LEVELS`; an unanswered
    question is ``not_answered``).
``comments``
    one row per non-empty answer to a free-text question: ``row``, ``reference``, ``question``
    (the column, e.g. ``comment__crime_prevention`` or ``missing_from_plan``), ``theme`` (empty
    for questions that are not about a theme), ``text``, ``hidden`` (True when a moderator hid
    it) and ``counted`` (True when the response's status is ``valid``). Every comment stays in
    this frame; what may be shown to readers is :meth:`ConsultationData.quotable_comments`.
``ranks``
    one row per response that ranked the themes and theme: ``row``, ``reference``, ``theme``,
    ``rank`` (1 = most important).

Problems with the source raise :class:`LoadError` with a message for the person running the
analysis (never a traceback on the command line).
"""
from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SUPPORTED_VERSIONS = (1, 2, 3, 4)
FORMAT_NAME = "consult-export"
NOT_ANSWERED = "not_answered"
NOT_ANSWERED_LABEL = "Not answered"
# The areas table of format 2 (docs/export-format.md): one row per area or sub-area.
AREA_COLUMNS = ["code", "name", "ons_code", "parent", "population", "population_source",
                "population_year", "postcode_districts"]
STATUSES = ["valid", "duplicate", "campaign", "invalid"]
FIXED_COLUMNS = ["format_version", "consultation", "reference", "submitted_at", "received_on",
                 "channel", "status", "status_reason", "hidden_comments", "language"]
# Format 3: a staff translation of the free-text column COLUMN is in ``translation__COLUMN``.
TRANSLATION_PREFIX = "translation__"
# Format 4: the codes of a coded comment column COLUMN (people's, else the model's), who gave
# them, the model's confidence and whether people marked the comment quotable.
CODES_PREFIX, SOURCE_PREFIX = "codes__", "codes_source__"
CONFIDENCE_PREFIX, QUOTABLE_PREFIX = "codes_confidence__", "codes_quotable__"
CODING_PREFIXES = (CODES_PREFIX, SOURCE_PREFIX, CONFIDENCE_PREFIX, QUOTABLE_PREFIX)
EQUALITY_FIELDS = ["age_band", "sex", "gender_identity", "ethnicity", "disability", "religion"]
MULTIPLE_CHOICE_TYPES = {"codes"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\0")
# The exporter's formula guard, as docs/export-format.md states it: a ' before a cell that starts
# like a formula behind invisible characters or apostrophes, and (CSV) after a ';', tab or line
# break that a formula start follows.
_INVISIBLE = ("\x00-\x20\x7f-\xa0\xad\u034f\u061c\u115f\u1160\u1680\u17b4\u17b5\u180b-\u180f"
              "\u2000-\u200f\u2028-\u202f\u205f-\u206f\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0"
              "\ufff9-\ufffb")
_TRIGGERS = "=+\\-@\uff1d\uff0b\uff0d\uff20"
_GUARDED_START = f"^'(?=[{_INVISIBLE}']*[{_TRIGGERS}]|'*[\\t\\r\\x00])"
_GUARD_AFTER_SPLIT = f"([;\\t\\r\\n])'(?=[{_INVISIBLE}'\"]*[{_TRIGGERS}])"
THEME_PREFIXES = ("support__", "comment__", "rank__")


class LoadError(Exception):
    """The source could not be read; the message says why and what to do."""


@dataclass(frozen=True)
class Level:
    """One answer of a scale: its ``code``, the ``label`` the resident saw, and the ``value``
    it counts as (positive = supporting, negative = opposing, 0 = neither, ``None`` = no view,
    such as "don't know")."""

    code: str
    label: str
    value: int | None


@dataclass(frozen=True)
class Scale:
    """The answers of the support-per-theme questions, in the order the export lists them."""

    name: str
    levels: tuple[Level, ...]

    @property
    def codes(self) -> list[str]:
        """Every answer's code, then ``not_answered``: the categories of ``support["level"]``."""
        return [lv.code for lv in self.levels] + [NOT_ANSWERED]

    @property
    def view_codes(self) -> list[str]:
        """Answers that give a view (they have a number): the base of the shares."""
        return [lv.code for lv in self.levels if lv.value is not None]

    @property
    def supporting(self) -> list[str]:
        return [lv.code for lv in self.levels if lv.value is not None and lv.value > 0]

    @property
    def opposing(self) -> list[str]:
        return [lv.code for lv in self.levels if lv.value is not None and lv.value < 0]

    @property
    def neutral(self) -> list[str]:
        return [lv.code for lv in self.levels if lv.value == 0]

    @property
    def no_view(self) -> list[str]:
        """Answers without a number (such as "don't know"): counted, outside the base."""
        return [lv.code for lv in self.levels if lv.value is None]

    @property
    def labels(self) -> dict[str, str]:
        return {**{lv.code: lv.label for lv in self.levels}, NOT_ANSWERED: NOT_ANSWERED_LABEL}

    def value(self, code: str) -> int | None:
        return next((lv.value for lv in self.levels if lv.code == code), None)

    def describe(self) -> str:
        """``strongly_support=2, ..., dont_know (no view)`` for messages."""
        return ", ".join(f"{lv.code}={lv.value}" if lv.value is not None else f"{lv.code} (no view)"
                         for lv in self.levels)


# Format 1 carries no numbers for the support levels: its one scale is this, as
# docs/export-format.md (version 1) lists it. Format 2 declares its scales in the dictionary.
V1_SCALE = Scale("support", (
    Level("strongly_support", "Strongly support", 2), Level("support", "Support", 1),
    Level("neither", "Neither support nor oppose", 0), Level("oppose", "Oppose", -1),
    Level("strongly_oppose", "Strongly oppose", -2), Level("dont_know", "Don't know", None)))
# the format 1 support levels and their labels (the categories of support["level"] for it)
LEVELS = V1_SCALE.codes
LEVEL_LABELS = V1_SCALE.labels


@dataclass
class ConsultationData:
    """One consultation's responses as tidy frames, with its metadata.

    ``consultation`` holds ``slug``, ``title``, ``opens_at``, ``closes_at``, ``is_demo``,
    ``themes`` (a list of ``{"key", "title", "what_we_will_do"}`` in the definition's order),
    ``organisation`` (the body's name, when the export gives it), ``population`` (residents per
    area, from the export's areas table; empty when the source carries none) and
    ``population_source`` / ``population_year`` (where those figures come from).

    ``scale`` is the support scale the export declares (its levels, labels and numbers);
    ``areas`` the export's areas table (columns :data:`AREA_COLUMNS`, empty when it has none).
    """

    consultation: dict[str, Any]
    responses: pd.DataFrame
    support: pd.DataFrame
    comments: pd.DataFrame
    ranks: pd.DataFrame
    dictionary: pd.DataFrame
    source: str = ""
    format_version: int = 1
    notes: list[str] = field(default_factory=list)
    scale: Scale = V1_SCALE
    areas: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=AREA_COLUMNS))
    # the free-text questions found in the data dictionary (see free_text_questions)
    text_questions: tuple["FreeTextQuestion", ...] = ()
    # results that analysis.tally reuses between calls on the same frames
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def free_text_questions(self) -> list["FreeTextQuestion"]:
        """The consultation's free-text questions, in the order of the export's columns:
        one per theme comment column, and each question of type free text that is not about a
        theme (such as "Is anything missing from the plan?"). Found from the data dictionary's
        question types, so a new consultation's questions need no change here."""
        if self.text_questions:
            return list(self.text_questions)
        columns = list(dict.fromkeys(self.comments["question"])) if len(self.comments) else []
        return _question_list(columns, self.dictionary, self.theme_titles)

    def free_text_question(self, wanted: str) -> "FreeTextQuestion":
        """The free-text question called ``wanted``: its column (``comment__crime_prevention``,
        ``missing_from_plan``), or a theme's key (``crime_prevention``) for its comment column.
        Raises :class:`LoadError` naming the questions there are."""
        for question in self.free_text_questions:
            if wanted in (question.column, question.key):
                return question
        raise LoadError(f"There is no free-text question '{wanted}' in this consultation. "
                        f"{describe_questions(self.free_text_questions)}")

    def quotable_comments(self, question: str | None = None) -> pd.DataFrame:
        """The comments that may be shown to a reader: from responses that are counted (status
        ``valid``) and not hidden by a moderator; of one question (a column or a theme key, see
        :meth:`free_text_question`) or of all. Same columns as ``comments``, in its order.

        Every output meant for reading (the report's quotes and main points, the cluster and
        campaign summaries) takes its texts from here and nowhere else."""
        c = self.comments
        keep = c["counted"].to_numpy(dtype=bool) & ~c["hidden"].to_numpy(dtype=bool)
        if question is not None:
            keep &= (c["question"] == self.free_text_question(question).column).to_numpy()
        return c[keep]

    def comments_left_out(self, question: str | None = None) -> dict[str, int]:
        """How many answers :meth:`quotable_comments` leaves out, and why: ``hidden`` (hidden
        by a moderator in a counted response) and ``not_counted`` (in a response marked
        duplicate, campaign or invalid; hidden or not)."""
        c = self.comments
        if question is not None:
            c = c[c["question"] == self.free_text_question(question).column]
        counted = c["counted"].to_numpy(dtype=bool)
        hidden = c["hidden"].to_numpy(dtype=bool)
        return {"hidden": int((counted & hidden).sum()), "not_counted": int((~counted).sum())}

    @property
    def themes(self) -> list[str]:
        """Theme keys in the definition's order."""
        return [t["key"] for t in self.consultation["themes"]]

    @property
    def theme_titles(self) -> dict[str, str]:
        return {t["key"]: t.get("title") or t["key"] for t in self.consultation["themes"]}

    @property
    def levels(self) -> list[str]:
        """The categories of ``support["level"]``: the scale's codes, then ``not_answered``."""
        return self.scale.codes

    def level_label(self, code: str) -> str:
        """A support level's label as the export gives it (``Strongly support``)."""
        return self.scale.labels.get(code) or _humanise(code)

    def labels(self, column: str) -> dict[str, str]:
        """``{code: label}`` for a coded column, from the data dictionary (in its order)."""
        return _codes_of(self.dictionary, column)

    def label(self, column: str, code: str) -> str:
        return self.labels(column).get(code) or _humanise(code)


@dataclass(frozen=True)
class FreeTextQuestion:
    """A free-text question: ``column`` in the export, ``key`` to name it on the command line
    (the theme's key for a theme's comment column, else the column), the ``label`` the resident
    saw, and ``theme`` / ``theme_title`` (empty for a question that is not about a theme)."""

    column: str
    key: str
    label: str
    theme: str = ""
    theme_title: str = ""

    @property
    def title(self) -> str:
        """A heading for the question: the theme's title, or the question as asked."""
        return self.theme_title or self.label


def describe_questions(questions: list[FreeTextQuestion]) -> str:
    """One sentence naming the free-text questions, for messages: ``The free-text questions
    are: crime_prevention (comments on Crime Prevention), missing_from_plan (Is anything...?).``"""
    if not questions:
        return "It has no free-text questions with answers."
    parts = [f"{q.key} (comments on {q.theme_title})" if q.theme else f"{q.key} ({q.label})" for q in questions]
    return "The free-text questions are: " + ", ".join(parts) + "."


# Partial postcodes (outward codes) are stored as text but are not free text.
_OUTWARD_CODE = r"[A-Za-z]{1,2}[0-9][A-Za-z0-9]?"


def _free_text_columns(wide: pd.DataFrame, dictionary: pd.DataFrame, skip: set[str]) -> list[str]:
    """The columns of ``wide`` holding free-text answers, in column order.

    From the data dictionary: a ``question_type`` of ``free_text`` when the dictionary has that
    field; otherwise type ``comment``, or type ``text`` for a question (not a fixed column)
    whose answers are not all partial postcodes. Without a dictionary: ``comment__`` columns
    and other question columns whose answers hold words separated by spaces.
    """
    has_dictionary = not dictionary.empty and "type" in dictionary
    rows = {str(r["column"]): r for r in dictionary.to_dict("records")} if has_dictionary else {}
    out = []
    for col in wide.columns:
        if col in FIXED_COLUMNS or col.startswith(("support__", "rank__", TRANSLATION_PREFIX,
                                                   *CODING_PREFIXES)):
            continue
        row = rows.get(col)
        values = wide[col]
        answered = values[values != ""]
        if row is not None and str(row.get("question_type", "")).strip():
            is_text = row["question_type"] == "free_text"
        elif row is not None:
            kind = str(row.get("type", ""))
            is_text = kind == "comment" or (
                kind == "text" and str(row.get("question", "")).strip() != ""
                and not _codes_of(dictionary, col)
                and not (len(answered) and answered.str.fullmatch(_OUTWARD_CODE).all()))
        else:
            is_text = col.startswith("comment__") or (
                col not in skip and len(answered) > 0 and answered.str.contains(r"\s", regex=True).any())
        if is_text:
            out.append(col)
    # in the order the consultation asks them (the dictionary's), columns it does not list last
    position = {column: i for i, column in enumerate(rows)}
    return sorted(out, key=lambda c: position.get(c, len(position)))


def _question_list(columns: list[str], dictionary: pd.DataFrame, titles: dict[str, str]) -> list[FreeTextQuestion]:
    rows = {str(r["column"]): r for r in dictionary.to_dict("records")} if "column" in dictionary else {}
    out = []
    for col in columns:
        row = rows.get(col, {})
        theme = str(row.get("theme") or (col[len("comment__"):] if col.startswith("comment__") else ""))
        theme_title = str(row.get("theme_title") or titles.get(theme, "")) if theme else ""
        if theme and not theme_title:
            theme_title = _humanise(theme)
        label = str(row.get("label") or "").strip() or (
            f"Comments on {theme_title}" if theme else _humanise(col))
        out.append(FreeTextQuestion(column=col, key=theme if theme and col == f"comment__{theme}" else col,
                                    label=label, theme=theme, theme_title=theme_title))
    return out


def _humanise(code: str) -> str:
    return str(code).replace("_", " ").capitalize() if code else "Not given"


def _codes_of(dictionary: pd.DataFrame, column: str) -> dict[str, str]:
    if dictionary.empty or "codes" not in dictionary:
        return {}
    rows = dictionary.loc[dictionary["column"] == column, "codes"]
    if rows.empty or not isinstance(rows.iloc[0], str) or not rows.iloc[0].strip():
        return {}
    pairs = {}
    for part in rows.iloc[0].split(" | "):
        code, _, label = part.partition("=")
        pairs[code.strip()] = label.strip() or _humanise(code.strip())
    return pairs


# ---------------------------------------------------------------------------------------------
# scales and areas (format 2)


def _parse_levels(text: Any, column: str, where: str) -> list[tuple[str, int | None]]:
    """``strongly_support=2 | support=1 | ... | dont_know=`` -> ``[(code, number or None)]``.
    A JSON dictionary may also give a list of ``{"code", "value"}`` or a ``{code: number}``."""
    if isinstance(text, dict):
        pairs = list(text.items())
    elif isinstance(text, list):
        pairs = [(item.get("code"), item.get("value")) if isinstance(item, dict) else (item, None)
                 for item in text]
    else:
        text = "" if text is None or (isinstance(text, float) and np.isnan(text)) else str(text)
        pairs = [part.partition("=")[::2] for part in text.split("|") if part.strip()]
    out = []
    for code, number in pairs:
        code = str(code or "").strip()
        number = "" if number is None else str(number).strip()
        if not code:
            raise LoadError(f"{where}: the levels of {column} in the data dictionary have a level with no "
                            "code. Export the file again.")
        if number == "":
            out.append((code, None))
            continue
        try:
            value = float(number)
        except ValueError:
            value = float("nan")
        if not value.is_integer():
            raise LoadError(f"{where}: in the data dictionary's levels of {column}, {code}={number} is not a "
                            "whole number (each level is code=number, or code= for no view). Export the "
                            "file again.")
        out.append((code, int(value)))
    return out


def _scale_from_dictionary(dictionary: pd.DataFrame, themes: list[str], version: int, where: str) -> Scale:
    """The support-per-theme scale: for format 2 from the dictionary's ``scale`` and ``levels``
    of the ``support__`` columns (labels from their ``codes``), for format 1 the built-in one
    (with the dictionary's labels where it gives them)."""
    columns = [f"support__{t}" for t in themes]
    rows = {str(r.get("column")): r for r in dictionary.to_dict("records")} if "column" in dictionary else {}
    if version < 2:
        labels: dict[str, str] = {}
        for col in columns:
            labels.update({k: v for k, v in _codes_of(dictionary, col).items() if v != _humanise(k)})
        return Scale(V1_SCALE.name, tuple(Level(lv.code, labels.get(lv.code, lv.label), lv.value)
                                          for lv in V1_SCALE.levels))
    if not rows:
        # A CSV read without its dictionary: counted on the standard support scale, the one
        # version 1 fixed; a column holding other codes stops with a message naming it.
        return V1_SCALE
    merged: dict[str, Level] = {}
    names: list[str] = []
    for col in columns:
        row = rows.get(col)
        levels = _parse_levels(row.get("levels") if row is not None else None, col, where)
        if not levels:
            raise LoadError(f"{where}: the data dictionary gives no levels for {col}. In export format version 2 "
                            "each scale column lists its levels and their numbers (code=number | ..., e.g. "
                            "strongly_support=2 | ... | dont_know=). Export the file again.")
        name = str(row.get("scale") or "").strip()
        if name and name not in names:
            names.append(name)
        labels = _codes_of(dictionary, col)
        for code, value in levels:
            level = Level(code, labels.get(code) or _humanise(code), value)
            if code in merged and merged[code].value != value:
                raise LoadError(f"{where}: the level {code} counts as {merged[code].value} in one support "
                                f"column and as {value} in {col}. Export the file again.")
            merged.setdefault(code, level)
    if NOT_ANSWERED in merged:
        raise LoadError(f"{where}: '{NOT_ANSWERED}' is a support level in the data dictionary, but it is the "
                        "name this analysis gives to an unanswered question.")
    return Scale(" and ".join(names) or "support", tuple(merged.values()))


def _areas_frame(raw: Any, where: str) -> pd.DataFrame:
    """The export's areas table (rows from a CSV or sheet, or JSON objects) with the columns
    :data:`AREA_COLUMNS`: text, ``population`` and ``population_year`` as whole numbers or
    missing, ``postcode_districts`` as the ``;``-joined text of a CSV."""
    if raw is None:
        return pd.DataFrame(columns=AREA_COLUMNS)
    if isinstance(raw, pd.DataFrame):
        frame = raw.copy()
    elif isinstance(raw, list) and all(isinstance(r, dict) for r in raw):
        frame = pd.DataFrame.from_records(raw)
    else:
        raise LoadError(f"{where}: the areas are not a table (a list of objects with {', '.join(AREA_COLUMNS)}).")
    if len(frame) and "code" not in frame.columns:
        raise LoadError(f"{where}: the areas table has no 'code' column. Its columns are: "
                        f"{', '.join(map(str, frame.columns))}. Export the file again.")
    for col in AREA_COLUMNS:
        if col not in frame.columns:
            frame[col] = ""
    frame = frame[AREA_COLUMNS]
    for col in AREA_COLUMNS:
        if col in ("population", "population_year"):
            continue
        frame[col] = ["" if v is None or (isinstance(v, float) and np.isnan(v))
                      else ";".join(map(str, v)) if isinstance(v, (list, tuple)) else str(v).strip()
                      for v in frame[col]]
    for col in ("population", "population_year"):
        text = frame[col].map(lambda v: "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip())
        numbers = pd.to_numeric(text.replace("", None), errors="coerce")
        bad = text[(text != "") & (numbers.isna() | (numbers < 0) | (numbers % 1 != 0))]
        if len(bad):
            code = frame.loc[bad.index[0], "code"]
            raise LoadError(f"{where}: the area {code} has {col} '{bad.iloc[0]}', which is not a whole number "
                            "of 0 or more. Export the file again.")
        frame[col] = numbers.astype("Int64")
    return frame.reset_index(drop=True)


def _population_from_areas(areas: pd.DataFrame) -> dict[str, Any]:
    """Residents per area (areas, not sub-areas, that have a figure), with the figures' source
    and year as the areas table gives them."""
    top = areas[(areas["parent"] == "") & areas["population"].notna()]
    sources = list(dict.fromkeys(s for s in top["population_source"] if s))
    years = sorted({int(y) for y in top["population_year"].dropna()})
    return {"population": {str(c): int(p) for c, p in zip(top["code"], top["population"])},
            "population_source": "; ".join(sources),
            "population_year": years[0] if len(years) == 1 else ("–".join(map(str, (years[0], years[-1])))
                                                                 if years else None)}


# ---------------------------------------------------------------------------------------------
# entry point


def load(source: str | Path, consultation: str | None = None) -> ConsultationData:
    """Read an export file or a database URL into a :class:`ConsultationData`.

    ``consultation`` is a slug: required for a database holding several consultations, and
    checked against an export file's ``consultation`` column.
    """
    text = str(source)
    if "://" in text:
        return _load_database(text, consultation)
    path = Path(text)
    if not path.exists():
        raise LoadError(f"There is no file at {path}. Give the path of an export file "
                        "(.csv, .json or .xlsx) or a database URL such as sqlite:///instance/consult.db.")
    if path.is_dir():
        raise LoadError(f"{path} is a folder. Give the path of an export file (.csv, .json or .xlsx).")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _load_csv(path, consultation)
    if suffix == ".json":
        return _load_json(path, consultation)
    if suffix in (".xlsx", ".xlsm"):
        return _load_xlsx(path, consultation)
    raise LoadError(f"{path.name} is not an export file this reads: give a .csv, .json or .xlsx "
                    "export (made with 'flask --app consult export'), or a database URL.")


def is_export(source: str | Path) -> bool:
    """True when ``source`` is what :func:`load` reads: a database URL, an XLSX workbook, a CSV
    whose header has ``format_version``, or a JSON ``consult-export`` document. Commands that
    also take any table of texts (:func:`read_table`) use this to send an export through
    :func:`load`, so that its counting rule and hidden comments are applied in one place."""
    text = str(source)
    if "://" in text:
        return True
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return True
    if not path.is_file():
        return False
    if suffix == ".csv":
        try:
            header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
            return False
        return "format_version" in header.columns
    if suffix == ".json":
        with path.open("rb") as handle:
            return b'"consult-export"' in handle.read(4096)
    return False


#: What :func:`read_table` reads, for messages.
TABLE_FILES = "a CSV (UTF-8, with a header row), a JSON list of records or a JSON Lines file"


def read_table(path: str | Path, option: str = "--source") -> pd.DataFrame:
    """The rows of a table of texts that is not a Consult export, as written: a CSV (UTF-8, a
    byte order mark allowed, a header row; every cell read as text, blank cells as ""), a JSON
    list of records or a JSON Lines file (``.jsonl``, ``.ndjson``: one object a line). Any
    other name is read as a CSV. The commands that take a comment file (``cluster``, ``code``,
    ``campaigns``) read it here; an export goes to :func:`load` instead (:func:`is_export`).

    Raises :class:`LoadError` saying what is wrong and what to give instead: no such file, a
    folder, an empty file, text that is not UTF-8, or a file that is not a table of that kind.
    ``option`` is the command-line option that named the file, for those messages.
    """
    path = Path(path)
    if not path.exists():
        raise LoadError(f"There is no file at {path}. Check the path given to {option}.")
    if path.is_dir():
        raise LoadError(f"{path} is a folder. Give {option} the file itself.")
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise LoadError(f"{path} could not be read ({error.strerror or error}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(f"{path} is not UTF-8 text. Save it as CSV UTF-8 (or JSON in UTF-8) and "
                        "try again.") from None
    if not text.strip():
        raise LoadError(f"{path} is empty. Give {TABLE_FILES}, with one text per row.")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        try:
            return pd.read_json(io.StringIO(text), lines=True, dtype=False)
        except ValueError as error:
            raise LoadError(f"{path} is not JSON Lines (one JSON object a line): {error}") from None
    if suffix == ".json":
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise LoadError(f"{path} is not valid JSON ({error.msg} on line {error.lineno}).") from None
        if isinstance(document, list) and all(isinstance(r, dict) for r in document):
            return pd.DataFrame(document)
        raise LoadError(f"{path} is neither a Consult JSON export nor a list of records. Give a "
                        "Consult export (CSV or JSON) or a CSV with one text per row.")
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.ParserError as error:
        raise LoadError(f"{path} could not be read as CSV ({error}). Give a UTF-8 CSV with a "
                        "header row, or a Consult export.") from None


def _check_version(found: Any, where: str) -> int:
    def whole(v: Any) -> str:
        text = str(v).strip()
        try:  # a spreadsheet may store the version as the number 1.0
            number = float(text)
        except ValueError:
            return text
        return str(int(number)) if number.is_integer() else text

    values = {whole(v) for v in (found if isinstance(found, (list, set, tuple)) else [found])}
    values.discard("")
    supported = _versions_read()
    if not values:
        raise LoadError(f"{where} does not say which export format version it is (no format_version). "
                        f"This version of the analysis reads {supported}.")
    bad = sorted(v for v in values if v not in {str(s) for s in SUPPORTED_VERSIONS})
    if bad:
        raise LoadError(f"{where} is in export format version {', '.join(bad)}, but this version of the "
                        f"analysis reads only {supported}. Export again with a matching "
                        "version of Consult, or upgrade the analysis package.")
    if len(values) > 1:
        raise LoadError(f"{where} mixes rows of export format versions {', '.join(sorted(values))}. Export "
                        "the file again rather than joining exports.")
    return int(next(iter(values)))


def _versions_read() -> str:
    """``format versions 1, 2 and 3`` (or ``format version 1``), for messages."""
    numbers = [str(v) for v in SUPPORTED_VERSIONS]
    if len(numbers) == 1:
        return f"format version {numbers[0]}"
    return f"format versions {', '.join(numbers[:-1])} and {numbers[-1]}"


def _strip_formula_guard(frame: pd.DataFrame, text_columns: list[str], csv: bool = True) -> None:
    """Remove the ``'`` the exporter put before cells that a spreadsheet would run as formulas
    (and, in a CSV, after separators inside a cell)."""
    for col in text_columns:
        s = frame[col]
        if not (s.str.contains("'", regex=False, na=False)).any():
            continue
        s = s.str.replace(_GUARDED_START, "", n=1, regex=True)
        if csv:
            s = s.str.replace(_GUARD_AFTER_SPLIT, r"\1", regex=True)
        frame[col] = s


def _read_csv_safely(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                           encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError(f"{path.name} is not UTF-8 text. Use the CSV file exactly as Consult exported it "
                        "(opening and saving it in a spreadsheet can change its encoding).") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise LoadError(f"{path.name} could not be read as CSV ({error}). Export it again.") from None


def _version_without_rows(wide: pd.DataFrame, dictionary: pd.DataFrame | None) -> int:
    """The version of an export with no responses (no row carries it): format 3 has the
    ``language`` column, format 2 the dictionary's ``levels``, else format 1."""
    if "language" in wide.columns:
        return 3
    return 2 if dictionary is not None and "levels" in dictionary.columns else 1


def _load_csv(path: Path, consultation: str | None) -> ConsultationData:
    wide = _read_csv_safely(path)
    if "format_version" not in wide.columns:
        raise LoadError(f"{path.name} has no format_version column, so it is not a Consult export "
                        f"(or it was changed). This analysis reads export {_versions_read()}.")
    dictionary_path = path.with_name(path.stem + ".dictionary.csv")
    areas_path = path.with_name(path.stem + ".areas.csv")
    # an export with no responses has the header but no row to carry the version: the
    # dictionary's fields tell format 2 (scale, levels) from format 1
    dictionary = _read_csv_safely(dictionary_path) if dictionary_path.exists() else None
    if len(wide):
        version = _check_version(list(wide["format_version"].unique()), path.name)
    else:
        version = _version_without_rows(wide, dictionary)
    notes = []
    areas = None
    if version >= 2:
        if areas_path.exists():
            areas = _areas_frame(_read_csv_safely(areas_path), areas_path.name)
        else:
            notes.append(f"No areas table ({areas_path.name}) beside the CSV: the areas' populations are not "
                         "known, so responses per 1,000 residents are not given.")
    if dictionary is None:
        dictionary = pd.DataFrame(columns=["column", "question", "type", "theme", "theme_title", "label",
                                           "codes", "description"])
        notes.append(f"No data dictionary ({dictionary_path.name}) beside the CSV: the consultation, its "
                     "themes and the answers are shown by their codes, without their titles and labels.")
    text_cols = [c for c in wide.columns if c not in ("format_version",)]
    _strip_formula_guard(wide, text_cols)
    meta = _meta_from_dictionary(wide, dictionary)
    return _finish(wide, dictionary, meta, str(path), version, consultation, notes, areas)


def _load_xlsx(path: Path, consultation: str | None) -> ConsultationData:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, keep_default_na=False, na_filter=False,
                               engine="openpyxl")
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise LoadError(f"{path.name} could not be opened as an Excel workbook ({type(error).__name__}). "
                        "Download the export again.") from None
    if "responses" not in sheets:
        raise LoadError(f"{path.name} has no 'responses' sheet, so it is not a Consult export. "
                        f"Sheets found: {', '.join(sheets)}.")
    wide = sheets["responses"].astype(str)
    if "format_version" not in wide.columns:
        raise LoadError(f"The 'responses' sheet of {path.name} has no format_version column.")
    dictionary = sheets.get("data dictionary", pd.DataFrame(columns=["column", "codes"])).astype(str)
    if len(wide):
        version = _check_version(list(wide["format_version"].unique()), path.name)
    else:
        version = _version_without_rows(wide, dictionary)
    notes = []
    areas = None
    if version >= 2:
        if "areas" in sheets:
            areas = _areas_frame(sheets["areas"], f"The 'areas' sheet of {path.name}")
        else:
            notes.append(f"{path.name} has no 'areas' sheet: the areas' populations are not known, so "
                         "responses per 1,000 residents are not given.")
    _strip_formula_guard(wide, [c for c in wide.columns if c != "format_version"], csv=False)
    meta = _meta_from_dictionary(wide, dictionary)
    return _finish(wide, dictionary, meta, str(path), version, consultation, notes, areas)


def _load_json(path: Path, consultation: str | None) -> ConsultationData:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise LoadError(f"{path.name} is not valid JSON ({error}). Export it again.") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        raise LoadError(f"{path.name} is JSON but not a Consult export (its \"format\" is not "
                        f"\"{FORMAT_NAME}\").")
    version = _check_version(doc.get("format_version", ""), path.name)
    dictionary = pd.DataFrame(doc.get("dictionary") or [])
    records = doc.get("responses") or []
    wide = pd.DataFrame.from_records(records)
    wide = _normalise_values(wide)
    meta = doc.get("consultation") or {}
    if not isinstance(meta, dict):
        raise LoadError(f"{path.name}: \"consultation\" is not an object. Export the file again.")
    meta = dict(meta)
    if not meta.get("themes"):
        meta.update({k: v for k, v in _meta_from_dictionary(wide, dictionary).items() if k == "themes"})
    meta.setdefault("slug", wide["consultation"].iloc[0] if "consultation" in wide and len(wide) else "")
    notes = []
    areas = None
    if version >= 2:
        if meta.get("areas") is not None:
            areas = _areas_frame(meta.pop("areas"), f"{path.name} (consultation.areas)")
        else:
            notes.append(f"{path.name} has no consultation.areas: the areas' populations are not known, so "
                         "responses per 1,000 residents are not given.")
        meta.pop("population", None)  # format 2 gives residents only in its areas table
    return _finish(wide, dictionary, meta, str(path), version, consultation, notes, areas)


def _normalise_values(wide: pd.DataFrame) -> pd.DataFrame:
    """JSON and database answers -> the same strings a CSV export holds (lists joined by ';')."""
    for col in wide.columns:
        s = wide[col]
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            wide[col] = [
                "" if v is None or (isinstance(v, float) and np.isnan(v))
                else ";".join(str(x) for x in v) if isinstance(v, (list, tuple))
                else str(int(v)) if isinstance(v, float) and v.is_integer() and col.startswith("rank__")
                else str(v)
                for v in s
            ]
        else:
            wide[col] = ["" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v) for v in s]
    return wide


def _meta_from_dictionary(wide: pd.DataFrame, dictionary: pd.DataFrame) -> dict[str, Any]:
    themes = []
    titles = {}
    if not dictionary.empty and {"column", "theme_title"} <= set(dictionary.columns):
        for _, row in dictionary.iterrows():
            if str(row["column"]).startswith("support__"):
                titles[str(row["column"])[len("support__"):]] = row["theme_title"]
    for col in wide.columns:
        if col.startswith("support__"):
            key = col[len("support__"):]
            # without a dictionary the key is shown as it is, rather than a made-up title
            themes.append({"key": key, "title": titles.get(key) or key, "what_we_will_do": ""})
    slug = wide["consultation"].iloc[0] if "consultation" in wide.columns and len(wide) else ""
    # the exporter lists the consultation's slug=title as the codes of the consultation column
    named = _codes_of(dictionary, "consultation")
    slug = slug or (next(iter(named)) if len(named) == 1 else "")
    title = named.get(slug, "") if named.get(slug) != _humanise(slug) else ""
    return {"slug": slug, "title": title, "opens_at": None, "closes_at": None, "is_demo": None,
            "themes": themes, "population": {}}


# ---------------------------------------------------------------------------------------------
# database


def _load_database(url: str, consultation: str | None) -> ConsultationData:
    import sqlalchemy as sa

    safe_url = url
    try:
        parsed = sa.engine.make_url(url)
        safe_url = parsed.render_as_string(hide_password=True)
        if parsed.drivername.startswith("sqlite") and parsed.database not in (None, "", ":memory:") \
                and not Path(parsed.database).exists():
            # SQLite would quietly create an empty database file there
            raise LoadError(f"There is no database file at {parsed.database}. Check the path in the URL "
                            "(sqlite:///relative/path.db, or sqlite:////absolute/path.db).")
        engine = sa.create_engine(parsed)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as error:
        raise LoadError(f"'{url}' is not a database URL this can open ({error}). Use a URL such as "
                        "sqlite:///instance/consult.db or postgresql+psycopg://user@host/dbname.") from None
    except ModuleNotFoundError as error:
        raise LoadError(f"The database driver for {safe_url} is not installed ({error.name}).") from None
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text(
                "SELECT id, slug, title, opens_at, closes_at, is_demo, population, definition FROM consultation "
                "ORDER BY slug")).mappings().all()
            if not rows:
                raise LoadError(f"The database at {safe_url} holds no consultations.")
            slugs = [r["slug"] for r in rows]
            if consultation is None:
                if len(rows) > 1:
                    raise LoadError(f"The database at {safe_url} holds {len(rows)} consultations "
                                    f"({', '.join(slugs)}); choose one with --consultation SLUG.")
                chosen = rows[0]
            else:
                matches = [r for r in rows if r["slug"] == consultation]
                if not matches:
                    raise LoadError(f"There is no consultation '{consultation}' in the database at "
                                    f"{safe_url}. It holds: {', '.join(slugs)}.")
                chosen = matches[0]
            themes = conn.execute(sa.text(
                "SELECT key, title, what_we_will_do FROM theme WHERE consultation_id = :id "
                "ORDER BY position, id"), {"id": chosen["id"]}).mappings().all()
            responses = conn.execute(sa.text(
                "SELECT id, reference, submitted_at, received_on, channel, status, status_reason, "
                "hidden_comments, answers, language FROM response WHERE consultation_id = :id "
                "ORDER BY submitted_at, reference"), {"id": chosen["id"]}).mappings().all()
            translations: dict[Any, dict[str, str]] = {}
            for t in conn.execute(sa.text(
                    "SELECT t.response_id, t.\"column\", t.text FROM comment_translation t "
                    "JOIN response r ON r.id = t.response_id WHERE r.consultation_id = :id"),
                    {"id": chosen["id"]}).mappings():
                translations.setdefault(t["response_id"], {})[TRANSLATION_PREFIX + t["column"]] = t["text"]
            questions = conn.execute(sa.text(
                "SELECT key, type, label, spec FROM question WHERE consultation_id = :id "
                "ORDER BY position, id"), {"id": chosen["id"]}).mappings().all()
    except LoadError:
        raise
    except sa.exc.OperationalError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise LoadError(f"Could not read the database at {safe_url}: {reason}. Check the URL, that the "
                        "database server is running, and that the app's tables exist "
                        "('flask --app consult db upgrade').") from None
    except sa.exc.SQLAlchemyError as error:
        reason = str(getattr(error, "orig", error)).strip().splitlines()[0]
        raise LoadError(f"Could not read the database at {safe_url}: {reason}.") from None
    finally:
        engine.dispose()

    def as_json(value: Any, default: Any) -> Any:
        if value is None or value == "":
            return default
        return json.loads(value) if isinstance(value, str) else value

    theme_list = [{"key": t["key"], "title": t["title"], "what_we_will_do": t["what_we_will_do"] or ""}
                  for t in themes]
    meta = {
        "slug": chosen["slug"], "title": chosen["title"],
        "opens_at": _iso(chosen["opens_at"]), "closes_at": _iso(chosen["closes_at"]),
        "is_demo": bool(chosen["is_demo"]), "themes": theme_list,
        "population": as_json(chosen["population"], {}) or {},
    }
    definition = as_json(chosen["definition"], {}) or {}
    areas = _areas_of_definition(definition.get("areas") if isinstance(definition, dict) else None)
    if len(areas) and areas["population"].notna().any():
        meta.pop("population")  # the areas the definition uses carry the figures
    records = []
    for r in responses:
        answers = as_json(r["answers"], {}) or {}
        hidden = as_json(r["hidden_comments"], []) or []
        record = {
            "format_version": "1", "consultation": chosen["slug"], "reference": r["reference"],
            "submitted_at": _iso(r["submitted_at"]),
            "received_on": str(r["received_on"])[:10] if r["received_on"] else "",
            "channel": r["channel"] or "", "status": r["status"] or "valid",
            "status_reason": r["status_reason"] or "", "hidden_comments": hidden,
            "language": r["language"] or "",
        }
        for key, value in {**answers, **translations.get(r["id"], {})}.items():
            if key not in record:
                record[key] = value
        records.append(record)
    fixed_and_first = FIXED_COLUMNS
    wide = pd.DataFrame.from_records(records)
    if wide.empty:
        wide = pd.DataFrame(columns=fixed_and_first)
    theme_cols = [f"{p}{t['key']}" for t in theme_list for p in ("support__", "comment__")] + \
        [f"rank__{t['key']}" for t in theme_list]
    for col in theme_cols:
        if col not in wide.columns:
            wide[col] = None
    others = sorted(c for c in wide.columns if c not in fixed_and_first and c not in theme_cols)
    wide = _normalise_values(wide[fixed_and_first + others + theme_cols].copy())
    titles = {t["key"]: t["title"] for t in theme_list}
    asked = [_question_row(q, as_json(q["spec"], {}) or {}, titles) for q in questions]
    listed = {row["column"] for row in asked}
    dictionary = pd.DataFrame(
        [{"column": f"support__{t['key']}", "theme": t["key"], "theme_title": t["title"], "type": "support",
          "codes": "", "question_type": "support", "label": ""} for t in theme_list
         if f"support__{t['key']}" not in listed] + asked)
    return _finish(wide, dictionary, meta, safe_url, 1, None, [], areas)


def _areas_of_definition(areas: Any) -> pd.DataFrame:
    """The areas a stored definition uses (``definition["areas"]``: items with their sub-areas,
    see docs/export-format.md) as the export's flat areas table."""
    if not isinstance(areas, dict) or not isinstance(areas.get("items"), list):
        return pd.DataFrame(columns=AREA_COLUMNS)
    rows = []
    for item in areas["items"]:
        if not isinstance(item, dict):
            continue
        common = {"population_source": areas.get("population_source") or "",
                  "population_year": areas.get("population_year")}
        rows.append({"code": item.get("code"), "name": item.get("name"), "ons_code": item.get("ons_code") or "",
                     "parent": "", "population": item.get("population"),
                     "postcode_districts": item.get("postcode_districts") or [], **common})
        for sub in item.get("sub_areas") or []:
            if isinstance(sub, dict):
                rows.append({"code": sub.get("code"), "name": sub.get("name"), "ons_code": sub.get("ons_code") or "",
                             "parent": item.get("code"), "population": sub.get("population"),
                             "postcode_districts": sub.get("postcode_districts") or [], **common})
    return _areas_frame(rows, "the consultation's definition (areas)")


def _question_row(question: Any, spec: dict[str, Any], titles: dict[str, str]) -> dict[str, str]:
    """A data dictionary row for a question read from the database's question table; its
    ``question_type`` tells free text from other text (such as a partial postcode)."""
    theme = str(spec.get("theme") or "")
    kind = "support" if question["type"] == "support" else \
        "comment" if question["type"] == "free_text" and theme else "text"
    return {"column": question["key"], "theme": theme, "theme_title": titles.get(theme, ""), "type": kind,
            "codes": "", "question_type": question["type"], "label": question["label"] or ""}


def _iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# wide table -> tidy frames


def _finish(wide: pd.DataFrame, dictionary: pd.DataFrame, meta: dict[str, Any], source: str,
            version: int, consultation: str | None, notes: list[str],
            areas: pd.DataFrame | None = None) -> ConsultationData:
    for col in ("reference", "status", "channel", "submitted_at"):
        if col not in wide.columns:
            raise LoadError(f"{Path(source).name} has no '{col}' column, so it is not a complete Consult "
                            "export. Export it again.")
    if "consultation" in wide.columns and len(wide):
        found = sorted(set(wide["consultation"]))
        if consultation is not None:
            if consultation not in found:
                raise LoadError(f"{Path(source).name} holds the consultation {', '.join(found)}, not "
                                f"'{consultation}'. Leave out --consultation, or give the right file.")
            wide = wide[wide["consultation"] == consultation].reset_index(drop=True)
        elif len(found) > 1:
            raise LoadError(f"{Path(source).name} mixes several consultations ({', '.join(found)}); choose "
                            "one with --consultation SLUG.")
    meta = dict(meta)
    meta.setdefault("organisation", "")
    # format 4, JSON: each coded comment column's codebook, sign-off and the model's agreement
    # with people (docs/export-format.md); CSV and XLSX give these in the dictionary only
    meta.setdefault("coding", [])
    if areas is None:
        areas = pd.DataFrame(columns=AREA_COLUMNS)
    if len(areas):
        meta.update(_population_from_areas(areas))
    else:
        meta.setdefault("population", {})
        meta.setdefault("population_source", "")
        meta.setdefault("population_year", None)
    try:
        meta["population"] = {str(k): int(v) for k, v in (meta.get("population") or {}).items()}
    except (TypeError, ValueError, AttributeError):
        raise LoadError(f"{Path(source).name}: the consultation's population is not a list of whole numbers "
                        "per area. Export the file again.") from None
    if not meta.get("population") and not any("per 1,000" in note for note in notes):
        notes.append("The source gives no population figures for its areas, so responses per 1,000 residents "
                     "are not given.")
    if not meta.get("themes"):
        raise LoadError(f"{Path(source).name} has no support__ columns: it holds no support per theme.")
    if dictionary.empty:
        dictionary = pd.DataFrame(columns=["column", "codes"])
    for extra in ("levels", "scale"):
        if extra in dictionary.columns:  # JSON may give levels as a list: keep it readable as text
            dictionary[extra] = [_levels_text(v) for v in dictionary[extra]]
    themes = [t["key"] for t in meta["themes"]]
    scale = _scale_from_dictionary(dictionary, themes, version, Path(source).name)
    dictionary = dictionary.fillna("").astype(str)
    data = _tidy(wide.reset_index(drop=True), dictionary, themes, scale)
    columns = data.pop("free_text_columns")
    titles = {t["key"]: t.get("title") or "" for t in meta["themes"]}
    return ConsultationData(consultation=meta, dictionary=dictionary, source=source, format_version=version,
                            notes=notes, text_questions=tuple(_question_list(columns, dictionary, titles)),
                            scale=scale, areas=areas, **data)


def _levels_text(value: Any) -> Any:
    if isinstance(value, dict):
        value = list(value.items())
    if isinstance(value, list):
        return " | ".join(f"{c}={'' if v is None else v}" for c, v in (
            (item.get("code"), item.get("value")) if isinstance(item, dict) else tuple(item) for item in value))
    return value


def _categorical(values: pd.Series, codes: list[str]) -> pd.Categorical:
    seen = [v for v in pd.unique(values) if v not in codes]
    return pd.Categorical(values, categories=list(codes) + sorted(seen))


def _tidy(wide: pd.DataFrame, dictionary: pd.DataFrame, themes: list[str],
          scale: Scale = V1_SCALE) -> dict[str, pd.DataFrame]:
    n = len(wide)
    types = dict(zip(dictionary.get("column", []), dictionary.get("type", []))) if "type" in dictionary else {}
    responses = pd.DataFrame({"reference": wide["reference"].astype(str).to_numpy()})
    responses["consultation"] = wide["consultation"].to_numpy() if "consultation" in wide else ""
    responses["submitted_at"] = pd.to_datetime(wide["submitted_at"].replace("", None), utc=True,
                                               errors="coerce", format="ISO8601")
    if responses["submitted_at"].isna().any():
        bad = wide.loc[responses["submitted_at"].isna().to_numpy(), "reference"].head(3).tolist()
        raise LoadError(f"Some responses have no readable submitted_at date (e.g. {', '.join(bad)}). "
                        "Export the file again; dates must look like 2021-07-04T18:22:05Z.")
    received = wide["received_on"] if "received_on" in wide else pd.Series([""] * n)
    responses["received_on"] = pd.to_datetime(received.replace("", None), errors="coerce", format="ISO8601")
    responses["channel"] = _categorical(wide["channel"], ["online", "paper", "event", "email", "letter"])
    responses["status"] = _categorical(wide["status"].replace("", "valid"), STATUSES)
    for col in ("status_reason", "hidden_comments"):
        responses[col] = wide[col].to_numpy() if col in wide else ""
    # the language the response was given in (format 3); "" when the source does not say
    responses["language"] = wide["language"].to_numpy() if "language" in wide else ""
    theme_cols = {c for c in wide.columns if c.startswith(THEME_PREFIXES)}
    for col in wide.columns:
        if (col in FIXED_COLUMNS or col in theme_cols
                or col.startswith((TRANSLATION_PREFIX, *CODING_PREFIXES))):
            continue
        codes = list(_codes_of(dictionary, col))
        kind = types.get(col, "")
        if kind == "code" or (codes and kind not in MULTIPLE_CHOICE_TYPES and kind != "codes"):
            responses[col] = _categorical(wide[col], codes + ([""] if "" not in codes else []))
        elif kind == "integer":
            responses[col] = pd.to_numeric(wide[col].replace("", None), errors="coerce").astype("Int64")
        else:
            responses[col] = wide[col].to_numpy()

    rows = np.arange(n, dtype=np.int32)
    refs = responses["reference"].to_numpy()
    theme_cat = pd.CategoricalDtype(themes)
    levels = scale.codes
    level_frames = []
    level_codes = []
    for key in themes:
        col = f"support__{key}"
        values = wide[col] if col in wide else pd.Series([""] * n)
        answers = values.replace("", NOT_ANSWERED)
        unknown = ~answers.isin(levels).to_numpy()
        if unknown.any():
            bad = sorted(set(values[unknown]))[:5]
            raise LoadError(f"The column {col} holds answers that are not levels of its scale: {', '.join(bad)}. "
                            f"The levels are {', '.join(levels[:-1])} (or empty).")
        level_codes.append(pd.Categorical(answers.to_numpy(), categories=levels).codes)
    support = pd.DataFrame({
        "row": np.tile(rows, len(themes)),
        "reference": np.tile(refs, len(themes)),
        "theme": pd.Categorical.from_codes(np.repeat(np.arange(len(themes)), n), dtype=theme_cat),
        "level": pd.Categorical.from_codes(np.concatenate(level_codes) if level_codes else [], categories=levels),
    })
    del level_frames

    comment_parts = []
    hidden_lists = responses["hidden_comments"].astype(str)
    counted = (responses["status"] == "valid").to_numpy()
    coded = {c for c in wide.columns if c in responses.columns and isinstance(responses[c].dtype, pd.CategoricalDtype)}
    text_questions = _free_text_columns(wide, dictionary, coded)
    for col in text_questions:
        values = wide[col]
        mask = (values != "").to_numpy()
        if not mask.any():
            continue
        hidden = (";" + hidden_lists[mask] + ";").str.contains(";" + col + ";", regex=False).to_numpy()
        translated = wide[TRANSLATION_PREFIX + col] if TRANSLATION_PREFIX + col in wide else None

        def coding(prefix: str, col: str = col, mask: Any = mask) -> Any:
            return wide[prefix + col][mask].to_numpy() if prefix + col in wide else ""
        comment_parts.append(pd.DataFrame({
            "row": rows[mask], "reference": refs[mask], "question": col,
            "theme": col[len("comment__"):] if col.startswith("comment__") else "",
            "text": values[mask].to_numpy(), "hidden": hidden, "counted": counted[mask],
            # a staff translation of the comment (format 3), "" when none was recorded
            "translation": translated[mask].to_numpy() if translated is not None else "",
            # format 4: the comment's codes (";"-joined), "people" or "model" ("" when not
            # coded), the model's confidence (NaN for people's) and people's quotable mark
            "codes": coding(CODES_PREFIX), "codes_source": coding(SOURCE_PREFIX),
            "codes_confidence": pd.to_numeric(pd.Series(coding(CONFIDENCE_PREFIX)).replace("", None),
                                              errors="coerce").to_numpy(dtype=float)
            if CONFIDENCE_PREFIX + col in wide else np.nan,
            "quotable": coding(QUOTABLE_PREFIX) == "yes" if QUOTABLE_PREFIX + col in wide else False,
        }))
    comments = (pd.concat(comment_parts, ignore_index=True) if comment_parts else
                pd.DataFrame({"row": pd.Series(dtype=np.int32), "reference": pd.Series(dtype=object),
                              "question": pd.Series(dtype=object), "theme": pd.Series(dtype=object),
                              "text": pd.Series(dtype=object), "hidden": pd.Series(dtype=bool),
                              "counted": pd.Series(dtype=bool), "translation": pd.Series(dtype=object),
                              "codes": pd.Series(dtype=object), "codes_source": pd.Series(dtype=object),
                              "codes_confidence": pd.Series(dtype=float),
                              "quotable": pd.Series(dtype=bool)}))

    rank_parts = []
    for key in themes:
        col = f"rank__{key}"
        if col not in wide:
            continue
        ranks = pd.to_numeric(wide[col].replace("", None), errors="coerce").to_numpy(dtype=float)
        mask = ~np.isnan(ranks)
        rank_parts.append(pd.DataFrame({"row": rows[mask], "reference": refs[mask], "theme": key,
                                        "rank": ranks[mask].astype(np.int16)}))
    ranks = (pd.concat(rank_parts, ignore_index=True) if rank_parts else
             pd.DataFrame({"row": [], "reference": [], "theme": [], "rank": []}))
    ranks["theme"] = pd.Categorical(ranks["theme"], dtype=theme_cat)
    return {"responses": responses, "support": support, "comments": comments, "ranks": ranks,
            "free_text_columns": text_questions}
