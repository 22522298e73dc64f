"""Choosing the language of the resident's pages: the links every page carries, the browser's
Accept-Language on a first visit, the choice kept for the visit and by saved answers, the
language stored with a response, `lang` on text in another language, pages kept in memory per
language, and a language written right to left."""
from __future__ import annotations

import re

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from bs4 import BeautifulSoup
from flask import g
from flask_migrate import downgrade, upgrade
import sqlalchemy as sa

from consult import create_app
from consult.extensions import db
from consult.i18n import LANGUAGES
from consult.models import Draft, Response
from consult.survey.rendering import page_cache

from survey.conftest import DEMO, Browser, complete_2021, loaded  # noqa: F401  (fixture)

THEME_PAGE = f"{DEMO}/q/theme__crime_prevention"


def html(response) -> str:
    return response.get_data(as_text=True)


def lang_of(response) -> str:
    return re.search(r'<html lang="([^"]+)"', html(response)).group(1)


def fresh(app, accept: str | None = None) -> Browser:
    browser = Browser(app.test_client())
    if accept:
        browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = accept
    return browser


def test_a_first_visit_follows_the_browsers_accept_language(app, loaded):
    assert lang_of(fresh(app, "lt-LT,lt;q=0.9,en;q=0.5").get(DEMO)) == "lt"
    assert lang_of(fresh(app, "fr-FR,ro;q=0.8").get(DEMO)) == "ro"
    assert lang_of(fresh(app, "fr-FR,de;q=0.8").get(DEMO)) == "en"
    assert lang_of(fresh(app).get(DEMO)) == "en"


def test_every_page_links_to_the_other_languages_each_in_its_own_name(app, loaded):
    browser = fresh(app, "pl")
    soup = BeautifulSoup(html(browser.get(THEME_PAGE)), "html.parser")
    links = soup.select("nav.consult-languages a")
    assert [(a.get_text(), a["lang"], a["hreflang"]) for a in links] == [
        ("English", "en", "en"), ("Lietuvių", "lt", "lt"), ("Română", "ro", "ro")]
    followed = browser.get(links[2]["href"])
    assert followed.status_code == 302 and followed.headers["Location"].endswith(THEME_PAGE)
    assert lang_of(browser.get(THEME_PAGE)) == "ro"


def test_the_choice_is_kept_for_the_visit_over_the_browsers_language(app, loaded):
    browser = fresh(app, "pl")
    browser.get(f"{DEMO}?lang=lt")
    for url in ("/", DEMO, f"{DEMO}/q/about_you", f"{DEMO}/resume", "/no-such-page"):
        assert lang_of(browser.get(url)) == "lt", url


def test_a_language_not_offered_is_ignored(app, loaded):
    browser = fresh(app)
    assert browser.get(f"{DEMO}?lang=xx").status_code == 302
    assert lang_of(browser.get(DEMO)) == "en"


def test_staff_pages_stay_in_english(app, loaded):
    browser = fresh(app, "pl")
    page = browser.get("/staff/login")
    assert lang_of(page) == "en"
    assert "consult-languages" not in html(page)


def test_definition_text_on_a_translated_page_carries_its_own_lang(app, loaded):
    # the 2016 consultation is in English only: its words are marked as English
    lithuanian = BeautifulSoup(html(fresh(app, "lt").get("/c/police-and-crime-plan-2016")),
                               "html.parser")
    assert lithuanian.find("h1")["lang"] == "en"
    # the 2021 one offers Polish: its words are Polish, in a Polish page
    polish = BeautifulSoup(html(fresh(app, "pl").get(THEME_PAGE)), "html.parser")
    assert not polish.find("h1").has_attr("lang")  # the theme's title, in Polish
    assert polish.find("legend").find(attrs={"lang": True}) is None
    english = BeautifulSoup(html(fresh(app, "en").get(THEME_PAGE)), "html.parser")
    assert not english.find("h1").has_attr("lang")
    assert english.find("legend").find(attrs={"lang": True}) is None


def test_saved_answers_come_back_in_the_language_they_were_given_in(app, loaded):
    polish = fresh(app, "pl")
    polish.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    assert db.session.query(Draft.language).scalar() == "pl"
    saved = BeautifulSoup(html(polish.get(f"{DEMO}/saved")), "html.parser")
    code = saved.select_one(".consult-code").get_text()
    # Another device, whose browser asks for English, resumes with the code: Polish again.
    other = fresh(app, "en")
    resumed = other.post(f"{DEMO}/resume", {"code": code}, fetch_first=True)
    assert resumed.status_code == 302
    assert lang_of(other.get(resumed.headers["Location"])) == "pl"
    # A language chosen on this visit before resuming wins, and the draft takes it on.
    lithuanian = fresh(app, "en")
    lithuanian.get(f"{DEMO}/resume?lang=lt")
    resumed = lithuanian.post(f"{DEMO}/resume", {"code": code}, fetch_first=True)
    assert lang_of(lithuanian.get(resumed.headers["Location"])) == "lt"
    lithuanian.post(f"{DEMO}/q/area", {"district": "fenland"})
    db.session.expire_all()
    assert db.session.query(Draft.language).scalar() == "lt"


def test_a_response_stores_the_language_it_was_sent_in(app, loaded):
    browser = fresh(app, "ro")
    check = complete_2021(browser, "resident")
    assert browser.post(check, {}, fetch_first=True).status_code == 302
    assert db.session.query(Response.language).one() == ("ro",)


def test_a_kept_page_is_kept_for_each_language(app, loaded):
    cache = page_cache(app)
    polish = fresh(app, "pl").get(THEME_PAGE)
    hits = cache.hits
    english = fresh(app, "en").get(THEME_PAGE)
    assert cache.hits == hits, "the English page must not come from the Polish one"
    assert lang_of(polish) == "pl" and lang_of(english) == "en"
    again = fresh(app, "pl").get(THEME_PAGE)
    assert cache.hits == hits + 1 and lang_of(again) == "pl"


def test_the_migration_stores_english_for_what_was_there_before(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        upgrade(revision="jobs_0001")
        db.session.execute(sa.text(
            "INSERT INTO consultation (slug, title, summary, opens_at, closes_at, retention_days, "
            "is_demo, definition, definition_sha256, source_path, population, loaded_at) VALUES "
            "('c', 'C', '', '2021-01-01', '2031-01-01', 1, 0, '{}', 'x', '', '{}', '2021-01-01')"))
        db.session.execute(sa.text(
            "INSERT INTO draft (consultation_id, token, answers, channel, created_at, updated_at, "
            "expires_at) VALUES (1, 't', '{}', 'online', '2021-01-01', '2021-01-01', "
            "'2031-01-01')"))
        db.session.commit()
        upgrade()
        assert db.session.execute(sa.text("SELECT language FROM draft")).scalar() == "en"
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("response")}
        assert "language" in columns
        downgrade(revision="jobs_0001")
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("response")}
        assert "language" not in columns
        db.session.remove()


@pytest.fixture
def rtl_app(app, loaded, tmp_path):
    """The app with a test-only language written right to left, with a few words translated."""
    catalog = Catalog(locale="ar")
    words = {"Continue": "متابعة", "Back": "رجوع", "Have your say": "شارك برأيك"}
    for english, arabic in words.items():
        catalog.add(english, arabic)
    mo = tmp_path / "ar" / "LC_MESSAGES" / "messages.mo"
    mo.parent.mkdir(parents=True)
    with mo.open("wb") as out:
        write_mo(out, catalog)
    other = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "LANGUAGES": {**LANGUAGES, "ar": {"name": "العربية", "dir": "rtl"}},
        "BABEL_TRANSLATION_DIRECTORIES": f"translations;{tmp_path}"})
    with other.app_context():
        yield other
        db.session.remove()
        db.engine.dispose()  # its own engine: no connection left open for the collector to find


def test_a_right_to_left_language_sets_dir_and_the_layout_follows_it(rtl_app):
    browser = fresh(rtl_app, "ar")
    g.pop("csrf_token", None)
    page = html(browser.get(THEME_PAGE))
    assert '<html lang="ar" dir="rtl"' in page
    assert "css/rtl.css" in page
    assert "متابعة" in page and "شارك برأيك" in page
    soup = BeautifulSoup(page, "html.parser")
    links = {a["lang"]: a["dir"] for a in soup.select("nav.consult-languages a")}
    assert links == {"en": "ltr", "pl": "ltr", "lt": "ltr", "ro": "ltr"}
    # Pages in a language written left to right do not load the mirrored layout.
    english = html(fresh(rtl_app, "en").get(THEME_PAGE))
    assert '<html lang="en" dir="ltr"' in english and "css/rtl.css" not in english
    with rtl_app.test_client().get("/static/css/rtl.css") as stylesheet:
        assert stylesheet.status_code == 200 and b'[dir="rtl"]' in stylesheet.data


def test_a_language_offered_without_a_compiled_catalog_is_named_at_start(app, caplog):
    other = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "LANGUAGES": {**LANGUAGES, "cy": {"name": "Cymraeg", "dir": "ltr"}}})
    from consult.i18n import missing_catalogs

    assert missing_catalogs(other) == ["cy"]
    assert missing_catalogs(app) == []
    with other.app_context():
        db.engine.dispose()
    assert any("cy" in record.getMessage() and "make translations" in record.getMessage()
               for record in caplog.records)
