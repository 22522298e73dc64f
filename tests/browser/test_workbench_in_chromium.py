"""The coding workbench in headless Chromium with axe-core: the question list, the codebook,
the coding page (coded by keyboard: a number key ticks a code, s saves and shows the next) and
the agreement page."""
from __future__ import annotations

import datetime as dt

import pytest

from consult.extensions import db

from .conftest import SLUG
from .test_survey_in_chromium import audit

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery staple"
TEXTS = ["More police on foot patrol please", "The street lights are broken again",
         "Drug dealing outside the school", "Never see an officer walking about"]


@pytest.fixture(scope="module")
def workbench(live_server):
    """An analyst, a codebook with three codes on the demo's first comment question, and 12
    comments to code."""
    from consult.coding import work
    from consult.models import Consultation, Response
    from consult.staff.accounts import create_user

    with live_server.app.app_context():
        consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
        column = work.comment_columns(consultation)[0].column
        for n in range(12):
            db.session.add(Response(
                reference=f"WBT-{n:04d}-CODE", consultation_id=consultation.id,
                submitted_at=dt.datetime(2021, 6, 10, tzinfo=dt.timezone.utc),
                received_on=dt.date(2021, 6, 10), channel="online", status="valid",
                hidden_comments=[], answers={column: f"{TEXTS[n % 4]} ({n})"}))
        user = create_user("coder@example.org", "Coder", "analyst", PASSWORD)
        version = work.start_version(consultation, column, "empty", user)
        version.codes = work.checked_codes([
            {"name": "patrols", "description": "Wants more visible patrols"},
            {"name": "lighting", "description": "Street lighting"},
            {"name": "drugs", "description": "Drugs and dealing"}])
        db.session.commit()
        ids = version.id
        db.session.remove()
    return live_server, ids


def sign_in(page, url):
    page.goto(url + "/staff/login")
    page.fill("#email", "coder@example.org")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


def test_the_workbench_pages_pass_axe_and_code_by_keyboard(page, workbench):
    server, version = workbench
    base = f"{server.url}/staff/consultations/{SLUG}/workbench"
    sign_in(page, server.url)
    page.goto(base)
    assert "Coding workbench" in page.locator("h1").inner_text()
    audit(page)
    page.goto(f"{base}/codebook?version={version}")
    audit(page)
    page.goto(f"{base}/code?version={version}")
    audit(page)
    first = page.locator("input[name=reference]").input_value()
    page.locator("body").click()
    page.keyboard.press("1")
    assert page.locator("#code-1").is_checked()
    page.keyboard.press("q")
    with page.expect_navigation():
        page.keyboard.press("s")
    assert "Coded " + first in page.locator(".govuk-notification-banner").inner_text()
    assert page.locator("input[name=reference]").input_value() != first
    audit(page)
    page.goto(f"{base}/agreement?version={version}")
    audit(page)
    from consult.coding.models import Coding

    with server.app.app_context():
        coding = db.session.query(Coding).one()
        assert coding.codes == ["patrols"] and coding.is_quotable
        db.session.remove()


def test_a_comment_is_coded_without_javascript(no_js_page, workbench):
    server, version = workbench
    page = no_js_page
    sign_in(page, server.url)
    page.goto(f"{server.url}/staff/consultations/{SLUG}/workbench/code?version={version}")
    reference = page.locator("input[name=reference]").input_value()
    page.locator("#code-2").check()
    page.locator("#code-3").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Save and code next").click()
    assert "Coded " + reference in page.locator(".govuk-notification-banner").inner_text()
    from consult.coding.models import Coding
    from consult.models import Response

    with server.app.app_context():
        response = db.session.query(Response).filter_by(reference=reference).one()
        coding = db.session.query(Coding).filter_by(response_id=response.id).one()
        assert coding.codes == ["lighting", "drugs"] and not coding.is_quotable
        db.session.remove()


def test_with_ten_codes_or_more_a_number_of_two_digits_ticks_its_code(page, workbench):
    """"1" then "2" ticks code 12, not codes 1 and 2; "1" alone ticks code 1 after a moment;
    Enter ends a number without saving; n skips to another comment."""
    from playwright.sync_api import expect

    from consult.coding import work
    from consult.coding.models import CodebookVersion

    server, first_version = workbench
    with server.app.app_context():
        source = db.session.get(CodebookVersion, first_version)
        consultation_id, column = source.consultation_id, source.column
        from consult.models import Consultation

        version = work.start_version(db.session.get(Consultation, consultation_id), column,
                                     "empty", None)
        version.codes = work.checked_codes([{"name": f"code {n}"} for n in range(1, 13)])
        db.session.commit()
        version_id = version.id
        db.session.remove()
    sign_in(page, server.url)
    page.goto(f"{server.url}/staff/consultations/{SLUG}/workbench/code?version={version_id}")
    reference = page.locator("input[name=reference]").input_value()
    page.locator("h1").click()

    def ticked():
        return [n for n in range(1, 13) if page.locator(f"#code-{n}").is_checked()]

    page.keyboard.press("1")
    page.keyboard.press("2")
    assert ticked() == [12]
    page.keyboard.press("1")
    expect(page.locator("#code-1")).to_be_checked()
    assert ticked() == [1, 12]
    page.keyboard.press("1")
    page.keyboard.press("0")
    page.keyboard.press("Enter")
    assert ticked() == [1, 10, 12]
    assert page.locator("input[name=reference]").input_value() == reference   # not saved
    page.keyboard.press("1")
    page.keyboard.press("2")
    assert ticked() == [1, 10]
    with page.expect_navigation():
        page.keyboard.press("n")
    assert page.locator("input[name=reference]").input_value() != reference
    assert ticked() == []
