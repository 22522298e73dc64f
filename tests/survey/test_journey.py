"""The journey of a resident, a victim and a business, page by page, to one stored response."""
from __future__ import annotations

import re

from consult.extensions import db
from consult.models import Draft, Response

from .conftest import DEMO, THEMES_2021, complete_2021


def html(response) -> str:
    return response.get_data(as_text=True)


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", html(response), re.S).group(1).strip()


def test_start_page_says_what_the_consultation_is_for(browser):
    page = browser.get(DEMO)
    text = html(page)
    assert page.status_code == 200
    assert title(page).startswith("Police and Crime Plan 2021 to 2024 consultation")
    for theme in ("Putting Communities First", "Crime Prevention", "Supporting Victims and Witnesses",
                  "Ethical Policing", "Robust Enforcement"):
        assert theme in text
    assert "about 10 minutes" in text and "closes at" in text and "How we use your answers" in text
    assert "Demo" in text and f'href="{DEMO}/q/about_you"' in text


def test_every_page_of_a_demo_is_marked_demo_and_real_ones_are_not(browser):
    for url in (DEMO, f"{DEMO}/q/about_you", f"{DEMO}/resume"):
        assert "govuk-phase-banner" in html(browser.get(url))
    assert "govuk-phase-banner" not in html(browser.get("/c/police-and-crime-plan-2021"))


def test_resident_journey_stores_exactly_what_was_answered(browser):
    check = complete_2021(browser, "resident")
    page = browser.get(check)
    assert "Check your answers" in html(page)
    assert html(page).count(">Change<") == sum(1 for _ in re.finditer(r'class="govuk-summary-list__row', html(page)))
    done = browser.post(check, {})
    assert done.status_code == 302 and done.location.endswith("/confirmation")
    confirmation = html(browser.get(done.location))
    reference = re.search(r'consult-code">(PCP-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4})<', confirmation).group(1)
    response = db.session.query(Response).one()
    assert response.reference == reference
    assert response.channel == "online" and response.status == "valid"
    assert response.respondent_type == "resident" and response.district == "fenland"
    assert response.received_on == response.submitted_at.date()
    expected = {"respondent_type": "resident", "district": "fenland", "postcode_district": "PE13",
                "missing_from_plan": "More officers in villages", "age_band": "35_44", "sex": "female"}
    for i, theme in enumerate(THEMES_2021):
        expected |= {f"support__{theme}": "support", f"comment__{theme}": f"Comment on {theme}",
                     f"rank__{theme}": i + 1}
    assert response.answers == expected


def test_victim_sees_the_victim_pages_and_not_the_business_ones(browser):
    answer = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    assert answer.location.endswith("/q/victim_experience")
    page = html(browser.get(answer.location))
    assert "What kind of crime was it?" in page and "Was it reported to the police?" in page
    check = complete_2021(browser, "victim_or_witness")
    browser.post(check, {})
    answers = db.session.query(Response).one().answers
    assert answers["victim_crime_types"] == ["burglary", "theft"]
    assert answers["victim_satisfaction"] == "not_applicable"
    assert not any(k.startswith("business_") for k in answers)


def test_business_sees_the_business_crime_survey(browser):
    answer = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "business"})
    assert answer.location.endswith("/q/business")
    assert "Business Crime Survey" in html(browser.get(answer.location))
    check = complete_2021(browser, "business")
    browser.post(check, {})
    answers = db.session.query(Response).one().answers
    assert answers["business_crimes"] == ["shoplifting"] and answers["business_size"] == "small"
    assert not any(k.startswith("victim_") for k in answers)


def test_resident_skips_the_victim_and_business_pages(browser):
    answer = browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    assert answer.location.endswith("/q/area")
    # typing the address of a hidden page moves on to the next page shown
    assert browser.get(f"{DEMO}/q/business").location.endswith("/q/area")


def test_changing_respondent_type_drops_answers_of_pages_no_longer_shown(browser):
    check = complete_2021(browser, "business")
    change = browser.post(f"{DEMO}/q/about_you?return_to=check", {"respondent_type": "resident", "return_to": "check"})
    assert change.location.endswith("/check")
    assert "Crime against your business" not in html(browser.get(check))
    browser.post(check, {})
    assert not any(k.startswith("business_") for k in db.session.query(Response).one().answers)


def test_change_link_comes_back_to_check_your_answers(browser):
    check = complete_2021(browser, "resident")
    page = html(browser.get(check))
    link = re.search(r'href="([^"]*/q/theme__ethical_policing\?return_to=check)#support__ethical_policing"', page).group(1)
    link = link.replace("&amp;", "&")
    form = html(browser.get(link))
    assert 'name="return_to" value="check"' in form and 'value="support" checked' in form
    assert f'href="{DEMO}/check"' in form  # the back link too
    answer = browser.post(link, {"support__ethical_policing": "oppose", "comment__ethical_policing": "Changed",
                                 "return_to": "check"})
    assert answer.location.endswith("/check")
    assert "Changed" in html(browser.get(check))


def test_back_link_goes_to_the_previous_page_shown(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    page = html(browser.get(f"{DEMO}/q/area"))
    assert f'class="govuk-back-link" href="{DEMO}/q/about_you"' in page or f'href="{DEMO}/q/about_you" class="govuk-back-link"' in page


def test_answers_are_kept_when_going_back(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    browser.post(f"{DEMO}/q/area", {"district": "peterborough", "postcode_district": "pe1"})
    page = html(browser.get(f"{DEMO}/q/area"))
    assert 'value="peterborough" checked' in page and 'value="PE1"' in page
    draft = db.session.query(Draft).one()
    assert draft.answers == {"respondent_type": "resident", "district": "peterborough", "postcode_district": "PE1"}


def test_errors_use_a_govuk_error_summary_and_keep_what_was_typed(browser):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    page = browser.post(f"{DEMO}/q/theme__crime_prevention",
                        {"support__crime_prevention": "support", "comment__crime_prevention": "é" * 1001})
    text = html(page)
    assert page.status_code == 200 and title(page).startswith("Error: ")
    assert 'class="govuk-error-summary"' in text
    assert 'href="#comment__crime_prevention"' in text and 'id="comment__crime_prevention"' in text
    assert "Your comment must be 1,000 characters or fewer (it is 1,001 now)" in text
    assert "é" * 1001 in text and 'value="support" checked' in text
    assert db.session.query(Draft).one().answers == {"respondent_type": "resident"}


def test_respondent_type_is_required_before_submitting(browser):
    browser.post(f"{DEMO}/q/area", {"district": "cambridge"})  # started on a later page
    page = browser.post(f"{DEMO}/check", {})
    assert page.status_code == 400
    assert "Select an answer: Which of these best describes you" in html(page)
    assert db.session.query(Response).count() == 0


def test_unknown_pages_and_consultations_are_404(browser):
    assert browser.get(f"{DEMO}/q/nope").status_code == 404
    assert browser.get("/c/nope").status_code == 404
    assert "Page not found" in html(browser.get("/c/nope"))


def test_index_lists_open_and_past_consultations(browser):
    page = html(browser.get("/"))
    assert "Police and Crime Plan 2021 to 2024 consultation (demo)" in page
    assert "closed on 30 July 2021" in page and "closed on 13 November 2016" in page


def test_no_page_has_inline_script_or_style(browser):
    """A Content Security Policy of script-src 'self' (no 'unsafe-inline') must hold on every page."""
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|<style|\son[a-z]+=")
    urls = ["/", DEMO, f"{DEMO}/resume", "/privacy", "/accessibility", "/no-such-page"]
    urls += [f"{DEMO}/q/{key}" for key in ("about_you", "victim_experience", "business", "area",
                                             "theme__crime_prevention", "ranking", "missing", "equality")]
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    for url in urls:
        assert not inline.findall(html(browser.get(url))), url
    error = browser.post(f"{DEMO}/q/ranking", {"rank__communities_first": "1", "rank__crime_prevention": "1"})
    assert 'govuk-error-summary' in html(error) and not inline.findall(html(error))
    check = complete_2021(browser, "resident")
    assert not inline.findall(html(browser.get(check)))
