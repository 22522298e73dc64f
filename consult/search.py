"""Searching responses' free text without regard to case, in every language.

SQLite's ``LIKE`` and ``lower()`` fold ASCII letters only, and PostgreSQL's ``lower()`` under the
"C" locale does the same, so "WIĘCEJ" would not find "więcej". So both sides of every comparison
are folded by a function the database calls:

- on SQLite, ``consult_fold(text)`` is Python's ``str.casefold``, registered on each connection;
- on PostgreSQL, ``consult_fold(text)`` is ``lower()`` under ICU's root collation where the
  server has ICU (the locale's ``lower()`` otherwise), and ``consult_search_text(reference,
  answers)`` folds a response's reference and every answer into one text, indexed with a
  trigram GIN index (``pg_trgm``) on the stored column ``response.search_text`` that PostgreSQL
  computes from them (generated, so no writer has to fill it), so that a search at a million
  responses reads only the rows that may match. Where a term could also be found inside a code,
  the exact test (the reference and each free-text answer) decides.
"""
from __future__ import annotations

import logging
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

logger = logging.getLogger(__name__)


def fold(text: str) -> str:
    return text.casefold()


def _sqlite_fold(value: Any) -> str | None:
    return None if value is None else str(value).casefold()


@event.listens_for(Engine, "connect")
def _register_sqlite_fold(dbapi_connection: Any, _record: Any) -> None:
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("consult_fold", 1, _sqlite_fold, deterministic=True)


def postgresql_ddl(has_icu: bool) -> list[str]:
    collate = ' COLLATE "und-x-icu"' if has_icu else ""
    return [
        f"""CREATE OR REPLACE FUNCTION consult_fold(value text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT lower(value{collate}) $$""",
        """CREATE OR REPLACE FUNCTION consult_search_text(reference text, answers json)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT consult_fold(reference || chr(10) || coalesce(
    (SELECT string_agg(value, chr(10)) FROM json_each_text(
       -- text cannot hold NUL: an answer's \\u0000 is left out of what search reads
       CASE WHEN json_typeof(answers) = 'object'
            THEN replace(answers::text, '\\u0000', '')::json ELSE '{}'::json END)), ''))
$$""",
    ]


SEARCH_INDEX = "ix_response_search_trgm"
CREATE_INDEX = (f"CREATE INDEX IF NOT EXISTS {SEARCH_INDEX} ON response USING gin "
                "(search_text gin_trgm_ops)")


def install(connection: sa.Connection, index: bool = True) -> None:
    """Create the folding functions, the stored column ``response.search_text`` that
    PostgreSQL computes for each response, and (with pg_trgm) its trigram index."""
    if connection.dialect.name != "postgresql":
        return
    has_icu = connection.exec_driver_sql(
        "SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").first() is not None
    for statement in postgresql_ddl(has_icu):
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql(
        "ALTER TABLE response ADD COLUMN IF NOT EXISTS search_text text GENERATED ALWAYS AS "
        "(consult_search_text(reference, answers)) STORED")
    if not index:
        return
    savepoint = connection.begin_nested()
    try:
        connection.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        connection.exec_driver_sql(CREATE_INDEX)
        savepoint.commit()
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        logger.warning("search works without an index: pg_trgm could not be used (%s); "
                       "ask the database administrator to CREATE EXTENSION pg_trgm",
                       str(error).splitlines()[0])


def uninstall(connection: sa.Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS {SEARCH_INDEX}")
    connection.exec_driver_sql("ALTER TABLE response DROP COLUMN IF EXISTS search_text")
    connection.exec_driver_sql("DROP FUNCTION IF EXISTS consult_search_text(text, json)")
    connection.exec_driver_sql("DROP FUNCTION IF EXISTS consult_fold(text)")


def like_pattern(term: str) -> str:
    """``%term%`` folded, with LIKE's wildcards escaped by a backslash."""
    term = fold(term).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{term}%"


# A term made only of these may be found inside a code ("support" in "strongly_support") or a
# number, which the stored search text holds too; any other term can only match free text or
# the reference there.
CODE_LIKE = re.compile(r"^[a-z0-9_]*$")


def matches(reference: Any, answers: Any, text_columns: list[str], term: str,
            dialect: str) -> Any:
    """The condition: the reference or one of ``text_columns`` contains ``term``, any case."""
    pattern = like_pattern(term)
    fold_sql = sa.func.consult_fold
    if dialect != "postgresql":
        return sa.or_(
            fold_sql(reference).like(pattern, escape="\\"),
            *(fold_sql(answers[name].as_string()).like(pattern, escape="\\")
              for name in text_columns))
    indexed = sa.literal_column("response.search_text").like(pattern, escape="\\")
    if not CODE_LIKE.match(fold(term)):
        return indexed
    # Which values matched: the reference, or a free-text answer (one pass over the answers).
    answer = sa.func.json_each_text(answers).table_valued("key", "value").alias("answer")
    in_text = (sa.select(1).select_from(answer)
               .where(answer.c.key.in_(text_columns),
                      fold_sql(answer.c.value).like(pattern, escape="\\"))
               .exists())
    return sa.and_(indexed, sa.or_(fold_sql(reference).like(pattern, escape="\\"), in_text))
