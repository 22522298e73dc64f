"""Changing answers: from check your answers through pages the change brings in, answers that
contradict each other, and saving for later with an answer that is not valid."""
from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from consult.definitions import DefinitionError, store_definition, validate
from consult.extensions import db
from consult.models import Draft, Response
from consult.survey.forms import validate_answers
from consult.survey.submission import InvalidAnswers, store_response

from .conftest import DEMO, complete_2021

VICTIM = {"victim_crime_types": ["burglary"], "victim_reported": "yes",
          "victim_support_offered": "yes", "victim_satisfaction": "satisfied"}
CONTRADICTION = "You said you were not offered support"


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def path_and_query(location: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(location)
    return parts.path, parse_qs(parts.query)


def draft_answers() -> dict:
    db.session.expire_all()
    return dict(db.session.query(Draft).one().answers)


def test_changing_to_victim_from_check_your_answers_asks_the_victim_questions_first(browser):
    check = complete_2021(browser, "resident")
    before = draft_answers()
    change = browser.post(f"{DEMO}/q/about_you?return_to=check",
                          {"respondent_type": "victim_or_witness", "return_to": "check"})
    path, query = path_and_query(change.location)
    assert path == f"{DEMO}/q/victim_experience" and query["return_to"] == ["check"]
    page = soup(browser.get(change.location))
    assert page.h1.get_text(strip=True) == "Your experience as a victim or witness"
    assert page.find("input", {"name": "return_to"})["value"] == "check"
    assert page.find("a", class_="govuk-back-link")["href"] == check
    answered = browser.post(change.location, {**VICTIM, "return_to": "check"})
    assert answered.location.endswith("/check")
    summary = soup(browser.get(check))
    headings = [h.get_text(strip=True) for h in summary.find_all("h2")]
    assert "Your experience as a victim or witness" in headings
    rows = {row.dt.get_text(strip=True): row.dd.get_text(strip=True)
            for row in summary.find_all(class_="govuk-summary-list__row")}
    assert rows["How satisfied were you with the support you received?"] == "Satisfied"
    # every answer given before the change is still there
    after = draft_answers()
    assert {k: v for k, v in after.items() if k in before and k != "respondent_type"} == \
        {k: v for k, v in before.items() if k != "respondent_type"}


@pytest.fixture
def two_page_change(app, raw_definition):
    """A consultation whose victims also answer the business page: one change reveals two."""
    raw_definition["slug"] = "two-pages"
    business = next(p for p in raw_definition["pages"] if p["key"] == "business")
    business["show_if"] = {"question": "respondent_type", "in": ["business", "victim_or_witness"]}
    now = dt.datetime.now(dt.timezone.utc)
    store_definition(validate(raw_definition), "0" * 64, opens_at=now - dt.timedelta(days=1),
                     closes_at=now + dt.timedelta(days=1))
    db.session.commit()
    return "/c/two-pages"


def test_a_change_that_reveals_two_pages_goes_through_both_then_back(browser, two_page_change):
    base = two_page_change
    for key, data in [("about_you", {"respondent_type": "resident"}), ("area", {"district": "fenland"}),
                      ("missing", {"missing_from_plan": "Lighting"})]:
        browser.post(f"{base}/q/{key}", data)
    change = browser.post(f"{base}/q/about_you?return_to=check",
                          {"respondent_type": "victim_or_witness", "return_to": "check"})
    path, query = path_and_query(change.location)
    assert path == f"{base}/q/victim_experience" and query["then"] == ["business"]
    page = soup(browser.get(change.location))
    assert page.find("input", {"name": "then"})["value"] == "business"
    second = browser.post(change.location, {"victim_reported": "no", "return_to": "check",
                                            "then": "business"})
    path, query = path_and_query(second.location)
    assert path == f"{base}/q/business" and query["return_to"] == ["check"] and "then" not in query
    done = browser.post(second.location, {"business_size": "micro", "return_to": "check"})
    assert done.location.endswith(f"{base}/check")
    assert draft_answers() == {"respondent_type": "victim_or_witness", "district": "fenland",
                               "missing_from_plan": "Lighting", "victim_reported": "no",
                               "business_size": "micro"}


def test_a_revealed_page_that_already_holds_answers_is_not_asked_again(browser):
    check = complete_2021(browser, "business")
    browser.post(f"{DEMO}/q/about_you?return_to=check", {"respondent_type": "resident",
                                                         "return_to": "check"})
    back = browser.post(f"{DEMO}/q/about_you?return_to=check", {"respondent_type": "business",
                                                                "return_to": "check"})
    assert back.location.endswith("/check")
    rows = {row.dt.get_text(strip=True): row.dd.get_text(strip=True)
            for row in soup(browser.get(check)).find_all(class_="govuk-summary-list__row")}
    assert rows["How many people work for the business?"] == "10 to 49"


def test_a_change_that_reveals_nothing_goes_straight_back(browser):
    check = complete_2021(browser, "victim_or_witness")
    change = browser.post(f"{DEMO}/q/area?return_to=check",
                          {"district": "cambridge", "return_to": "check"})
    assert change.location.endswith("/check")


def test_not_offered_support_but_satisfied_with_it_is_caught_on_the_page(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    page = browser.post(f"{DEMO}/q/victim_experience",
                        {**VICTIM, "victim_support_offered": "no"})
    assert page.status_code == 200
    html = soup(page)
    assert html.title.get_text().startswith("Error: ")
    summary = html.find(class_="govuk-error-summary")
    link = summary.find("a", href="#victim_satisfaction")
    assert link and CONTRADICTION in link.get_text()
    assert CONTRADICTION in html.find(id="victim_satisfaction-error").get_text()
    # what was chosen is shown again, and nothing of this page is stored yet
    assert html.find("input", {"name": "victim_support_offered", "value": "no"}).has_attr("checked")
    assert draft_answers() == {"respondent_type": "victim_or_witness"}
    fixed = browser.post(f"{DEMO}/q/victim_experience",
                         {**VICTIM, "victim_support_offered": "no",
                          "victim_satisfaction": "not_applicable"})
    assert fixed.status_code == 302


def test_the_contradiction_is_refused_wherever_answers_are_checked(loaded):
    definition = loaded.definition
    answers = {"respondent_type": "victim_or_witness", **VICTIM, "victim_support_offered": "no"}
    _, errors = validate_answers(definition, answers)
    assert list(errors) == ["victim_satisfaction"] and CONTRADICTION in errors["victim_satisfaction"]
    with pytest.raises(InvalidAnswers) as refused:
        store_response(loaded, answers, channel="paper")
    assert "victim_satisfaction" in refused.value.errors
    assert db.session.query(Response).count() == 0
    # not asked, so not checked: a resident's hidden victim answers are dropped, not refused
    _, errors = validate_answers(definition, {**answers, "respondent_type": "resident"})
    assert errors == {}
    # blank, or the "no support" answer, is consistent
    for satisfaction in (None, "not_applicable"):
        given = {k: v for k, v in answers.items() if k != "victim_satisfaction"}
        if satisfaction:
            given["victim_satisfaction"] = satisfaction
        assert validate_answers(definition, given)[1] == {}


@pytest.mark.parametrize("check, place, message", [
    ({"if": {"question": "nope", "in": ["x"]}, "then": {"question": "victim_satisfaction", "in": []},
      "message": "m"}, "checks[0].if.question", "'nope' is not a question of this consultation"),
    ({"if": {"question": "victim_support_offered", "in": ["maybe"]},
      "then": {"question": "victim_satisfaction", "in": []}, "message": "m"},
     "checks[0].if.in[0]", "'maybe' is not a code of question 'victim_support_offered'"),
    ({"if": {"question": "victim_support_offered", "in": ["no"]},
      "then": {"question": "missing_from_plan", "in": []}, "message": "m"},
     "checks[0].then.question", "a check can only name a choice question"),
    ({"if": {"question": "victim_support_offered", "in": ["no"]},
      "then": {"question": "victim_satisfaction", "in": []}},
     "checks[0].message", "is missing"),
])
def test_a_broken_check_in_a_definition_is_explained(raw_definition, check, place, message):
    raw_definition["checks"] = [check]
    with pytest.raises(DefinitionError) as error:
        validate(raw_definition, "broken.yaml")
    assert any(p.startswith(place) and message in p for p in error.value.problems), \
        error.value.problems


def test_save_for_later_keeps_the_valid_answers_and_says_which_was_not_saved(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    saved = browser.post(f"{DEMO}/q/area", {"district": "fenland", "postcode_district": "not a postcode",
                                            "action": "save"})
    assert saved.status_code == 302
    path, query = path_and_query(saved.location)
    assert path == f"{DEMO}/saved" and query["not_saved"] == ["postcode_district"]
    assert draft_answers() == {"respondent_type": "resident", "district": "fenland"}
    page = soup(browser.get(saved.location))
    summary = page.find(class_="govuk-error-summary")
    assert summary.h2.get_text(strip=True) == "One answer was not saved"
    item = summary.find("li").get_text(" ", strip=True)
    assert "first part of your postcode" in item.lower() and "blank in your saved answers" in item
    assert page.find(class_="govuk-panel__title").get_text(strip=True) == \
        "Your other answers have been saved"
    # coming back with the code opens the page that still needs an answer
    assert db.session.query(Draft).one().current_page == "area"


def test_save_for_later_keeps_the_earlier_answer_of_a_question_it_could_not_save(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    browser.post(f"{DEMO}/q/area", {"district": "fenland", "postcode_district": "PE13"})
    saved = browser.post(f"{DEMO}/q/area", {"district": "cambridge", "postcode_district": "??",
                                            "action": "save"})
    assert draft_answers() == {"respondent_type": "resident", "district": "cambridge",
                               "postcode_district": "PE13"}
    item = soup(browser.get(saved.location)).find(class_="govuk-error-summary").find("li")
    assert "we kept the answer you gave before" in item.get_text() and "PE13" in item.get_text()


def test_save_for_later_with_every_answer_valid_says_nothing_is_missing(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    saved = browser.post(f"{DEMO}/q/area", {"district": "fenland", "action": "save"})
    assert urlsplit(saved.location).query == ""
    page = soup(browser.get(saved.location))
    assert page.find(class_="govuk-error-summary") is None
    assert page.find(class_="govuk-panel__title").get_text(strip=True) == "Your answers have been saved"


def test_checking_answer_sets_one_after_another_keeps_nothing_of_the_one_before(loaded):
    """Imports check many rows in a row with the same forms: no answer, error or cleaned value
    of one set may show in the next."""
    definition = loaded.definition
    first = {"respondent_type": "resident", "district": "fenland", "postcode_district": "cb1 2ab",
             "comment__crime_prevention": "x" * 1001}
    clean, errors = validate_answers(definition, first)
    assert clean["postcode_district"] == "CB1" and "comment__crime_prevention" in errors
    second = {"respondent_type": "business", "postcode_district": "nope"}
    clean, errors = validate_answers(definition, second)
    assert clean == {"respondent_type": "business"}
    assert list(errors) == ["postcode_district"]
    third = {"respondent_type": "resident", "comment__crime_prevention": "Fine"}
    assert validate_answers(definition, third) == (third, {})
    # the same answers again give the same verdict, and changing what came back changes nothing
    clean, _ = validate_answers(definition, {"respondent_type": "victim_or_witness",
                                             "victim_crime_types": ["burglary"]})
    clean["victim_crime_types"].append("theft")
    again, _ = validate_answers(definition, {"respondent_type": "victim_or_witness",
                                             "victim_crime_types": ["burglary"]})
    assert again["victim_crime_types"] == ["burglary"]
