"""Analysts and admins ask for the evidence report; a job builds it and its page offers it."""
from __future__ import annotations

import io
import random
import re
import zipfile

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult.extensions import db
from consult.models import AuditEvent, Job

from .conftest import add_response, csrf_token

LEVELS = ["strongly_support", "support", "neither", "oppose", "strongly_oppose", "dont_know"]
THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
COMMENTS = [
    "More police patrols in the town centre at night, please.",
    "Speeding on the village roads is the biggest problem we have.",
    "Victims need to be kept informed about what happens to their case.",
    "Call me on 07700 900123 if you want to hear more about the speeding.",
]


def add_answers(consultation, n: int = 40) -> None:
    rng = random.Random(7)
    for i in range(n):
        answers = {"respondent_type": rng.choice(["resident", "business", "victim_or_witness"]),
                   "district": rng.choice(["cambridge", "fenland", "peterborough"])}
        for theme in THEMES:
            answers[f"support__{theme}"] = rng.choice(LEVELS)
            answers[f"comment__{theme}"] = COMMENTS[(i + len(theme)) % len(COMMENTS)]
        for rank, theme in enumerate(rng.sample(THEMES, len(THEMES)), start=1):
            answers[f"rank__{theme}"] = rank
        add_response(consultation, answers)


def ask(client, slug: str):
    url = f"/staff/consultations/{slug}/report"
    return client.post(url, data={"csrf_token": csrf_token(client, url)})


def job_id_of(answer) -> int:
    assert answer.status_code == 303, answer.get_data(as_text=True)[-2000:]
    return int(re.fullmatch(r".*/staff/jobs/(\d+)", answer.headers["Location"]).group(1))


def test_analyst_gets_the_report_from_its_job_and_a_second_request_reuses_it(
        pcp2021, signed_in, monkeypatch):
    add_answers(pcp2021)
    client = signed_in("analyst")
    page = BeautifulSoup(client.get(f"/staff/consultations/{pcp2021.slug}/report").get_data(
        as_text=True), "html.parser")
    assert page.find("button", string="Ask for the report")

    job_id = job_id_of(ask(client, pcp2021.slug))
    soup = BeautifulSoup(client.get(f"/staff/jobs/{job_id}").get_data(as_text=True),
                         "html.parser")
    assert soup.h1.get_text(strip=True) == "The evidence report is ready"
    links = {a.get_text(strip=True): a["href"] for a in soup.find(id="job-files").find_all("a")}
    assert set(links) == {f"Download {pcp2021.slug}-report.html",
                          f"Download {pcp2021.slug}-report.zip"}
    first = client.get(links[f"Download {pcp2021.slug}-report.html"])
    assert first.status_code == 200
    assert "attachment" in first.headers["Content-Disposition"]
    html = first.get_data(as_text=True)
    assert "Putting Communities First" in html
    assert "07700 900123" not in html  # quotes are redacted

    import analysis.report

    monkeypatch.setattr(analysis.report, "build_report",
                        lambda *a, **k: pytest.fail("the kept report should have been offered"))
    assert job_id_of(ask(client, pcp2021.slug)) == job_id
    archive = client.get(links[f"Download {pcp2021.slug}-report.zip"])
    names = zipfile.ZipFile(io.BytesIO(archive.get_data())).namelist()
    assert {"report.html", "report.md"} <= set(names)
    assert any(name.endswith(".png") for name in names)

    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action.like("report%")).order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor, e.rows) for e in events] == [
        ("report requested", "analyst@example.org", None),
        ("report", "analyst@example.org", 40),
        ("report download", "analyst@example.org", 40),
        ("report requested", "analyst@example.org", None),
        ("report download", "analyst@example.org", 40)]
    assert [e.details.get("file") for e in events if e.action == "report download"] == [
        "report.html", "report.zip"]


def test_a_new_response_makes_a_new_report(pcp2021, signed_in):
    from consult.reports import fingerprint

    add_answers(pcp2021, 3)
    before, _ = fingerprint(pcp2021)
    add_answers(pcp2021, 1)
    after, count = fingerprint(pcp2021)
    assert before != after and count == 4


def test_no_responses_yet_says_so_without_building(pcp2021, signed_in):
    client = signed_in("admin")
    page = client.get(f"/staff/consultations/{pcp2021.slug}/report")
    text = page.get_data(as_text=True)
    assert "There are no responses yet" in text
    assert "Ask for the report" not in text
    response = ask(client, pcp2021.slug)
    assert response.status_code == 409
    assert "There are no responses yet" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0


def test_a_failed_build_says_why_and_keeps_nothing(pcp2021, signed_in, monkeypatch):
    import analysis.report
    from analysis.load import LoadError

    add_answers(pcp2021, 2)

    def failing(*args, **kwargs):
        raise LoadError("the export has no theme columns")

    monkeypatch.setattr(analysis.report, "build_report", failing)
    client = signed_in("analyst")
    job_id = job_id_of(ask(client, pcp2021.slug))
    soup = BeautifulSoup(client.get(f"/staff/jobs/{job_id}").get_data(as_text=True),
                         "html.parser")
    assert soup.h1.get_text(strip=True) == "The evidence report could not be made"
    assert soup.find(id="job-error").get_text(" ", strip=True) == (
        "It failed because the export has no theme columns.")
    assert db.session.get(Job, job_id).files == []


@pytest.mark.parametrize("role", ["engagement", "viewer"])
def test_other_roles_cannot_ask_for_the_report(pcp2021, signed_in, role):
    client = signed_in(role)
    assert client.get(f"/staff/consultations/{pcp2021.slug}/report").status_code == 403
    token = csrf_token(client, "/staff/consultations")
    assert client.post(f"/staff/consultations/{pcp2021.slug}/report",
                       data={"csrf_token": token}).status_code == 403
