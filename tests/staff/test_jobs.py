"""Exports and reports as jobs: the page answers at once, shows progress, offers the file to
those allowed, deletes it after its time, survives a stopped worker, and is never made twice.

Jobs run in Huey's immediate mode here (in the process that asks): the worker is not the point.
tests/jobs/ runs real workers."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult import jobs
from consult.extensions import db
from consult.models import AuditEvent, Job, JobFileChunk, Response

from .conftest import add_response, csrf_token, login

EXPORT = "/staff/consultations/test-consultation/export"


def ask_for_export(client, fmt: str = "csv", redacted: bool = False):
    data = {"format": fmt, "csrf_token": csrf_token(client, EXPORT)}
    if redacted:
        data["redacted"] = "y"
    answer = client.post(EXPORT, data=data)
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    match = re.fullmatch(r".*/staff/jobs/(\d+)", answer.headers["Location"])
    assert match, answer.headers["Location"]
    return int(match.group(1))


def page(client, job_id: int):
    answer = client.get(f"/staff/jobs/{job_id}")
    return answer, BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def actions() -> list[tuple[str, str]]:
    return [(e.action, e.actor) for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action.like("export%")).order_by(AuditEvent.id))]


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_asking_for_an_export_answers_with_a_page_that_offers_the_file(consultation, signed_in,
                                                                       fmt):
    import openpyxl

    add_response(consultation, {"comment__roads": '=HYPERLINK("http://x")'})
    add_response(consultation)
    client = signed_in("analyst")
    job_id = ask_for_export(client, fmt)
    answer, soup = page(client, job_id)
    assert answer.status_code == 200
    assert "Refresh" not in answer.headers  # done: nothing more to wait for
    assert soup.h1.get_text(strip=True) == "The export is ready"
    assert soup.find(id="job-rows").get_text(strip=True) == "2 of 2"
    [link] = soup.find(id="job-files").find_all("a")
    assert link.get_text(strip=True) == f"Download test-consultation.{fmt}"
    download = client.get(link["href"])
    assert download.status_code == 200
    assert download.headers["Content-Disposition"] == (
        f'attachment; filename="test-consultation.{fmt}"')
    body = download.get_data()
    assert int(download.headers["Content-Length"]) == len(body)
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert len(rows) == 2 and rows[0]["comment__roads"].startswith("'=HYPERLINK")
    elif fmt == "xlsx":
        assert openpyxl.load_workbook(io.BytesIO(body))["responses"].max_row == 3
    else:
        assert len(json.loads(body)["responses"]) == 2
    assert actions() == [("export requested", "analyst@example.org"),
                         ("export", "analyst@example.org"),
                         ("export download", "analyst@example.org")]
    written = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export"))
    assert (written.rows, written.details["format"], written.details["job"]) == (2, fmt, job_id)


def test_a_file_bigger_than_one_chunk_comes_back_byte_for_byte(app, consultation, monkeypatch):
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 1000)
    for i in range(30):
        add_response(consultation, {"comment__roads": f"comment number {i} " * 5})
    job, how = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                                None, "fp")
    assert how == "queued" and job.status == "done"
    chunks = db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)
                               .where(JobFileChunk.job_id == job.id))
    out = io.StringIO(newline="")
    from consult.exports import write_csv

    write_csv(consultation, out)
    expected = out.getvalue().encode("utf-8")
    assert chunks == -(-len(expected) // 1000) > 1
    assert jobs.read_file(job, "export") == expected
    assert job.files[0]["size"] == len(expected)


def test_a_running_job_shows_its_rows_and_refreshes_without_javascript(app, consultation,
                                                                      signed_in):
    job = Job(kind="export", consultation_id=consultation.id,
              params={"format": "xlsx", "redacted": True}, params_key="k", active_key="k",
              status="running", step="Writing the rows", rows_done=1200, rows_total=5000,
              attempts=1, heartbeat_at=dt.datetime.now(dt.timezone.utc), worker="w")
    db.session.add(job)
    db.session.commit()
    client = signed_in("engagement")
    answer, soup = page(client, job.id)
    assert answer.headers["Refresh"] == "3"
    assert soup.h1.get_text(strip=True) == "The export is being made"
    assert soup.title.get_text().startswith("The export is being made – Excel export, redacted")
    assert soup.find(id="job-rows").get_text(strip=True) == "1,200 of 5,000 (24%)"
    assert "Writing the rows" in soup.find(id="job-status").get_text()
    again = soup.find("a", string="Check again")
    assert again["href"] == f"/staff/jobs/{job.id}"
    assert not soup.find_all("script", src=False)  # nothing inline: the CSP allows none


def _stale_job(consultation, attempts: int) -> Job:
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    job = Job(kind="export", consultation_id=consultation.id,
              params={"format": "csv", "redacted": False}, params_key="stale", active_key="stale",
              status="running", step="Writing the rows", rows_done=10, attempts=attempts,
              started_at=old, heartbeat_at=old, worker="gone:1:x")
    db.session.add(job)
    db.session.commit()
    return job


def test_a_job_left_by_a_stopped_worker_is_tried_again(consultation, signed_in):
    add_response(consultation)
    job = _stale_job(consultation, attempts=1)
    answer, soup = page(signed_in("analyst"), job.id)
    db.session.refresh(job)
    # Read after its lease ran out: queued again and (immediate mode) made at once.
    assert (job.status, job.attempts, job.active_key) == ("done", 2, None)
    assert soup.h1.get_text(strip=True) == "The export is ready"
    assert "Tries" in soup.find(id="job-summary").get_text()


def test_a_job_whose_worker_stopped_on_every_try_fails_with_a_reason(consultation, signed_in):
    job = _stale_job(consultation, attempts=2)
    answer, soup = page(signed_in("analyst"), job.id)
    db.session.refresh(job)
    assert (job.status, job.active_key) == ("failed", None)
    assert soup.h1.get_text(strip=True) == "The export could not be made"
    reason = soup.find(id="job-error").get_text(" ", strip=True)
    assert reason.startswith("It failed because the job worker stopped while working on it")
    assert soup.find("button", string="Try again")
    assert ("export failed", "job worker") in actions()


def test_the_worker_takes_back_stale_jobs_at_start(app, consultation):
    job = _stale_job(consultation, attempts=2)
    fresh = Job(kind="report", consultation_id=consultation.id, params={}, params_key="f",
                active_key="f", status="running", attempts=1, worker="alive",
                heartbeat_at=dt.datetime.now(dt.timezone.utc))
    db.session.add(fresh)
    db.session.commit()
    assert jobs.recover_stale() == 1
    db.session.refresh(job)
    db.session.refresh(fresh)
    assert job.status == "failed" and fresh.status == "running"


def test_the_database_refuses_two_active_jobs_making_the_same_thing(app, consultation):
    first, how = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                                  None, "fp", enqueue=False)
    second, how2 = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                                    None, "fp", enqueue=False)
    assert (how, how2) == ("queued", "joined") and first.id == second.id
    db.session.add(Job(kind="export", consultation_id=consultation.id, params={},
                       params_key=first.params_key, active_key=first.active_key))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    other, how3 = jobs.request_job("export", consultation, {"format": "csv", "redacted": True},
                                   None, "fp", enqueue=False)
    assert how3 == "queued" and other.id != first.id


def test_two_staff_asking_at_once_share_one_job(consultation, signed_in, app):
    add_response(consultation)
    job, _ = jobs.request_job("export", consultation, {"format": "xlsx", "redacted": False},
                              None, jobs_fingerprint(consultation), enqueue=False)
    client = signed_in("engagement")
    assert ask_for_export(client, "xlsx") == job.id
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "export requested").order_by(AuditEvent.id)).all()
    assert [(e.actor, e.details["answered_with"]) for e in events] == [
        ("command line", "queued"), ("engagement@example.org", "joined")]


def jobs_fingerprint(consultation) -> str:
    from consult.reports import fingerprint

    return fingerprint(consultation)[0]


def test_an_unchanged_export_is_offered_again_and_a_new_response_makes_a_new_one(
        consultation, signed_in):
    add_response(consultation)
    client = signed_in("analyst")
    first = ask_for_export(client, "csv")
    assert ask_for_export(client, "csv") == first
    add_response(consultation)
    third = ask_for_export(client, "csv")
    assert third != first
    assert db.session.get(Job, third).result["rows"] == 2


def test_a_failed_export_says_why_in_plain_words_and_can_be_tried_again(
        consultation, signed_in, monkeypatch):
    import errno

    from consult import exports

    add_response(consultation)
    real = exports.write_export

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(exports, "write_export", disk_full)
    client = signed_in("analyst")
    job_id = ask_for_export(client, "xlsx")
    answer, soup = page(client, job_id)
    assert soup.title.get_text().startswith("Error: The export could not be made")
    assert soup.find(id="job-error").get_text(" ", strip=True) == (
        "It failed because the file could not be written on the job worker "
        "(No space left on device).")
    assert "Traceback" not in answer.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0
    failed = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "export failed"))
    assert failed.details["requested_by"] == "analyst@example.org"

    monkeypatch.setattr(exports, "write_export", real)
    form = soup.find("form", action=f"/staff/jobs/{job_id}/retry")
    retried = client.post(form["action"], data={"csrf_token": form.find(
        "input", attrs={"name": "csrf_token"})["value"]})
    assert retried.status_code == 303
    again = int(retried.headers["Location"].rsplit("/", 1)[1])
    assert again != job_id and db.session.get(Job, again).status == "done"


def test_an_unexpected_error_fails_the_job_without_showing_internals(consultation, signed_in,
                                                                    monkeypatch):
    from consult import exports

    add_response(consultation)
    monkeypatch.setattr(exports, "write_export",
                        lambda *a, **k: (_ for _ in ()).throw(KeyError("secret_internal")))
    client = signed_in("analyst")
    answer, soup = page(client, ask_for_export(client))
    text = soup.find(id="job-error").get_text(" ", strip=True)
    assert "something went wrong inside Consult" in text and "secret_internal" not in text


def test_files_are_deleted_after_their_time(consultation, signed_in, app):
    add_response(consultation)
    client = signed_in("analyst")
    job_id = ask_for_export(client)
    job = db.session.get(Job, job_id)
    made = job.finished_at
    assert job.expires_at - made == dt.timedelta(hours=24)
    assert jobs.delete_expired_files(made + dt.timedelta(hours=23)) == 0
    assert jobs.delete_expired_files(made + dt.timedelta(hours=24, seconds=1)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0
    answer, soup = page(client, job_id)
    assert soup.h1.get_text(strip=True) == "The export file has been deleted"
    assert client.get(f"/staff/jobs/{job_id}/files/export").status_code == 404
    assert ("export file deleted", "job worker") in actions()
    # asking again makes a new file, even though the responses have not changed
    assert ask_for_export(client) != job_id


def test_the_file_time_is_a_setting(consultation, app):
    app.config["JOB_FILE_HOURS"] = 2
    add_response(consultation)
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "x")
    assert job.expires_at - job.finished_at == dt.timedelta(hours=2)


def test_erasing_a_response_deletes_the_job_files_that_hold_it(consultation, app, cli_runner):
    first = add_response(consultation)
    made, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                               None, "one")
    assert first.reference.encode() in jobs.read_file(made, "export")
    later = add_response(consultation)
    result = cli_runner.invoke(args=["erase", later.reference, "--reason", "asked"])
    assert result.exit_code == 0, result.output
    db.session.refresh(made)
    assert made.files, "the file made before the later response does not hold it: kept"
    result = cli_runner.invoke(args=["erase", first.reference, "--reason", "asked"])
    assert result.exit_code == 0, result.output
    db.session.refresh(made)
    assert made.files == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0
    erase = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "erase")
                               .order_by(AuditEvent.id)).all()
    assert [e.details["job_files_deleted"] for e in erase] == [0, 1]


def test_erasing_a_response_while_an_export_runs_throws_the_export_away(consultation, app,
                                                                       tmp_path):
    from consult.retention import erase

    response = add_response(consultation)
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "run", enqueue=False)
    token = jobs._claim(job.id)
    assert erase(response.reference, "asked")
    db.session.refresh(job)
    assert job.status == "failed" and "a response was erased" in job.error
    # the worker, finishing, finds its job taken back and keeps nothing
    beat = jobs.Heartbeat(job.id, token, 1, attempt=1)
    spool = tmp_path / "x.csv"
    spool.write_bytes(b"x")
    jobs.store_file(job, beat, "export", spool, "x.csv", "text/csv")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 1
    jobs._finish(job, token, beat)
    db.session.refresh(job)
    assert job.status == "failed" and job.files == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0


@pytest.mark.parametrize("role,status", [("viewer", 403), ("engagement", 200), ("admin", 200)])
def test_an_export_job_is_shown_only_to_staff_who_may_export(consultation, signed_in, role,
                                                             status):
    add_response(consultation)
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "roles")
    client = signed_in(role)
    assert client.get(f"/staff/jobs/{job.id}").status_code == status
    assert client.get(f"/staff/jobs/{job.id}/files/export").status_code == status


@pytest.mark.parametrize("role,status", [("engagement", 403), ("viewer", 403), ("analyst", 404)])
def test_a_report_job_is_refused_to_staff_who_may_not_download_reports(consultation, signed_in,
                                                                       role, status):
    job = Job(kind="report", consultation_id=consultation.id, params={}, params_key="r",
              status="failed", error="x")
    db.session.add(job)
    db.session.commit()
    client = signed_in(role)
    assert client.get(f"/staff/jobs/{job.id}/files/report.html").status_code == status


def test_an_unknown_job_or_file_is_not_found(consultation, signed_in):
    client = signed_in("admin")
    assert client.get("/staff/jobs/999").status_code == 404
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "nf")
    assert client.get(f"/staff/jobs/{job.id}/files/upload").status_code == 404


def test_a_queue_that_cannot_be_reached_fails_the_job_with_a_reason(consultation, app,
                                                                     monkeypatch):
    monkeypatch.setattr(jobs.huey, "immediate", False)

    def unreachable(job_id):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(jobs, "run_job", unreachable)
    job, how = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                                None, "down")
    assert job.status == "failed" and job.active_key is None
    assert job.error.startswith("the job queue could not be reached")


def test_the_retention_purge_runs_as_a_job(app, consultation):
    old_id = add_response(consultation).id
    consultation.closes_at = dt.datetime(2001, 1, 1, tzinfo=dt.timezone.utc)
    db.session.commit()
    job, _ = jobs.request_job("purge", None, {}, None, "2026-12-01")
    db.session.refresh(job)
    assert job.status == "done" and job.result["responses"] == 1
    db.session.expire_all()
    assert db.session.get(Response, old_id) is None
    assert db.session.scalar(sa.select(AuditEvent.rows).where(
        AuditEvent.action == "purge.responses")) == 1


def test_a_job_nobody_has_started_for_minutes_says_the_worker_may_be_down(consultation,
                                                                          signed_in):
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "wait", enqueue=False)
    client = signed_in("analyst")
    _, soup = page(client, job.id)
    assert soup.find(id="no-worker") is None  # just asked: nothing to worry about
    job.requested_at = job.requested_at - dt.timedelta(minutes=5)
    db.session.commit()
    answer, soup = page(client, job.id)
    assert answer.headers["Refresh"] == "3"
    warning = soup.find(id="no-worker").get_text(" ", strip=True)
    assert "No job worker has started this in 5 minutes" in warning


def test_an_import_runs_as_a_job_and_its_page_says_how_many(app, pcp2021, signed_in, staff):
    from .test_imports import GOOD, csv_file

    job, how = jobs.start_import(pcp2021, "paper.csv", csv_file(GOOD), staff["engagement"])
    assert how == "queued"
    db.session.refresh(job)
    assert job.status == "done", job.error
    imported = db.session.scalar(sa.select(sa.func.count()).select_from(Response))
    assert imported == len(GOOD) == job.result["imported"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(JobFileChunk)) == 0
    _, soup = page(signed_in("engagement"), job.id)
    assert soup.h1.get_text(strip=True) == "The responses are imported"
    assert soup.find(id="job-result").get_text(" ", strip=True) == (
        f"{len(GOOD)} responses were imported from paper.csv.")
    analyst = app.test_client()
    assert login(analyst, "analyst@example.org").status_code == 302
    assert analyst.get(f"/staff/jobs/{job.id}").status_code == 403  # imports are not theirs


def test_an_import_of_a_file_with_problems_fails_and_imports_nothing(pcp2021, staff):
    from .test_imports import GOOD, csv_file

    bad = csv_file(GOOD + [["2021-06-16", "fax", "resident", "", "", "", "", "", ""]])
    job, _ = jobs.start_import(pcp2021, "bad.csv", bad, staff["engagement"])
    db.session.refresh(job)
    assert job.status == "failed"
    assert job.error.startswith("the file has 1 problem, so nothing was imported")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_a_worker_that_lost_its_lease_does_not_spoil_the_next_attempt(consultation, app,
                                                                      tmp_path):
    job, _ = jobs.request_job("export", consultation, {"format": "csv", "redacted": False},
                              None, "lease", enqueue=False)
    spool = tmp_path / "export.csv"
    late = jobs._claim(job.id)
    db.session.refresh(job)
    late_beat = jobs.Heartbeat(job.id, late, 1, attempt=job.attempts)
    spool.write_bytes(b"written by the worker that stalled")
    jobs.store_file(job, late_beat, "export", spool, "x.csv", "text/csv")
    # its lease runs out: the job is queued again and another worker takes it
    db.session.execute(sa.update(Job).where(Job.id == job.id).values(
        heartbeat_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)))
    db.session.commit()
    db.session.refresh(job)
    jobs.huey.immediate, immediate = False, jobs.huey.immediate
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(jobs, "run_job", lambda job_id: None)
            assert jobs.recover_stale() == 1
    finally:
        jobs.huey.immediate = immediate
    current = jobs._claim(job.id)
    db.session.refresh(job)
    beat = jobs.Heartbeat(job.id, current, 1, attempt=job.attempts)
    spool.write_bytes(b"written by the worker that holds the lease")
    jobs.store_file(job, beat, "export", spool, "x.csv", "text/csv")
    jobs._finish(job, late, late_beat)  # the stalled worker finishes: refused, keeps nothing
    jobs._finish(job, current, beat)
    db.session.refresh(job)
    assert (job.status, job.attempts) == ("done", 2)
    assert jobs.read_file(job, "export") == b"written by the worker that holds the lease"
    names = db.session.scalars(sa.select(JobFileChunk.name)).all()
    assert names == ["export#2"]
