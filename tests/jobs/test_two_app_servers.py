"""Two app servers, one worker, one PostgreSQL and one Redis: an export asked for on one
server is made by the worker and downloaded from the other.

Runs against the machine's PostgreSQL (a scratch database, dropped after) and Redis (a queue
name of its own); when CI is set, an unreachable PostgreSQL or Redis fails the test."""
from __future__ import annotations

import io
import os
import re
import time
import uuid

import openpyxl
import pytest
import redis
import requests
import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult import create_app
from consult.extensions import db
from consult.models import AuditEvent
from consult.staff.accounts import create_user
from tests.staff.conftest import add_consultation

from .conftest import FLASK, Process, add_many_responses, environment, free_port, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/0"
ROWS = 300
PASSWORD = "correct horse battery staple"


def unreachable(what: str, error: Exception) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is unreachable and CI is set: {error}")
    pytest.skip(f"{what} is unreachable: {error}")


@pytest.fixture
def scratch_database():
    name = f"consult_jobs_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        unreachable("PostgreSQL", error)
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def queue_name():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        unreachable("Redis", error)
    name = f"consult-test-{uuid.uuid4().hex[:8]}"
    yield name
    for key in client.scan_iter(f"huey.*{name}*"):
        client.delete(key)
    client.close()


def sign_in(session: requests.Session, base: str) -> None:
    page = session.get(f"{base}/staff/login", timeout=10)
    token = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})
    answer = session.post(f"{base}/staff/login", timeout=10, allow_redirects=False,
                          data={"email": "analyst@example.org", "password": PASSWORD,
                                "csrf_token": token["value"]})
    assert answer.status_code == 302, answer.text[-2000:]


def test_an_export_asked_for_on_one_server_is_downloaded_from_the_other(
        scratch_database, queue_name, tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        db.create_all()
        consultation = add_consultation()
        add_many_responses(consultation, ROWS)
        create_user("analyst@example.org", "Analyst", "analyst", PASSWORD)
        db.session.remove()
        db.engine.dispose()

    env = environment(DATABASE_URL=scratch_database.replace("+psycopg", ""),
                      REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=queue_name,
                      CONSULT_ENV="production", SESSION_COOKIE_SECURE="0", PUBLIC_URL="http://127.0.0.1",
                      WEB_CONCURRENCY="1", GUNICORN_THREADS="2")
    ports = [free_port(), free_port()]
    servers = [Process(f"web-{port}", [os.path.join(os.path.dirname(os.sys.executable),
                                                    "gunicorn"), "-c", "gunicorn.conf.py",
                                       "consult.wsgi:app"],
                       {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, tmp_path)
               for port in ports]
    worker = Process("worker", FLASK + ["jobs", "worker"], env, tmp_path)
    everything = [*servers, worker]
    try:
        first, second = (f"http://127.0.0.1:{port}" for port in ports)

        def up(base: str) -> bool:
            try:
                return requests.get(f"{base}/staff/login", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        for base in (first, second):
            wait_for(f"{base} to answer", lambda: up(base), 60, everything)

        session = requests.Session()  # one browser: cookies go to both servers (same host)
        sign_in(session, first)
        export = session.get(f"{first}/staff/consultations/test-consultation/export",
                             timeout=10)
        token = BeautifulSoup(export.text, "html.parser").find(
            "input", attrs={"name": "csrf_token"})["value"]
        started = time.monotonic()
        asked = session.post(f"{first}/staff/consultations/test-consultation/export",
                             data={"format": "xlsx", "csrf_token": token}, timeout=10,
                             allow_redirects=False)
        answered_in = time.monotonic() - started
        assert asked.status_code == 303, asked.text[-2000:]
        assert answered_in < 5, "asking for an export must not wait for the file"
        path = asked.headers["Location"]
        assert re.fullmatch(r"(http://[^/]+)?/staff/jobs/\d+", path), path
        path = re.sub(r"^http://[^/]+", "", path)

        def ready() -> BeautifulSoup | None:
            page = session.get(f"{second}{path}", timeout=10)
            assert page.status_code == 200, page.text[-2000:]
            soup = BeautifulSoup(page.text, "html.parser")
            if soup.h1.get_text(strip=True) == "The export is ready":
                assert "Refresh" not in page.headers
                return soup
            assert "could not be made" not in soup.h1.get_text(), soup.get_text()[-1000:]
            assert page.headers["Refresh"] == "3"
            return None

        soup = wait_for("the export to be ready on the other server", ready, 60, everything)
        link = soup.find(id="job-files").find("a")["href"]
        download = session.get(f"{second}{link}", timeout=30)
        assert download.status_code == 200
        assert download.headers["Content-Disposition"] == (
            'attachment; filename="test-consultation.xlsx"')
        book = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)
        assert book["responses"].max_row == ROWS + 1
    finally:
        for process in everything:
            process.stop()

    with app.app_context():
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.action.like("export%")).order_by(AuditEvent.id)).all()
        assert [(e.action, e.actor, e.rows) for e in events] == [
            ("export requested", "analyst@example.org", None),
            ("export", "analyst@example.org", ROWS),
            ("export download", "analyst@example.org", ROWS)]
        db.session.remove()
        db.engine.dispose()
