"""A large import file is checked by a job worker, not inside the web request: the staff page
shows the job's progress, then the same check page as a small file gets; a bad file ends in
plain words; the file is kept in the database with the job (every app server reaches it) and is
removed once imported, refused or expired.

Jobs run in Huey's immediate mode here; IMPORT_CHECK_JOB_BYTES is set low so that a small file
takes the job path."""
from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult import jobs
from consult.extensions import db
from consult.imports import check_file
from consult.models import AuditEvent, Job, JobFileChunk, Response

from .conftest import csrf_token, login
from .test_imports import GOOD, csv_file

URL = "/staff/consultations/police-and-crime-plan-2021/import"
BAD = GOOD + [
    ["2021-13-01", "pigeon", "resident", "atlantis", "very much", "", "1", "1", ""],
    ["", "paper", "", "fenland", "", "", "", "", ""],
]


def upload(client, content: bytes, name: str = "responses.csv"):
    return client.post(URL, data={"csrf_token": csrf_token(client, URL),
                                  "file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def uploads_kept() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk).where(
        JobFileChunk.name == "upload")) or 0


def responses() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Response)) or 0


def the_check(page: str) -> dict:
    """What a check page says: its heading, the problems table, the notes, the panel, the
    button."""
    soup = BeautifulSoup(page, "html.parser")

    def text(element):
        return element.get_text(" ", strip=True) if element is not None else None

    table = soup.find(id="problems")
    summary = soup.find(class_="govuk-error-summary")
    button = soup.find("form", action=re.compile(r"/import/confirm$"))
    return {
        "summary": text(summary.find("h2")) if summary else None,
        "problems": [[text(td) for td in tr.find_all("td")]
                     for tr in table.find("tbody").find_all("tr")] if table else None,
        "notes": text(soup.find(id="notes")),
        "panel": text(soup.find(class_="govuk-panel")),
        "button": text(button.find("button")) if button else None,
    }


def through_the_job(client, content: bytes, name: str = "responses.csv") -> tuple[Job, str]:
    """Upload a file that takes the job path; the job's page, once done, leads to the check."""
    answer = upload(client, content, name)
    assert answer.status_code == 303, answer.get_data(as_text=True)[-1500:]
    job_id = int(re.fullmatch(r".*/staff/jobs/(\d+)", answer.headers["Location"]).group(1))
    job = db.session.get(Job, job_id)
    db.session.refresh(job)
    assert job.kind == "import_check"
    page = client.get(f"/staff/jobs/{job_id}", follow_redirects=True)
    assert page.status_code == 200
    return job, page.get_data(as_text=True)


@pytest.fixture
def low_threshold(app):
    app.config["IMPORT_CHECK_JOB_BYTES"] = 100
    yield
    app.config["IMPORT_CHECK_JOB_BYTES"] = jobs.SETTINGS["IMPORT_CHECK_JOB_BYTES"]


@pytest.mark.parametrize("rows", [BAD, GOOD], ids=["problems", "ready"])
def test_the_job_gives_the_same_check_page_as_the_request(pcp2021, signed_in, app, rows):
    client = signed_in("engagement")
    content = csv_file(rows)
    in_request = upload(client, content)
    assert in_request.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0
    app.config["IMPORT_CHECK_JOB_BYTES"] = 100
    try:
        job, in_job = through_the_job(client, content)
    finally:
        app.config["IMPORT_CHECK_JOB_BYTES"] = jobs.SETTINGS["IMPORT_CHECK_JOB_BYTES"]
    assert job.status == "done"
    expected = the_check(in_request.get_data(as_text=True))
    assert the_check(in_job) == expected
    if rows is BAD:
        assert len(expected["problems"]) == len(check_file(pcp2021, "r.csv", content).problems)
        assert expected["button"] is None
    else:
        assert expected["button"] == f"Import {len(GOOD)} responses"
    assert responses() == 0  # checking stores nothing


def test_a_semicolon_file_checked_in_a_job_keeps_its_note(pcp2021, signed_in, low_threshold):
    content = csv_file(GOOD).replace(b",", b";")
    _, page = through_the_job(signed_in("engagement"), content)
    check = the_check(page)
    assert "separated by semicolons" in check["notes"]
    assert check["button"] == f"Import {len(GOOD)} responses"


def test_a_large_file_is_kept_with_the_job_then_imported_and_removed(pcp2021, signed_in, app,
                                                                     staff, low_threshold,
                                                                     tmp_path):
    app.config["IMPORTS_DIR"] = str(tmp_path / "imports")
    client = signed_in("engagement")
    job, page = through_the_job(client, csv_file(GOOD))
    # Kept in the database with its job, where every app server reaches it; not on this
    # server's disk.
    assert uploads_kept() == 1
    assert not (tmp_path / "imports").exists() or not any((tmp_path / "imports").iterdir())
    assert db.session.scalar(sa.select(JobFileChunk.job_id).where(
        JobFileChunk.name == "upload")) == job.id
    fields = dict(re.findall(r'name="(sha256|filename|csrf_token|job)" type="hidden" '
                             r'value="([^"]+)"', page))
    assert fields["job"] == str(job.id)
    answer = client.post(f"{URL}/confirm", data=fields)
    assert answer.status_code == 302
    imported = db.session.scalars(sa.select(Job).where(Job.kind == "import")).one()
    assert imported.status == "done", imported.error
    assert imported.result["imported"] == len(GOOD) == responses()
    assert uploads_kept() == 0
    # the same check cannot be imported twice: its file went with the import
    again = client.post(f"{URL}/confirm", data=fields)
    assert again.status_code == 302 and responses() == len(GOOD)
    assert "no longer waiting to be imported" in client.get(again.headers["Location"]).get_data(
        as_text=True)
    actions = db.session.scalars(sa.select(AuditEvent.action).where(
        AuditEvent.action.like("import%")).order_by(AuditEvent.id)).all()
    assert actions == ["import_check requested", "import requested", "import"]


def test_a_file_with_problems_is_not_kept(pcp2021, signed_in, low_threshold):
    job, page = through_the_job(signed_in("engagement"), csv_file(BAD))
    assert the_check(page)["problems"]
    assert uploads_kept() == 0


def test_a_checked_file_not_imported_is_removed_when_the_job_files_expire(
        pcp2021, signed_in, low_threshold):
    client = signed_in("engagement")
    job, _ = through_the_job(client, csv_file(GOOD))
    assert uploads_kept() == 1
    jobs.delete_expired_files(now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2))
    assert uploads_kept() == 0
    page = client.get(f"{URL}/checked/{job.id}").get_data(as_text=True)
    assert the_check(page)["button"] is None
    assert "no longer kept" in page


@pytest.mark.parametrize("name, content, words", [
    ("june.csv", b"%PDF-1.7 ...", "june.csv is a PDF document, not a spreadsheet"),
    ("june.xlsx", b"PK\x03\x04 not really a zip", "june.xlsx could not be opened as an Excel "
                                                   "workbook (.xlsx): it is damaged"),
    ("june.csv", b"\xff\xfe" + "received_on".encode("utf-16-le"),
     "june.csv is saved as Unicode Text (UTF-16)"),
])
def test_a_bad_file_in_the_job_fails_in_plain_words(pcp2021, signed_in, low_threshold, name,
                                                    content, words):
    client = signed_in("engagement")
    job, page = through_the_job(client, content + b" " * 200, name)
    assert job.status == "failed"
    soup = BeautifulSoup(page, "html.parser")
    error = soup.find(id="job-error").get_text(" ", strip=True)
    assert error.startswith(f"It failed because {words}") and ".." not in error
    assert "Traceback" not in page and "Error(" not in page
    assert uploads_kept() == 0
    # trying again means choosing the file again
    retry = client.post(f"/staff/jobs/{job.id}/retry",
                        data={"csrf_token": csrf_token(client, f"/staff/jobs/{job.id}")})
    assert retry.status_code == 303 and retry.headers["Location"].endswith(URL)


def test_an_unexpected_error_in_the_check_job_shows_no_internals(pcp2021, signed_in,
                                                                low_threshold, monkeypatch):
    import consult.imports

    def broken(*args, **kwargs):
        raise KeyError("internal_column_name")

    monkeypatch.setattr(consult.imports, "check_file", broken)
    job, page = through_the_job(signed_in("engagement"), csv_file(GOOD))
    assert job.status == "failed"
    assert "internal_column_name" not in page and "KeyError" not in page
    assert "something went wrong inside Consult" in page
    assert uploads_kept() == 0


def test_a_running_check_shows_the_rows_checked_and_refreshes(pcp2021, signed_in, staff):
    job, _ = jobs.request_job("import_check", pcp2021, {"filename": "big.xlsx", "sha256": "0"},
                              staff["engagement"], enqueue=False)
    job.status, job.rows_done, job.step = "running", 42_000, "Checking every row"
    job.heartbeat_at = dt.datetime.now(dt.timezone.utc)
    db.session.commit()
    answer = signed_in("engagement").get(f"/staff/jobs/{job.id}")
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    assert answer.headers["Refresh"] == "3"
    assert soup.h1.get_text(strip=True) == "big.xlsx is being checked"
    assert soup.find(id="job-rows").get_text(strip=True) == "42,000"


def test_the_check_reports_its_progress_every_thousand_rows(pcp2021):
    seen: list[int] = []
    check_file(pcp2021, "r.csv", csv_file(GOOD * 1000), progress=seen.append)
    assert seen == [1000, 2000, 3000]


def test_a_small_file_is_still_checked_in_the_request(pcp2021, signed_in):
    answer = upload(signed_in("engagement"), csv_file(GOOD))
    assert answer.status_code == 200 and "The file is ready to import" in answer.get_data(
        as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_the_check_page_of_a_job_is_only_for_its_consultation_and_role(app, pcp2021, signed_in,
                                                                       low_threshold):
    client = signed_in("engagement")
    job, _ = through_the_job(client, csv_file(GOOD))
    assert client.get("/staff/consultations/no-such-consultation/import/checked/1"
                      ).status_code == 404
    assert client.get(f"{URL}/checked/999999").status_code == 404
    viewer = app.test_client()
    assert login(viewer, "viewer@example.org").status_code == 302
    assert viewer.get(f"{URL}/checked/{job.id}").status_code == 403
    assert viewer.get(f"/staff/jobs/{job.id}").status_code == 403
