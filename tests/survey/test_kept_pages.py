"""What each process keeps in memory for residents' pages: the consultation as published, and
question pages rendered once per combination of what they show. Nothing kept may leak one
resident's token or answers to another, or outlive a change to the consultation."""
from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import g
from sqlalchemy import update

from consult import published as published_module
from consult.extensions import db
from consult.models import Consultation, Draft, Response, Theme
from consult.survey.rendering import CSRF_PLACEHOLDER, LONGEST_KEPT_ANSWER, page_cache

from .conftest import DEMO, Browser, complete_2021

AREA = f"{DEMO}/q/area"
THEME_PAGE = f"{DEMO}/q/theme__crime_prevention"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def html(response) -> str:
    return response.get_data(as_text=True)


def token_of(response) -> str:
    return CSRF_RE.search(html(response)).group(1)


@pytest.fixture
def two_residents(app, loaded):
    """Two browsers with their own cookies (so their own sessions and CSRF tokens)."""
    return Browser(app.test_client()), Browser(app.test_client())


def test_a_kept_page_carries_each_residents_own_csrf_token(app, two_residents):
    first, second = two_residents
    cache = page_cache(app)
    one = first.get(THEME_PAGE)
    hits = cache.hits
    two = second.get(THEME_PAGE)
    assert cache.hits == hits + 1, "the second resident's page should come from memory"
    assert CSRF_PLACEHOLDER not in html(one) and CSRF_PLACEHOLDER not in html(two)
    assert token_of(one) != token_of(two)
    # Each token works for its own session only; the survey accepts both answers.
    for browser in (first, second):
        sent = browser.post(THEME_PAGE, {"support__crime_prevention": "support"}, fetch_first=False)
        assert sent.status_code == 302, html(sent)[:2000]
    g.pop("csrf_token", None)
    stolen = second.client.post(THEME_PAGE, data={"support__crime_prevention": "oppose",
                                                   "csrf_token": token_of(one)})
    assert stolen.status_code == 400


def test_a_kept_page_shows_each_resident_the_answers_they_gave(two_residents):
    first, second = two_residents
    first.post(AREA, {"district": "peterborough", "postcode_district": "pe1"})
    second.post(AREA, {"district": "fenland", "postcode_district": "pe13"})
    for _ in range(2):  # the second time round, both come from memory
        mine, theirs = html(first.get(AREA)), html(second.get(AREA))
        assert 'value="peterborough" checked' in mine and 'value="fenland" checked' not in mine
        assert 'value="fenland" checked' in theirs and 'value="peterborough" checked' not in theirs
        assert 'value="PE1"' in mine and 'value="PE13"' in theirs


def test_a_page_with_errors_is_rendered_afresh_and_never_kept(app, browser):
    refused = browser.post(AREA, {"district": "", "postcode_district": "not a postcode"})
    assert refused.status_code == 200 and "govuk-error-summary" in html(refused)
    again = html(browser.get(AREA))
    assert "govuk-error-summary" not in again and "not a postcode" not in again
    assert not any("govuk-error-summary" in page for page in page_cache(app).pages.values())


def test_long_free_text_stays_out_of_memory(app, browser):
    words = "The streetlights on our road have been out since the spring and nobody came."
    assert len(words) > LONGEST_KEPT_ANSWER
    browser.post(THEME_PAGE, {"support__crime_prevention": "support",
                              "comment__crime_prevention": words})
    assert words in html(browser.get(THEME_PAGE))
    assert not any(words in page for page in page_cache(app).pages.values())


def test_a_changed_consultation_is_never_served_from_pages_rendered_before(app, browser, loaded):
    before = html(browser.get(THEME_PAGE))
    theme = db.session.query(Theme).filter_by(consultation_id=loaded.id,
                                              key="crime_prevention").one()
    assert theme.summary in before
    theme.summary = "Preventing crime before it happens, street by street."
    db.session.commit()
    after = html(browser.get(THEME_PAGE))
    assert "Preventing crime before it happens, street by street." in after


def test_the_consultation_is_read_again_after_the_kept_seconds(app, browser, loaded, monkeypatch):
    app.config["CONSULTATION_CACHE_SECONDS"] = 5.0
    clock = [1000.0]
    monkeypatch.setattr(published_module.time, "monotonic", lambda: clock[0])
    assert "Police and Crime Plan 2021" in html(browser.get(DEMO))
    # A change made by another process (here: a statement the ORM does not track).
    db.session.execute(update(Consultation).where(Consultation.id == loaded.id)
                       .values(title="Renamed consultation"))
    db.session.commit()
    clock[0] += 4.0
    assert "Renamed consultation" not in html(browser.get(DEMO))
    clock[0] += 1.5
    assert "Renamed consultation" in html(browser.get(DEMO))


def test_a_change_made_in_this_process_is_seen_at_once(app, browser, loaded):
    app.config["CONSULTATION_CACHE_SECONDS"] = 60.0
    assert browser.get(f"{DEMO}/q/about_you").status_code == 200
    consultation = db.session.get(Consultation, loaded.id)
    consultation.closes_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    db.session.commit()
    closed = browser.get(f"{DEMO}/q/about_you")
    assert closed.status_code == 302 and closed.location.endswith(DEMO)
    assert "This consultation closed at" in html(browser.get(DEMO))


def test_a_kept_consultation_still_closes_on_the_second(app, browser, loaded, monkeypatch):
    app.config["CONSULTATION_CACHE_SECONDS"] = 3600.0
    check = complete_2021(browser)
    assert browser.get(check).status_code == 200
    after_closing = loaded.closes_at + dt.timedelta(seconds=1)
    monkeypatch.setattr("consult.models.utcnow", lambda: after_closing)
    refused = browser.post(check, {})
    assert refused.status_code == 403
    assert db.session.query(Response).count() == 0


def test_a_head_request_shows_the_page_and_saves_nothing(app, browser):
    browser.post(f"{DEMO}/q/missing", {"missing_from_plan": "More officers in villages"})
    before = dict(db.session.query(Draft).one().answers)
    for path in (f"{DEMO}/q/missing", f"{DEMO}/q/equality", f"{DEMO}/check"):
        head = browser.client.head(path)
        assert head.status_code == 200 and head.get_data() == b""
    db.session.expire_all()
    assert db.session.query(Draft).one().answers == before
    # A browser that never answered anything gets no draft from HEAD either.
    fresh = app.test_client()
    assert fresh.head(f"{DEMO}/q/missing").status_code == 200
    assert db.session.query(Draft).count() == 1
