"""Nothing lost, nothing crashes: CSRF, 413, database failures, and any input in every field."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consult.extensions import db
from consult.models import Draft, Response
from consult.survey.handlers import clean_text

from .conftest import DEMO, complete_2021, raw_2021
from consult.definitions import validate

NAUGHTY = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "naughty-strings.json")
                     .read_text(encoding="utf-8"))["strings"]
DEFINITION = validate(raw_2021(), "police-and-crime-plan-2021.yaml")
PAGES = [p for p in DEFINITION["pages"]]


def html(response) -> str:
    return response.get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused_with_a_helpful_page(client, loaded):
    refused = client.post(f"{DEMO}/q/about_you", data={"respondent_type": "resident"})
    assert refused.status_code == 400
    assert "we could not accept that page" in html(refused) and "cookies" in html(refused)
    assert db.session.query(Draft).count() == 0


def test_a_post_with_a_forged_csrf_token_is_refused(client, loaded):
    refused = client.post(f"{DEMO}/check", data={"csrf_token": "forged"})
    assert refused.status_code == 400 and db.session.query(Response).count() == 0


def test_a_request_over_64_kib_gets_a_friendly_413(browser):
    browser.get(f"{DEMO}/q/missing")
    big = browser.client.post(f"{DEMO}/q/missing", data={"missing_from_plan": "x" * 70_000,
                                                         "csrf_token": browser.token})
    assert big.status_code == 413
    assert "What you sent was too long" in html(big) and "shorten your answer" in html(big)


def test_method_not_allowed_and_not_found_pages(client, loaded):
    assert client.delete(f"{DEMO}/q/about_you").status_code == 405
    assert "cannot be used like that" in html(client.put("/"))
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "If you typed the web address" in html(missing)


class DatabaseDown:
    """Makes every write fail as if the database had gone away, until ``up()``."""

    def __init__(self, engine):
        self.engine, self.down = engine, False
        sa.event.listen(engine, "before_cursor_execute", self.check)

    def check(self, conn, cursor, statement, parameters, context, executemany):
        if self.down and statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise sa.exc.OperationalError(statement, parameters, Exception("server closed the connection"))

    def up(self):
        self.down = False

    def remove(self):
        sa.event.remove(self.engine, "before_cursor_execute", self.check)


@pytest.fixture
def database(app):
    switch = DatabaseDown(db.engine)
    yield switch
    switch.remove()


def test_a_failed_write_answers_503_keeps_the_answers_and_try_again_works(browser, database):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    browser.get(f"{DEMO}/q/theme__crime_prevention")
    database.down = True
    failed = browser.post(f"{DEMO}/q/theme__crime_prevention",
                          {"support__crime_prevention": "support", "comment__crime_prevention": "Keep <this> & that"},
                          fetch_first=False)
    page = html(failed)
    assert failed.status_code == 503 and "your answers have not been saved yet" in page
    kept = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert kept["support__crime_prevention"] == "support"
    assert kept["comment__crime_prevention"] == "Keep &lt;this&gt; &amp; that"
    assert f'action="{DEMO}/q/theme__crime_prevention"' in page and "Try again" in page
    database.up()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    retry = browser.client.post(f"{DEMO}/q/theme__crime_prevention", data={
        "csrf_token": token, "support__crime_prevention": "support",
        "comment__crime_prevention": "Keep <this> & that", "action": "continue"})
    assert retry.status_code == 302
    db.session.expire_all()
    assert db.session.query(Draft).one().answers["comment__crime_prevention"] == "Keep <this> & that"


def test_a_failed_submit_answers_503_and_the_retry_stores_one_response(browser, database):
    check = complete_2021(browser, "resident")
    browser.get(check)
    database.down = True
    failed = browser.post(check, {}, fetch_first=False)
    assert failed.status_code == 503 and "Try again" in html(failed)
    db.session.expire_all()
    assert db.session.query(Response).count() == 0
    assert db.session.query(Draft).one().submitted_at is None  # the draft is kept as it was
    database.up()
    token = re.search(r'name="csrf_token" value="([^"]+)"', html(failed)).group(1)
    retry = browser.client.post(check, data={"csrf_token": token})
    assert retry.status_code == 302 and retry.location.endswith("/confirmation")
    assert db.session.query(Response).count() == 1


# Every form of the journey gets arbitrary input: codes it knows, codes it does not, any text.
def _field_values(page):
    strategies = {}
    for question in page["questions"]:
        codes = [o["code"] for o in question.get("options", [])]
        for column in question["columns"]:
            if question["type"] == "ranking":
                values = st.sampled_from(["", "1", "2", "3", "4", "5", "6", "0", "-1"]) | st.text(max_size=5)
            elif codes:
                values = st.sampled_from(codes) | st.text(max_size=30)
            else:
                values = st.text(max_size=1200) | st.sampled_from(NAUGHTY)
            strategies[column] = st.lists(values, max_size=3)
    strategies["action"] = st.lists(st.sampled_from(["continue", "save", "delete", ""]), max_size=1)
    strategies["return_to"] = st.lists(st.sampled_from(["check", "x"]), max_size=1)
    return st.fixed_dictionaries(strategies)


@pytest.mark.parametrize("page", PAGES, ids=[p["key"] for p in PAGES])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=st.data())
def test_no_input_on_any_page_gives_a_500(browser, page, data):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    values = data.draw(_field_values(page))
    form = [(k, v) for k, vs in values.items() for v in vs]
    form.append(("csrf_token", browser.token))
    from werkzeug.datastructures import MultiDict
    from flask import g

    g.pop("csrf_token", None)
    answer = browser.client.post(f"{DEMO}/q/{page['key']}", data=MultiDict(form))
    assert answer.status_code in (200, 302), answer.status_code
    if answer.status_code == 200:
        assert 'class="govuk-error-summary"' in html(answer)
    draft = db.session.query(Draft).first()
    json.dumps(draft.answers if draft else {})


@pytest.mark.parametrize("field_page,field", [
    ("theme__robust_enforcement", "comment__robust_enforcement"),
    ("missing", "missing_from_plan"),
    ("area", "postcode_district"),
])
def test_naughty_strings_in_every_text_field(browser, field_page, field):
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    browser.get(f"{DEMO}/q/{field_page}")
    for text in NAUGHTY:
        answer = browser.post(f"{DEMO}/q/{field_page}", {field: text}, fetch_first=False)
        assert answer.status_code in (200, 302), (text, answer.status_code)
        if answer.status_code == 302 and field != "postcode_district":
            db.session.expire_all()
            stored = db.session.query(Draft).one().answers.get(field)
            assert stored == (clean_text(text) or None), text


def test_guessing_resume_codes_is_slowed_down_with_a_friendly_429(browser):
    browser.get(f"{DEMO}/resume")
    statuses = [browser.post(f"{DEMO}/resume", {"code": "2222-2222-2222-2222"}, fetch_first=False).status_code
                for _ in range(31)]
    assert statuses[:30] == [400] * 30 and statuses[30] == 429
    limited = browser.post(f"{DEMO}/resume", {"code": "2222-2222-2222-2222"}, fetch_first=False)
    assert "Too many requests" in html(limited) and "Wait a minute" in html(limited)


def test_naughty_strings_as_a_resume_code(browser, monkeypatch):
    from consult.extensions import limiter

    monkeypatch.setattr(limiter, "enabled", False)
    browser.get(f"{DEMO}/resume")
    for text in NAUGHTY:
        answer = browser.post(f"{DEMO}/resume", {"code": text}, fetch_first=False)
        assert answer.status_code == 400, text
        assert 'class="govuk-error-summary"' in html(answer)


def test_a_naughty_response_survives_submit_and_reads_back_the_same(browser):
    comments = {f"comment__{t}": NAUGHTY[i * 17 % len(NAUGHTY)] + " ✓" for i, t in enumerate(
        ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing", "robust_enforcement"])}
    check = complete_2021(browser, "resident", extra={
        f"theme__{k.split('__')[1]}": {k: v} for k, v in comments.items()})
    assert browser.post(check, {}).status_code == 302
    answers = db.session.query(Response).one().answers
    for column, text in comments.items():
        assert answers[column] == clean_text(text)


def test_an_unexpected_error_gives_a_friendly_500_without_a_traceback(app):
    def broken():
        raise RuntimeError("something unexpected")

    app.add_url_rule("/broken-for-test", view_func=broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    page = app.test_client().get("/broken-for-test")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in html(page)
    assert "RuntimeError" not in html(page) and "Traceback" not in html(page)
