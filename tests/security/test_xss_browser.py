"""Script smuggled into any free-text answer does nothing in staff pages, in a real browser.

Responses carry the classic payloads in every free-text field (theme comments, "missing from the
plan", the postcode box, a moderator's reason, a staff member's name); an admin opens every page
that shows them in headless Chromium. No dialog may open. Then, to show the second line of
defence, an inline script is added to a staff page by hand: the content security policy refuses
to run it.
"""
from __future__ import annotations

import threading
from urllib.parse import quote

import pytest
from werkzeug.serving import make_server

from consult.extensions import db
from consult.staff.accounts import create_user

from .conftest import PASSWORD, add_response

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PAYLOADS = [
    "<script>alert('script')</script>",
    "<img src=x onerror=alert('img')>",
    "\"><svg onload=alert('svg')>",
    "'><iframe src=javascript:alert('iframe')></iframe>",
    "</textarea><script>alert('textarea')</script>",
    "<a href=\"javascript:alert('link')\">click</a>",
    "<details open ontoggle=alert('details')>",
]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def poisoned(app, consultation, staff):
    refs = []
    for i, payload in enumerate(PAYLOADS):
        response = add_response(
            consultation,
            {"comment__safer_streets": payload, "comment__roads": payload,
             "missing_from_plan": payload, "postcode_district": payload[:20]},
            status="campaign" if i % 2 else "valid",
            status_reason=payload if i % 2 else "")
        refs.append(response.reference)
    create_user("mallory@example.org", PAYLOADS[1], "viewer", PASSWORD)
    db.session.commit()
    return refs


def test_payloads_in_answers_do_nothing_in_staff_pages(live_server, consultation, staff,
                                                       poisoned):
    from playwright.sync_api import sync_playwright

    slug = consultation.slug
    pages = [f"/staff/consultations/{slug}/responses",
             f"/staff/consultations/{slug}/responses?q={quote(PAYLOADS[0])}",
             f"/staff/consultations/{slug}", "/staff/users", "/staff/audit"]
    pages += [f"/staff/responses/{ref}" for ref in poisoned]
    dialogs: list[str] = []
    violations: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(live_server + "/staff/login")
            page.fill("input[name=email]", "admin@example.org")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit], input[type=submit]")
            page.wait_for_load_state()
            assert "/staff/login" not in page.url, "the admin could not sign in"
            for path in pages:
                answer = page.goto(live_server + path)
                assert answer.status == 200, f"{path}: {answer.status}"
                page.wait_for_timeout(50)
            # Each payload is on the detail page as text, not as markup.
            page.goto(live_server + f"/staff/responses/{poisoned[0]}")
            assert PAYLOADS[0] in page.inner_text("main")

            # Second line of defence: an inline script that got into a page would not run.
            page.evaluate("""() => { window.__violations = [];
                document.addEventListener('securitypolicyviolation',
                    e => window.__violations.push(e.violatedDirective)); }""")
            page.evaluate("""() => { const s = document.createElement('script');
                s.textContent = "alert('inline')"; document.body.appendChild(s); }""")
            page.wait_for_timeout(200)
            violations = page.evaluate("() => window.__violations")
        finally:
            browser.close()
    assert dialogs == [], f"script ran in a staff page: {dialogs}"
    assert any(v.startswith("script-src") for v in violations), violations
