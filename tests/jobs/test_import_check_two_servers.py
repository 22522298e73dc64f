"""A large import file uploaded to one app server is checked by the job worker, its result read
and confirmed on the other server, and imported: the file travels in the database, never on one
server's disk, and is gone once imported.

Runs against the machine's PostgreSQL (a scratch database, dropped after) and Redis (a queue
name of its own); when CI is set, an unreachable PostgreSQL or Redis fails the test."""
from __future__ import annotations

import csv
import io
import os
import re

import pytest
import requests
import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult import create_app
from consult.extensions import db
from consult.models import AuditEvent, Job, JobFileChunk, Response
from consult.staff.accounts import create_user
from tests.staff.conftest import add_consultation

from .conftest import FLASK, Process, environment, free_port, wait_for
from .test_two_app_servers import PASSWORD, REDIS_URL, queue_name, scratch_database  # noqa: F401

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

ROWS = 400
IMPORT = "/staff/consultations/test-consultation/import"


def a_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["received_on", "channel", "respondent_type", "district"])
    for i in range(ROWS):
        writer.writerow(["2021-06-14", ["paper", "event", "letter"][i % 3],
                         ["resident", "business"][i % 2], ["fenland", "cambridge"][i % 2]])
    return out.getvalue().encode()


def token_of(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[-2000:]
    return BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})[
        "value"]


def test_a_large_file_checked_on_one_server_is_imported_from_the_other(
        scratch_database, queue_name, tmp_path):  # noqa: F811
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": scratch_database})
    with app.app_context():
        db.create_all()
        add_consultation()
        create_user("engagement@example.org", "Engagement", "engagement", PASSWORD)
        db.session.remove()
        db.engine.dispose()

    env = environment(DATABASE_URL=scratch_database.replace("+psycopg", ""),
                      REDIS_URL=REDIS_URL, JOBS_QUEUE_NAME=queue_name,
                      CONSULT_ENV="production", SESSION_COOKIE_SECURE="0",
                      PUBLIC_URL="http://127.0.0.1", WEB_CONCURRENCY="1", GUNICORN_THREADS="2",
                      IMPORT_CHECK_JOB_BYTES="1000")
    ports = [free_port(), free_port()]
    servers = [Process(f"web-{port}", [os.path.join(os.path.dirname(os.sys.executable),
                                                    "gunicorn"), "-c", "gunicorn.conf.py",
                                       "consult.wsgi:app"],
                       {**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, tmp_path)
               for port in ports]
    worker = Process("worker", FLASK + ["jobs", "worker"], env, tmp_path)
    everything = [*servers, worker]
    content = a_file()
    assert len(content) > 1000
    try:
        first, second = (f"http://127.0.0.1:{port}" for port in ports)

        def up(base: str) -> bool:
            try:
                return requests.get(f"{base}/staff/login", timeout=5).status_code == 200
            except requests.RequestException:
                return False

        for base in (first, second):
            wait_for(f"{base} to answer", lambda: up(base), 60, everything)
        session = requests.Session()
        signed = session.post(f"{first}/staff/login", timeout=10, allow_redirects=False,
                              data={"email": "engagement@example.org", "password": PASSWORD,
                                    "csrf_token": token_of(session, f"{first}/staff/login")})
        assert signed.status_code == 302, signed.text[-2000:]
        asked = session.post(f"{first}{IMPORT}", timeout=10, allow_redirects=False,
                             data={"csrf_token": token_of(session, f"{first}{IMPORT}")},
                             files={"file": ("paper.csv", content, "text/csv")})
        assert asked.status_code == 303, asked.text[-2000:]
        path = re.sub(r"^http://[^/]+", "", asked.headers["Location"])
        assert re.fullmatch(r"/staff/jobs/\d+", path), path

        def checked() -> str | None:
            page = session.get(f"{second}{path}", timeout=10)
            assert page.status_code == 200, page.text[-2000:]
            assert "could not be made" not in page.text, page.text[-2000:]
            return page.text if "The file is ready to import" in page.text else None

        page = wait_for("the check to be done, seen from the other server", checked, 60,
                        everything)
        assert f"{ROWS} rows checked, no problems. {ROWS} new responses" in \
            BeautifulSoup(page, "html.parser").get_text(" ", strip=True)
        fields = dict(re.findall(r'name="(sha256|filename|csrf_token|job)" type="hidden" '
                                 r'value="([^"]+)"', page))
        assert "job" in fields
        confirmed = session.post(f"{second}{IMPORT}/confirm", data=fields, timeout=10,
                                 allow_redirects=False)
        assert confirmed.status_code == 302, confirmed.text[-2000:]
        done_path = re.sub(r"^http://[^/]+", "", confirmed.headers["Location"])

        def imported() -> str | None:
            page = session.get(f"{first}{done_path}", timeout=10)
            assert "could not be made" not in page.text, page.text[-2000:]
            return page.text if "The responses are imported" in page.text else None

        wait_for("the import to be done", imported, 60, everything)
    finally:
        for process in everything:
            process.stop()

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == ROWS
        assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0
        assert [j.kind for j in db.session.scalars(sa.select(Job).order_by(Job.id))] == [
            "import_check", "import"]
        actions = db.session.scalars(sa.select(AuditEvent.action).where(
            AuditEvent.action.like("import%")).order_by(AuditEvent.id)).all()
        assert actions == ["import_check requested", "import requested", "import"]
        db.session.remove()
        db.engine.dispose()
