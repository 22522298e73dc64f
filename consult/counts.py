"""Running counts of responses and drafts, kept exact by the database itself.

The staff dashboard shows counts of a consultation's responses by status, day, channel,
respondent type, district and support per theme, and of its online drafts. Counting them from
``response`` on every load is a scan of every response: seconds at national scale. Instead:

- triggers on ``response`` and ``draft`` (PostgreSQL and SQLite alike) append one row to
  ``count_change`` for every row written, changed or deleted (+1 for the new values, -1 for the
  old), in the writer's own transaction. Appending never waits on another writer, so residents'
  submits never queue behind each other, behind an import or behind the dashboard;
- :func:`fold` moves the changes into the totals (``response_count``, ``support_count``,
  ``draft_count``) in one transaction, under a lock only folders take;
- :func:`totals` and :func:`count_responses` read totals and unfolded changes in one statement
  (one snapshot), so the figures are exact at every moment, including the first load after a
  response arrives.

Nothing in Python writes these tables but :func:`fold` (and the migration that fills them).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Date, Integer, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

# A fold runs when this many changes are waiting; fewer are read as they are.
FOLD_AFTER = 200
# pg_try_advisory_xact_lock key: one folder at a time (the number spells "CNT").
FOLD_LOCK = 0x434E54

# Support answers are stored under ``support__THEME`` (docs/export-format.md).
SUPPORT_PREFIX = "support__"


class CountChange(db.Model):
    """One row written, changed or deleted, not yet folded into the totals."""

    __tablename__ = "count_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "response" or "draft"
    consultation_id: Mapped[int] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(20), default="")  # a draft: "started" or "sent"
    received_on: Mapped[dt.date | None] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20), default="")
    respondent_type: Mapped[str] = mapped_column(String(50), default="")
    district: Mapped[str] = mapped_column(String(50), default="")
    # "support__a=code;support__b=code" for a response; empty when none was answered
    support: Mapped[str] = mapped_column(Text, default="")
    n: Mapped[int] = mapped_column(Integer)


class ResponseCount(db.Model):
    __tablename__ = "response_count"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    received_on: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    respondent_type: Mapped[str] = mapped_column(String(50), primary_key=True)  # "" not answered
    district: Mapped[str] = mapped_column(String(50), primary_key=True)  # "" not answered
    n: Mapped[int] = mapped_column(Integer)


class SupportCount(db.Model):
    __tablename__ = "support_count"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), primary_key=True)
    column: Mapped[str] = mapped_column(String(120), primary_key=True)  # support__THEME
    code: Mapped[str] = mapped_column(String(60), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class DraftCount(db.Model):
    __tablename__ = "draft_count"

    consultation_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    sent: Mapped[str] = mapped_column(String(10), primary_key=True)  # "started" or "sent"
    n: Mapped[int] = mapped_column(Integer)


COUNT_TABLES = (CountChange.__table__, ResponseCount.__table__, SupportCount.__table__,
                DraftCount.__table__)

# --- the triggers ---------------------------------------------------------------------------

_CHANGE_COLUMNS = ("kind, consultation_id, status, received_on, channel, respondent_type, "
                   "district, support, n")

POSTGRESQL_DDL = [
    r"""
CREATE OR REPLACE FUNCTION consult_support_answers(answers json) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(string_agg(key || '=' || value, ';'), '')
  FROM json_each_text(CASE WHEN json_typeof(answers) = 'object'
                           -- text cannot hold NUL; a support answer is a code and never has one
                           THEN replace(answers::text, '\u0000', '')::json
                           ELSE '{}'::json END)
  WHERE key LIKE 'support\_\_%' AND value IS NOT NULL AND value <> ''
$$""",
    f"""
CREATE OR REPLACE FUNCTION consult_count_response() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO count_change ({_CHANGE_COLUMNS})
    VALUES ('response', OLD.consultation_id, OLD.status, OLD.received_on, OLD.channel,
            coalesce(OLD.respondent_type, ''), coalesce(OLD.district, ''),
            consult_support_answers(OLD.answers), -1);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO count_change ({_CHANGE_COLUMNS})
    VALUES ('response', NEW.consultation_id, NEW.status, NEW.received_on, NEW.channel,
            coalesce(NEW.respondent_type, ''), coalesce(NEW.district, ''),
            consult_support_answers(NEW.answers), 1);
  END IF;
  RETURN NULL;
END $$""",  # nosec B608: only this module's column list is interpolated
    f"""
CREATE OR REPLACE FUNCTION consult_count_draft() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    INSERT INTO count_change ({_CHANGE_COLUMNS})
    VALUES ('draft', OLD.consultation_id,
            CASE WHEN OLD.submitted_at IS NULL THEN 'started' ELSE 'sent' END, NULL,
            OLD.channel, '', '', '', -1);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    INSERT INTO count_change ({_CHANGE_COLUMNS})
    VALUES ('draft', NEW.consultation_id,
            CASE WHEN NEW.submitted_at IS NULL THEN 'started' ELSE 'sent' END, NULL,
            NEW.channel, '', '', '', 1);
  END IF;
  RETURN NULL;
END $$""",  # nosec B608: only this module's column list is interpolated
    "DROP TRIGGER IF EXISTS response_counts ON response",
    """CREATE TRIGGER response_counts
AFTER INSERT OR DELETE OR UPDATE OF consultation_id, status, received_on, channel,
  respondent_type, district, answers ON response
FOR EACH ROW EXECUTE FUNCTION consult_count_response()""",
    "DROP TRIGGER IF EXISTS draft_counts ON draft",
    """CREATE TRIGGER draft_counts
AFTER INSERT OR DELETE OR UPDATE OF consultation_id, channel, submitted_at ON draft
FOR EACH ROW EXECUTE FUNCTION consult_count_draft()""",
]


def _sqlite_response_values(row: str, n: int) -> str:
    return (f"('response', {row}.consultation_id, {row}.status, {row}.received_on, "
            f"{row}.channel, coalesce({row}.respondent_type, ''), coalesce({row}.district, ''), "
            "coalesce((SELECT group_concat(key || '=' || value, ';') FROM json_each("
            f"CASE WHEN json_valid({row}.answers) AND json_type({row}.answers) = 'object' "
            f"THEN {row}.answers ELSE '{{}}' END) WHERE key LIKE 'support\\_\\_%' ESCAPE '\\' "
            f"AND value IS NOT NULL AND value <> ''), ''), {n})")  # nosec B608: row is NEW or OLD


def _sqlite_draft_values(row: str, n: int) -> str:
    return (f"('draft', {row}.consultation_id, CASE WHEN {row}.submitted_at IS NULL THEN "
            f"'started' ELSE 'sent' END, NULL, {row}.channel, '', '', '', {n})")


_RESPONSE_UPDATE_OF = "consultation_id, status, received_on, channel, respondent_type, district, answers"
SQLITE_DDL = [
    "DROP TRIGGER IF EXISTS response_counts_insert",
    "DROP TRIGGER IF EXISTS response_counts_update",
    "DROP TRIGGER IF EXISTS response_counts_delete",
    "DROP TRIGGER IF EXISTS draft_counts_insert",
    "DROP TRIGGER IF EXISTS draft_counts_update",
    "DROP TRIGGER IF EXISTS draft_counts_delete",
    f"""CREATE TRIGGER response_counts_insert AFTER INSERT ON response BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_response_values('NEW', 1)};
END""",  # nosec B608: only this module's constants are interpolated
    f"""CREATE TRIGGER response_counts_update AFTER UPDATE OF {_RESPONSE_UPDATE_OF} ON response
BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_response_values('OLD', -1)};
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_response_values('NEW', 1)};
END""",  # nosec B608: only this module's constants are interpolated
    f"""CREATE TRIGGER response_counts_delete AFTER DELETE ON response BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_response_values('OLD', -1)};
END""",  # nosec B608: only this module's constants are interpolated
    f"""CREATE TRIGGER draft_counts_insert AFTER INSERT ON draft BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_draft_values('NEW', 1)};
END""",  # nosec B608: only this module's constants are interpolated
    f"""CREATE TRIGGER draft_counts_update AFTER UPDATE OF consultation_id, channel, submitted_at
ON draft BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_draft_values('OLD', -1)};
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_draft_values('NEW', 1)};
END""",  # nosec B608: only this module's constants are interpolated
    f"""CREATE TRIGGER draft_counts_delete AFTER DELETE ON draft BEGIN
  INSERT INTO count_change ({_CHANGE_COLUMNS}) VALUES {_sqlite_draft_values('OLD', -1)};
END""",  # nosec B608: only this module's constants are interpolated
]

# Totals of rows already there when the triggers are installed (the migration).
BACKFILL = [
    "DELETE FROM count_change", "DELETE FROM response_count", "DELETE FROM support_count",
    "DELETE FROM draft_count",
    """INSERT INTO response_count (consultation_id, status, received_on, channel,
        respondent_type, district, n)
    SELECT consultation_id, status, received_on, channel, coalesce(respondent_type, ''),
        coalesce(district, ''), count(*)
    FROM response GROUP BY consultation_id, status, received_on, channel,
        coalesce(respondent_type, ''), coalesce(district, '')""",
    """INSERT INTO draft_count (consultation_id, channel, sent, n)
    SELECT consultation_id, channel, CASE WHEN submitted_at IS NULL THEN 'started' ELSE 'sent'
        END, count(*)
    FROM draft GROUP BY consultation_id, channel,
        CASE WHEN submitted_at IS NULL THEN 'started' ELSE 'sent' END""",  # nosec B608: only this module's constants are interpolated
]
BACKFILL_SUPPORT = {
    "postgresql": r"""INSERT INTO support_count (consultation_id, status, "column", code, n)
    SELECT r.consultation_id, r.status, a.key, a.value, count(*)
    FROM response r, json_each_text(CASE WHEN json_typeof(r.answers) = 'object' THEN r.answers
                                         ELSE '{}'::json END) a
    WHERE a.key LIKE 'support\_\_%' AND a.value IS NOT NULL AND a.value <> ''
    GROUP BY r.consultation_id, r.status, a.key, a.value""",
    "sqlite": r"""INSERT INTO support_count (consultation_id, status, "column", code, n)
    SELECT r.consultation_id, r.status, a.key, a.value, count(*)
    FROM response r, json_each(CASE WHEN json_valid(r.answers)
                                     AND json_type(r.answers) = 'object'
                                    THEN r.answers ELSE '{}' END) a
    WHERE a.key LIKE 'support\_\_%' ESCAPE '\' AND a.value IS NOT NULL AND a.value <> ''
    GROUP BY r.consultation_id, r.status, a.key, a.value""",
}


def install_triggers(connection: sa.Connection, backfill: bool = False) -> None:
    """Create (or replace) the triggers; with ``backfill``, total the rows already there."""
    dialect = connection.dialect.name
    if backfill:
        for statement in BACKFILL:
            connection.execute(sa.text(statement))
        connection.execute(sa.text(BACKFILL_SUPPORT[dialect]))
    for statement in POSTGRESQL_DDL if dialect == "postgresql" else SQLITE_DDL:
        connection.execute(sa.text(statement))


def drop_triggers(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        for statement in ("DROP TRIGGER IF EXISTS response_counts ON response",
                          "DROP TRIGGER IF EXISTS draft_counts ON draft",
                          "DROP FUNCTION IF EXISTS consult_count_response()",
                          "DROP FUNCTION IF EXISTS consult_count_draft()",
                          "DROP FUNCTION IF EXISTS consult_support_answers(json)"):
            connection.execute(sa.text(statement))
    else:
        for statement in SQLITE_DDL[:6]:
            connection.execute(sa.text(statement))


@event.listens_for(db.Model.metadata, "after_create")
def _after_create(target: Any, connection: sa.Connection, **_kw: Any) -> None:
    # ``create_all`` (the tests, a first run without migrations) gets the same triggers.
    tables = {t.name for t in _kw.get("tables") or target.sorted_tables}
    if {"response", "draft", "count_change"} <= tables:
        from . import search

        install_triggers(connection)
        search.install(connection)


# --- folding and reading --------------------------------------------------------------------

def _support_pairs(text: str) -> list[tuple[str, str]]:
    pairs = []
    for item in (text or "").split(";"):
        column, sep, code = item.partition("=")
        if sep and column and code:
            pairs.append((column, code))
    return pairs


def _upsert(model: Any, keys: list[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"n": model.__table__.c.n + statement.excluded.n})
    db.session.execute(statement, rows)


def fold(force: bool = False) -> int:
    """Move the waiting changes into the totals, in one transaction; returns how many were
    folded. Does nothing when another process is folding (PostgreSQL), or when fewer than
    ``FOLD_AFTER`` are waiting unless ``force``."""
    session = db.session
    if not force:
        waiting = session.execute(sa.select(CountChange.id).offset(FOLD_AFTER - 1)
                                  .limit(1)).first()
        if waiting is None:
            return 0
    session.commit()  # start from a clean transaction
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql" and not session.scalar(
            sa.text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": FOLD_LOCK}):
        session.rollback()
        return 0
    table = CountChange.__table__
    # Only changes this transaction can see are deleted and folded; a writer's changes still
    # uncommitted stay for the next fold.
    rows = session.execute(sa.delete(table).returning(
        table.c.kind, table.c.consultation_id, table.c.status, table.c.received_on,
        table.c.channel, table.c.respondent_type, table.c.district, table.c.support,
        table.c.n)).all()
    responses: Counter = Counter()
    support: Counter = Counter()
    drafts: Counter = Counter()
    for kind, cid, status, day, channel, kind_of, district, answers, n in rows:
        if kind == "draft":
            drafts[(cid, channel, status)] += n
            continue
        responses[(cid, status, day, channel, kind_of, district)] += n
        for column, code in _support_pairs(answers):
            support[(cid, status, column, code)] += n
    # Sorted, so that two folders could never lock the same totals in opposite orders.
    _upsert(ResponseCount, ["consultation_id", "status", "received_on", "channel",
                            "respondent_type", "district"],
            [dict(zip(("consultation_id", "status", "received_on", "channel",
                       "respondent_type", "district"), key), n=n)
             for key, n in sorted(responses.items(), key=lambda kv: repr(kv[0])) if n])
    _upsert(SupportCount, ["consultation_id", "status", "column", "code"],
            [dict(zip(("consultation_id", "status", "column", "code"), key), n=n)
             for key, n in sorted(support.items()) if n])
    _upsert(DraftCount, ["consultation_id", "channel", "sent"],
            [dict(zip(("consultation_id", "channel", "sent"), key), n=n)
             for key, n in sorted(drafts.items()) if n])
    for model in (ResponseCount, SupportCount, DraftCount):
        session.execute(sa.delete(model).where(model.n == 0))
    session.commit()
    return len(rows)


def _responses(cid: int) -> Any:
    """Totals and unfolded changes of a consultation's responses, as one subquery."""
    r, c = ResponseCount.__table__.c, CountChange.__table__.c
    keys = ("status", "received_on", "channel", "respondent_type", "district", "n")
    return sa.union_all(
        sa.select(*(r[k] for k in keys)).where(r.consultation_id == cid),
        sa.select(*(c[k] for k in keys)).where(c.consultation_id == cid, c.kind == "response"),
    ).subquery("responses")


def count_responses(consultation_id: int, status: str = "", channel: str = "",
                    respondent_type: str = "", district: str = "",
                    received_from: dt.date | None = None,
                    received_to: dt.date | None = None) -> int:
    """How many of a consultation's responses have these values (empty: any), exactly."""
    t = _responses(int(consultation_id))
    conditions = [t.c[name] == value for name, value in (
        ("status", status), ("channel", channel), ("respondent_type", respondent_type),
        ("district", district)) if value]
    if received_from is not None:
        conditions.append(t.c.received_on >= received_from)
    if received_to is not None:
        conditions.append(t.c.received_on <= received_to)
    return int(db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(t.c.n), 0)).where(*conditions)) or 0)


def read_statement(consultation_id: int) -> Any:
    """One statement (one snapshot) for the dashboard: responses by status, and valid ones by
    day, channel, respondent type and district; support totals; drafts; and the support
    answers of changes not yet folded, to be added in Python."""
    cid = int(consultation_id)
    t = _responses(cid)
    valid = t.c.status == "valid"
    null = sa.null()

    def grouped(name: str, column: Any, where: Any = None) -> Any:
        query = sa.select(sa.literal(name), t.c.status if name == "status" else null,
                          column if name != "status" else null, null, sa.func.sum(t.c.n))
        if where is not None:
            query = query.where(where)
        return query.group_by(column)

    s, d, c = SupportCount.__table__.c, DraftCount.__table__.c, CountChange.__table__.c
    return sa.union_all(
        grouped("status", t.c.status),
        grouped("day", sa.cast(t.c.received_on, String), valid),
        grouped("channel", t.c.channel, valid),
        grouped("type", t.c.respondent_type, valid),
        grouped("district", t.c.district, valid),
        sa.select(sa.literal("support"), s.status, s.column, s.code, s.n)
        .where(s.consultation_id == cid),
        sa.select(sa.literal("draft"), d.sent, d.channel, null, d.n)
        .where(d.consultation_id == cid),
        sa.select(sa.literal("draft"), c.status, c.channel, null, c.n)
        .where(c.consultation_id == cid, c.kind == "draft"),
        sa.select(sa.literal("answers"), c.status, c.support, null, c.n)
        .where(c.consultation_id == cid, c.kind == "response", c.support != ""),
    )


@dataclass
class Totals:
    """What the dashboard shows of a consultation's counts, at one moment."""

    by_status: Counter = field(default_factory=Counter)
    # valid responses only:
    per_day: Counter = field(default_factory=Counter)
    by_channel: Counter = field(default_factory=Counter)
    by_type: Counter = field(default_factory=Counter)  # None: not answered
    by_district: Counter = field(default_factory=Counter)  # None: not answered
    # (status, support column, code) -> responses
    support: Counter = field(default_factory=Counter)
    # (channel, "started" or "sent") -> drafts; a sent draft was started too
    drafts: Counter = field(default_factory=Counter)


def totals(consultation_id: int) -> Totals:
    result = Totals()
    for kind, a, b, c, n in db.session.execute(read_statement(consultation_id)):
        n = int(n or 0)
        if kind == "status":
            result.by_status[a] += n
        elif kind == "day":
            result.per_day[dt.date.fromisoformat(str(b)[:10])] += n
        elif kind == "channel":
            result.by_channel[b] += n
        elif kind == "type":
            result.by_type[b or None] += n
        elif kind == "district":
            result.by_district[b or None] += n
        elif kind == "support":
            result.support[(a, b, c)] += n
        elif kind == "draft":
            result.drafts[(b, a)] += n
        else:  # support answers of changes not folded yet
            for column, code in _support_pairs(b):
                result.support[(a, column, code)] += n
    for counter in (result.by_status, result.per_day, result.by_channel, result.by_type,
                    result.by_district, result.support, result.drafts):
        for key in [k for k, n in counter.items() if not n]:
            del counter[key]
    return result
