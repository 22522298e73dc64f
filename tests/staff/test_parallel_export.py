"""A large CSV export on PostgreSQL is written by several processes at once: the file is the one
a single process writes, byte for byte, holds the responses there were when it started, and a
share that fails fails the export with its reason (consult/parallel_export.py)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa

from consult import exports, parallel_export
from consult.extensions import db
from consult.models import CommentTranslation, Response

from .conftest import add_response

UTC = dt.timezone.utc
TEXTS = ["More patrols at night", "=HYPERLINK(\"http://x.invalid\")", "a;=1", "\ufeff+cmd",
         "Więcej policji; proszę", "line one\nline two", "'=already guarded", "", None,
         "Call 01223 456789 or mail me@example.org, CB1 2AB"]


@pytest.fixture
def on_postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the parallel export is PostgreSQL's (SQLite exports in one process)")
    return app


def fill(consultation, n: int = 41) -> list[Response]:
    """``n`` responses with every kind of cell, several sharing a submission time (so that a
    share's boundary falls between two responses of the same second)."""
    made = []
    for i in range(n):
        answers = {"comment__roads": TEXTS[i % len(TEXTS)], "support__roads":
                   ["strongly_support", "oppose", None][i % 3], "contact_ways": ["phone"]}
        made.append(add_response(
            consultation, {k: v for k, v in answers.items() if v is not None},
            submitted_at=dt.datetime(2021, 6, 10, 12, i // 4, 30, 999_999, tzinfo=UTC),
            received_on=dt.date(2021, 6, 10) + dt.timedelta(days=i % 3),
            hidden_comments=["comment__roads"] if i % 7 == 0 else [],
            status="valid" if i % 5 else "invalid", status_reason="" if i % 5 else "=dup"))
    db.session.add(CommentTranslation(response_id=made[4].id, column="comment__roads",
                                      source_language="pl", text="More police, please"))
    db.session.commit()
    return made


def export(consultation, processes: int, redacted: bool = False, progress=None) -> str:
    from flask import current_app

    current_app.config.update(EXPORT_PROCESSES=processes, EXPORT_PARALLEL_FROM=1)
    out = io.StringIO(newline="")
    exports.write_csv(consultation, out, redacted, progress=progress)
    return out.getvalue()


@pytest.mark.parametrize("redacted", [False, True])
def test_a_parallel_export_is_byte_for_byte_the_single_process_export(
        on_postgresql, consultation, redacted):
    fill(consultation)
    alone = export(consultation, 1, redacted)
    assert alone.count("\r\n") == 42  # the header and 41 rows (a comment's own line break is LF)
    assert "More police, please" in alone  # the staff translation, joined by response id
    for processes in (2, 3, 7):
        assert export(consultation, processes, redacted) == alone, processes
        assert len(parallel_export.plan(consultation)) == processes


def test_the_shares_cover_every_response_once_in_order(on_postgresql, consultation):
    made = fill(consultation)
    from flask import current_app

    current_app.config.update(EXPORT_PROCESSES=4, EXPORT_PARALLEL_FROM=1)
    shares = parallel_export.plan(consultation)
    assert shares[0].first is None and shares[-1].last is None
    assert all(a.last == b.first for a, b in zip(shares, shares[1:]))
    found = []
    for share in shares:
        query = exports._response_query(consultation, True, share)
        found.append([row.reference for row in db.session.execute(query)])
    everyone = [r.reference for r in sorted(made, key=lambda r: (r.submitted_at, r.id))]
    assert [ref for part in found for ref in part] == everyone
    assert all(len(part) in (10, 11) for part in found)  # 41 responses in four shares


def test_a_small_export_or_one_process_is_written_here(on_postgresql, consultation):
    from flask import current_app

    fill(consultation, 5)
    current_app.config.update(EXPORT_PROCESSES=2, EXPORT_PARALLEL_FROM=6)
    assert parallel_export.plan(consultation) == []
    current_app.config.update(EXPORT_PROCESSES=1, EXPORT_PARALLEL_FROM=1)
    assert parallel_export.plan(consultation) == []


def test_a_response_that_arrives_during_the_export_is_not_in_it(
        on_postgresql, consultation, monkeypatch):
    fill(consultation)
    before = export(consultation, 1)
    late = sa.create_engine(db.engine.url)
    read_extra = exports._extra_answers

    def arrives_meanwhile(c):  # runs after the snapshot is taken, before the shares start
        with late.begin() as conn:
            conn.execute(sa.insert(Response).values(
                reference="TST-LATE-0001", consultation_id=consultation.id,
                submitted_at=dt.datetime(2021, 6, 10, 12, 3, 30, tzinfo=UTC),
                received_on=dt.date(2021, 6, 10), channel="online", status="valid",
                status_reason="", hidden_comments=[], answers={"comment__roads": "late"}))
        return read_extra(c)

    monkeypatch.setattr(exports, "_extra_answers", arrives_meanwhile)
    during = export(consultation, 3)
    late.dispose()
    assert during == before and "TST-LATE-0001" not in during
    monkeypatch.undo()
    db.session.rollback()
    assert "TST-LATE-0001" in export(consultation, 3)


def test_progress_counts_the_rows_of_every_share(on_postgresql, consultation, monkeypatch):
    fill(consultation)
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 5)
    monkeypatch.setattr(exports, "STREAM_BATCH", 2)
    seen: list[int] = []
    export(consultation, 3, progress=seen.append)
    assert seen[-1] == 41 and seen == sorted(seen)


def test_a_share_that_fails_fails_the_export_and_says_why(
        on_postgresql, consultation, monkeypatch):
    made = fill(consultation)
    planned = exports.csv_cells
    last = made[-1].reference

    def breaks_on_the_last_response(*args, **kwargs):
        cells = planned(*args, **kwargs)

        def cell(row):
            if row[0] == last:
                raise OSError(28, "No space left on device")
            return cells(row)
        return cell

    monkeypatch.setattr(exports, "csv_cells", breaks_on_the_last_response)
    with pytest.raises(parallel_export.ExportFailed, match="No space left on device"):
        export(consultation, 3)


def test_an_export_job_whose_share_fails_ends_failed_with_the_reason(
        on_postgresql, consultation, monkeypatch):
    from consult import jobs
    from consult.models import Job

    fill(consultation)
    from flask import current_app

    current_app.config.update(EXPORT_PROCESSES=2, EXPORT_PARALLEL_FROM=1)

    def cannot_connect(driver_connection):
        return "host=127.0.0.1 port=1 dbname=nowhere connect_timeout=2"

    monkeypatch.setattr(parallel_export, "_conninfo", cannot_connect)
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "fp")  # run at once: the tests' queue is immediate
    db.session.expire_all()
    job = db.session.get(Job, job.id)
    assert job.status == "failed"
    assert "a part of the export could not be written" in job.error
    assert "database" in job.error
