"""Residents completing the survey in headless Chromium: axe-core on every page (error states
included), a keyboard-only run, JavaScript off at 320 px, save and resume, double submit, close."""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import SLUG

pytestmark = [pytest.mark.browser, pytest.mark.slow]

THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
          "robust_enforcement"]
AXE = Axe()
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa",
                                                     "best-practice"]},
               "resultTypes": ["violations"]}


def audit(page, audited: list | None = None) -> None:
    """Zero axe-core violations on the page as it is now."""
    results = AXE.run(page, options=AXE_OPTIONS)
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"
    if audited is not None:
        audited.append(page.url + (" (error)" if page.locator(".govuk-error-summary").count() else ""))


def start(page, live_server, path=f"/c/{SLUG}"):
    page.goto(live_server.url + path)


def continue_(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()


def answer_theme(page, theme, support="support", comment=None):
    page.locator(f"input[name=support__{theme}][value={support}]").check()
    page.locator(f"#comment__{theme}").fill(comment or f"About {theme}")
    continue_(page)


def rank_all(page):
    for i, theme in enumerate(THEMES):
        page.locator(f"#rank__{theme}").select_option(str(i + 1))
    continue_(page)


def reference_on(page) -> str:
    return re.search(r"[A-Z0-9]+-[2-9A-Z]{4}-[2-9A-Z]{4}", page.locator(".consult-code").inner_text()).group(0)


def test_resident_journey_with_axe_on_every_page_and_error_state(page, live_server):
    audited: list[str] = []
    fonts: list[str] = []
    page.on("request", lambda request: fonts.append(request.url)
            if request.resource_type == "font" or "crest" in request.url or "crown" in request.url else None)
    for path in ("/", "/privacy", "/accessibility", "/no-such-page", "/c/police-and-crime-plan-2021"):
        start(page, live_server, path)
        audit(page, audited)
    start(page, live_server)
    audit(page, audited)
    page.get_by_role("button", name="Start now").click()
    audit(page, audited)
    continue_(page)  # nothing chosen: error
    assert page.locator(".govuk-error-summary").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('govuk-error-summary')")
    audit(page, audited)
    page.get_by_label("A resident of Cambridgeshire or Peterborough").check()
    continue_(page)
    page.get_by_label("Fenland").check()
    page.get_by_label("The first part of your postcode").fill("not a postcode")
    continue_(page)
    audit(page, audited)
    page.get_by_label("The first part of your postcode").fill("pe13")
    continue_(page)
    audit(page, audited)
    page.locator("#comment__communities_first").fill("x" * 1001)
    assert "You have 1 character too many" in page.locator(".govuk-character-count").inner_text()
    continue_(page)
    audit(page, audited)
    answer_theme(page, "communities_first", "strongly_support", "Visible policing in villages")
    for theme in THEMES[1:]:
        audit(page, audited)
        answer_theme(page, theme)
    audit(page, audited)
    page.locator("#rank__communities_first").select_option("1")
    page.locator("#rank__crime_prevention").select_option("1")  # with JavaScript: the clash is swapped
    assert page.locator("#rank__communities_first").input_value() == ""
    page.locator("#rank__victims_and_witnesses").select_option("2")
    continue_(page)  # not every theme ranked: errors
    audit(page, audited)
    rank_all(page)
    audit(page, audited)
    page.get_by_label("Is there anything missing").fill("Speeding on rural roads")
    continue_(page)
    audit(page, audited)
    page.get_by_label("25 to 34").check()
    continue_(page)
    assert page.get_by_role("heading", name="Check your answers before sending them").is_visible()
    audit(page, audited)
    page.get_by_role("link", name=re.compile(r"Change\s+Which area do you live")).click()
    assert page.get_by_label("Fenland").is_checked()
    page.get_by_label("Peterborough", exact=True).check()
    continue_(page)
    assert "/check" in page.url and "Peterborough" in page.locator("main").inner_text()
    page.get_by_role("button", name="Send response").click()
    assert page.get_by_role("heading", name="Response sent").is_visible()
    audit(page, audited)
    reference = reference_on(page)
    answers = dict(live_server.responses())[reference]
    assert answers["district"] == "peterborough" and answers["support__communities_first"] == "strongly_support"
    assert answers["rank__robust_enforcement"] == 5 and answers["postcode_district"] == "PE13"
    assert fonts == [], fonts  # no GDS Transport font, no crown or crest image is ever fetched
    assert len(audited) >= 20, audited


def test_victim_sees_victim_pages(page, live_server):
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A victim or witness of crime").check()
    continue_(page)
    assert page.get_by_role("heading", name="Your experience as a victim or witness").is_visible()
    page.get_by_label("Burglary").check()
    page.get_by_label("Prefer not to say").check()  # exclusive: unticks burglary with JavaScript on
    assert not page.get_by_label("Burglary").is_checked()
    page.get_by_label("Burglary").check()
    page.locator("input[name=victim_reported][value=yes]").check()
    audit(page)
    continue_(page)
    assert page.get_by_role("heading", name="Where you live or work").is_visible()


def test_business_sees_the_business_crime_survey(page, live_server):
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A local business").check()
    continue_(page)
    assert page.get_by_role("heading", name="Crime against your business").is_visible()
    audit(page)
    page.get_by_label("10 to 49").check()
    page.get_by_label("Shoplifting").check()
    continue_(page)
    assert page.get_by_role("heading", name="Where you live or work").is_visible()
    page.go_back()
    assert page.get_by_label("Shoplifting").is_checked()


def tab_to(page, selector: str, limit: int = 120) -> None:
    """Presses Tab until the element matching ``selector`` has the focus."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"could not reach {selector} with the Tab key on {page.url}")


def key_radio(page, name: str, value: str) -> None:
    tab_to(page, f"input[name={name}]")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    assert page.locator(f"input[name={name}][value={value}]").is_checked()


def key_continue(page) -> None:
    tab_to(page, "button[value=continue]")
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_keyboard_only_completes_the_survey(page, live_server):
    start(page, live_server)
    tab_to(page, "a.govuk-button--start")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    key_radio(page, "respondent_type", "resident")
    key_continue(page)
    key_radio(page, "district", "cambridge")
    tab_to(page, "#postcode_district")
    page.keyboard.type("CB4")
    key_continue(page)
    for theme in THEMES:
        page.wait_for_url(f"**/q/theme__{theme}")
        key_radio(page, f"support__{theme}", "oppose")
        tab_to(page, f"#comment__{theme}")
        page.keyboard.type("Typed with the keyboard")
        key_continue(page)
    page.wait_for_url("**/q/ranking")
    for i, theme in enumerate(reversed(THEMES)):
        tab_to(page, f"#rank__{theme}")
        page.keyboard.type(str(i + 1))
    key_continue(page)
    page.wait_for_url("**/q/missing")
    key_continue(page)
    key_radio(page, "sex", "prefer_not_to_say")
    key_continue(page)
    page.wait_for_url("**/check")
    tab_to(page, "button.govuk-button")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/confirmation")
    answers = dict(live_server.responses())[reference_on(page)]
    assert answers["rank__robust_enforcement"] == 1 and answers["rank__communities_first"] == 5
    assert answers["support__ethical_policing"] == "oppose" and answers["sex"] == "prefer_not_to_say"
    assert answers["postcode_district"] == "CB4"


def test_javascript_off_at_320px_works_and_fits(chromium, live_server):
    context = chromium.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = context.new_page()
    try:
        start(page, live_server)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.get_by_role("button", name="Start now").click()
        page.get_by_label("An elected representative").check()
        continue_(page)
        page.get_by_label("South Cambridgeshire").check()
        continue_(page)
        for theme in THEMES:
            assert page.evaluate("document.documentElement.scrollWidth") <= 320, page.url
            answer_theme(page, theme, "dont_know")
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.locator("#rank__communities_first").select_option("1")
        page.locator("#rank__crime_prevention").select_option("1")  # no JavaScript: the server says so
        continue_(page)
        assert "You gave 1 to more than one theme" in page.locator(".govuk-error-summary").inner_text()
        rank_all(page)
        continue_(page)
        continue_(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 320
        page.get_by_role("button", name="Send response").click()
        answers = dict(live_server.responses())[reference_on(page)]
        assert answers["respondent_type"] == "elected_representative" and answers["rank__crime_prevention"] == 2
    finally:
        context.close()


def test_save_and_resume_on_another_device(chromium, page, live_server):
    audited: list[str] = []
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A police officer or member of police staff").check()
    continue_(page)
    page.get_by_label("Huntingdonshire").check()
    page.get_by_role("button", name="Save and come back later").click()
    audit(page, audited)
    code = page.locator(".consult-code").inner_text().strip()
    link = page.locator("a[href*='/resume/']").get_attribute("href")
    other = chromium.new_context()
    try:
        second = other.new_page()
        second.goto(live_server.url + f"/c/{SLUG}/resume")
        audit(second, audited)
        second.get_by_label("Enter the code").fill("WRONG")
        second.get_by_role("button", name="Continue").click()
        audit(second, audited)
        second.get_by_label("Enter the code").fill(code.lower())
        second.get_by_role("button", name="Continue").click()
        assert second.url.endswith("/q/theme__communities_first")
        second.get_by_role("link", name="Back").click()
        assert second.get_by_label("Huntingdonshire").is_checked()
        third = other.new_page()
        third.goto(link)
        assert third.url.endswith("/q/theme__communities_first")
    finally:
        other.close()


def test_two_submits_at_once_and_back_and_submit_again_make_one_response(page, live_server):
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A voluntary or partner organisation").check()
    continue_(page)
    continue_(page)
    for theme in THEMES:
        continue_(page)
    continue_(page)
    continue_(page)
    continue_(page)
    assert page.url.endswith("/check")
    before = len(live_server.responses())
    statuses = page.evaluate("""async () => {
        const body = new URLSearchParams(new FormData(document.querySelector('main form')));
        const send = () => fetch(location.href, {method: 'POST', body, redirect: 'follow'}).then(r => r.status);
        return Promise.all([send(), send()]);
    }""")
    assert statuses == [200, 200]
    form = page.evaluate("() => new URLSearchParams(new FormData(document.querySelector('main form'))).toString()")
    page.get_by_role("button", name="Send response").click()
    reference = reference_on(page)
    page.go_back()  # the check page again: it now leads to the same confirmation
    assert reference_on(page) == reference
    again = page.evaluate("""async (body) => {
        const r = await fetch(location.pathname.replace('/confirmation', '/check'),
                              {method: 'POST', body: new URLSearchParams(body)});
        return r.text();
    }""", form)  # the old page's form sent once more
    assert reference in again
    after = live_server.responses()
    assert len(after) == before + 1 and after[-1][0] == reference


def test_submit_after_close_is_refused_with_a_clear_page(page, live_server):
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A resident of Cambridgeshire or Peterborough").check()
    continue_(page)
    before = len(live_server.responses())
    live_server.close_consultation()
    try:
        page.get_by_label("Cambridge", exact=True).check()
        continue_(page)
        assert page.get_by_role("heading", name="Sorry, this consultation has closed").is_visible()
        audit(page)
        start(page, live_server)
        assert "closed at" in page.locator("main").inner_text()
        audit(page)
    finally:
        live_server.reopen()
    assert len(live_server.responses()) == before


def test_error_pages_are_accessible(chromium, live_server):
    context = chromium.new_context()
    page = context.new_page()
    try:
        start(page, live_server, f"/c/{SLUG}/q/about_you")
        context.clear_cookies()  # the session (and its CSRF token) is gone when the form is sent
        page.get_by_label("A resident of Cambridgeshire or Peterborough").check()
        continue_(page)
        assert page.get_by_role("heading", name="Sorry, we could not accept that page").is_visible()
        audit(page)
        start(page, live_server, f"/c/{SLUG}/q/missing")
        page.locator("#missing_from_plan").evaluate("(el, n) => { el.value = 'x'.repeat(n) }", 70000)
        continue_(page)
        assert page.get_by_role("heading", name="What you sent was too long").is_visible()
        audit(page)
    finally:
        context.close()


def test_database_down_page_is_accessible_and_try_again_sends_the_answers(page, live_server):
    import sqlalchemy as sa

    from consult.extensions import db

    with live_server.app.app_context():
        engine = db.engine
    state = {"down": False}

    def fail_writes(conn, cursor, statement, parameters, context, executemany):
        if state["down"] and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sa.exc.OperationalError(statement, parameters, Exception("database unavailable"))

    sa.event.listen(engine, "before_cursor_execute", fail_writes)
    try:
        start(page, live_server, f"/c/{SLUG}/q/about_you")
        page.get_by_label("A resident of Cambridgeshire or Peterborough").check()
        state["down"] = True
        continue_(page)
        assert page.get_by_role("heading", name="Sorry, your answers have not been saved yet").is_visible()
        audit(page)
        state["down"] = False
        with page.expect_navigation():
            page.get_by_role("button", name="Try again").click()
        assert page.get_by_role("heading", name="Where you live or work").is_visible()
        page.get_by_role("link", name="Back").click()
        assert page.get_by_label("A resident of Cambridgeshire or Peterborough").is_checked()
    finally:
        sa.event.remove(engine, "before_cursor_execute", fail_writes)


def test_changing_to_victim_from_check_your_answers_in_chromium(page, live_server):
    """The walk through the victims' page, the contradiction on it and the saved page with an
    answer not saved, each checked by axe-core."""
    start(page, live_server, f"/c/{SLUG}/q/about_you")
    page.get_by_label("A resident of Cambridgeshire or Peterborough").check()
    continue_(page)
    page.goto(live_server.url + f"/c/{SLUG}/check")
    page.locator("a[href*='/q/about_you?return_to=check']").click()
    page.get_by_label("A victim or witness of crime").check()
    continue_(page)
    assert page.get_by_role("heading", name="Your experience as a victim or witness").is_visible()
    audit(page)
    page.locator("input[name=victim_support_offered][value=no]").check()
    page.get_by_label("Satisfied", exact=True).check()
    continue_(page)
    summary = page.locator(".govuk-error-summary")
    assert "You said you were not offered support" in summary.inner_text()
    audit(page)
    page.get_by_label("I did not receive any support").check()
    continue_(page)
    assert page.url.split("#")[0].endswith("/check")  # the Change link's #fragment stays
    assert "Your experience as a victim or witness" in page.locator("h2").all_inner_texts()
    page.goto(live_server.url + f"/c/{SLUG}/q/area")
    page.get_by_label("Fenland").check()
    page.locator("input[name=postcode_district]").fill("not a postcode")
    page.get_by_role("button", name="Save and come back later").click()
    assert page.get_by_role("heading", name="One answer was not saved").is_visible()
    audit(page)
