"""A CSV export of many responses, written by several processes at once.

Turning rows into CSV cells is Python's work and keeps one core busy, so on PostgreSQL an
export of ``EXPORT_PARALLEL_FROM`` responses or more is split into shares in export order (by
the key submitted_at, id), one per process (``EXPORT_PROCESSES``; 0, the default, is one per
core, at most four). Every share is read at one snapshot of the database, the one this process
exports with ``pg_export_snapshot()`` (as ``pg_dump --jobs`` does), so the file holds exactly
the responses there were when the export started, each once, in order: byte for byte what one
process writes.

The processes are forked from the one asking (a job worker, or ``flask export``), so they
inherit the planned cells and the translations and codes already read; each opens a connection
of its own, writes its share to a file of its own and says how many rows it has written in
shared memory. This process waits, reports the progress of all of them and joins their files
in order. A share that fails fails the export with its reason; a share whose parent is gone
(a worker killed mid-export) stops at its next batch.
"""
from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any, Callable

import sqlalchemy as sa
from flask import current_app

from .extensions import db
from .models import Consultation, Response

# Seconds between two looks at the shares' progress while they run.
POLL_SECONDS = 0.5
MAX_DEFAULT_PROCESSES = 4


class ExportFailed(RuntimeError):
    """A share of a parallel export could not be written; the message says why."""


def processes() -> int:
    """The processes a large export is written by: ``EXPORT_PROCESSES``, or one per core."""
    setting = int(current_app.config.get("EXPORT_PROCESSES") or 0)
    if setting <= 0:
        setting = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                      else os.cpu_count() or 1, MAX_DEFAULT_PROCESSES)
    return max(1, setting)


def plan(consultation: Consultation) -> list[Any]:
    """The shares of the consultation's CSV export, one per process; [] to write it in this
    process (not PostgreSQL, fewer than ``EXPORT_PARALLEL_FROM`` responses, one process, or a
    system that cannot fork)."""
    from .exports import Share

    count = processes()
    connection = db.session.connection()
    if (count < 2 or connection.dialect.name != "postgresql"
            or "fork" not in multiprocessing.get_all_start_methods()):
        return []
    where = Response.consultation_id == consultation.id
    total = int(connection.execute(sa.select(sa.func.count()).where(where)).scalar() or 0)
    if total < int(current_app.config.get("EXPORT_PARALLEL_FROM", 20_000)) or total < count:
        return []
    keys: list[tuple[Any, int] | None] = [None]
    for k in range(1, count):
        key = connection.execute(
            sa.select(Response.submitted_at, Response.id).where(where)
            .order_by(Response.submitted_at, Response.id).offset(total * k // count).limit(1)
        ).first()
        if key is not None and (keys[-1] is None or tuple(key) > keys[-1]):
            keys.append(tuple(key))
    keys.append(None)
    return [Share(first, last) for first, last in zip(keys, keys[1:])]


def _conninfo(driver_connection: Any) -> str:
    """The libpq connection string of the session's connection, its password included."""
    from psycopg.conninfo import make_conninfo

    info = driver_connection.info
    return make_conninfo(info.dsn, password=info.password) if info.password else info.dsn


def _write_share(index: int, conninfo: str, snapshot: str, statement: str,
                 params: dict[str, Any], types: list[str], extra: dict[int, dict[str, Any]],
                 cells: Callable[[Any], list[Any]], path: str, written: Any,
                 parent: int) -> None:
    """In a forked process: one share's rows, read at ``snapshot``, written to ``path``. Leaves
    by ``os._exit`` (nothing of the parent's is closed or flushed here); a failure leaves its
    reason in ``path + ".error"``."""
    import psycopg
    from psycopg import sql

    from .exports import _copy_rows, _responses, _write_rows, csv_rows_writer

    code = 1
    try:
        with psycopg.connect(conninfo) as conn:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            conn.execute(sql.SQL("SET TRANSACTION SNAPSHOT {}").format(sql.Literal(snapshot)))

            def report(count: int) -> None:
                written[index] = count
                if os.getppid() != parent:
                    raise ExportFailed("the process that asked for the export is gone")

            raw = _copy_rows(conn, statement, params, types)
            try:
                with open(path, "w", encoding="utf-8", newline="") as out:
                    _write_rows(_responses(raw, extra), cells, csv_rows_writer(out).writerows,
                                report)
            finally:
                raw.close()  # ends the COPY (cancelled if unfinished) before the connection
        code = 0
    except BaseException as error:  # noqa: BLE001  (any failure is the export's, in words)
        try:
            Path(path + ".error").write_text(_reason(error)[:2000], encoding="utf-8")
        except OSError:
            pass
    finally:
        os._exit(code)


def _reason(error: BaseException) -> str:
    """Why a share failed, in words for the job's page."""
    import psycopg

    if isinstance(error, OSError) and error.strerror:
        return f"its file could not be written on the job worker ({error.strerror})"
    if isinstance(error, psycopg.OperationalError):
        first = (str(error).strip().splitlines() or [""])[0]
        return f"the database could not be reached from a second connection ({first})"
    if isinstance(error, ExportFailed):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _append(out: IO[str], path: Path) -> None:
    """Appends a share's file to the export, through the bytes underneath when it has them."""
    buffer = getattr(out, "buffer", None)
    encoding = (getattr(out, "encoding", "") or "").lower().replace("-", "").replace("_", "")
    if buffer is not None and encoding == "utf8":
        out.flush()
        with path.open("rb") as part:
            shutil.copyfileobj(part, buffer, 1 << 20)
        buffer.flush()
    else:
        with path.open("r", encoding="utf-8", newline="") as part:
            shutil.copyfileobj(part, out, 1 << 20)


def write(consultation: Consultation, shares: list[Any], cells: Callable[[Any], list[Any]],
          out: IO[str], written: Callable[[int], None]) -> int:
    """Writes the rows of ``shares`` to ``out`` after its header, a process per share; calls
    ``written`` with the rows written so far while they run. Returns the row count."""
    from .exports import _COPY_TYPES, _copy_statement, _extra_answers, _response_query

    connection = db.session.connection()
    snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
    conninfo = _conninfo(connection.connection.driver_connection)
    extra = _extra_answers(consultation)
    statements = [_copy_statement(connection, _response_query(consultation, True, share))
                  for share in shares]
    context = multiprocessing.get_context("fork")
    counts = context.RawArray("q", len(shares))
    parent = os.getpid()
    with tempfile.TemporaryDirectory(prefix="consult-export-") as work:
        paths = [Path(work) / f"share-{i}.csv" for i in range(len(shares))]
        running: list[Any] = []
        try:
            for i, (statement, params) in enumerate(statements):
                process = context.Process(
                    target=_write_share, name=f"consult-export-share-{i}", daemon=True,
                    args=(i, conninfo, snapshot, statement, params, _COPY_TYPES[True], extra,
                          cells, str(paths[i]), counts, parent))
                process.start()
                running.append(process)
            pending = list(running)
            while pending:
                multiprocessing.connection.wait([p.sentinel for p in pending], POLL_SECONDS)
                for process in [p for p in pending if p.exitcode is not None]:
                    pending.remove(process)
                    if process.exitcode != 0:
                        raise ExportFailed(_failure(paths[running.index(process)], process))
                written(sum(counts))
            for path in paths:
                _append(out, path)
                path.unlink()
        finally:
            for process in running:
                if process.exitcode is None:
                    process.terminate()
                process.join()
    return sum(counts)


def _failure(path: Path, process: Any) -> str:
    try:
        reason = Path(str(path) + ".error").read_text(encoding="utf-8").strip()
    except OSError:
        reason = f"the process writing it stopped (exit code {process.exitcode})"
    return f"a part of the export could not be written: {reason}"
