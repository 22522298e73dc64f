"""The plan pages of the staff workspace, as a delivery officer uses them."""
from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult.extensions import db
from consult.models import AuditEvent
from consult.plans.models import Deliverable, ProgressUpdate
from consult.plans.progress import UpdateInput, record_update

from staff.conftest import csrf_token

PERIOD_URL = "/staff/plans/test-plan/periods/2022-h1"


def page(answer):
    assert answer.status_code == 200, answer.get_data(as_text=True)[:800]
    return BeautifulSoup(answer.get_data(as_text=True), "html.parser")


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client, url), **data})


def test_the_plan_page_shows_what_the_plan_does_not_state_as_not_stated(plan, signed_in):
    client = signed_in("viewer")
    soup = page(client.get("/staff/plans/test-plan"))
    assert soup.h1.get_text(strip=True) == "Test Plan 2021-24"
    rows = {r.find_all("td")[0].get_text(" ", strip=True): [c.get_text(" ", strip=True)
                                                           for c in r.find_all("td")[1:4]]
            for r in soup.select("tbody tr") if len(r.find_all("td")) >= 4}
    assert rows["S1 More foot patrols"] == ["not stated", "not stated", "not stated"]
    assert rows["Street lighting review"] == ["Council", "Parish councils", "June 2023"]
    assert soup.find("a", string="Add a reporting period") is None  # a viewer cannot


def test_recording_progress_proposes_the_direction_and_saves_once_confirmed(
        plan, deliverables, periods, signed_in):
    record_update(deliverables["patrols"], periods["2022-h1"],
                  UpdateInput("amber", "no_change", note="Recruitment is slow"), actor="t")
    client = signed_in("delivery")
    url = "/staff/plans/test-plan/periods/2022-h2/deliverables/patrols"
    soup = page(client.get(url))
    assert "Amber" in soup.select_one(".govuk-summary-list").get_text()
    answer = _post(client, url, {"status": "green", "note": "", "next_steps": "Full strength",
                                 "evidence": ""})
    soup = page(answer)
    inset = soup.select_one("#confirm-direction").get_text(" ", strip=True)
    assert "It was amber in April to September 2022" in inset and "‘Improving’" in inset
    assert soup.select_one("#direction-improving").has_attr("checked")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 1
    form = {i["name"]: i.get("value", "") for i in soup.select("form input[type=hidden]")}
    answer = client.post(url, data={**form, "status": "green", "direction": "improving",
                                    "note": "", "next_steps": "Full strength", "evidence": ""})
    assert answer.status_code == 302
    saved = db.session.scalars(sa.select(ProgressUpdate).order_by(ProgressUpdate.id.desc())).first()
    assert (saved.status, saved.direction, saved.direction_proposed, saved.next_steps,
            saved.recorded_by) == ("green", "improving", "improving", "Full strength",
                                   "delivery@example.org")
    period = page(client.get("/staff/plans/test-plan/periods/2022-h2"))
    row = period.select_one("tr#patrols").get_text(" ", strip=True)
    assert "Amber" in row and "Green" in row and "Improving" in row


def test_red_without_a_note_is_shown_as_an_error_and_nothing_is_saved(plan, signed_in):
    client = signed_in("delivery")
    url = PERIOD_URL + "/deliverables/speed"
    soup = page(_post(client, url, {"status": "red", "direction": "worsening", "note": "",
                                    "evidence": "ftp://files.example.org/x"}))
    assert soup.title.get_text().startswith("Error:")
    summary = [a.get_text(strip=True) for a in soup.select(".govuk-error-summary a")]
    assert any("Write a note saying why it is red" in s for s in summary) or \
        any("not a web address" in s for s in summary)
    assert soup.select_one("#status-red").has_attr("checked")  # nothing given is lost
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0
    soup = page(_post(client, url, {"status": "red", "direction": "worsening", "note": ""}))
    assert "Write a note saying why it is red" in soup.select_one(".govuk-error-summary").get_text()


def test_editing_a_deliverable_is_saved_and_audited_with_what_changed(plan, signed_in):
    client = signed_in("delivery")
    url = "/staff/plans/test-plan/deliverables/patrols/edit"
    soup = page(client.get(url))
    assert soup.select_one("#title").get_text(strip=True) == "More foot patrols"
    answer = _post(client, url, {"reference": "S1", "title": "More foot patrols",
                                 "purpose": "", "lead": "Chief Inspector",
                                 "partners": "Town council\n\nBusiness Improvement District",
                                 "due_on": "2023-03-31"})
    assert answer.status_code == 302
    deliverable = db.session.scalars(sa.select(Deliverable).where(Deliverable.key == "patrols")).one()
    assert deliverable.lead == "Chief Inspector"
    assert deliverable.partners == ["Town council", "Business Improvement District"]
    assert deliverable.due_on.isoformat() == "2023-03-31"
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "plan.deliverable.edit")).one()
    assert event.details["changes"]["lead"] == {"from": "", "to": "Chief Inspector"}
    assert set(event.details["changes"]) == {"lead", "partners", "due_on"}


def test_a_clashing_reference_is_refused(plan, signed_in):
    client = signed_in("admin")
    soup = page(_post(client, "/staff/plans/test-plan/deliverables/speed/edit",
                      {"reference": "R2", "title": "Community speed watch", "due_on": ""}))
    assert "R2 is already the reference of ‘Average speed cameras’" in soup.get_text()


def test_adding_a_period_refuses_overlaps_and_keeps_what_was_typed(plan, signed_in):
    client = signed_in("delivery")
    soup = page(_post(client, "/staff/plans/test-plan/periods/new",
                      {"key": "2023-h1", "title": "Spring 2023", "starts_on": "2023-03-01",
                       "ends_on": "2023-09-30"}))
    assert "It overlaps October 2022 to March 2023" in soup.get_text()
    assert soup.select_one("#title")["value"] == "Spring 2023"
    answer = _post(client, "/staff/plans/test-plan/periods/new",
                   {"key": "2023-h1", "title": "April to September 2023",
                    "starts_on": "2023-04-01", "ends_on": "2023-09-30"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/periods/2023-h1")


def test_measures_are_recorded_per_period_and_bad_numbers_explained(plan, signed_in):
    client = signed_in("delivery")
    url = PERIOD_URL + "/measures"
    soup = page(client.get(url))
    assert soup.select_one("#value-burglary")["value"] == "410"
    soup = page(_post(client, url, {"value-burglary": "four hundred"}))
    assert "Enter a number for ‘Burglaries recorded’" in soup.select_one(".govuk-error-summary").get_text()
    assert _post(client, url, {"value-burglary": "1,402"}).status_code == 302
    assert page(client.get(url)).select_one("#value-burglary")["value"] == "1402"


def test_the_delivery_role_cannot_read_responses_or_manage_accounts(plan, signed_in):
    client = signed_in("delivery")
    assert client.get("/staff/users").status_code == 403
    assert client.get("/staff/consultations/test-consultation/responses").status_code == 403
