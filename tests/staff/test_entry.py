"""Paper and event entry: the survey's questions and checks, a channel and a date received."""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from consult.extensions import db
from consult.models import Response
from consult.staff.stats import dashboard_figures

from .conftest import csrf_token

ENTRY = "/staff/consultations/police-and-crime-plan-2021/entry"


def test_the_entry_page_asks_every_question_of_the_survey(pcp2021, signed_in):
    client = signed_in("engagement")
    page = client.get(ENTRY).get_data(as_text=True)
    for question in pcp2021.questions:
        for column in question.spec["columns"]:
            assert f'name="{column}"' in page, column
    assert 'name="channel"' in page and 'name="received_on"' in page


def test_a_paper_response_is_stored_and_counted(pcp2021, signed_in, staff):
    client = signed_in("engagement")
    token = csrf_token(client, ENTRY)
    answer = client.post(ENTRY, data={
        "csrf_token": token, "channel": "paper", "received_on": "2021-07-05",
        "respondent_type": "resident", "district": "fenland",
        "support__communities_first": "strongly_support",
        "comment__communities_first": "More officers in March please",
        "business_size": "micro",  # a business question: not asked of a resident, so dropped
    })
    assert answer.status_code == 302, answer.get_data(as_text=True)
    response = db.session.scalar(sa.select(Response))
    assert (response.channel, response.received_on) == ("paper", dt.date(2021, 7, 5))
    assert response.entered_by_id == staff["engagement"].id
    assert response.answers["comment__communities_first"] == "More officers in March please"
    assert "business_size" not in response.answers
    assert re.fullmatch(r"[A-Z0-9]+-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", response.reference)
    figures = dashboard_figures(pcp2021, with_support=True)
    assert figures.valid == 1 and dict(figures.by_channel) == {"paper": 1}
    assert response.reference in client.get(answer.headers["Location"]).get_data(as_text=True)


def test_bad_entries_are_refused_with_messages_and_nothing_stored(pcp2021, signed_in):
    client = signed_in("engagement")
    token = csrf_token(client, ENTRY)
    answer = client.post(ENTRY, data={
        "csrf_token": token, "channel": "carrier pigeon", "received_on": "2999-01-01",
        "district": "atlantis", "comment__communities_first": "x" * 20000})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "Choose how the response reached you." in page
    assert "The date received cannot be in the future." in page
    assert "the response is not stored yet" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_an_optional_choice_can_be_set_back_to_not_answered(pcp2021, signed_in, client):
    staff_client = signed_in("engagement")
    page = staff_client.get(ENTRY).get_data(as_text=True)
    # Optional radio questions end with "Not answered", chosen until something else is.
    for column in ("district", "support__communities_first", "victim_reported"):
        assert re.search(rf'name="{column}" type="radio" value="" checked', page), column
    # A required one (the respondent type) has no way to leave it empty.
    assert not re.search(r'name="respondent_type" type="radio" value=""', page)
    token = csrf_token(staff_client, ENTRY)
    answer = staff_client.post(ENTRY, data={
        "csrf_token": token, "channel": "paper", "received_on": "2021-07-05",
        "respondent_type": "resident", "district": "", "support__communities_first": ""})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    stored = db.session.scalar(sa.select(Response)).answers
    assert stored == {"respondent_type": "resident"}
    # Residents online never see it (the consultation opened now, so its pages are served).
    pcp2021.opens_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
    pcp2021.closes_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    db.session.commit()
    online = client.get("/c/police-and-crime-plan-2021/q/area")
    assert online.status_code == 200 and 'name="district"' in online.get_data(as_text=True)
    assert "Not answered" not in online.get_data(as_text=True)


def test_a_mistaken_choice_shown_again_after_an_error_can_still_be_cleared(pcp2021, signed_in):
    staff_client = signed_in("engagement")
    token = csrf_token(staff_client, ENTRY)
    refused = staff_client.post(ENTRY, data={
        "csrf_token": token, "channel": "paper", "received_on": "2999-01-01",
        "respondent_type": "resident", "district": "fenland"}).get_data(as_text=True)
    assert "The date received cannot be in the future." in refused
    assert re.search(r'name="district" type="radio" value="fenland" checked', refused)
    assert re.search(r'name="district" type="radio" value=""(?! checked)', refused)


def test_a_date_received_outside_the_consultation_is_a_warning_to_confirm(pcp2021, signed_in):
    """Letters arrive late: a date after the closing date (or before the opening) is pointed out,
    with every answer kept, and stored once the person keying it in confirms it."""
    from bs4 import BeautifulSoup

    staff_client = signed_in("engagement")
    token = csrf_token(staff_client, ENTRY)
    posted = {"csrf_token": token, "channel": "letter", "received_on": "2021-08-09",
              "respondent_type": "resident", "district": "fenland",
              "comment__communities_first": "Arrived after the closing date"}
    warned = staff_client.post(ENTRY, data=posted)
    assert warned.status_code == 200
    page = BeautifulSoup(warned.get_data(as_text=True), "html.parser")
    banner = page.find(class_="govuk-notification-banner")
    assert "The date received, 9 August 2021, is after the consultation closed on 30 July 2021." \
        in banner.get_text(" ", strip=True)
    assert page.find(class_="govuk-error-summary") is None  # a warning, not a refusal
    assert page.find("input", {"name": "district", "value": "fenland"}).has_attr("checked")
    assert page.find("textarea", {"name": "comment__communities_first"}).get_text(strip=True) == \
        "Arrived after the closing date"
    box = page.find("input", {"name": "date_confirmed"})
    assert box["value"] == "2021-08-09" and not box.has_attr("checked")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0
    # confirming another date than the one now typed does not count
    again = staff_client.post(ENTRY, data={**posted, "received_on": "2021-06-01",
                                           "date_confirmed": "2021-08-09"})
    assert "before the consultation opened on 30 June 2021" in again.get_data(as_text=True)
    stored = staff_client.post(ENTRY, data={**posted, "date_confirmed": "2021-08-09"})
    assert stored.status_code == 302
    response = db.session.scalar(sa.select(Response))
    assert (response.received_on, response.channel) == (dt.date(2021, 8, 9), "letter")
    assert response.answers["comment__communities_first"] == "Arrived after the closing date"


def test_a_date_received_within_the_consultation_needs_no_confirmation(pcp2021, signed_in):
    staff_client = signed_in("engagement")
    token = csrf_token(staff_client, ENTRY)
    for day in ("2021-06-30", "2021-07-30"):  # the first and the last day
        answer = staff_client.post(ENTRY, data={"csrf_token": token, "channel": "paper",
                                                "received_on": day, "respondent_type": "resident"})
        assert answer.status_code == 302, day
