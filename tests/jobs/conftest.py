"""Real job workers (and web servers) as separate processes, for the tests where they are the
point: a worker killed mid-job, and two app servers sharing one PostgreSQL, Redis and worker."""
from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "consult"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(**settings: str) -> dict[str, str]:
    """The environment of a Consult process started by a test: no immediate mode, no secrets
    written into instance/."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("JOB", "REDIS", "DATABASE", "CONSULT", "GUNICORN"))}
    env.update({"SECRET_KEY": "jobs-test-secret", "JOBS_IMMEDIATE": "0",
                "CONSULT_ENV": "development", "PYTHONPATH": str(ROOT), "MPLBACKEND": "Agg"})
    env.update(settings)
    return env


class Process:
    """A child process whose output goes to a file, stopped by its own id."""

    def __init__(self, name: str, cmd: list[str], env: dict[str, str], logs: Path) -> None:
        self.name = name
        self.log = logs / f"{name}.log"
        self._handle = self.log.open("wb")
        self.popen = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._handle,
                                      stderr=subprocess.STDOUT)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to tidy up, as when a machine dies."""
        self.popen.kill()
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._handle.close()


def wait_for(what: str, check: Callable[[], Any], timeout: float,
              processes: list[Process] = ()) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        for process in processes:
            if process.popen.poll() is not None:
                raise AssertionError(f"{process.name} stopped while waiting for {what}:\n"
                                     f"{process.output()}")
        time.sleep(0.1)
    logs = "\n".join(f"--- {p.name}\n{p.output()}" for p in processes)
    raise AssertionError(f"waited {timeout} s for {what}\n{logs}")


def job_row(engine: sa.Engine, job_id: int) -> Any:
    with engine.connect() as connection:
        return connection.execute(sa.text(
            "SELECT status, rows_done, rows_total, attempts, heartbeat_at, error, step "
            "FROM job WHERE id = :id"), {"id": job_id}).one()


def add_many_responses(consultation: Any, n: int) -> None:
    """``n`` responses in one statement (a few seconds of export work for a worker)."""
    from consult.extensions import db
    from consult.models import Response

    at = dt.datetime(2021, 6, 10, 12, 0, tzinfo=dt.timezone.utc)
    themes = ["safer_streets", "roads"]
    db.session.execute(sa.insert(Response), [
        {"reference": f"TST-{i:04d}-JOBS", "consultation_id": consultation.id,
         "submitted_at": at, "received_on": at.date(), "channel": "online",
         "respondent_type": "resident", "district": "cambridge", "status": "valid",
         "status_reason": "", "hidden_comments": [],
         "answers": {"respondent_type": "resident", "district": "cambridge",
                     **{f"support__{t}": "support" for t in themes},
                     **{f"comment__{t}": f"Comment {i} on {t}: more patrols please " * 3
                        for t in themes}}}
        for i in range(n)])
    db.session.commit()
