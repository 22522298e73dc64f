"""The plan pages in headless Chromium with axe-core: the public plan page (with JavaScript and
without, at 320 px), the Panel report as printed, and a delivery officer recording progress."""
from __future__ import annotations

from pathlib import Path

import pytest

from consult.extensions import db

from .test_survey_in_chromium import audit

pytestmark = [pytest.mark.browser]

ROOT = Path(__file__).resolve().parents[2]
PLAN = "police-and-crime-plan-2021-24"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def published_plan(live_server):
    """The shipped 2021-24 plan with two periods of progress, the second published."""
    from consult.plans.definitions import load_file
    from consult.plans.periods import add_period, publish
    from consult.plans.progress import UpdateInput, plan_by_slug, record_update
    from consult.staff.accounts import create_user

    with live_server.app.app_context():
        load_file(ROOT / "instance" / "plans" / f"{PLAN}.yaml")
        plan = plan_by_slug(PLAN)
        if not plan.periods:
            import datetime as dt

            add_period(plan, "2022-h1", "April to September 2022", dt.date(2022, 4, 1), dt.date(2022, 9, 30))
            add_period(plan, "2022-h2", "October 2022 to March 2023", dt.date(2022, 10, 1), dt.date(2023, 3, 31))
            statuses = ["green", "amber", "red", "complete", "not_started"]
            for n, deliverable in enumerate(plan.deliverables):
                for period, shift in zip(plan.periods, (0, 1)):
                    status = statuses[(n + shift) % 5]
                    record_update(deliverable, period,
                                  UpdateInput(status, "no_change",
                                              note="Partner capacity" if status in ("red", "amber") else ""),
                                  actor="officer@example.org")
            publish(plan.periods[1], actor="officer@example.org")
            create_user("delivery@example.org", "Dee Livery", "delivery", PASSWORD)
        db.session.remove()
    return live_server


def test_the_public_plan_page_passes_axe(page, published_plan):
    page.goto(published_plan.url + f"/plans/{PLAN}")
    assert page.locator("h1").inner_text() == "Police and Crime Plan 2021-24"
    assert page.locator("main dl.govuk-summary-list .govuk-summary-list__row").count() == 34
    assert "October 2022 to March 2023" in page.locator(".govuk-inset-text").inner_text()
    audit(page)


def test_the_public_plan_page_works_without_javascript_at_320px(chromium, published_plan):
    context = chromium.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    page.goto(published_plan.url + f"/plans/{PLAN}")
    assert page.locator(".govuk-tag").count() >= 34
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 330, f"the page is {width}px wide at 320px"
    context.close()


def test_the_panel_report_passes_axe(page, published_plan):
    from consult.plans import report
    from consult.plans.progress import plan_by_slug

    with published_plan.app.app_context(), published_plan.app.test_request_context():
        plan = plan_by_slug(PLAN)
        html = report.html(report.build(plan, plan.periods[1]), standalone=True)
        db.session.remove()
    page.set_content(html)
    assert page.locator("h2").count() >= 5
    audit(page)


def test_recording_progress_passes_axe_with_its_error_state(page, published_plan):
    page.goto(published_plan.url + "/staff/login")
    page.fill("#email", "delivery@example.org")
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    page.goto(published_plan.url + f"/staff/plans/{PLAN}/periods/2022-h2")
    audit(page)
    page.goto(published_plan.url + f"/staff/plans/{PLAN}/periods/2022-h2/deliverables/business_crime_survey")
    audit(page)
    page.locator("#status-red").check()
    page.locator("#direction-worsening").check()
    page.locator("#note").fill("")
    with page.expect_navigation():
        page.get_by_role("button", name="Save progress").click()
    assert page.locator(".govuk-error-summary").count() == 1
    audit(page)


@pytest.fixture(scope="module")
def published_results(published_plan):
    """'We asked, you said, we did' for the 2021 consultation, with an approved quote."""
    import datetime as dt

    from consult.models import Consultation, Response
    from consult.plans import results
    from consult.survey.submission import new_reference

    slug = "police-and-crime-plan-2021"
    with published_plan.app.app_context():
        consultation = db.session.query(Consultation).filter_by(slug=slug).one()
        page = results.page_for(consultation, create=True)
        if page.status != "published":
            levels = ["strongly_support", "support", "neither", "oppose", "support"]
            for n in range(40):
                answers = {"respondent_type": "resident",
                           "district": ["cambridge", "peterborough", "fenland"][n % 3]}
                for i, theme in enumerate(consultation.themes):
                    answers[f"support__{theme.key}"] = levels[(n + i) % 5]
                    answers[f"rank__{theme.key}"] = 1 + (n + i) % 5
                answers["comment__communities_first"] = f"More visible policing in my village, please ({n})"
                db.session.add(Response(reference=new_reference("PCP"), consultation_id=consultation.id,
                                        submitted_at=dt.datetime(2021, 7, 1, tzinfo=dt.timezone.utc),
                                        received_on=dt.date(2021, 7, 1), channel="online",
                                        respondent_type="resident", district=answers["district"],
                                        status="valid", answers=answers))
            db.session.commit()
            for theme in consultation.themes:
                decision = results.decision_for(page, theme.key)
                decision.you_said = f"People told us what mattered about {theme.title}."
                decision.we_did = f"The plan's {theme.title} theme was kept and strengthened."
            results.decision_for(page, "communities_first").deliverables = ["business_crime_survey"]
            db.session.commit()
            reference = db.session.query(Response.reference).filter_by(consultation_id=consultation.id).first()[0]
            quote = results.choose_quote(page, consultation, reference, "communities_first")
            results.approve_quote(quote, quote.text, actor="engagement@example.org")
            results.publish(page, consultation, actor="engagement@example.org")
        db.session.remove()
    return published_plan, slug


def test_the_results_page_and_the_start_page_link_pass_axe(page, published_results):
    live, slug = published_results
    page.goto(live.url + f"/c/{slug}")
    link = page.get_by_role("link", name="Read what we asked, what you said and what we did")
    assert link.count() == 1
    audit(page)
    with page.expect_navigation():
        link.click()
    assert page.locator("h1").inner_text() == "We asked, you said, we did"
    assert "40 people and organisations responded" in page.locator("main").inner_text()
    assert page.locator("blockquote").count() == 1
    audit(page)
