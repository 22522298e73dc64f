"""What the checklist found about links, cookies and sessions, kept closed:

- the "save and come back" link is built on PUBLIC_URL, never on the request's Host header, and
  with trusted hosts set a request for another host is refused;
- the resume code is never in the session cookie (signed, not encrypted: readable by anyone who
  sees it), yet the same browser is shown the same code each time it saves;
- the Go back link of an error page follows the Referer only to a path on this site;
- staff sessions end a fixed time after sign-in however busy they are.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import re
import zlib

import pytest
from bs4 import BeautifulSoup
from survey.conftest import DEMO, Browser, loaded  # noqa: F401  (fixtures are found by name)

from consult.survey.drafts import hash_code

from .conftest import login

PUBLIC = "https://haveyoursay.example.gov.uk"


@pytest.fixture
def browser(client, loaded):  # noqa: F811
    return Browser(client)


def _save(browser, **environ):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    answer = browser.post(f"{DEMO}/q/area", {"district": "fenland", "action": "save"})
    assert answer.status_code == 302 and answer.location.endswith("/saved"), answer.status_code
    host = environ.get("headers", {}).get("Host")
    if host:  # the browser an attacker's link was opened in: its cookie goes to that host
        browser.client.set_cookie("session", browser.client.get_cookie("session").value,
                                  domain=host)
    page = browser.client.get(answer.location, **environ)
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    code = soup.select_one(".consult-code").get_text(strip=True)
    link = next(a["href"] for a in soup.find_all("a", href=True) if "/resume/" in a["href"])
    return code, link, page


def _cookie_payload(client) -> str:
    """The session cookie as anyone who sees it can read it (itsdangerous: base64, maybe zlib)."""
    value = client.get_cookie("session").value
    compressed = value.startswith(".")
    data = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(raw) if compressed else raw).decode()


def test_the_save_link_is_on_the_public_address_whatever_the_host_header(app, browser):
    app.config["PUBLIC_URL"] = PUBLIC
    code, link, _ = _save(browser, headers={"Host": "evil.example"})
    assert link == f"{PUBLIC}{DEMO}/resume/{code}"


def test_with_trusted_hosts_a_request_for_another_host_is_refused(app, client, loaded):  # noqa: F811
    app.config["TRUSTED_HOSTS"] = ["haveyoursay.example.gov.uk"]
    refused = client.get(DEMO, headers={"Host": "evil.example"})
    assert refused.status_code == 400 and "Traceback" not in refused.get_data(as_text=True)
    assert client.get(DEMO, headers={"Host": "haveyoursay.example.gov.uk"}).status_code == 200


def test_public_url_sets_the_trusted_hosts(monkeypatch):
    from consult.config import Config

    monkeypatch.setenv("PUBLIC_URL", PUBLIC + "/")
    monkeypatch.setenv("TRUSTED_HOSTS", "consult.internal")
    config = Config()
    assert config.PUBLIC_URL == PUBLIC
    assert config.TRUSTED_HOSTS == ["haveyoursay.example.gov.uk", "consult.internal"]


def test_the_resume_code_is_never_in_the_cookie_yet_the_browser_sees_the_same_code(browser):
    code, _, _ = _save(browser)
    payload = _cookie_payload(browser.client)
    assert code not in payload and code.replace("-", "") not in payload, payload
    assert "codes" not in json.loads(payload)
    # Saving again from the same browser shows the same code, which still finds the answers.
    again, _, _ = _save(browser)
    assert again == code
    from consult.extensions import db
    from consult.models import Draft

    assert db.session.query(Draft).one().resume_code_sha256 == hash_code(code)


def test_the_code_is_derived_with_the_secret_key_not_from_the_token_alone(app):
    from consult.survey.drafts import _code_from_token, normalise_code

    token = "a" * 64
    with app.app_context():
        code = _code_from_token(token)
        app.secret_key = "another-key"
        other = _code_from_token(token)
    assert normalise_code(code) == code and normalise_code(other) == other
    assert other != code  # the token in the cookie is not enough to work out the code


@pytest.mark.parametrize("referer", [
    "javascript:alert(document.domain)",
    "JAVASCRIPT:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "https://evil.example/phish",
    "//evil.example/phish",
    "http://localhost\\@evil.example/",
])
def test_go_back_never_leads_off_the_site_or_runs_script(client, referer):
    page = client.delete(DEMO, headers={"Referer": referer})  # 405: the page with Go back
    assert page.status_code == 405
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert all(h.startswith(("/", "#")) and not h.startswith("//") for h in hrefs), hrefs
    assert soup.find("a", string=re.compile("Go back")) is None


def test_go_back_follows_a_referer_on_this_site(client, loaded):  # noqa: F811
    page = client.delete(DEMO, headers={"Referer": f"http://localhost{DEMO}?lang=en"})
    assert page.status_code == 405
    soup = BeautifulSoup(page.get_data(as_text=True), "html.parser")
    back = soup.find("a", string=re.compile("Go back"))
    assert back is not None and back["href"] == f"{DEMO}?lang=en"


def test_a_staff_session_ends_twelve_hours_after_sign_in_however_busy(app, client, staff):
    assert app.config["STAFF_SESSION_MAX_HOURS"] == 12
    assert login(client, "admin@example.org").status_code == 302
    assert client.get("/staff/consultations").status_code == 200
    with client.session_transaction() as session:
        session["staff_signed_in_at"] -= 12 * 3600 + 60
        session["staff_last_seen"] = dt.datetime.now(dt.timezone.utc).timestamp()  # busy
    answer = client.get("/staff/consultations")
    assert answer.status_code == 302 and "/staff/login" in answer.location
    page = client.get(answer.location).get_data(as_text=True)
    assert "you signed in more than 12 hours ago" in page
    assert client.get("/staff/consultations").status_code == 302
