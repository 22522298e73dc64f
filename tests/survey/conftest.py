"""Fixtures for the survey: the shipped consultations loaded, an open copy, a client that
follows the survey, and small definitions to break in validation tests."""
from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pytest
from flask import g

from consult.definitions import load_file, make_demo, parse_file
from consult.extensions import db
from consult.models import Consultation

ROOT = Path(__file__).resolve().parents[2]
DEFINITIONS = ROOT / "instance" / "consultations"
PCP_2021 = DEFINITIONS / "police-and-crime-plan-2021.yaml"
PCP_2016 = DEFINITIONS / "police-and-crime-plan-2016.yaml"
THEMES_2021 = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing",
               "robust_enforcement"]
DEMO = "/c/police-and-crime-plan-2021-demo"


# What offers the definition in other languages and in Easy Read: left out of the definition the
# tests change, which would otherwise have to change every translation file with it
# (tests/i18n/test_consultation_languages.py and tests/survey/test_easy_read.py test them).
VARIANTS = ("languages", "easy_read")


def raw_2021() -> dict:
    """The 2021 definition as validate reads it: its blocks included, in English only."""
    raw = parse_file(PCP_2021)[0]
    return {key: value for key, value in raw.items() if key not in VARIANTS}


@pytest.fixture
def raw_definition() -> dict:
    """The 2021 definition as parsed YAML, to change in a test."""
    return copy.deepcopy(raw_2021())


@pytest.fixture
def loaded(app):
    """Both shipped consultations and an open demo copy of the 2021 one."""
    load_file(PCP_2021)
    load_file(PCP_2016)
    make_demo("police-and-crime-plan-2021")
    return db.session.get(Consultation, db.session.query(Consultation.id).filter_by(
        slug="police-and-crime-plan-2021-demo").scalar())


@pytest.fixture
def open_consultation(loaded) -> Consultation:
    return loaded


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Browser:
    """A test client that reads the CSRF token from the page it last fetched, as a browser does.

    The ``app`` fixture keeps one app context open for the whole test, so requests share ``g``,
    where Flask-WTF caches the CSRF token: it is cleared before each request, as a real server's
    fresh app context would be.
    """

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kwargs):
        g.pop("csrf_token", None)
        response = self.client.get(url, **kwargs)
        match = CSRF_RE.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, url, data=None, *, fetch_first=None, **kwargs):
        """Posts ``data`` with the CSRF token, fetching the page first when no token is known yet
        (the token lasts as long as the session, as it does for a resident)."""
        if fetch_first or (fetch_first is None and self.token is None):
            self.get(url)
        data = dict(data or {})
        data.setdefault("csrf_token", self.token)
        g.pop("csrf_token", None)
        response = self.client.post(url, data=data, **kwargs)
        match = CSRF_RE.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response


@pytest.fixture
def browser(client, loaded) -> Browser:
    return Browser(client)


def complete_2021(browser: Browser, respondent_type: str = "resident", extra: dict | None = None) -> str:
    """Answer every page of the 2021 demo as ``respondent_type``; returns the check page's URL."""
    extra = extra or {}
    pages = [("about_you", {"respondent_type": respondent_type})]
    if respondent_type == "victim_or_witness":
        pages.append(("victim_experience", {"victim_crime_types": ["burglary", "theft"],
                                            "victim_reported": "yes", "victim_support_offered": "no",
                                            "victim_satisfaction": "not_applicable"}))
    if respondent_type == "business":
        pages.append(("business", {"business_size": "small", "business_sector": "retail",
                                   "business_crimes": ["shoplifting"], "business_reported": "some"}))
    pages.append(("area", {"district": "fenland", "postcode_district": "pe13"}))
    for i, theme in enumerate(THEMES_2021):
        pages.append((f"theme__{theme}", {f"support__{theme}": "support",
                                          f"comment__{theme}": f"Comment on {theme}"}))
    pages.append(("ranking", {f"rank__{t}": str(i + 1) for i, t in enumerate(THEMES_2021)}))
    pages.append(("missing", {"missing_from_plan": "More officers in villages"}))
    pages.append(("equality", {"age_band": "35_44", "sex": "female"}))
    for key, data in pages:
        data = {**data, **extra.get(key, {})}
        response = browser.post(f"{DEMO}/q/{key}", data)
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:3000])
    return f"{DEMO}/check"


def at(day: str) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(tzinfo=dt.timezone.utc)

