"""Long staff work as jobs on a task queue: exports, the evidence report, imports and the purge.

A staff page never waits for minutes of work. It stores a ``Job`` row (what was asked, by whom)
and puts the job's id on the queue; a job worker (``flask --app consult jobs worker``, a Huey
consumer) takes it, writes the file and keeps it in the database (``job_file_chunk``), so that
any app server can offer it. The job's page shows its progress and refreshes itself.

The queue is Huey's: on SQLite (``instance/jobs-queue.db``) when no Redis is configured, which
is what ``make run`` uses, and on Redis (``JOBS_REDIS_URL``, else ``REDIS_URL``) in production,
where several app servers and workers share one queue. What the queue carries is only a job id:
the state of every job is in the database, so a queue that loses its contents loses nothing a
worker cannot find again at its start.

Rules kept here:

- Two staff asking for the same thing at once get one job: ``Job.active_key`` is unique while
  a job is queued or running. A file already made from the same responses (same fingerprint) is
  offered again without being written again, until it expires.
- A running job renews its heartbeat every ``JOB_HEARTBEAT_SECONDS``. A running job whose
  heartbeat is older than ``JOB_LEASE_SECONDS`` was left by a worker that stopped: it is queued
  again (up to ``JOB_MAX_ATTEMPTS`` tries in all), else failed with a reason. The check runs
  when the job's page is read, when a worker starts, and every minute in each worker.
- Files are deleted ``JOB_FILE_HOURS`` after they were made (default 24); erasing a response
  deletes every file that may hold it.
- Every request, every file written, every download and every failure is in the audit log.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import socket
import tempfile
import threading
import uuid
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterator

import click
import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

from . import audit
from .config import INSTANCE_DIR, ConfigurationError
from .extensions import db
from .models import Consultation, Job, JobFileChunk, Response, StaffUser, utcnow

logger = logging.getLogger("consult.jobs")

ACTIVE = ("queued", "running")
CHUNK_BYTES = 1024 * 1024
EXPORT_MIMETYPES = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Settings, with their defaults; each can be set as an environment variable of the same name.
SETTINGS: dict[str, float] = {
    "JOB_FILE_HOURS": 24.0,
    "JOB_LEASE_SECONDS": 60.0,
    "JOB_HEARTBEAT_SECONDS": 5.0,
    "JOB_MAX_ATTEMPTS": 2.0,
    # An uploaded import file larger than this (bytes) is checked by a job worker, not inside
    # the web request (a 150,000-row workbook takes about a minute to check).
    "IMPORT_CHECK_JOB_BYTES": 1_000_000.0,
}
# What each kind of job is called on its page and in the audit log.
KIND_NAMES = {"export": "export", "report": "evidence report", "import": "import",
              "import_check": "import check", "purge": "retention purge",
              "themes": "suggested codebook", "model_codes": "model's codes"}
# The permission (consult/staff/roles.py) that lets staff see a job of each kind and its files:
# the same as asking for it.
KIND_PERMISSIONS = {"export": "export", "report": "download_report",
                    "import": "import_responses", "import_check": "import_responses",
                    "purge": "erase", "themes": "code_comments",
                    "model_codes": "code_comments"}


class JobFailed(Exception):
    """The job cannot be done; the message says why in plain words, for the job's page."""


class JobCancelled(Exception):
    """The job was taken back while it ran (a response it held was erased, or its lease was
    given to another worker): what it made is thrown away."""


# -- the queue ---------------------------------------------------------------------------------

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def _make_queue() -> Huey:
    name = os.environ.get("JOBS_QUEUE_NAME", "consult-jobs")
    setting_name = "JOBS_REDIS_URL" if os.environ.get("JOBS_REDIS_URL") else "REDIS_URL"
    url = os.environ.get(setting_name)
    if url and not url.startswith(REDIS_SCHEMES):
        raise ConfigurationError(
            f"{setting_name} is {url.split(':', 1)[0]}:..., which is not a Redis address. Set "
            f"REDIS_URL (or JOBS_REDIS_URL) to the Redis every app server and job worker shares, "
            "e.g. redis://127.0.0.1:6379/0, or leave both unset to keep the job queue in an "
            "SQLite file (one machine only).")
    if url:
        queue: Huey = RedisHuey(name, url=url, results=False)
    else:
        path = os.environ.get("JOBS_QUEUE_FILE") or str(INSTANCE_DIR / "jobs-queue.db")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        queue = SqliteHuey(name, filename=path, results=False)
    return queue


huey = _make_queue()

_worker_app: Flask | None = None


def _app() -> Flask:
    """The Flask app a job runs in: the caller's (immediate mode, the worker command), else one
    made once per worker process from the environment."""
    global _worker_app
    if has_app_context():
        return current_app._get_current_object()  # type: ignore[attr-defined]
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    return _worker_app


def setting(name: str) -> float:
    return float(current_app.config.get(name, SETTINGS[name]))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@huey.task()
def run_job(job_id: int) -> None:
    """The queue's one task: run the job with this id (nothing, if it is no longer queued)."""
    app = _app()
    with app.app_context():
        try:
            _run(job_id)
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="*"))
def housekeeping() -> None:
    """Every minute in every worker: jobs left by a stopped worker, and files past their time."""
    with _app().app_context():
        try:
            recover_stale()
            delete_expired_files()
        finally:
            db.session.remove()


@huey.periodic_task(crontab(minute="30", hour="2"))
def nightly_purge() -> None:
    """The retention purge, every night at 02:30 (the worker's clock), as a job of its own."""
    with _app().app_context():
        try:
            recent = db.session.scalar(sa.select(Job.id).where(
                Job.kind == "purge", Job.status == "done",
                Job.finished_at > _now() - dt.timedelta(hours=12)).limit(1))
            if recent is None:
                job, _ = request_job("purge", None, {}, user=None, fingerprint=_now().date()
                                     .isoformat(), enqueue=False, actor="job worker schedule")
                if job.status == "queued":
                    _run(job.id)
        finally:
            db.session.remove()


# -- asking for a job --------------------------------------------------------------------------

def _key(kind: str, consultation: Consultation | None, params: dict[str, Any],
         fingerprint: str) -> str:
    slug = consultation.slug if consultation is not None else "-"
    return f"{kind}:{slug}:{json.dumps(params, sort_keys=True)}:{fingerprint}"[:300]


def _reusable(job: Job) -> bool:
    return (job.status == "done" and job.kind in ("export", "report")
            and job.expires_at is not None and job.expires_at > _now() and bool(job.files))


def request_job(kind: str, consultation: Consultation | None, params: dict[str, Any],
                user: StaffUser | None, fingerprint: str = "", enqueue: bool = True,
                **audit_details: Any) -> tuple[Job, str]:
    """The job making ``kind`` with ``params``: a file already made from the same responses
    ("ready"), the job already making it ("joined"), or a new job, queued ("queued"). The
    request is written to the audit log with the job, in the same transaction.

    ``fingerprint`` changes whenever what the job would make changes (new, moderated or erased
    responses); two requests with the same fingerprint make the same file.
    """
    key = _key(kind, consultation, params, fingerprint)
    target = consultation.slug if consultation is not None else KIND_NAMES[kind]

    def answered(job: Job, how: str) -> tuple[Job, str]:
        audit.record(f"{kind} requested", target=target, user=user, job=job.id,
                     answered_with=how, **_audit_params(job), **audit_details)
        db.session.commit()
        return job, how

    if kind in ("export", "report"):
        done = db.session.scalars(sa.select(Job).where(Job.params_key == key,
                                                       Job.status == "done")
                                  .order_by(Job.finished_at.desc()).limit(5)).all()
        for job in done:
            if _reusable(job):
                return answered(job, "ready")
    active = db.session.scalar(sa.select(Job).where(Job.active_key == key))
    if active is not None:
        check_lease(active)
        if active.status in ACTIVE:
            return answered(active, "joined")
    job = Job(kind=kind, consultation_id=consultation.id if consultation is not None else None,
              params=params, params_key=key, active_key=key, status="queued",
              step="Waiting for a job worker", requested_by_id=user.id if user else None)
    db.session.add(job)
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        # Someone asked for the same thing a moment ago: theirs is the job.
        db.session.rollback()
        active = db.session.scalar(sa.select(Job).where(Job.active_key == key))
        if active is not None:
            return answered(active, "joined")
        raise
    answered(job, "queued")
    if enqueue:
        _enqueue(job)
    return job, "queued"


def start_import(consultation: Consultation, filename: str, content: bytes,
                 user: StaffUser | None) -> tuple[Job, str]:
    """Import a checked file as a job; the file travels in the database, so the worker may be
    on another machine."""
    import hashlib

    sha256 = hashlib.sha256(content).hexdigest()
    job, how = request_job("import", consultation, {"filename": filename[:200],
                                                    "sha256": sha256}, user, enqueue=False)
    if how == "queued":
        store_bytes(job, "upload", content)
        db.session.commit()
        _enqueue(job)
    return job, how


def start_import_check(consultation: Consultation, filename: str, content: bytes,
                       user: StaffUser | None) -> tuple[Job, str]:
    """Check an uploaded file as a job (``import_check``). The file is kept with the job in the
    database, where every app server and job worker reaches it, until it is imported, found
    not importable, or the job's files expire."""
    import hashlib

    sha256 = hashlib.sha256(content).hexdigest()
    job, how = request_job("import_check", consultation, {"filename": filename[:200],
                                                          "sha256": sha256}, user, enqueue=False)
    if how == "queued":
        store_bytes(job, "upload", content)
        db.session.commit()
        _enqueue(job)
    return job, how


def checked_upload(job: Job) -> bool:
    """Whether a done import check still keeps the file it checked (it can be imported)."""
    return job.kind == "import_check" and job.status == "done" and db.session.scalar(
        sa.select(JobFileChunk.id).where(JobFileChunk.job_id == job.id,
                                         JobFileChunk.name == "upload").limit(1)) is not None


def start_import_of_checked(check: Job, user: StaffUser | None) -> tuple[Job, str]:
    """Import the file an ``import_check`` job checked: the file moves, in the database, from
    the check to the import job (no app server holds it)."""
    consultation = _consultation(check)
    job, how = request_job("import", consultation, {"filename": check.params["filename"],
                                                    "sha256": check.params["sha256"]}, user,
                           enqueue=False)
    if how == "queued":
        db.session.execute(sa.update(JobFileChunk).where(
            JobFileChunk.job_id == check.id, JobFileChunk.name == "upload")
            .values(job_id=job.id))
    else:
        db.session.execute(sa.delete(JobFileChunk).where(
            JobFileChunk.job_id == check.id, JobFileChunk.name == "upload"))
    db.session.commit()
    if how == "queued":
        _enqueue(job)
    return job, how


def _enqueue(job: Job) -> None:
    try:
        run_job(job.id)
    except Exception as error:  # noqa: BLE001 (the queue's own errors: Redis down, disk full)
        if job.status in ACTIVE and not huey.immediate:
            logger.exception("job %s could not be queued", job.id)
            _fail(job.id, "the job queue could not be reached, so no worker was given the job "
                          f"({type(error).__name__}). Try again in a minute; if it keeps "
                          "failing, the job queue needs looking at")
        else:
            raise
    db.session.expire(job)
    db.session.refresh(job)


def retry(job: Job, user: StaffUser | None) -> tuple[Job, str]:
    """Ask again for what a failed or expired job was making."""
    if job.consultation is not None and job.kind in ("export", "report"):
        from .reports import fingerprint

        digest = fingerprint(job.consultation)[0]
    else:
        digest = job.params_key.rsplit(":", 1)[-1]
    return request_job(job.kind, job.consultation, dict(job.params), user, digest,
                       retry_of=job.id)


# -- leases -------------------------------------------------------------------------------------

def check_lease(job: Job) -> bool:
    """If ``job`` is running with an expired lease, queue it again or fail it; True if so."""
    if job.status != "running":
        return False
    lease = dt.timedelta(seconds=setting("JOB_LEASE_SECONDS"))
    beat = job.heartbeat_at or job.started_at or job.requested_at
    if beat > _now() - lease:
        return False
    _take_back(job)
    db.session.refresh(job)
    return job.status != "running"


def _take_back(job: Job) -> None:
    claimed_by = job.worker
    if job.attempts < int(setting("JOB_MAX_ATTEMPTS")):
        moved = db.session.execute(
            sa.update(Job).where(Job.id == job.id, Job.status == "running",
                                 Job.worker == claimed_by)
            .values(status="queued", worker="", rows_done=0,
                    step="Waiting for a job worker (the last one stopped while working on it)")
        ).rowcount
        db.session.commit()
        if moved:
            logger.warning("job %s: worker %s stopped; queued again", job.id, claimed_by)
            _enqueue(job)
        return
    _fail(job.id, "the job worker stopped while working on it (it was restarted or ran out of "
                  "memory), and it had already been tried "
                  f"{job.attempts} times. Try again; if it stops again, ask whoever runs "
                  "Consult to look at the job worker's log", only_worker=claimed_by)


def recover_stale() -> int:
    """Take back every running job whose lease has expired; the number taken back."""
    lease = dt.timedelta(seconds=setting("JOB_LEASE_SECONDS"))
    stale = db.session.scalars(sa.select(Job).where(
        Job.status == "running", Job.heartbeat_at < _now() - lease)).all()
    for job in stale:
        _take_back(job)
    return len(stale)


def requeue_waiting() -> int:
    """Put every queued job on the queue again (a worker starting after Redis lost its contents
    finds them); a job already taken by a worker is left alone by the second copy."""
    waiting = db.session.scalars(sa.select(Job).where(Job.status == "queued")).all()
    for job in waiting:
        _enqueue(job)
    return len(waiting)


# -- running a job ------------------------------------------------------------------------------

class Heartbeat(threading.Thread):
    """Renews a running job's lease and writes its progress, on a connection of its own, every
    ``interval`` seconds; notices when the job was taken back (``cancelled``)."""

    def __init__(self, job_id: int, token: str, interval: float, attempt: int = 1) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.job_id, self.token, self.interval, self.attempt = job_id, token, interval, attempt
        # What this attempt made, written to the job row only if it still holds the lease when
        # it finishes (the ORM's job object is never changed, so nothing is flushed unguarded).
        self.files: list[dict[str, Any]] = []
        self.result: dict[str, Any] = {}
        self.max_response_id: int | None = None
        self.engine = db.engine
        self.rows = 0
        self.step = ""
        self.rows_total: int | None = None
        self.cancelled = False
        self._halt = threading.Event()

    def progress(self, rows: int) -> None:
        self.rows = rows
        if self.cancelled:
            raise JobCancelled()

    def set_step(self, step: str, rows_total: int | None = None) -> None:
        self.step = step
        if rows_total is not None:
            self.rows_total = rows_total
        self.beat()

    def beat(self) -> None:
        values: dict[str, Any] = {"heartbeat_at": _now(), "rows_done": self.rows}
        if self.step:
            values["step"] = self.step
        if self.rows_total is not None:
            values["rows_total"] = self.rows_total
        try:
            with self.engine.begin() as connection:
                found = connection.execute(sa.update(Job).where(
                    Job.id == self.job_id, Job.status == "running", Job.worker == self.token)
                    .values(**values)).rowcount
            if not found:
                self.cancelled = True
        except sa.exc.OperationalError as error:
            # SQLite refuses a write while a long read holds its lock: the next beat will do.
            logger.info("job %s: heartbeat skipped (%s)", self.job_id, error)

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.beat()

    def stop(self) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout=self.interval + 10)


def _claim(job_id: int) -> str | None:
    token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    now = _now()
    claimed = db.session.execute(
        sa.update(Job).where(Job.id == job_id, Job.status == "queued")
        .values(status="running", worker=token, started_at=now, heartbeat_at=now,
                attempts=Job.attempts + 1, error="", rows_done=0, step="Starting")
    ).rowcount
    db.session.commit()
    return token if claimed else None


def _run(job_id: int) -> None:
    token = _claim(job_id)
    if token is None:
        return  # done, failed, or taken by another worker
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job is not None
    beat = Heartbeat(job.id, token, setting("JOB_HEARTBEAT_SECONDS"), job.attempts)
    beat.start()
    reason = None
    try:
        RUNNERS[job.kind](job, beat)
    except JobCancelled:
        db.session.rollback()
        _delete_files(job.id, attempt=beat.attempt)
        logger.warning("job %s was taken back while it ran; its files were thrown away", job.id)
        return
    except JobFailed as error:
        db.session.rollback()
        reason = str(error)
    except Exception:  # noqa: BLE001 (a job must end failed with a reason, never "running")
        db.session.rollback()
        logger.exception("job %s (%s) failed", job.id, job.kind)
        reason = ("something went wrong inside Consult while doing it. The details are in the "
                  "job worker's log; try again, and if it fails again, ask whoever runs Consult "
                  "to look at that log")
    finally:
        beat.stop()
    if reason is not None:
        _delete_files(job.id, attempt=beat.attempt)
        _fail(job.id, reason, only_worker=token)
        return
    _finish(job, token, beat)


def _finish(job: Job, token: str, beat: Heartbeat) -> None:
    now = _now()
    finished = db.session.execute(
        sa.update(Job).where(Job.id == job.id, Job.status == "running", Job.worker == token)
        .values(status="done", active_key=None, finished_at=now, heartbeat_at=now,
                rows_done=beat.rows, step="Done", files=beat.files, result=beat.result,
                max_response_id=beat.max_response_id,
                expires_at=now + dt.timedelta(hours=setting("JOB_FILE_HOURS")))
    ).rowcount
    if not finished:
        # Taken back while it ran (a response it holds was erased, or its lease ran out and
        # another worker has it): nothing of this attempt is kept.
        db.session.rollback()
        _delete_files(job.id, attempt=beat.attempt)
        return
    db.session.commit()


def _fail(job_id: int, reason: str, only_worker: str | None = None) -> None:
    where = [Job.id == job_id, Job.status.in_(ACTIVE)]
    if only_worker is not None:
        where.append(Job.worker == only_worker)
    failed = db.session.execute(sa.update(Job).where(*where).values(
        status="failed", active_key=None, finished_at=_now(), error=reason[:2000],
        step="Failed")).rowcount
    if failed:
        job = db.session.get(Job, job_id)
        db.session.refresh(job)
        # An uploaded file is not kept after a failure: it is chosen and checked again.
        db.session.execute(sa.delete(JobFileChunk).where(JobFileChunk.job_id == job_id,
                                                         JobFileChunk.name == "upload"))
        audit.record(f"{job.kind} failed", target=_target(job), actor="job worker", job=job.id,
                     reason=reason, requested_by=_requester_email(job), **_audit_params(job))
    db.session.commit()


def _target(job: Job) -> str:
    return job.consultation.slug if job.consultation is not None else KIND_NAMES[job.kind]


def _requester_email(job: Job) -> str:
    return job.requested_by.email if job.requested_by is not None else "command line"


def _audit_params(job: Job) -> dict[str, Any]:
    return {k: v for k, v in job.params.items() if k in ("format", "redacted", "filename")}


# -- files kept in the database ----------------------------------------------------------------

def store_file(job: Job, beat: Heartbeat, name: str, path: Path, download_name: str,
               mimetype: str) -> int:
    """Copy the file at ``path`` into the job's chunks, under a name of this attempt's own (two
    attempts never write into each other's file); its size in bytes."""
    stored = f"{name}#{beat.attempt}"
    size = 0
    seq = 0
    with path.open("rb") as handle:
        while True:
            data = handle.read(CHUNK_BYTES)
            if not data and seq:
                break
            db.session.add(JobFileChunk(job_id=job.id, name=stored, seq=seq, data=data))
            size += len(data)
            seq += 1
            if seq % 16 == 0:
                db.session.commit()
            if not data:
                break
    db.session.commit()
    beat.files = [*[f for f in beat.files if f["name"] != name],
                  {"name": name, "stored": stored, "download_name": download_name,
                   "mimetype": mimetype, "size": size}]
    return size


def store_bytes(job: Job, name: str, content: bytes) -> None:
    for seq, start in enumerate(range(0, max(len(content), 1), CHUNK_BYTES)):
        db.session.add(JobFileChunk(job_id=job.id, name=name, seq=seq,
                                    data=content[start:start + CHUNK_BYTES]))


def file_chunks(job_id: int, name: str) -> Iterator[bytes]:
    """The file's bytes, a chunk at a time, each read on its own connection (a download of
    hundreds of megabytes never sits in memory, and needs no app context while it is sent)."""
    seqs = db.session.scalars(sa.select(JobFileChunk.seq).where(
        JobFileChunk.job_id == job_id, JobFileChunk.name == name)
        .order_by(JobFileChunk.seq)).all()
    engine = db.engine

    def chunks() -> Iterator[bytes]:
        for seq in seqs:
            with engine.connect() as connection:
                data = connection.scalar(sa.select(JobFileChunk.data).where(
                    JobFileChunk.job_id == job_id, JobFileChunk.name == name,
                    JobFileChunk.seq == seq))
            if data:
                yield bytes(data)

    return chunks()


def read_bytes(job_id: int, stored: str) -> bytes:
    return b"".join(file_chunks(job_id, stored))


def stored_name(job: Job, name: str) -> str | None:
    """Where the job's file ``name`` is kept in job_file_chunk; None if the job has no such
    file."""
    for meta in job.files:
        if meta["name"] == name:
            return str(meta.get("stored", name))
    return None


def read_file(job: Job, name: str) -> bytes:
    stored = stored_name(job, name)
    if stored is None:
        raise KeyError(name)
    return read_bytes(job.id, stored)


def _delete_files(job_id: int, name: str | None = None, attempt: int | None = None) -> None:
    where = [JobFileChunk.job_id == job_id]
    if name is not None:
        where.append(JobFileChunk.name == name)
    if attempt is not None:
        where.append(JobFileChunk.name.like(f"%#{attempt}"))
    db.session.execute(sa.delete(JobFileChunk).where(*where))
    db.session.commit()


def delete_expired_files(now: dt.datetime | None = None) -> int:
    """Delete the files of every job past its time; the number of jobs whose files went."""
    now = now or _now()
    expired = db.session.scalars(sa.select(Job).where(
        Job.expires_at <= now, Job.status == "done")).all()
    count = 0
    for job in expired:
        if job.files or db.session.scalar(sa.select(JobFileChunk.id).where(
                JobFileChunk.job_id == job.id).limit(1)) is not None:
            db.session.execute(sa.delete(JobFileChunk).where(JobFileChunk.job_id == job.id))
            job.files = []
            audit.record(f"{job.kind} file deleted", target=_target(job), actor="job worker",
                         job=job.id, reason="kept for its time", **_audit_params(job))
            count += 1
    db.session.commit()
    return count


def forget_response(consultation_id: int, response_id: int | None = None) -> int:
    """Delete every job file that may hold the response (every file of the consultation when
    ``response_id`` is None), and take back running jobs that may be writing it. Not committed:
    the caller commits with the erasure. The number of jobs whose files went."""
    jobs = db.session.scalars(sa.select(Job).where(
        Job.consultation_id == consultation_id, Job.kind.in_(("export", "report")))).all()
    count = 0
    for job in jobs:
        if job.status in ACTIVE:
            # It may be writing the response now: what it writes is thrown away, and the job is
            # failed with the reason (asking again makes a file without the response).
            job.status, job.active_key, job.finished_at = "failed", None, _now()
            job.error = ("a response was erased while this was being made, so what had been "
                         "written was thrown away. Ask for it again")
            job.step = "Failed"
            audit.record(f"{job.kind} failed", target=_target(job), actor="job worker",
                         job=job.id, reason=job.error, requested_by=_requester_email(job),
                         **_audit_params(job))
            count += 1
        elif job.files and (response_id is None or job.max_response_id is None
                            or job.max_response_id >= response_id):
            job.files = []
            count += 1
        else:
            continue
        db.session.execute(sa.delete(JobFileChunk).where(JobFileChunk.job_id == job.id))
    return count


# -- the kinds of job ---------------------------------------------------------------------------

def _consultation(job: Job) -> Consultation:
    if job.consultation is None:
        raise JobFailed("the consultation it was for no longer exists")
    return job.consultation


def _max_response_id(consultation: Consultation) -> int:
    return int(db.session.scalar(sa.select(sa.func.max(Response.id)).where(
        Response.consultation_id == consultation.id)) or 0)


def _response_count(consultation: Consultation) -> int:
    return int(db.session.scalar(sa.select(sa.func.count(Response.id)).where(
        Response.consultation_id == consultation.id)) or 0)


def _run_export(job: Job, beat: Heartbeat) -> None:
    from .exports import write_export
    from .parallel_export import ExportFailed

    consultation = _consultation(job)
    fmt, redacted = job.params["format"], bool(job.params.get("redacted"))
    if fmt not in EXPORT_MIMETYPES:
        raise JobFailed(f"there is no export format called {fmt}")
    beat.set_step("Writing the rows", rows_total=_response_count(consultation))
    with tempfile.TemporaryDirectory(prefix="consult-export-") as work:
        path = Path(work) / f"export.{fmt}"
        try:
            if fmt == "xlsx":
                rows = write_export(consultation, fmt, str(path), redacted,
                                    progress=beat.progress)
            else:
                with path.open("w", encoding="utf-8", newline="") as handle:
                    rows = write_export(consultation, fmt, handle, redacted,
                                        progress=beat.progress)
        except OSError as error:
            raise JobFailed(f"the file could not be written on the job worker ({error.strerror})"
                            ) from None
        except ExportFailed as error:
            logger.warning("export job %s failed: %s", job.id, error)
            raise JobFailed(str(error)) from None
        beat.rows = rows
        beat.max_response_id = _max_response_id(consultation)
        db.session.commit()  # ends the export's read before the file is stored
        beat.set_step("Saving the file")
        suffix = "-redacted" if redacted else ""
        size = store_file(job, beat, "export", path, f"{consultation.slug}{suffix}.{fmt}",
                          EXPORT_MIMETYPES[fmt])
    beat.result = {"rows": rows, "size": size}
    audit.record("export", target=consultation.slug, rows=rows, user=job.requested_by,
                 format=fmt, redacted=redacted, job=job.id)
    db.session.commit()


def _run_report(job: Job, beat: Heartbeat) -> None:
    from analysis.load import LoadError, load
    from analysis.report import build_report

    from .exports import write_json

    consultation = _consultation(job)
    beat.set_step("Reading the responses", rows_total=_response_count(consultation))
    with tempfile.TemporaryDirectory(prefix="consult-report-") as work:
        folder = Path(work) / "report"
        folder.mkdir()
        export = Path(work) / "export.json"
        with export.open("w", encoding="utf-8") as handle:
            rows = write_json(consultation, handle, progress=beat.progress)
        beat.rows = rows
        beat.max_response_id = _max_response_id(consultation)
        db.session.commit()
        beat.set_step("Building the report: figures, charts and comments")
        try:
            os.environ.setdefault("MPLBACKEND", "Agg")
            build_report(load(export, consultation=consultation.slug), folder, progress=False,
                         analysis_language=current_app.config.get("ANALYSIS_LANGUAGE") or "en",
                         languages=current_app.config.get("ANALYSIS_LANGUAGES") or None)
        except LoadError as error:
            raise JobFailed(str(error)) from None
        finally:
            # The export holds every answer unredacted; the report keeps only redacted quotes.
            export.unlink(missing_ok=True)
        if not (folder / "report.html").exists():
            raise JobFailed("the report builder wrote no report")
        beat.set_step("Saving the report")
        archive = Path(work) / "report.zip"
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    bundle.write(path, path.relative_to(folder).as_posix())
        store_file(job, beat, "report.html", folder / "report.html",
                   f"{consultation.slug}-report.html", "text/html")
        store_file(job, beat, "report.zip", archive, f"{consultation.slug}-report.zip",
                   "application/zip")
    beat.result = {"rows": rows}
    audit.record("report", target=consultation.slug, rows=rows, user=job.requested_by,
                 job=job.id)
    db.session.commit()


def _run_import(job: Job, beat: Heartbeat) -> None:
    from .imports import ImportFileError, import_file

    consultation = _consultation(job)
    filename = job.params.get("filename", "upload")
    content = read_bytes(job.id, "upload")
    beat.set_step("Checking every row and importing")
    try:
        check = import_file(consultation, filename, content, user=job.requested_by)
    except ImportFileError as error:
        raise JobFailed(str(error)) from None
    finally:
        _delete_files(job.id, "upload")
    if not check.ok:
        n = len(check.problems)
        raise JobFailed(f"the file has {n} problem{'' if n == 1 else 's'}, so nothing was "
                        "imported. Check the file again on the import page to see each one")
    beat.rows = len(check.new_rows)
    beat.result = {"imported": len(check.new_rows), "already_imported": check.already_imported,
                  "filename": check.filename}


def _run_import_check(job: Job, beat: Heartbeat) -> None:
    from .imports import ImportFileError, check_file

    consultation = _consultation(job)
    filename = job.params.get("filename", "upload")
    content = read_bytes(job.id, "upload")
    if not content:
        raise JobFailed("the uploaded file is no longer kept. Choose it again and check it")
    beat.set_step("Checking every row")
    try:
        check = check_file(consultation, filename, content, progress=beat.progress)
    except ImportFileError as error:  # failing the job removes the file
        raise JobFailed(str(error).rstrip(".")) from None
    if not (check.ok and check.new_rows):
        _delete_files(job.id, "upload")  # nothing in it can be imported: it is not kept
    beat.rows = check.rows
    beat.result = {"check": check.summary()}


def _run_purge(job: Job, beat: Heartbeat) -> None:
    from .retention import purge

    beat.set_step("Removing expired drafts and responses past their retention period")
    result = purge(user=job.requested_by)
    beat.rows = result.drafts + result.responses
    beat.result = {"drafts": result.drafts, "responses": result.responses,
                  "consultations": result.consultations}


def _run_themes(job: Job, beat: Heartbeat) -> None:
    from .coding.work import run_themes_job

    run_themes_job(job, beat)


def _run_model_codes(job: Job, beat: Heartbeat) -> None:
    from .coding.model_codes import run_model_codes_job

    run_model_codes_job(job, beat)


RUNNERS: dict[str, Callable[[Job, Heartbeat], None]] = {
    "export": _run_export,
    "report": _run_report,
    "import": _run_import,
    "import_check": _run_import_check,
    "purge": _run_purge,
    "themes": _run_themes,
    "model_codes": _run_model_codes,
}


# -- the worker command -------------------------------------------------------------------------

@click.group("jobs", help="The job worker and the jobs it runs.")
def jobs_group() -> None:
    pass


@jobs_group.command("worker")
@click.option("--workers", "-w", default=1, show_default=True,
              help="Jobs run at once by this worker (threads).")
def worker_command(workers: int) -> None:
    """Run a job worker until stopped (Ctrl-C or SIGTERM lets the running job finish)."""
    global _worker_app
    _worker_app = current_app._get_current_object()  # type: ignore[attr-defined]
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    prepare_sqlite(_worker_app)
    taken = recover_stale()
    waiting = requeue_waiting()
    click.echo(f"Job worker on {type(huey.storage).__name__} queue {huey.name!r}: "
               f"{taken} stopped jobs taken back, {waiting} waiting jobs queued.")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True,
                                    check_worker_health=True)
    consumer.run()


@jobs_group.command("list")
@click.option("--limit", default=20, show_default=True)
def list_command(limit: int) -> None:
    """The latest jobs: id, kind, status, progress, who asked."""
    for job in db.session.scalars(sa.select(Job).order_by(Job.id.desc()).limit(limit)):
        click.echo(f"{job.id}\t{job.kind}\t{job.status}\t{job.rows_done} rows\t{job.step}\t"
                   f"{_requester_email(job)}\t{job.error}")


def prepare_sqlite(app: Flask) -> None:
    """On a SQLite file, readers and the writer work side by side (write-ahead log), so that a
    long export does not stop the job's heartbeat, nor residents' answers, for its whole run."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite" and db.engine.url.database not in (None, "",
                                                                                 ":memory:"):
            with db.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def init_app(app: Flask) -> None:
    for name, default in SETTINGS.items():
        raw = os.environ.get(name)
        if name not in app.config:
            try:
                app.config[name] = float(raw) if raw not in (None, "") else default
            except ValueError:
                raise ValueError(f"{name} must be a number, not {raw!r}") from None
    # Jobs run at once, in the process that asks, in tests and with JOBS_IMMEDIATE=1; with a
    # worker everywhere else (JOBS_IMMEDIATE=0 gives tests a real worker).
    immediate = os.environ.get("JOBS_IMMEDIATE")
    if immediate in ("0", "1"):
        huey.immediate = immediate == "1"
    elif app.testing:
        huey.immediate = True
    app.cli.add_command(jobs_group)
