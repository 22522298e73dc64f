"""Analysts and admins download the evidence report from a consultation's dashboard."""
from __future__ import annotations

import io
import random
import subprocess
import zipfile

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import AuditEvent

from .conftest import add_response

LEVELS = ["strongly_support", "support", "neither", "oppose", "strongly_oppose", "dont_know"]
THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
COMMENTS = [
    "More police patrols in the town centre at night, please.",
    "Speeding on the village roads is the biggest problem we have.",
    "Victims need to be kept informed about what happens to their case.",
    "Call me on 07700 900123 if you want to hear more about the speeding.",
]


@pytest.fixture
def reports_dir(app, tmp_path):
    app.config["REPORTS_DIR"] = str(tmp_path / "reports")
    return tmp_path / "reports"


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


def test_analyst_downloads_the_report_and_a_second_download_reuses_it(
        pcp2021, signed_in, reports_dir, monkeypatch):
    add_answers(pcp2021)
    client = signed_in("analyst")
    page = client.get(f"/staff/consultations/{pcp2021.slug}/report")
    assert page.status_code == 200
    assert "Download the report" in page.get_data(as_text=True)

    first = client.get(f"/staff/consultations/{pcp2021.slug}/report/report.html")
    assert first.status_code == 200, first.get_data(as_text=True)[:2000]
    assert "attachment" in first.headers["Content-Disposition"]
    html = first.get_data(as_text=True)
    first.close()
    assert "Putting Communities First" in html
    assert "07700 900123" not in html  # quotes are redacted

    def no_rebuild(*args, **kwargs):
        raise AssertionError("the kept report should have been sent, not built again")

    monkeypatch.setattr(subprocess, "run", no_rebuild)
    archive = client.get(f"/staff/consultations/{pcp2021.slug}/report/report.zip")
    assert archive.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(archive.get_data())).namelist()
    archive.close()
    assert {"report.html", "report.md"} <= set(names)
    assert any(name.endswith(".png") for name in names)

    events = db.session.scalars(sa.select(AuditEvent).where(
        AuditEvent.action == "report download")).all()
    assert [(e.actor, e.rows, e.details["format"]) for e in events] == [
        ("analyst@example.org", 40, "html"), ("analyst@example.org", 40, "zip")]


def test_a_new_response_makes_a_new_report(pcp2021, signed_in, reports_dir, monkeypatch):
    from consult.reports import fingerprint

    add_answers(pcp2021, 3)
    before, _ = fingerprint(pcp2021)
    add_answers(pcp2021, 1)
    after, count = fingerprint(pcp2021)
    assert before != after and count == 4


def test_no_responses_yet_says_so_without_building(pcp2021, signed_in, reports_dir, monkeypatch):
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: pytest.fail("built a report"))
    client = signed_in("admin")
    page = client.get(f"/staff/consultations/{pcp2021.slug}/report")
    assert "There are no responses yet" in page.get_data(as_text=True)
    assert "report.html" not in page.get_data(as_text=True)
    response = client.get(f"/staff/consultations/{pcp2021.slug}/report/report.html")
    assert response.status_code == 409
    assert "There are no responses yet" in response.get_data(as_text=True)


def test_a_failed_build_gives_a_plain_page_and_keeps_nothing(pcp2021, signed_in, reports_dir,
                                                             monkeypatch):
    add_answers(pcp2021, 2)

    def failing(*args, **kwargs):
        return subprocess.CompletedProcess(args, 2, "", "error: the disk is full\n")

    monkeypatch.setattr(subprocess, "run", failing)
    response = signed_in("analyst").get(f"/staff/consultations/{pcp2021.slug}/report/report.html")
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "The report could not be built: the disk is full." in text
    assert "Traceback" not in text
    assert not any(p.is_dir() for p in (reports_dir / pcp2021.slug).iterdir())


@pytest.mark.parametrize("role", ["engagement", "viewer"])
def test_other_roles_cannot_download_the_report(pcp2021, signed_in, reports_dir, role):
    client = signed_in(role)
    for path in ("report", "report/report.html", "report/report.zip"):
        assert client.get(f"/staff/consultations/{pcp2021.slug}/{path}").status_code == 403
