"""The plan in public: each theme's deliverables with the status and direction of travel staff
last published, and nothing else (no notes, no names, nothing recorded since)."""
from __future__ import annotations

import sqlalchemy as sa
from bs4 import BeautifulSoup

from consult.extensions import db
from consult.models import AuditEvent
from consult.plans.periods import publish, withdraw
from consult.plans.progress import UpdateInput, record_update

from staff.conftest import csrf_token


def _rows(client):
    answer = client.get("/plans/test-plan")
    assert answer.status_code == 200
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    rows = {}
    for row in soup.select("main .govuk-summary-list__row"):
        direction = row.select_one(".plan-direction")
        rows[row.dt.get_text(" ", strip=True)] = [
            row.select_one(".plan-status").get_text(" ", strip=True),
            direction.get_text(" ", strip=True).removeprefix("Direction of travel: ")
            if direction else ""]
    return soup, rows


def test_before_anything_is_published_the_page_says_so(client, plan):
    soup, rows = _rows(client)
    assert soup.h1.get_text(strip=True) == "Test Plan 2021-24"
    assert "No progress has been published yet" in soup.select_one(".govuk-inset-text").get_text()
    assert rows["S1 More foot patrols"] == ["No update published", ""]
    assert [h.get_text(strip=True) for h in soup.select("h2.govuk-heading-l")] == ["Safer Streets",
                                                                                   "Safer Roads"]


def test_the_page_shows_the_published_period_and_not_what_came_after(client, plan, deliverables,
                                                                     periods):
    record_update(deliverables["speed"], periods["2022-h1"],
                  UpdateInput("red", "worsening", note="Volunteer Sam Smith left"), actor="officer@example.org")
    record_update(deliverables["patrols"], periods["2022-h1"], UpdateInput("green", "improving"),
                  actor="officer@example.org")
    publish(periods["2022-h1"], actor="officer@example.org")
    record_update(deliverables["speed"], periods["2022-h1"],
                  UpdateInput("green", "improving"), actor="officer@example.org")
    soup, rows = _rows(client)
    assert "Progress as reported for April to September 2022" in soup.select_one(".govuk-inset-text").get_text()
    assert rows["Community speed watch"] == ["Red", "Worsening"]
    assert rows["S1 More foot patrols"] == ["Green", "Improving"]
    assert rows["Street lighting review"] == ["No update published", ""]
    text = soup.get_text()
    assert "Sam Smith" not in text and "officer@example.org" not in text  # notes stay with staff
    publish(periods["2022-h1"], actor="officer@example.org")  # published again: now up to date
    assert _rows(client)[1]["Community speed watch"] == ["Green", "Improving"]


def test_the_latest_published_period_is_shown_and_withdrawing_falls_back(client, plan,
                                                                         deliverables, periods):
    record_update(deliverables["cameras"], periods["2022-h1"], UpdateInput("green", "no_change"), actor="t")
    record_update(deliverables["cameras"], periods["2022-h2"],
                  UpdateInput("amber", "worsening", note="Supplier"), actor="t")
    publish(periods["2022-h1"], actor="t")
    publish(periods["2022-h2"], actor="t")
    assert _rows(client)[1]["R2 Average speed cameras"] == ["Amber", "Worsening"]
    assert withdraw(periods["2022-h2"])
    assert _rows(client)[1]["R2 Average speed cameras"] == ["Green", "No change"]
    actions = db.session.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["plan.period.publish", "plan.period.publish", "plan.period.withdraw"]


def test_staff_publish_and_withdraw_from_the_period_page(client, plan, deliverables, periods,
                                                         signed_in):
    record_update(deliverables["cameras"], periods["2022-h1"], UpdateInput("green", "no_change"), actor="t")
    signed_in("delivery")
    url = "/staff/plans/test-plan/periods/2022-h1"
    token = csrf_token(client, url)
    assert client.post(url + "/publish", data={"csrf_token": token}).status_code == 302
    soup = BeautifulSoup(client.get(url).get_data(as_text=True), "html.parser")
    assert "Published" in soup.get_text() and soup.find("button", string="Withdraw")
    assert _rows(client)[1]["R2 Average speed cameras"] == ["Green", "No change"]
    assert client.post(url + "/withdraw", data={"csrf_token": token}).status_code == 302
    assert _rows(client)[1]["R2 Average speed cameras"] == ["No update published", ""]


def test_an_unknown_plan_is_a_friendly_404(client, plan):
    answer = client.get("/plans/no-such-plan")
    assert answer.status_code == 404
    assert "Page not found" in answer.get_data(as_text=True)


def test_the_list_of_plans_links_each_plan(client, plan):
    soup = BeautifulSoup(client.get("/plans/").get_data(as_text=True), "html.parser")
    assert [(a.get_text(strip=True), a["href"]) for a in soup.select("main ul a")] == [
        ("Test Plan 2021-24", "/plans/test-plan")]
