"""Staff pages in headless Chromium: free text stays inert wherever it is shown.

Answers carrying ``<script>`` and ``onerror`` payloads are shown on the dashboard, the responses
list, a response's page, the import report and the audit log; no dialog may ever open. With
STAFF_SCREENSHOTS=DIR set, each page is also saved as a PNG there.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from consult import create_app
from consult.definitions import load_file
from consult.extensions import db
from consult.models import Consultation, Response
from consult.staff.accounts import create_user
from tests.chromium import CHROMIUM, in_own_thread

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SLUG = "police-and-crime-plan-2021"
PASSWORD = "correct horse battery staple"
PAYLOADS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
            "\"><svg onload=alert(1)>", "javascript:alert(1)"]
SHOTS = os.environ.get("STAFF_SCREENSHOTS")


def seed(app) -> str:
    """The 2021 consultation with a few weeks of responses; returns the XSS response's reference."""
    from consult.survey.submission import new_reference

    with app.app_context():
        db.create_all()
        load_file(ROOT / "instance" / "consultations" / "police-and-crime-plan-2021.yaml")
        consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
        create_user("admin@example.org", "Ada Admin", "admin", PASSWORD)
        rng = random.Random(2021)
        districts = ["cambridge", "east_cambridgeshire", "fenland", "huntingdonshire",
                     "south_cambridgeshire", "peterborough", "outside_area"]
        themes = [t.key for t in consultation.themes]
        support = ["strongly_support", "support", "neither", "oppose", "strongly_oppose",
                   "dont_know"]
        for n in range(240):
            day = dt.date(2021, 6, 7) + dt.timedelta(days=int(rng.triangular(0, 27, 3)))
            answers = {"respondent_type": rng.choice(["resident"] * 6 + ["victim_or_witness",
                                                                          "business"]),
                       "district": rng.choice(districts)}
            for theme in themes:
                answers[f"support__{theme}"] = rng.choices(support, [4, 5, 2, 1, 1, 1])[0]
            db.session.add(Response(
                reference=new_reference("PCP"), consultation_id=consultation.id,
                submitted_at=dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc),
                received_on=day, channel=rng.choice(["online"] * 8 + ["paper", "event"]),
                respondent_type=answers["respondent_type"], district=answers["district"],
                status=rng.choice(["valid"] * 30 + ["duplicate", "campaign"]),
                status_reason="", hidden_comments=[], answers=answers))
        answers = {"respondent_type": "resident", "district": "fenland",
                   "comment__communities_first": PAYLOADS[0] + "\nSecond line " + PAYLOADS[1],
                   "comment__crime_prevention": PAYLOADS[2],
                   "missing_from_plan": PAYLOADS[1] + " " + PAYLOADS[3]}
        xss = Response(reference="PCP-XSS2-XSS3", consultation_id=consultation.id,
                       received_on=dt.date(2021, 6, 20), channel="paper",
                       respondent_type="resident", district="fenland", status="invalid",
                       status_reason=PAYLOADS[1], hidden_comments=["comment__crime_prevention"],
                       answers=answers)
        db.session.add(xss)
        db.session.commit()
        return xss.reference


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make chromium`")
    path = tmp_path_factory.mktemp("staff-live") / "live.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                 "RATELIMIT_ENABLED": False})
    reference = seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", reference
    server.shutdown()
    thread.join(timeout=10)


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_no_payload_ever_runs_on_staff_pages(live, tmp_path):
    in_own_thread(lambda browser: payloads_never_run(browser, live, tmp_path))


def payloads_never_run(browser, live, tmp_path) -> None:
    base, reference = live
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    page.goto(f"{base}/staff/login")
    shot(page, "01-login")
    page.fill("#email", "admin@example.org")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/staff/consultations")

    page.goto(f"{base}/staff/consultations/{SLUG}")
    assert page.locator("#total-valid").inner_text().strip().isdigit()
    shot(page, "02-dashboard")
    page.goto(f"{base}/staff/consultations/{SLUG}/responses")
    shot(page, "03-responses")
    page.goto(f"{base}/staff/consultations/{SLUG}/responses?q=%3Cscript%3E")
    assert page.locator(f"text={reference}").count() == 1
    page.goto(f"{base}/staff/responses/{reference}")
    answers = page.locator("#answers").inner_text()
    assert PAYLOADS[0] in answers and PAYLOADS[1] in answers  # shown as text, not markup
    assert page.locator("#answers img, #answers script, #answers svg").count() == 0
    shot(page, "04-response-xss")

    # the import report repeats what the file said: the payload must stay text there too
    bad = ("received_on,channel,respondent_type,district,comment__communities_first\n"
           f"2021-06-20,paper,resident,\"{PAYLOADS[1]}\",\"{PAYLOADS[0]}\"\n"
           "2021-13-40,pigeon,resident,fenland,ok\n"
           f"2021-06-21,paper,,fenland,\"{PAYLOADS[2]}\"\n")
    csv_path = tmp_path / "<img src=x onerror=alert(1)>.csv"
    csv_path.write_text(bad)
    page.goto(f"{base}/staff/consultations/{SLUG}/import")
    page.set_input_files("#file", str(csv_path))
    page.click("text=Check the file")
    page.wait_for_selector("#problems")
    assert "is not one of" in page.locator("#problems").inner_text()
    shot(page, "05-import-dry-run")

    page.goto(f"{base}/staff/consultations/{SLUG}/entry")
    page.wait_for_selector("[name=respondent_type]")
    shot(page, "06-paper-entry")
    page.goto(f"{base}/staff/audit")
    shot(page, "07-audit")
    page.goto(f"{base}/staff/users")
    shot(page, "08-users")
    page.wait_for_timeout(300)
    context.close()
    assert dialogs == [], f"a payload ran: {dialogs}"
    assert errors == [], errors
