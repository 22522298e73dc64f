"""The resident's journey in each shipped language, in headless Chromium: axe-core finds no
violation on any page (error states included), a keyboard-only journey completes in Polish with
Tab, Space and Enter, and on a phone-size screen with JavaScript off a resident answers in
Polish, saves, and resumes on other devices, in Lithuanian where it is chosen and in Polish
where none is.

Pages are found by addresses, names and values, never by their words, so the same walk runs in
every language.
"""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from i18n.conftest import SHIPPED, compile_catalogs

from .conftest import SLUG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
SURVEY = f"/c/{SLUG}"
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                                     "wcag22aa", "best-practice"]},
               "resultTypes": ["violations"]}


@pytest.fixture(scope="module", autouse=True)
def catalogs():
    compile_catalogs()


def audit(page, language: str, audited: list[str]) -> None:
    """Zero axe-core violations on the page as it is now, which is in ``language``."""
    assert page.locator("html").get_attribute("lang") == language, page.url
    results = AXE.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{language} {page.url}\n{results.generate_report()}"
    errors = page.locator(".govuk-error-summary").count()
    audited.append(page.url.split("?")[0] + (" (error)" if errors else ""))


def continue_(page, *, error: bool = False) -> None:
    with page.expect_navigation():
        page.locator("button[value=continue]").click()
    assert bool(page.locator(".govuk-error-summary").count()) == error, page.url


def choose(page, name: str, value: str) -> None:
    page.locator(f'input[name="{name}"][value="{value}"]').check()


def reference_on(page) -> str:
    return re.search(r"[A-Z0-9]+-[2-9A-Z]{4}-[2-9A-Z]{4}",
                     page.locator(".consult-code").inner_text()).group(0)


@pytest.mark.parametrize("language", SHIPPED)
def test_axe_finds_nothing_on_any_page_in_each_language(chromium, live_server, language):
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    audited: list[str] = []
    check = lambda: audit(page, language, audited)  # noqa: E731
    try:
        page.goto(live_server.url + f"/?lang={language}")
        check()
        for path in ("/privacy", "/accessibility", "/no-such-page",
                     "/c/police-and-crime-plan-2021", SURVEY, f"{SURVEY}/resume"):
            page.goto(live_server.url + path)
            check()
        page.locator("input[name=code]").fill("ABCD-EFGH-JKLM-NPQR")  # no such saved answers
        with page.expect_navigation():
            page.locator("main form button").click()
        check()
        page.goto(live_server.url + f"{SURVEY}/q/about_you")
        continue_(page, error=True)  # a required answer missing
        check()
        choose(page, "respondent_type", "victim_or_witness")
        continue_(page)
        check()
        choose(page, "victim_crime_types", "burglary")
        choose(page, "victim_support_offered", "no")
        choose(page, "victim_satisfaction", "satisfied")
        continue_(page, error=True)  # a contradiction
        check()
        choose(page, "victim_satisfaction", "not_applicable")
        continue_(page)
        choose(page, "district", "fenland")
        page.locator("#postcode_district").fill("not a postcode")
        continue_(page, error=True)
        check()
        page.locator("#postcode_district").fill("PE13")
        continue_(page)
        check()
        page.locator("#comment__communities_first").fill("x" * 1001)
        continue_(page, error=True)  # a comment too long
        check()
        for theme in THEMES:
            choose(page, f"support__{theme}", "support")
            page.locator(f"#comment__{theme}").fill(f"O {theme}")
            continue_(page)
        check()
        page.locator("#rank__communities_first").select_option("1")
        continue_(page, error=True)  # not every theme ranked
        check()
        for i, theme in enumerate(THEMES):
            page.locator(f"#rank__{theme}").select_option(str(i + 1))
        continue_(page)
        check()
        continue_(page)
        check()  # the equality questions
        choose(page, "age_band", "35_44")
        continue_(page)
        assert page.url.endswith("/check")
        check()
        page.goto(live_server.url + f"{SURVEY}/saved")
        check()
        page.goto(live_server.url + f"{SURVEY}/check")
        with page.expect_navigation():
            page.locator("main form button").click()
        assert page.url.endswith("/confirmation")
        check()
        response = dict(live_server.responses())[reference_on(page)]
        assert response["district"] == "fenland" and response["age_band"] == "35_44"
    finally:
        context.close()
    assert sum(a.endswith("(error)") for a in audited) >= 6, audited
    assert len(audited) >= 20, audited


def tab_to(page, selector: str, limit: int = 150) -> None:
    """Presses Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key on {page.url}")


def space_on(page, selector: str) -> None:
    tab_to(page, selector)
    page.keyboard.press("Space")
    assert page.locator(selector).is_checked(), selector


def enter_on(page, selector: str) -> None:
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_keyboard_only_journey_completes_in_polish(chromium, live_server):
    """Tab to move, Space to choose, Enter to go on, JavaScript on. Tab reaches the first answer
    of each group of radios (the others are reached with the arrow keys, not used here), and the
    ranking is left blank, as the page allows."""
    context = chromium.new_context(viewport={"width": 1024, "height": 800}, locale="pl-PL")
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        page.goto(live_server.url + SURVEY)  # the browser asks for Polish (Accept-Language)
        assert page.locator("html").get_attribute("lang") == "pl"
        enter_on(page, "a.govuk-button--start")
        space_on(page, "input[name=respondent_type][value=resident]")
        enter_on(page, "button[value=continue]")
        space_on(page, "input[name=district][value=cambridge]")
        tab_to(page, "#postcode_district")
        page.keyboard.type("CB4")
        enter_on(page, "button[value=continue]")
        for theme in THEMES:
            assert page.url.endswith(f"/q/theme__{theme}")
            space_on(page, f"input[name=support__{theme}][value=strongly_support]")
            tab_to(page, f"#comment__{theme}")
            page.keyboard.type("Napisane klawiaturą")
            enter_on(page, "button[value=continue]")
        assert page.url.endswith("/q/ranking")
        enter_on(page, "button[value=continue]")
        enter_on(page, "button[value=continue]")  # nothing missing from the plan
        space_on(page, "input[name=sex][value=female]")
        enter_on(page, "button[value=continue]")
        assert page.url.endswith("/check")
        assert page.locator("html").get_attribute("lang") == "pl"
        enter_on(page, "main form button")
        assert page.url.endswith("/confirmation")
        answers = dict(live_server.responses())[reference_on(page)]
        assert answers["support__robust_enforcement"] == "strongly_support"
        assert answers["comment__ethical_policing"] == "Napisane klawiaturą"
        assert answers["sex"] == "female" and answers["postcode_district"] == "CB4"
        assert not any(k.startswith("rank__") for k in answers)
    finally:
        context.close()


def test_polish_on_a_phone_without_javascript_saves_and_resumes(chromium, live_server):
    phone = chromium.new_context(viewport={"width": 320, "height": 640},
                                 java_script_enabled=False, locale="pl-PL")
    other = chromium.new_context(viewport={"width": 320, "height": 640},
                                 java_script_enabled=False)
    try:
        page = phone.new_page()
        page.set_default_timeout(15000)
        page.goto(live_server.url + f"{SURVEY}?lang=pl")
        assert page.locator("html").get_attribute("lang") == "pl"
        page.locator("a.govuk-button--start").click()
        choose(page, "respondent_type", "business")
        continue_(page)
        choose(page, "business_size", "small")
        continue_(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
        choose(page, "district", "peterborough")
        with page.expect_navigation():
            page.locator("button[value=save]").click()
        assert page.url.split("?")[0].endswith("/saved")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
        code = page.locator(".consult-code").inner_text().strip()
        # resumed where Lithuanian is chosen: the same answers, in Lithuanian
        lithuanian = other.new_page()
        lithuanian.goto(live_server.url + f"{SURVEY}/resume?lang=lt")
        lithuanian.locator("input[name=code]").fill(code)
        with lithuanian.expect_navigation():
            lithuanian.locator("main form button").click()
        assert lithuanian.locator("html").get_attribute("lang") == "lt"
        lithuanian.goto(live_server.url + f"{SURVEY}/q/area")
        assert lithuanian.locator("input[name=district][value=peterborough]").is_checked()
        other.clear_cookies()
        # another device with no language asked for: the saved answers come back in Polish
        second = other.new_page()
        second.set_default_timeout(15000)
        second.goto(live_server.url + f"{SURVEY}/resume")
        assert second.locator("html").get_attribute("lang") == "en"
        second.locator("input[name=code]").fill(code.lower())
        with second.expect_navigation():
            second.locator("main form button").click()
        assert second.url.endswith("/q/theme__communities_first")
        assert second.locator("html").get_attribute("lang") == "pl"
        for theme in THEMES:
            choose(second, f"support__{theme}", "dont_know")
            continue_(second)
        continue_(second)
        continue_(second)
        continue_(second)
        assert second.url.endswith("/check")
        assert second.evaluate("document.documentElement.scrollWidth") <= 320
        with second.expect_navigation():
            second.locator("main form button").click()
        answers = dict(live_server.responses())[reference_on(second)]
        assert answers["respondent_type"] == "business" and answers["district"] == "peterborough"
        assert answers["support__communities_first"] == "dont_know"
    finally:
        other.close()
        phone.close()
