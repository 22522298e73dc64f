"""Every page of the resident's journey, rendered in each shipped language, has no English left
in its interface: each visible string of the English page (text, the words screen readers and
GOV.UK Frontend's JavaScript read from attributes) is looked for in the translated page, and a
translation that repeats the English counts as English left. Each page's error states are
pages too (a required answer missing, a comment too long, a bad postcode, a contradiction, a
rank given twice, a wrong resume code), and so are the privacy notice and the accessibility
statement.

Text from the consultation's definition (titles, questions, options, hints, its checks'
messages), the organisation's texts, the resident's own answers, codes, references and links
are not the interface's: they are taken out of both renderings before comparing. The scale
levels and equality groups of consult/codes.py are the interface's, wherever a definition
repeats them.
"""
from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup, NavigableString

from consult.codes import RESIDENT_LABELS
from consult.i18n import LANGUAGES
from consult.models import Consultation
from consult.organisation import current as current_organisation

from survey.conftest import DEMO, Browser, complete_2021, loaded  # noqa: F401  (fixture)

from .conftest import SHIPPED

CLOSED = "/c/police-and-crime-plan-2021"
READ_ATTRIBUTES = ("aria-label", "alt", "title", "placeholder")
SEPARATOR = "\x00"
LETTERS = re.compile(r"[^\W\d_]{2,}")


class RecordingBrowser(Browser):
    """A browser that opens each page before answering it, as a resident does, and keeps what
    it was shown."""

    def __init__(self, client):
        super().__init__(client)
        self.pages: dict[str, str] = {}
        self.answers: list[str] = []

    def show(self, name: str, url: str, *, status: int = 200) -> str:
        response = self.get(url)
        assert response.status_code == status, (name, url, response.status_code)
        self.pages[name] = response.get_data(as_text=True)
        return self.pages[name]

    def refused(self, name: str, url: str, data: dict) -> str:
        """Posts ``data`` that the page refuses, and keeps the page with its errors."""
        response = self.post(url, data, fetch_first=True)
        html = response.get_data(as_text=True)
        assert response.status_code in (200, 400) and "govuk-error-summary" in html, (name, url)
        self.pages[name] = html
        return html

    def post(self, url, data=None, *, fetch_first=None, **kwargs):
        if "/q/" in url and fetch_first is None:
            self.show(url.rsplit("/", 1)[1], url)
            fetch_first = False
        for value in (data or {}).values():
            self.answers.extend(value if isinstance(value, list) else [value])
        return super().post(url, data, fetch_first=fetch_first, **kwargs)


def walk(app, language: str) -> RecordingBrowser:
    """Every page of the journey in ``language``, chosen with the link every page carries."""
    browser = RecordingBrowser(app.test_client())
    chosen = browser.get(f"/?lang={language}")
    assert chosen.status_code == 302
    browser.show("index", "/")
    browser.show("start", DEMO)
    browser.show("resume", f"{DEMO}/resume")
    complete_2021(browser, "victim_or_witness")
    browser.show("check", f"{DEMO}/check")
    browser.show("saved", f"{DEMO}/saved")
    sent = browser.post(f"{DEMO}/check", {}, fetch_first=True)
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    browser.show("confirmation", f"{DEMO}/confirmation")
    # The business page, shown only to businesses, in a second visit in the same language.
    business = RecordingBrowser(app.test_client())
    business.get(f"/?lang={language}")
    business.post(f"{DEMO}/q/about_you", {"respondent_type": "business"})
    business.show("business", f"{DEMO}/q/business")
    browser.pages["business"] = business.pages["business"]
    browser.show("closed", CLOSED)
    refused = browser.post(f"{CLOSED}/q/about_you", {"respondent_type": "resident"},
                           fetch_first=False)
    assert refused.status_code == 403
    browser.pages["not open"] = refused.get_data(as_text=True)
    browser.show("not found", "/no-such-page", status=404)
    browser.show("privacy", "/privacy")
    browser.show("accessibility", "/accessibility")
    errors(app, language, browser)
    return browser


def errors(app, language: str, browser: RecordingBrowser) -> None:
    """Each page's errors, in a visit of their own in ``language``."""
    visit = RecordingBrowser(app.test_client())
    visit.get(f"/?lang={language}")
    visit.refused("about_you: nothing chosen", f"{DEMO}/q/about_you", {})
    visit.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    victim = {"victim_crime_types": ["burglary"], "victim_reported": "yes",
              "victim_support_offered": "no", "victim_satisfaction": "not_applicable"}
    visit.refused("victim: an answer that must be on its own", f"{DEMO}/q/victim_experience",
                  {**victim, "victim_crime_types": ["burglary", "prefer_not_to_say"]})
    contradiction = visit.refused("victim: a contradiction", f"{DEMO}/q/victim_experience",
                                  {**victim, "victim_satisfaction": "very_satisfied"})
    assert 'href="#victim_satisfaction"' in contradiction
    visit.refused("area: a bad postcode", f"{DEMO}/q/area",
                  {"district": "fenland", "postcode_district": "not a postcode"})
    theme = "theme__communities_first"
    visit.refused("theme: a comment too long", f"{DEMO}/q/{theme}", {
        "support__communities_first": "support", "comment__communities_first": "x" * 1001})
    visit.refused("ranking: a rank given twice", f"{DEMO}/q/ranking",
                  {"rank__communities_first": "1", "rank__crime_prevention": "1"})
    visit.refused("missing: an answer too long", f"{DEMO}/q/missing",
                  {"missing_from_plan": "y" * 2001})
    visit.refused("resume: a wrong code", f"{DEMO}/resume", {"code": "ABCD-EFGH-JKLM-NPQR"})
    visit.refused("resume: not a code", f"{DEMO}/resume", {"code": "not a code"})
    visit.refused("resume: no code", f"{DEMO}/resume", {"code": ""})
    browser.pages.update((name, html) for name, html in visit.pages.items() if ": " in name)
    browser.answers.extend(visit.answers)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def not_interface(app, answers: list[str]) -> re.Pattern:
    """Text that is not the interface's: the definitions', the organisation's, the answers."""
    texts = {app.config["ORGANISATION_NAME"], *(str(a) for a in answers),
             *_strings(current_organisation())}
    for consultation in Consultation.query.all():
        texts.update(_strings(consultation.definition))
        texts.add(consultation.title)
    texts -= RESIDENT_LABELS
    texts = sorted((t.strip() for t in texts if t and t.strip()), key=len, reverse=True)
    return re.compile("|".join(rf"(?<!\w){re.escape(t)}(?!\w)" for t in texts))


def fragments(html: str, content: re.Pattern) -> set[str]:
    """The interface's visible strings of a page."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup(["script", "style"]):
        hidden.decompose()
    texts = [str(s) for s in soup.find_all(string=True) if type(s) is NavigableString]
    for element in soup.find_all(True):
        for name, value in element.attrs.items():
            if name in READ_ATTRIBUTES or name.startswith("data-i18n"):
                texts.append(value if isinstance(value, str) else " ".join(value))
    found = set()
    for text in texts:
        text = content.sub(SEPARATOR, " ".join(text.split()))
        for piece in re.split(rf"{SEPARATOR}| – ", text):
            piece = piece.strip(" .,:;()“”\"'–-")
            if not LETTERS.search(piece) or piece.startswith("http") or "/" in piece:
                continue
            if not re.search(r"[a-z]", piece):  # codes and references: capitals and digits
                continue
            found.add(piece)
    return found


def english_left(english: dict[str, str], other: dict[str, str], content) -> dict[str, list[str]]:
    names = {info["name"] for info in LANGUAGES.values()}
    left = {}
    for page, html in english.items():
        same = (fragments(html, content) & fragments(other[page], content)) - names
        if same:
            left[page] = sorted(same)
    return left


@pytest.fixture
def english(app, loaded):  # noqa: F811
    return walk(app, "en")


def test_the_comparison_finds_english_left_on_an_english_page(app, english):
    """The comparison itself can fail: the English journey against itself is all English."""
    content = not_interface(app, english.answers)
    left = english_left(english.pages, english.pages, content)
    assert set(left) == set(english.pages)
    assert "Continue" in left["about_you"] and "Page not found" in left["not found"]
    assert "must be" in " ".join(left["theme: a comment too long"])
    assert "Don't know" in left["theme__communities_first"]  # a scale level
    assert "Who sees your answers" in left["privacy"]


@pytest.mark.parametrize("language", SHIPPED)
def test_no_english_is_left_on_any_page_of_the_journey(app, english, language):
    translated = walk(app, language)
    assert set(translated.pages) == set(english.pages)
    for page, html in translated.pages.items():
        assert f'<html lang="{language}"' in html, page
    content = not_interface(app, english.answers + translated.answers)
    assert english_left(english.pages, translated.pages, content) == {}
