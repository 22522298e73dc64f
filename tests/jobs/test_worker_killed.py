"""A job worker killed in the middle of an export: the job is not left "running" for ever; the
next worker takes it up and the file is made, once."""
from __future__ import annotations

import io
import time

import openpyxl
import pytest
import sqlalchemy as sa

from consult import create_app, jobs
from consult.extensions import db
from tests.staff.conftest import add_consultation

from .conftest import FLASK, Process, add_many_responses, environment, job_row, wait_for

pytestmark = pytest.mark.slow

ROWS = 20000  # enough that the export is still running when the worker is killed


def test_a_worker_killed_mid_export_leaves_the_job_to_the_next_worker(tmp_path):
    url = f"sqlite:///{tmp_path / 'consult.db'}"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        db.create_all()
        consultation = add_consultation()
        add_many_responses(consultation, ROWS)
        job, _ = jobs.request_job("export", consultation, {"format": "xlsx", "redacted": False},
                                  None, "killed", enqueue=False)
        job_id = job.id
        db.session.remove()
        db.engine.dispose()
    engine = sa.create_engine(url)
    env = environment(DATABASE_URL=url, JOBS_QUEUE_FILE=str(tmp_path / "queue.db"),
                      JOB_LEASE_SECONDS="2", JOB_HEARTBEAT_SECONDS="0.3")
    first = Process("worker-1", FLASK + ["jobs", "worker"], env, tmp_path)
    second = None
    try:
        # The first worker finds the waiting job at its start and writes rows...
        running = wait_for("the first worker to write rows",
                           lambda: (row := job_row(engine, job_id)).status == "running"
                           and row.rows_done > 0 and row, 60, [first])
        first.kill()
        assert running.heartbeat_at is not None  # the worker showed it was alive
        # ...and dies. The job still says running: nothing tidied up.
        assert job_row(engine, job_id).status == "running"
        time.sleep(2.5)  # the lease runs out
        second = Process("worker-2", FLASK + ["jobs", "worker"], env, tmp_path)
        done = wait_for("the second worker to finish the export",
                        lambda: (row := job_row(engine, job_id)).status in ("done", "failed")
                        and row, 90, [second])
        assert (done.status, done.attempts, done.rows_done) == ("done", 2, ROWS), done
    finally:
        first.stop()
        if second is not None:
            second.stop()
    with app.app_context():
        made = db.session.get(jobs.Job, job_id)
        book = openpyxl.load_workbook(io.BytesIO(jobs.read_file(made, "export")),
                                      read_only=True)
        assert book["responses"].max_row == ROWS + 1
        assert made.result["rows"] == ROWS
        written = db.session.scalars(sa.select(jobs.audit.AuditEvent).where(
            jobs.audit.AuditEvent.action == "export")).all()
        assert [e.rows for e in written] == [ROWS]  # written once, by the second worker
        db.session.remove()
        db.engine.dispose()
    engine.dispose()
