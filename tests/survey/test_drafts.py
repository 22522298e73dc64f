"""Save and come back later: a resume code (80 bits, stored hashed) restores every answer."""
from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from consult.extensions import db
from consult.models import Consultation, Draft, Response
from consult.survey.drafts import ALPHABET, new_resume_code, normalise_code

from .conftest import DEMO, Browser, complete_2021


def html(response) -> str:
    return response.get_data(as_text=True)


def save_on(browser, page_key, data):
    answer = browser.post(f"{DEMO}/q/{page_key}", {**data, "action": "save"})
    assert answer.location.endswith("/saved"), answer.location
    page = html(browser.get(answer.location))
    code = re.search(r'consult-code">([2-9A-Z-]{19})<', page).group(1)
    link = re.search(r'href="(http://[^"]+/resume/[^"]+)"', page).group(1)
    return code, link, page


def test_resume_code_has_at_least_60_bits_and_no_look_alikes():
    code = new_resume_code()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    assert not set(code) & set("01IO")
    assert len(ALPHABET) ** 16 >= 2 ** 60
    assert len({new_resume_code() for _ in range(200)}) == 200


@pytest.mark.parametrize("typed,expected", [
    ("abcd-efgh-jkmn-pqrs", "ABCD-EFGH-JKMN-PQRS"), ("ABCD EFGH JKMN PQRS", "ABCD-EFGH-JKMN-PQRS"),
    ("ABCDEFGHJKMNPQRS", "ABCD-EFGH-JKMN-PQRS"), ("ABCD-EFGH-JKMN-PQR", None), ("ABCD-EFGH-JKMN-PQR0", None),
    ("", None),
])
def test_codes_are_read_forgivingly(typed, expected):
    assert normalise_code(typed) == expected


def test_save_shows_a_code_stored_only_as_its_hash(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    code, link, page = save_on(browser, "victim_experience", {"victim_crime_types": ["fraud_or_cyber"]})
    assert "Write this code down" in page and "closes at" in page
    draft = db.session.query(Draft).one()
    assert draft.resume_code_sha256 == hashlib.sha256(code.encode()).hexdigest()
    assert code not in str(draft.answers) and code not in (draft.current_page or "")
    # saving again in the same browser shows the same code
    assert save_on(browser, "area", {"district": "cambridge"})[0] == code


def test_resuming_with_the_code_on_another_device_restores_every_answer(browser, app):
    check = complete_2021(browser, "business")
    code, _, _ = save_on(browser, "equality", {"age_band": "65_74", "ethnicity": "mixed"})
    saved = dict(db.session.query(Draft).one().answers)
    other = Browser(app.test_client())
    answer = other.post(f"{DEMO}/resume", {"code": code.lower().replace("-", " ")})
    assert answer.status_code == 302
    assert answer.location.endswith("/check")
    page = html(other.get(check))
    assert "Retail" in page and "Shoplifting" in page and "65 to 74" in page and "Mixed or multiple" in page
    equality = html(other.get(f"{DEMO}/q/equality"))
    assert 'value="65_74" checked' in equality
    other.post(check, {})
    assert db.session.query(Response).one().answers == saved


def test_resume_link_goes_back_to_the_page_after_the_one_saved(browser, app):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    _, link, _ = save_on(browser, "area", {"district": "huntingdonshire"})
    other = app.test_client()
    answer = other.get(link.split("localhost", 1)[-1])
    assert answer.location.endswith("/q/theme__communities_first")
    assert 'value="huntingdonshire" checked' in html(other.get(f"{DEMO}/q/area"))


@pytest.mark.parametrize("typed,message", [
    ("", "Enter the code you were given"),
    ("ABC", "16 letters and numbers"),
    ("2222-2222-2222-2222", "We could not find saved answers with that code"),
])
def test_a_wrong_code_is_explained(browser, typed, message):
    page = browser.post(f"{DEMO}/resume", {"code": typed})
    assert page.status_code == 400 and message in html(page)
    assert 'class="govuk-error-summary"' in html(page) and 'href="#code"' in html(page)


def test_a_wrong_resume_link_is_explained(browser):
    answer = browser.get(f"{DEMO}/resume/2222-2222-2222-2222")
    assert answer.location.endswith("/resume?not_found=1")
    assert "could not find saved answers for that link" in html(browser.get(answer.location))


def test_a_submitted_draft_cannot_be_resumed(browser, app):
    complete_2021(browser, "resident")
    code, _, _ = save_on(browser, "equality", {})
    browser.post(f"{DEMO}/check", {})
    other = Browser(app.test_client())
    assert other.post(f"{DEMO}/resume", {"code": code}).status_code == 400


def _close(slug="police-and-crime-plan-2021-demo"):
    consultation = db.session.query(Consultation).filter_by(slug=slug).one()
    consultation.closes_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
    db.session.commit()


def test_an_answer_posted_after_close_is_refused_and_the_draft_kept(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    browser.get(f"{DEMO}/q/area")
    _close()
    refused = browser.post(f"{DEMO}/q/area", {"district": "fenland"}, fetch_first=False)
    assert refused.status_code == 403 and "this consultation has closed" in html(refused)
    assert db.session.query(Draft).one().answers == {"respondent_type": "resident"}


def test_a_submit_after_close_is_refused_and_nothing_stored(browser):
    check = complete_2021(browser, "resident")
    browser.get(check)
    _close()
    refused = browser.post(check, {}, fetch_first=False)
    assert refused.status_code == 403 and "closed" in html(refused)
    assert db.session.query(Response).count() == 0
    assert db.session.query(Draft).count() == 1


def test_drafts_end_when_the_consultation_closes(browser, app):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    code, _, _ = save_on(browser, "area", {"district": "fenland"})
    draft = db.session.query(Draft).one()
    consultation = db.session.get(Consultation, draft.consultation_id)
    assert draft.expires_at == consultation.closes_at
    _close()
    assert "closed at" in html(browser.get(DEMO))
    assert browser.get(f"{DEMO}/q/area").location.endswith(DEMO)  # pages lead to the start page
    assert Browser(app.test_client()).get(f"{DEMO}/resume").location.endswith(DEMO)


def test_a_consultation_not_open_yet_says_when_it_opens(browser):
    browser.get(f"{DEMO}/q/about_you")  # a page opened earlier, sent once it is no longer open
    consultation = db.session.query(Consultation).filter_by(slug="police-and-crime-plan-2021-demo").one()
    consultation.opens_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=2)
    consultation.closes_at = consultation.opens_at + dt.timedelta(days=28)
    db.session.commit()
    page = html(browser.get(DEMO))
    assert "This consultation is not open yet. It opens at" in page and "Start now" not in page
    refused = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"}, fetch_first=False)
    assert refused.status_code == 403 and "not open yet" in html(refused)


def test_each_answered_page_is_stored_in_the_draft_with_the_page_it_leads_to(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    first = db.session.query(Draft).one()
    created, first_saved = first.created_at, first.updated_at
    db.session.expire_all()
    browser.post(f"{DEMO}/q/victim_experience", {"victim_crime_types": ["fraud_or_cyber"]})
    db.session.expire_all()
    draft = db.session.query(Draft).one()
    assert draft.answers["respondent_type"] == "victim_or_witness"
    assert draft.answers["victim_crime_types"] == ["fraud_or_cyber"]
    assert draft.current_page == "area"
    assert draft.created_at == created and draft.updated_at >= first_saved
    # Answering a page again replaces that page's answers and keeps the others.
    browser.post(f"{DEMO}/q/victim_experience", {"victim_crime_types": ["burglary"]})
    db.session.expire_all()
    draft = db.session.query(Draft).one()
    assert draft.answers["victim_crime_types"] == ["burglary"]
    assert draft.answers["respondent_type"] == "victim_or_witness"


def test_the_session_cookie_is_sent_again_only_when_it_changes(browser):
    first = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    assert "session=" in first.headers.get("Set-Cookie", "")
    later = browser.post(f"{DEMO}/q/area", {"district": "cambridge"})
    assert later.status_code == 302
    assert "session=" not in later.headers.get("Set-Cookie", "")
    # The browser's cookie still leads to the same draft, holding both answers.
    draft = db.session.query(Draft).one()
    assert draft.answers["district"] == "cambridge" and draft.answers["respondent_type"] == "resident"
