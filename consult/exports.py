"""Exports of a consultation's responses: CSV (+ data dictionary and areas), XLSX and JSON,
format 3.

The format is the contract in docs/export-format.md. Rows are streamed from the database with
``yield_per`` (a server-side cursor on PostgreSQL) and written as they come, so memory stays flat
however many responses there are. A CSV text cell that a spreadsheet could run as a formula (even
behind invisible characters) is prefixed with ``'``, and every CSV cell is quoted; an XLSX cell
is a string, number or date, never a formula, and formula-like text carries Excel's quote prefix
style instead of an apostrophe. Every writer takes an optional ``progress`` callback.

The columns of the questions, and their data dictionary entries, are their question types'
handlers' (consult/survey/handlers.py); codes and labels come from consult/codes.py and from the
definition; the areas and their populations from the consultation's stored definition.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import re
from collections import Counter
from dataclasses import dataclass, replace
from operator import itemgetter
from typing import IO, Any, Callable, Iterator

import orjson
import sqlalchemy as sa
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from . import codes
from .columns import DICTIONARY_FIELDS, Column, codes_text
from .extensions import db
from .models import Consultation, Response
from .survey.handlers import HANDLERS, handler_for

FORMAT_VERSION = 4
# Versions whose rows the importer reads (the response columns of versions 1 and 2 are those of
# 3 without ``language`` and the ``translation__`` columns; 4 adds the coding columns, which,
# like translations, are read past).
READABLE_VERSIONS = (1, 2, 3, 4)
# A staff translation of a comment column COLUMN is exported as ``translation__COLUMN``.
TRANSLATION_PREFIX = "translation__"
FORMATS = ("csv", "json", "xlsx")
STREAM_BATCH = 1000
PROGRESS_EVERY = 1000  # rows between two calls of a writer's progress callback (a job's page)

AREA_FIELDS = ["code", "name", "ons_code", "parent", "population", "population_source",
               "population_year", "postcode_districts"]


def question_dict(question: Any) -> dict[str, Any]:
    """A stored ``Question`` row as the normalised definition's question (key, type, label and
    the rest of its settings)."""
    return {**(question.spec or {}), "key": question.key, "type": question.type,
            "label": question.label}


def question_options(question_type: str, spec: dict[str, Any]) -> list[tuple[str, str]]:
    """The (code, label) pairs of a coded question, in the survey's own words."""
    handler = HANDLERS.get(question_type)
    if handler is None or not handler.coded:
        return []
    return handler.code_pairs(spec)


def area_question(consultation: Consultation) -> Any:
    """The question that asks for the area (its handler's options are the areas), or None."""
    return next((q for q in consultation.questions
                 if q.type in HANDLERS and handler_for(q.type).asks_area), None)


def area_options(consultation: Consultation) -> list[tuple[str, str]]:
    """The (code, label) pairs of the consultation's area question, as the survey shows them."""
    question = area_question(consultation)
    return question_options(question.type, question.spec or {}) if question is not None else []


def areas_table(consultation: Consultation) -> list[dict[str, Any]]:
    """The areas of the consultation, one row per area and sub-area (``AREA_FIELDS``), from its
    stored definition's ``areas``; a consultation stored without them gives the areas its
    ``population`` names, named as its area question names them."""
    areas = (consultation.definition or {}).get("areas")
    rows: list[dict[str, Any]] = []
    if isinstance(areas, dict) and areas.get("items"):
        source = areas.get("population_source") or ""
        year = areas.get("population_year")

        def row(item: dict, parent: str) -> dict[str, Any]:
            population = item.get("population")
            return {
                "code": item.get("code", ""), "name": item.get("name", ""),
                "ons_code": item.get("ons_code") or "", "parent": parent,
                "population": population,
                "population_source": source if population is not None else "",
                "population_year": year if population is not None else None,
                "postcode_districts": ";".join(item.get("postcode_districts") or []),
            }

        for item in areas["items"]:
            rows.append(row(item, ""))
            rows.extend(row(sub, item.get("code", "")) for sub in item.get("sub_areas") or [])
        return rows
    population = consultation.population or {}
    names = dict(area_options(consultation))
    ordered = [code for code in names if code in population]
    ordered += [code for code in population if code not in names]
    return [{"code": code, "name": names.get(code, code), "ons_code": "", "parent": "",
             "population": population[code], "population_source": "", "population_year": None,
             "postcode_districts": ""} for code in ordered]


def fixed_columns() -> list[Column]:
    def fixed(name: str, kind: str, label: str, description: str,
              options: list[tuple[str, str]] | None = None) -> Column:
        options = options or []
        return Column(name, "", kind, "", "", label, codes_text(options), description,
                      tuple(code for code, _ in options))

    return [
        fixed("format_version", "integer", "Export format version",
              f"The version of the export format; always {FORMAT_VERSION}."),
        fixed("consultation", "text", "Consultation", "The consultation's short name (slug)."),
        fixed("reference", "text", "Response reference",
              "The reference the respondent was given; random, never sequential."),
        fixed("submitted_at", "datetime", "Submitted at",
              "When the response was stored, ISO 8601 in UTC."),
        fixed("received_on", "date", "Received on",
              "The day the response reached the office (the date keyed in for paper)."),
        fixed("channel", "code", "Channel", "How the response reached the office.",
              list(codes.CHANNELS)),
        fixed("status", "code", "Moderation status",
              "Only valid responses are counted; the others stay in the export.",
              list(codes.RESPONSE_STATUSES)),
        fixed("status_reason", "text", "Reason for the status",
              "The moderator's reason, empty when valid."),
        fixed("hidden_comments", "codes", "Hidden comments",
              "The comment columns a moderator hid, separated by ';'; their text is still "
              "here for staff and must not be quoted."),
        fixed("language", "code", "Language of the response",
              "The language the response was given in (a BCP 47 code): the page's language "
              "online, the language staff chose on paper entry, or the import's; the codes "
              "listed are those staff choose from, and another code may appear.",
              list(codes.RESPONSE_LANGUAGES)),
    ]


def translatable(column: Column) -> bool:
    """Whether staff can record a translation of this column's answers (free text)."""
    handler = HANDLERS.get(column.question_type)
    return handler is not None and handler.translatable


def translation_column(column: Column) -> Column:
    """The column of staff translations of a free-text column (``translation__COLUMN``)."""
    return Column(
        TRANSLATION_PREFIX + column.column, "", "translation", column.theme, column.theme_title,
        f"Translation: {column.label}", "",
        f"A translation of {column.column} into English recorded by staff (the original stays "
        f"in {column.column}); empty when none was recorded.", (), None, "translation")


def columns(consultation: Consultation) -> list[Column]:
    """Every column of the export, in order: fixed columns, then each question's columns in the
    order the definition asks them. Questions on a page asked once per theme are stored one row
    per theme (``support__THEME``, ``comment__THEME``), so they come out theme by theme."""
    titles = {t.key: t.title for t in consultation.themes}
    # the consultation's title travels with its slug, so a CSV export can be read with its name
    result = [replace(c, codes=codes_text([(consultation.slug, consultation.title)]))
              if c.column == "consultation" else c for c in fixed_columns()]
    for question in consultation.questions:
        result.extend(handler_for(question.type).export_columns(question_dict(question), titles))
    # format 3: staff translations of the free-text columns, after every question's columns
    result += [translation_column(c) for c in result if translatable(c)]
    # format 4: the codes of each coded comment question (consult/coding/exported.py)
    from .coding.exported import coding_columns

    return result + coding_columns(consultation, result)


def translations_of(consultation: Consultation) -> dict[int, dict[str, str]]:
    """The staff translations of the consultation's comments: {response id: {column: text}}."""
    from .models import CommentTranslation

    found: dict[int, dict[str, str]] = {}
    query = (sa.select(CommentTranslation.response_id, CommentTranslation.column,
                       CommentTranslation.text)
             .join(Response, Response.id == CommentTranslation.response_id)
             .where(Response.consultation_id == consultation.id))
    for response_id, column, text in db.session.execute(query):
        found.setdefault(response_id, {})[TRANSLATION_PREFIX + column] = text
    return found


# --- redaction -------------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
POSTCODE = re.compile(r"\b[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\b", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w])(?:\+44\s?\(?0?\)?\s?|\(?0)(?:\d[\s\-()]?){8,10}\d(?!\w)")
# Every pattern above needs an "@" or a digit: text with neither has nothing to redact, and one
# search tells (most comments), instead of three substitutions.
_MAY_REDACT = re.compile(r"[@\d]")


def redact(text: str) -> str:
    """Free text with email addresses, UK phone numbers and full postcodes replaced."""
    if not _MAY_REDACT.search(text):
        return text
    text = EMAIL.sub("[email removed]", text)
    text = PHONE.sub("[phone removed]", text)
    return POSTCODE.sub("[postcode removed]", text)


# --- formula safety --------------------------------------------------------------------------

# Characters a reader does not see at the start of a cell, and that a spreadsheet may skip before
# it reads a formula: C0 and C1 controls (tab, CR, LF, NUL among them), every Unicode space
# (no-break space included), the zero-width characters and joiners, bidirectional marks,
# embeddings and isolates, the byte order mark, soft hyphen and the other invisible formatters.
_INVISIBLE_RANGES = [
    (0x00, 0x20), (0x7F, 0xA0), (0xAD, 0xAD), (0x34F, 0x34F), (0x61C, 0x61C), (0x115F, 0x1160),
    (0x1680, 0x1680), (0x17B4, 0x17B5), (0x180B, 0x180F), (0x2000, 0x200F), (0x2028, 0x202F),
    (0x205F, 0x206F), (0x3000, 0x3000), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0), (0xFFF9, 0xFFFB),
]
INVISIBLE = "".join(chr(c) for lo, hi in _INVISIBLE_RANGES for c in range(lo, hi + 1))
# What makes a spreadsheet read a cell as a formula (full-width forms included, which some
# spreadsheets convert), and the characters that do so on their own (OWASP ASVS 5.0 V1.2.10).
FORMULA_TRIGGERS = "=+-@\uff1d\uff0b\uff0d\uff20"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\0")
_CLASS = "".join(f"\\U{lo:08x}-\\U{hi:08x}" for lo, hi in _INVISIBLE_RANGES)
# A cell needs its guard when, after any invisible characters and apostrophes, it starts like a
# formula, or when it starts (after apostrophes) with tab, CR or NUL. Apostrophes count so that
# text that already begins with "'=" is guarded too, and a reader taking off one apostrophe
# gets back exactly what the resident wrote.
_GUARD = re.compile(
    "[" + _CLASS + "']*[" + re.escape(FORMULA_TRIGGERS)
    + "]|'*[\\t\\r\\x00]")
# The first characters that can start a cell needing its guard: any other cell is checked with
# one set look-up (almost every cell), not the pattern.
_MAY_NEED_GUARD = frozenset(INVISIBLE + FORMULA_TRIGGERS + "'")


# A spreadsheet whose list separator is ';' (many European locales) or that splits on tabs or
# on line breaks may start a new cell after any of these inside a quoted cell (quoting does not
# hold in every reader), so in a CSV a formula start after one of them is guarded too ("a;'=1").
# Double quotes count among the characters skipped there, since a reader may drop them.
CSV_SPLITS = ";\t\r\n"
# (Each pattern starts with the separator itself, not a look-behind, so that the search skips
# quickly to the few places worth a look.)
_INNER_GUARD = re.compile(
    "[" + re.escape(CSV_SPLITS) + "](?=[" + _CLASS + "'\"]*[" + re.escape(FORMULA_TRIGGERS)
    + "])")
_INNER_UNGUARD = re.compile(
    "([" + re.escape(CSV_SPLITS) + "])'(?=[" + _CLASS + "'\"]*["
    + re.escape(FORMULA_TRIGGERS) + "])")


def needs_guard(text: str) -> bool:
    """Whether a spreadsheet could run ``text`` as a formula from its start (see ``_GUARD``)."""
    return text[:1] in _MAY_NEED_GUARD and _GUARD.match(text) is not None


def _has_split(text: str) -> bool:
    return ";" in text or "\n" in text or "\r" in text or "\t" in text


def neutralise(text: str) -> str:
    """A CSV text cell a spreadsheet cannot run: prefixed with ' when it could start a formula,
    even behind invisible characters (a byte order mark, a zero-width space, a bidi mark, a
    tab), and with ' after a ';', tab or line break that a formula start follows."""
    if _has_split(text) and _INNER_GUARD.search(text):
        text = _INNER_GUARD.sub("\\g<0>'", text)
    return "'" + text if text[:1] in _MAY_NEED_GUARD and _GUARD.match(text) else text


def unneutralise_start(text: str) -> str:
    """Text read back from an XLSX export (or from a CSV cell, its first step): one leading '
    taken off where the export put it; right also for exports made before the guard knew about
    invisible characters, whose guard was a ' before = + - @ tab CR or NUL."""
    if text[:1] == "'" and needs_guard(text[1:]):
        return text[1:]
    return text


def unguard_splits(text: str) -> str:
    """A CSV cell with the ' the export put after ';', tabs and line breaks taken off."""
    if "'" in text and _has_split(text) and _INNER_UNGUARD.search(text):
        return _INNER_UNGUARD.sub("\\1", text)
    return text


def unneutralise(text: str) -> str:
    """The text as written, from a CSV cell of an export: the inverse of ``neutralise``."""
    return unguard_splits(unneutralise_start(text))


def iso_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_utc_fast(moment: dt.datetime) -> str:
    """``iso_utc`` of an aware time, or of a naive one in UTC (SQLite), without a conversion
    when it is in UTC already (as stored)."""
    if moment.utcoffset():
        moment = moment.astimezone(dt.timezone.utc)
    return moment.isoformat(timespec="seconds")[:19] + "Z"


def _utc_naive(moment: dt.datetime) -> dt.datetime:
    """A time as naive UTC (what a spreadsheet cell holds); naive times are UTC already."""
    if moment.tzinfo is not None:
        if moment.utcoffset():
            moment = moment.astimezone(dt.timezone.utc)
        moment = moment.replace(tzinfo=None)
    return moment


# --- rows ------------------------------------------------------------------------------------

def _json_value(text: Any, default: Any) -> Any:
    """A JSON column read as text (no parsing by the driver), parsed with orjson."""
    if text is None:
        return default
    if not isinstance(text, (str, bytes)):  # a driver that parsed it already
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # JSON orjson refuses but Python wrote (NaN, lone surrogates)
        return json.loads(text)


@dataclass(frozen=True)
class Share:
    """A share of a consultation's responses in export order: from the key (submitted_at, id)
    ``first`` (None: from the first response) up to, not including, ``last`` (None: to the
    end)."""
    first: tuple[dt.datetime, int] | None = None
    last: tuple[dt.datetime, int] | None = None


def _response_query(consultation: Consultation, text_times: bool = False,
                    share: Share | None = None) -> sa.Select:
    """The SELECT behind ``stream_responses``: one consultation's responses, oldest first
    (the order of the index on consultation, submitted_at, id). With ``text_times`` on
    PostgreSQL the times come as the export writes them (``2021-06-28T23:59:47Z`` and
    ``2021-06-28``), formatted by the database; ``share`` keeps the rows from its first key up
    to, not including, its last."""
    if text_times and db.session.get_bind().dialect.name == "postgresql":
        submitted = sa.func.to_char(sa.func.timezone("UTC", Response.submitted_at),
                                    'YYYY-MM-DD"T"HH24:MI:SS"Z"')
        received = sa.func.to_char(Response.received_on, "YYYY-MM-DD")
    else:
        # the time as the driver gives it (aware, or naive UTC on SQLite): converted only when
        # it is not in UTC already, rather than once per row by UTCDateTime
        submitted = sa.type_coerce(Response.submitted_at, sa.DateTime(timezone=True))
        received = Response.received_on
    query = (
        sa.select(Response.reference, submitted, received, Response.channel, Response.status,
                  Response.status_reason, sa.cast(Response.hidden_comments, sa.Text),
                  sa.cast(Response.answers, sa.Text), Response.language,
                  sa.cast(Response.id, sa.BigInteger))  # int8, as _COPY_TYPES reads it
        .where(Response.consultation_id == consultation.id)
        .order_by(Response.submitted_at, Response.id)
    )
    key = sa.tuple_(Response.submitted_at, Response.id)
    if share is not None and share.first is not None:
        query = query.where(key >= sa.tuple_(*map(sa.literal, share.first)))
    if share is not None and share.last is not None:
        query = query.where(key < sa.tuple_(*map(sa.literal, share.last)))
    return query


# The PostgreSQL types of the columns of ``_response_query``, for reading it through COPY.
_COPY_TYPES = {False: ["text", "timestamptz", "date", "text", "text", "text", "text", "text",
                       "text", "int8"],
               True: ["text"] * 9 + ["int8"]}


def _copy_statement(connection: Any, query: sa.Select) -> tuple[str, dict[str, Any]]:
    """``COPY (query) TO STDOUT`` in PostgreSQL's binary format, and its parameters."""
    compiled = query.compile(dialect=connection.dialect)
    return f"COPY ({compiled}) TO STDOUT (FORMAT BINARY)", dict(compiled.params)


def _copy_rows(driver_connection: Any, statement: str, params: dict[str, Any],
               types: list[str]) -> Iterator[tuple[Any, ...]]:
    """The rows of a ``_copy_statement``, as one stream from the server: no round trip per
    batch of rows, and each row made by psycopg's C loaders."""
    with driver_connection.cursor() as cursor, cursor.copy(statement, params) as copy:
        copy.set_types(types)
        yield from copy.rows()


def _raw_rows(consultation: Consultation, text_times: bool = False,
              share: Share | None = None) -> Iterator[tuple[Any, ...]]:
    """The rows of ``_response_query`` through the session's connection, in the session's
    transaction: through COPY on PostgreSQL, in batches of ``STREAM_BATCH`` elsewhere."""
    query = _response_query(consultation, text_times, share)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        statement, params = _copy_statement(connection, query)
        return _copy_rows(connection.connection.driver_connection, statement, params,
                          _COPY_TYPES[text_times])
    return iter(connection.execute(query.execution_options(yield_per=STREAM_BATCH)))


def _extra_answers(consultation: Consultation) -> dict[int, dict[str, Any]]:
    """What the export adds to the answers of each response: {response id: {column: value}},
    the staff translations of its comments and the codes of its coded comments."""
    from .coding.exported import coding_values

    extra = translations_of(consultation)
    for response_id, values in coding_values(consultation).items():
        extra[response_id] = {**extra.get(response_id, {}), **values}
    return extra


def _responses(raw: Iterator[tuple[Any, ...]],
               extra: dict[int, dict[str, Any]]) -> Iterator[tuple[Any, ...]]:
    """Rows of ``_response_query`` as ``stream_responses`` gives them."""
    loads = _json_value
    for (reference, submitted, received, channel, status, reason, hidden, answers, language,
         response_id) in raw:
        answers = loads(answers, {}) or {}
        if extra and response_id in extra:
            answers = {**answers, **extra[response_id]}
        yield (reference, submitted, received, channel, status, reason,
               [] if hidden is None or hidden == "[]" else loads(hidden, []),
               answers, language or "en")


def stream_responses(consultation: Consultation, *,
                     text_times: bool = False) -> Iterator[tuple[Any, ...]]:
    """The consultation's responses, oldest first, as plain tuples: (reference, submitted_at
    (UTC datetime), received_on (date), channel, status, status_reason, hidden_comments (list),
    answers (dict), language (code)). The answers carry the staff translations of the
    response's comments under their ``translation__COLUMN`` keys, and the codes of its coded
    comments. With ``text_times`` the two times may come as the text the CSV writes (on
    PostgreSQL, where the database formats them).

    Rows come through the session's connection, in the session's transaction: on PostgreSQL
    in one ``COPY ... TO STDOUT`` stream, elsewhere in batches of ``STREAM_BATCH``. JSON
    columns come from the database as text and are parsed here with orjson (about half the
    time of the driver's json.loads)."""
    return _responses(_raw_rows(consultation, text_times), _extra_answers(consultation))


def record_values(consultation: Consultation, cols: list[Column], row: Any,
                  redacted: bool = False) -> dict[str, Any]:
    """One response (a row of ``stream_responses``) as {column: value} with JSON types (lists,
    integers, strings, None)."""
    reference, submitted, received, channel, status, reason, hidden, answers, language = row
    values: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "consultation": consultation.slug,
        "reference": reference,
        "submitted_at": _iso_utc_fast(submitted),
        "received_on": received.isoformat(),
        "channel": channel,
        "status": status,
        "status_reason": reason or "",
        "hidden_comments": list(hidden or []),
        "language": language,
    }
    for col in cols[len(values):]:
        value = answers.get(col.column)
        if redacted and isinstance(value, str) and col.type in ("text", "comment", "translation"):
            value = redact(value)
        values[col.column] = value
    return values


def flat_cell(value: Any) -> str | int | float:
    """A value as a CSV / XLSX cell: lists joined by ';', text neutralised, numbers kept."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, (list, tuple)):
        return neutralise(";".join(str(v) for v in value))
    return neutralise(str(value))


def _plain_cell(value: Any) -> Any:
    """``flat_cell`` without the guard: the value a cell holds (XLSX guards by its style)."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, str) or value is None or type(value) is int:
        return value
    cell = flat_cell(value)
    return unneutralise(cell) if isinstance(cell, str) else cell


def _report_progress(progress: Callable[[int], None] | None, count: int) -> None:
    if progress is not None:
        progress(count)


# --- CSV -------------------------------------------------------------------------------------

def _csv_value(value: Any) -> Any:
    """Any answer as a CSV cell (the slow path of ``csv_cells``): ``flat_cell``."""
    return "" if value is None else flat_cell(value)


def csv_cells(consultation: Consultation, cols: list[Column],
              redacted: bool = False) -> Callable[[Any], list[Any]]:
    """A function from a streamed row to its CSV cells: the same cells as ``flat_cell`` over
    ``record_values``, without building a dict per response.

    Every text cell of every column is guarded. The work is planned per column once: a coded
    column's value that is one of its codes (checked safe when the plan is made) costs one set
    look-up, a whole number none, and free text the checks of ``neutralise`` only when its first
    character or a separator inside it could need them; anything unexpected (a code that is not
    one, a list, a float) takes the general path. Exports of a million responses spend most of
    their time here."""
    fixed = len(fixed_columns())
    answer_cols = cols[fixed:]
    keys = [c.column for c in answer_cols]
    redact_at = [i for i, c in enumerate(answer_cols)
                 if redacted and c.type in ("text", "comment", "translation")]
    coded_at = [i for i, c in enumerate(answer_cols) if c.type in ("code", "support")]
    rank_at = [i for i, c in enumerate(answer_cols) if c.type == "rank"]
    number_at = [i for i, c in enumerate(answer_cols) if c.type == "integer"]
    planned = set(coded_at) | set(rank_at) | set(number_at)
    text_at = [i for i in range(len(answer_cols)) if i not in planned]  # text, lists, the rest
    # Values that need nothing done, checked once here: every code of every coded column that
    # is not formula-like, the ranks, and None (not answered). A row whose coded and ranked
    # cells all hold one of these is cleared by one set operation.
    known = {code for c in answer_cols for code in c.code_list if neutralise(code) == code}
    n_ranks = len(rank_at)
    known_fixed = frozenset(known | {code for c in cols[:fixed] for code in c.code_list})
    known = frozenset(known | set(range(1, n_ranks + 1)) | {None})
    checked_at = coded_at + rank_at
    pick_checked = itemgetter(*checked_at) if len(checked_at) > 1 else None
    slug = neutralise(consultation.slug)
    may_guard = _MAY_NEED_GUARD
    guard = neutralise
    general = _csv_value
    days: dict[dt.date, str] = {}

    def cells(row: Any) -> list[Any]:
        reference, submitted, received, channel, status, reason, hidden, answers, language = row
        day = days.get(received)
        if day is None:
            day = days[received] = received if type(received) is str else received.isoformat()
        values = list(map(answers.get, keys))
        for i in redact_at:
            value = values[i]
            if type(value) is str:
                values[i] = redact(value)
        for i in text_at:
            value = values[i]
            if value is not None:
                if type(value) is str:
                    if (value[:1] in may_guard or ";" in value or "\n" in value
                            or "\r" in value or "\t" in value):
                        values[i] = guard(value)
                elif type(value) is list and all(type(v) is str for v in value):
                    values[i] = guard(";".join(value))  # multiple choice: codes
                else:
                    values[i] = general(value)
        try:
            cleared = pick_checked is not None and known.issuperset(pick_checked(values))
        except TypeError:  # a list (or another unhashable value) where a code was expected
            cleared = False
        if not cleared:
            for i in checked_at:
                value = values[i]
                if value is not None and not (type(value) is str and value in known) \
                        and type(value) is not int:
                    values[i] = general(value)
        for i in number_at:
            value = values[i]
            if value is not None and type(value) is not int:
                values[i] = general(value)
        return [
            FORMAT_VERSION, slug,
            guard(reference) if reference[:1] in may_guard else reference,
            submitted if type(submitted) is str else _iso_utc_fast(submitted), day,
            channel if channel in known_fixed else guard(channel),
            status if status in known_fixed else guard(status),
            guard(reason) if reason else "",
            guard(";".join(map(str, hidden))) if hidden else "",
            language if language in known_fixed else guard(language),
        ] + values

    return cells


def csv_rows_writer(out: IO[str]) -> Any:
    """The csv writer of the export's rows: every cell quoted, so a spreadsheet that splits on
    ';' (or a tab) as some locales do never sees a separator outside quotes; lines end CRLF."""
    return csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")


def csv_writer(out: IO[str]) -> Any:
    """``csv_rows_writer`` at the start of the file, which starts with a byte order mark, so
    Excel on Windows reads it as UTF-8 (Polish and Lithuanian letters intact)."""
    out.write("\ufeff")
    return csv_rows_writer(out)


def _write_rows(rows: Iterator[tuple[Any, ...]], cells: Callable[[Any], list[Any]],
                writerows: Callable[[list[list[Any]]], Any],
                written: Callable[[int], None]) -> int:
    """Writes the CSV cells of ``rows``, ``STREAM_BATCH`` at a time (one call into the csv
    module per batch, not one per row); calls ``written`` with the rows written so far after
    each batch. Returns the row count."""
    count = 0
    batch: list[list[Any]] = []
    size = STREAM_BATCH
    for row in rows:
        batch.append(cells(row))
        if len(batch) == size:
            writerows(batch)
            batch.clear()
            count += size
            written(count)
    writerows(batch)
    count += len(batch)
    written(count)
    return count


def write_csv(consultation: Consultation, out: IO[str], redacted: bool = False, *,
              progress: Callable[[int], None] | None = None) -> int:
    """Write the responses CSV to ``out`` (text, opened with newline="" and encoding="utf-8");
    return the row count. ``progress`` is called with the rows written so far every
    ``PROGRESS_EVERY`` rows or more and once at the end.

    On PostgreSQL an export of ``EXPORT_PARALLEL_FROM`` responses or more is written by
    several processes, each a share of the rows read at one snapshot (consult/parallel_export.py);
    the file is the same byte for byte."""
    from . import parallel_export

    cols = columns(consultation)
    writer = csv_writer(out)
    writer.writerow([c.column for c in cols])
    cells = csv_cells(consultation, cols, redacted)
    reported = [0]

    def written(count: int) -> None:
        if count - reported[0] >= PROGRESS_EVERY:
            reported[0] = count - count % PROGRESS_EVERY
            _report_progress(progress, count)

    shares = parallel_export.plan(consultation)
    if shares:
        count = parallel_export.write(consultation, shares, cells, out, written)
    else:
        rows = stream_responses(consultation, text_times=True)
        try:
            count = _write_rows(rows, cells, writer.writerows, written)
        finally:
            rows.close()  # a COPY left unfinished by an error is ended here, not at collection
    _report_progress(progress, count)
    return count


def write_dictionary_csv(consultation: Consultation, out: IO[str]) -> int:
    cols = columns(consultation)
    writer = csv_writer(out)
    writer.writerow(DICTIONARY_FIELDS)
    for col in cols:
        writer.writerow([flat_cell(v) for v in col.dictionary_row().values()])
    return len(cols)


# --- JSON ------------------------------------------------------------------------------------

def write_areas_csv(consultation: Consultation, out: IO[str]) -> int:
    """Write the areas table (``NAME.areas.csv``, beside the CSV): one row per area and
    sub-area with its population, its source and year."""
    rows = areas_table(consultation)
    writer = csv_writer(out)
    writer.writerow(AREA_FIELDS)
    for row in rows:
        writer.writerow([flat_cell(row[name]) for name in AREA_FIELDS])
    return len(rows)


def organisation_name(consultation: Consultation) -> str:
    """The body that ran the consultation, as its stored definition names it."""
    return str((consultation.definition or {}).get("organisation") or "")


def consultation_header(consultation: Consultation) -> dict[str, Any]:
    return {
        "slug": consultation.slug,
        "organisation": organisation_name(consultation),
        "title": consultation.title,
        "opens_at": iso_utc(consultation.opens_at),
        "closes_at": iso_utc(consultation.closes_at),
        "is_demo": bool(consultation.is_demo),
        "themes": [
            {"key": t.key, "title": t.title, "what_we_will_do": t.what_we_will_do}
            for t in consultation.themes
        ],
        "areas": areas_table(consultation),
        "coding": _coding_header(consultation),
    }


def _coding_header(consultation: Consultation) -> list[dict[str, Any]]:
    """Format 4: the coded comment questions (consult/coding/exported.py)."""
    from .coding.exported import coding_header

    return coding_header(consultation)


def write_json(consultation: Consultation, out: IO[str], redacted: bool = False, *,
               progress: Callable[[int], None] | None = None) -> int:
    """Write the JSON document, one response at a time; return the row count. ``progress`` as
    for ``write_csv``."""
    cols = columns(consultation)
    out.write('{"format": "consult-export", "format_version": %d, ' % FORMAT_VERSION)
    out.write('"consultation": ' + json.dumps(consultation_header(consultation)) + ", ")
    out.write('"dictionary": ' + json.dumps([c.dictionary_row() for c in cols]) + ", ")
    out.write('"responses": [')
    count = 0
    for row in stream_responses(consultation):
        if count:
            out.write(",")
        out.write("\n" + json.dumps(record_values(consultation, cols, row, redacted)))
        count += 1
        if count % PROGRESS_EVERY == 0:
            _report_progress(progress, count)
    out.write("\n]}\n")
    _report_progress(progress, count)
    return count


# --- XLSX ------------------------------------------------------------------------------------

_XML_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_EXCEL_ESCAPE = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_EXCEL_TEXT_LIMIT = 32767  # characters (UTF-16 code units) a cell holds
_CACHED_TEXT = 40  # text cells up to this length keep their XML for the next row
_CACHE_CELLS = 20_000  # at most this many per sheet


def _xml_text(text: str) -> str:
    """Text as the content of an inline string: XML-escaped, control characters written as
    Excel's _xHHHH_ escapes (and a literal _xHHHH_ escaped in turn), as XlsxWriter does."""
    if len(text) > _EXCEL_TEXT_LIMIT // 2:
        units = text.encode("utf-16-le")
        if len(units) > 2 * _EXCEL_TEXT_LIMIT:
            text = units[:2 * _EXCEL_TEXT_LIMIT].decode("utf-16-le", errors="ignore")
    if _XML_SPECIAL.search(text):
        text = _EXCEL_ESCAPE.sub(r"_x005F\1", text)
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


class _Sheet:
    """One worksheet of the workbook, its rows written in order.

    The header goes through XlsxWriter's API (bold, frozen, filtered, column widths). The data
    rows are written as the worksheet's XML straight into XlsxWriter's own row file (the file
    ``constant_memory`` mode keeps on disk), one string per row from per-column cell writers
    chosen once: XlsxWriter's per-cell calls cost several times more, and a 100,000-response
    workbook holds over seven million cells. The cells are those XlsxWriter would write (inline
    strings, numbers, styled dates), and the sheet's dimensions are kept up to date for it."""

    def __init__(self, workbook: Any, formats: dict[str, Any], name: str,
                 header: list[str], kinds: list[str], widths: list[float]) -> None:
        self.sheet = sheet = workbook.add_worksheet(name)
        self.width = len(header)
        for c, (title, width) in enumerate(zip(header, widths)):
            sheet.set_column(c, c, width)
            sheet.write_string(0, c, title, formats["header"])
        sheet.freeze_panes(1, 0)
        self.rows = 0
        self.fast = _fast_rows_supported(sheet)
        self.formats = formats
        self.kinds = kinds
        styles = {kind: f' s="{formats[kind]._get_xf_index()}"' if kind in formats else ""
                  for kind in set(kinds) | {"guarded"}}
        self.letters = [xl_col_to_name(c) for c in range(self.width)]
        self.cell_styles = [styles[k] for k in kinds]
        self.guarded_style = styles["guarded"]
        # the XML of short text cells (codes, titles, yes/no), by column: bounded in size
        self.cache: dict[tuple[int, str], str] = {}
        if self.fast:
            sheet._write_single_row(1)  # the header row goes to the row file first
            self.write = sheet.fh.write

    def add(self, values: list[Any]) -> None:
        """One row of cell values: str, int, float, date, datetime or None (an empty cell); the
        callers turn anything else into one of these first (``_plain_cell``)."""
        self.rows += 1
        if not self.fast:
            self._add_through_api(values)
            return
        n = str(self.rows + 1)
        parts = []
        letters = self.letters
        cache = self.cache
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str:
                cached = cache.get((c, value))
                if cached is not None:  # a code, a theme title: the same cell again
                    parts.append(f'<c r="{letters[c]}{n}"{cached}')
                    continue
                key = value
                if "\r" in value:
                    value = _line_breaks(value)
                if value[:1] in _MAY_NEED_GUARD and _GUARD.match(value):
                    style = self.guarded_style
                    if value[0] == "'":  # readers take one ' off such text: keep the resident's
                        value = "'" + value
                else:
                    style = self.cell_styles[c]
                preserve = ' xml:space="preserve"' if (value[0].isspace()
                                                       or value[-1].isspace()) else ""
                cell = f'{style} t="inlineStr"><is><t{preserve}>{_xml_text(value)}</t></is></c>'
                if len(key) <= _CACHED_TEXT and len(cache) < _CACHE_CELLS:
                    cache[(c, key)] = cell
                parts.append(f'<c r="{letters[c]}{n}"{cell}')
            elif kind is int or kind is float:
                parts.append(f'<c r="{letters[c]}{n}"{self.cell_styles[c]}><v>{value!r}</v></c>')
            else:  # a date or a time (anything else was made a str or a number by the caller)
                parts.append(f'<c r="{letters[c]}{n}"{self.cell_styles[c]}>'
                             f'<v>{_excel_serial(value)!r}</v></c>')
        self.write(f'<row r="{n}">{"".join(parts)}</row>')

    def _add_through_api(self, values: list[Any]) -> None:
        sheet, r = self.sheet, self.rows
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            fmt = self.formats.get(self.kinds[c])
            if isinstance(value, str):
                value = _line_breaks(value)
                if needs_guard(value):
                    fmt = self.formats["guarded"]
                    if value[0] == "'":
                        value = "'" + value
                sheet.write_string(r, c, value, fmt)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(r, c, value, fmt)
            else:
                sheet.write_number(r, c, _excel_serial(value), fmt)

    def close(self) -> None:
        """Filter on the header row over every row written; dimensions for XlsxWriter."""
        if self.fast and self.rows:
            self.sheet._check_dimensions(self.rows, self.width - 1)
        self.sheet.autofilter(0, 0, max(self.rows, 1), self.width - 1)


def _line_breaks(text: str) -> str:
    """Line breaks as a spreadsheet cell holds them (LF): a CR would be stored as _x000D_."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _fast_rows_supported(sheet: Any) -> bool:
    return bool(getattr(sheet, "constant_memory", False)) and all(
        hasattr(sheet, name) for name in ("_write_single_row", "_check_dimensions", "fh"))


def _excel_serial(value: dt.date) -> float | int:
    """A date or datetime as Excel's serial number (days since 1899-12-30; times in UTC)."""
    if isinstance(value, dt.datetime):
        delta = _utc_naive(value) - _EXCEL_EPOCH
        return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return (value - _EXCEL_EPOCH.date()).days


def _width(col: Column) -> float:
    """A column width (in characters) that shows its header and typical values."""
    if col.type in ("comment", "text", "translation") and col.column not in ("reference",
                                                                              "consultation"):
        wide = col.type != "text" or col.max_length is not None  # free text
        return 60 if wide else max(len(col.column) + 2, 24)
    longest = {"datetime": 19, "date": 10, "integer": 6, "rank": 4}.get(col.type)
    if longest is None:
        longest = max((len(code) for code in col.code_list), default=12)
        if col.column == "reference":
            longest = 14
        elif col.column == "consultation":
            longest = 28
    return min(max(len(col.column), longest) + 2, 60)


def write_xlsx(consultation: Consultation, out: IO[bytes] | str, redacted: bool = False, *,
               progress: Callable[[int], None] | None = None) -> int:
    """Write the workbook (responses, support per theme, comments, data dictionary); return the
    row count. Each sheet has a bold, frozen, filtered header row and column widths for its
    content; numbers are numbers, dates and times are dates (UTC), shares are percentages, and
    text that a spreadsheet could run as a formula is stored as text with Excel's own quote
    prefix (no apostrophe in the cell). ``progress`` as for ``write_csv``."""
    cols = columns(consultation)
    workbook = xlsxwriter.Workbook(out, {
        "constant_memory": True,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "strings_to_numbers": False,
    })
    formats = {
        "header": workbook.add_format({"bold": True, "bottom": 1}),
        "guarded": workbook.add_format({"quote_prefix": True}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
    }
    kinds = [c.type if c.type in ("date", "datetime") else "text" for c in cols]
    responses = _Sheet(workbook, formats, "responses", [c.column for c in cols], kinds,
                       [_width(c) for c in cols])
    # one row per scale column; a count column for each level of the scales used
    scale_levels = {c.column: codes.parse_levels(c.levels) for c in cols if c.type == "support"}
    level_codes = list(dict.fromkeys(code for levels in scale_levels.values()
                                     for code, _ in levels)) + ["not_answered"]
    support_header = (["theme", "theme_title", "column", "scale"] + level_codes
                      + ["valid_responses", "support_share_of_views"])
    support_sheet = _Sheet(workbook, formats, "support per theme", support_header,
                           ["text"] * (len(support_header) - 1) + ["percent"],
                           [24, 36, 28, 11] + [max(len(c), 8) + 2 for c in level_codes]
                           + [17, 24])
    # A comment in another language sits beside its staff translation, when one is recorded.
    comment_header = ["reference", "status", "theme", "theme_title", "hidden", "comment",
                      "language", "translation"]
    comments = _Sheet(workbook, formats, "comments", comment_header, ["text"] * 8,
                      [16, 11, 24, 36, 8, 90, 10, 90])
    dictionary = _Sheet(workbook, formats, "data dictionary", DICTIONARY_FIELDS,
                        ["text"] * len(DICTIONARY_FIELDS),
                        [28, 20, 10, 24, 36, 50, 60, 70, 11, 50])
    areas_sheet = _Sheet(workbook, formats, "areas", AREA_FIELDS, ["text"] * len(AREA_FIELDS),
                         [22, 36, 12, 22, 12, 50, 16, 40])

    fixed = len(fixed_columns())
    answer_keys = [c.column for c in cols[fixed:]]
    redact_at = [i for i, c in enumerate(cols[fixed:])
                 if redacted and c.type in ("text", "comment", "translation")]
    support_at = [(i, c.column) for i, c in enumerate(cols[fixed:]) if c.type == "support"]
    at = {key: i for i, key in enumerate(answer_keys)}
    comment_at = [(i, c.column, c.theme, c.theme_title, at.get(TRANSLATION_PREFIX + c.column))
                  for i, c in enumerate(cols[fixed:]) if c.type == "comment"]
    tallies: dict[str, Counter[str]] = {column: Counter() for _, column in support_at}
    slug = consultation.slug
    days: dict[dt.date, dt.date] = {}
    add_response, add_comment = responses.add, comments.add
    count = 0
    for reference, submitted, received, channel, status, reason, hidden, answers, language in (
            stream_responses(consultation)):
        get = answers.get
        values = [get(k) for k in answer_keys]
        for i in redact_at:
            if type(values[i]) is str:
                values[i] = redact(values[i])
        for i, value in enumerate(values):
            if value is not None and type(value) is not str and type(value) is not int:
                values[i] = _plain_cell(value)
        add_response([FORMAT_VERSION, slug, reference, _utc_naive(submitted),
                      days.setdefault(received, received), channel, status, reason or "",
                      ";".join(str(v) for v in hidden) if hidden else None, language] + values)
        count += 1
        if status == "valid":
            for i, column in support_at:
                value = values[i]
                tallies[column][value if isinstance(value, str) and value else "not_answered"] += 1
        for i, column, theme, theme_title, translated_at in comment_at:
            text = values[i]
            if text:
                translation = values[translated_at] if translated_at is not None else None
                add_comment([reference, status, theme, theme_title,
                             "yes" if hidden and column in hidden else "no", text, language,
                             translation or None])
        if count % PROGRESS_EVERY == 0:
            _report_progress(progress, count)

    for _, column in support_at:
        col = next(c for c in cols if c.column == column)
        tally = tallies[column]
        values = dict(scale_levels[column])
        views = sum(tally[k] for k, value in values.items() if value is not None)
        share = (sum(tally[k] for k, value in values.items() if value is not None and value > 0)
                 / views if views else None)
        support_sheet.add([col.theme, col.theme_title, col.column, col.scale]
                          + [tally[k] if k in values or k == "not_answered" else None
                             for k in level_codes]
                          + [sum(tally.values()), share])
    support_sheet.close()
    note = support_sheet.sheet
    note_row = len(support_at) + 2
    note.write_string(note_row, 0,
                      "Counting rule: only responses whose status is valid are counted. The "
                      "support share is the share of the levels for (a positive number in the "
                      "data dictionary's levels); its base is the people who gave a view (a "
                      "level without a number, such as don't know, and not answered are left "
                      "out); it is empty when nobody gave one.")
    for col in cols:
        dictionary.add([_plain_cell(v) for v in col.dictionary_row().values()])
    for area in areas_table(consultation):
        areas_sheet.add([_plain_cell(area[name]) for name in AREA_FIELDS])
    for sheet in (responses, comments, dictionary, areas_sheet):
        sheet.close()
    workbook.close()
    _report_progress(progress, count)
    return count


def write_export(consultation: Consultation, fmt: str, out: Any, redacted: bool = False, *,
                 progress: Callable[[int], None] | None = None) -> int:
    """Write one export in ``fmt`` (csv, json or xlsx) to ``out``; return the row count.
    ``progress``, when given, is called with the rows written so far every ``PROGRESS_EVERY``
    rows and once at the end."""
    if fmt == "csv":
        return write_csv(consultation, out, redacted, progress=progress)
    if fmt == "json":
        return write_json(consultation, out, redacted, progress=progress)
    if fmt == "xlsx":
        return write_xlsx(consultation, out, redacted, progress=progress)
    raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
