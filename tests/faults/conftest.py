"""A private PostgreSQL and a real gunicorn for the fault tests.

The machine's shared PostgreSQL (127.0.0.1:5432) is never stopped: each fault test module gets
its own server, initialised into a temporary directory with the binaries of
``/usr/lib/postgresql/15/bin`` (``PG_BIN`` to use others), listening on a free loopback port, so
it can be stopped and started at will. PostgreSQL refuses to run as root, so under root (as in
CI) the directory is given to the ``postgres`` user and the commands run through ``runuser``.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
DEMO_START = "/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="consult-faults-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.socket_dir.mkdir()
        self.log = self.root / "postgres.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres",
                   "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"])

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c max_connections=200")
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                   "-o", options, "-w", "-t", "30", "start"])

    def stop(self) -> None:
        self._run([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "30",
                   "stop"])

    def destroy(self) -> None:
        try:
            self.stop()
        except RuntimeError:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres():
    if not (PG_BIN / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL binaries not found in {PG_BIN} and CI is set")
        pytest.skip(f"PostgreSQL binaries not found in {PG_BIN}")
    pg = PrivatePostgres()
    pg.start()
    yield pg
    pg.destroy()


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CI", None)
    env.update(
        DATABASE_URL=database_url,
        CONSULT_ENV="production",
        SECRET_KEY="fault-test-secret-key",
        SESSION_COOKIE_SECURE="0",
        # Production refuses per-process limits: the machine's Redis, in keys of this run's own.
        REDIS_URL="redis://127.0.0.1:6379/0",
        RATELIMIT_KEY_PREFIX=f"consult-faults-{os.getpid()}-{time.monotonic_ns()}",
        PUBLIC_URL="http://127.0.0.1",
    )
    env.update(extra)
    return env


def load_consultations(database_url: str) -> None:
    """Migrations, the shipped consultations and the demo copy open from today."""
    env = app_env(database_url)
    flask = [sys.executable, "-m", "flask", "--app", "consult"]
    for args in (["db", "upgrade"], ["consultations", "load"],
                 ["consultations", "demo", "police-and-crime-plan-2021"]):
        result = subprocess.run(flask + args, cwd=ROOT, env=env, capture_output=True, text=True,
                                timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py consult.wsgi:app`` on a free loopback port."""

    def __init__(self, database_url: str, log_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "consult.wsgi:app"],
            cwd=ROOT, env=app_env(database_url, **env), stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_up()

    def wait_until_up(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/", timeout=2).read()
                return
            except urllib.error.HTTPError:
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()}")
                time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer in {seconds} s: {self.log_path.read_text()}")

    def worker_pids(self) -> list[int]:
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # The parent pid is the 2nd field after the command in parentheses.
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)  # quick shutdown: nothing to finish gracefully
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


@pytest.fixture(scope="session")
def consult_database(private_postgres) -> str:
    load_consultations(private_postgres.url)
    return private_postgres.url


@pytest.fixture
def start_gunicorn(consult_database, tmp_path):
    servers = []

    def start(**env: str) -> Gunicorn:
        server = Gunicorn(consult_database, tmp_path, **env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
