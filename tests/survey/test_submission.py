"""Submitting: one response per draft whatever happens, random references, the shared write path."""
from __future__ import annotations

import datetime as dt
import re
import threading

import pytest

from consult.extensions import db
from consult.models import Consultation, Draft, Response
from consult.survey import submission
from consult.survey.submission import InvalidAnswers, new_reference, store_response

from .conftest import DEMO, complete_2021


def test_references_are_random_with_no_ambiguous_characters():
    references = {new_reference("PCP") for _ in range(500)}
    assert len(references) == 500
    for reference in references:
        assert re.fullmatch(r"PCP-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}", reference)


def test_back_and_submit_again_makes_one_response(browser):
    check = complete_2021(browser, "resident")
    first = browser.post(check, {})
    second = browser.post(check, {}, fetch_first=False)  # the browser's back button, then send again
    assert first.location == second.location and second.location.endswith("/confirmation")
    assert db.session.query(Response).count() == 1
    assert browser.get(check).location.endswith("/confirmation")


def test_a_submitted_draft_keeps_no_answers_only_the_response_does(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    browser.post(f"{DEMO}/q/victim_experience", {
        "victim_crime_types": ["burglary"], "victim_reported": "yes",
        "victim_support_offered": "no", "victim_satisfaction": "not_applicable"})
    check = complete_2021(browser, "resident")  # the victim page is no longer on the route
    assert "victim_reported" in db.session.query(Draft).one().answers
    assert browser.post(check, {}).location.endswith("/confirmation")
    db.session.expire_all()
    draft = db.session.query(Draft).one()
    assert draft.submitted_at is not None and draft.answers == {}
    stored = db.session.query(Response).one().answers
    assert stored["respondent_type"] == "resident" and "victim_reported" not in stored


def test_two_submits_at_once_make_one_response(app, browser):
    check = complete_2021(browser, "resident")
    browser.get(check)
    cookie = browser.client.get_cookie("session").value
    barrier = threading.Barrier(2)
    results: list = []

    def submit():
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        answer = client.post(check, data={"csrf_token": browser.token})
        page = client.get(answer.location)
        results.append((answer.status_code, answer.location,
                        re.search(r'consult-code">([^<]+)<', page.get_data(as_text=True)).group(1)))

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 2, results
    assert {r[0] for r in results} == {302}
    assert results[0][2] == results[1][2]  # both browsers are shown the same reference
    db.session.expire_all()
    assert db.session.query(Response).count() == 1
    assert db.session.query(Response).one().reference == results[0][2]


def test_a_reference_already_taken_is_drawn_again(loaded, monkeypatch):
    consultation = loaded
    first = store_response(consultation, {"respondent_type": "resident"}, channel="paper",
                           received_on=dt.date(2026, 11, 20))
    drawn = iter([first.reference, first.reference, "PCP-2345-6789"])
    monkeypatch.setattr(submission, "new_reference", lambda prefix: next(drawn))
    second = store_response(consultation, {"respondent_type": "business"})
    assert second.reference == "PCP-2345-6789"
    assert db.session.query(Response).count() == 2


def test_store_response_is_the_write_path_for_paper(loaded):
    consultation = loaded
    response = store_response(consultation, {
        "respondent_type": "resident", "district": "cambridge", "support__crime_prevention": "oppose",
        "comment__crime_prevention": "Written on paper\r\nat an event", "rank__crime_prevention": 1,
        "rank__communities_first": 2, "rank__victims_and_witnesses": 3, "rank__ethical_policing": 4,
        "rank__robust_enforcement": 5, "postcode_district": "cb4 1aa", "victim_reported": "no"},
        channel="paper", received_on=dt.date(2026, 11, 1), entered_by=None)
    assert response.channel == "paper" and response.received_on == dt.date(2026, 11, 1)
    assert response.answers["comment__crime_prevention"] == "Written on paper\nat an event"
    assert response.answers["postcode_district"] == "CB4"
    assert "victim_reported" not in response.answers  # a page a resident is not shown
    assert response.draft_token is None and response.district == "cambridge"


@pytest.mark.parametrize("answers,column", [
    ({"respondent_type": "alien"}, "respondent_type"),
    ({"respondent_type": "resident", "support__ethical_policing": "maybe"}, "support__ethical_policing"),
    ({"respondent_type": "resident", "missing_from_plan": "x" * 2001}, "missing_from_plan"),
    ({"district": "cambridge"}, "respondent_type"),
])
def test_store_response_refuses_what_the_survey_would(loaded, answers, column):
    with pytest.raises(InvalidAnswers) as caught:
        store_response(loaded, answers, channel="paper")
    assert column in caught.value.errors
    assert db.session.query(Response).count() == 0


def test_unknown_channel_is_refused(loaded):
    with pytest.raises(ValueError, match="channel"):
        store_response(loaded, {"respondent_type": "resident"}, channel="fax")


def test_the_draft_is_marked_submitted_in_the_same_transaction(browser):
    check = complete_2021(browser, "resident")
    browser.post(check, {})
    draft = db.session.query(Draft).one()
    response = db.session.query(Response).one()
    assert draft.submitted_at == response.submitted_at and response.draft_token == draft.token


def test_starting_again_after_submitting_makes_a_new_draft(browser):
    check = complete_2021(browser, "resident")
    browser.post(check, {})
    again = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "police"})
    assert again.status_code == 302
    assert db.session.query(Draft).count() == 2
    assert db.session.query(Consultation).filter_by(is_demo=True).count() == 1
