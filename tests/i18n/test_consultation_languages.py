"""The consultation's own words in another language: the translation files checked against the
definition (every text, naming the file and the place), kept in the stored consultation, covered
by its sha256, and shown on the resident's pages with the right ``lang``."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from consult.codes import SCALES
from consult.definitions import DefinitionError, load_file, read_file
from consult.extensions import db
from consult.i18n import LANGUAGES
from consult.models import Consultation

from survey.conftest import DEMO, PCP_2021, Browser, complete_2021, loaded  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "instance" / "translations"
POLISH = yaml.safe_load((TRANSLATIONS / "consultations" / "police-and-crime-plan-2021.pl.yaml")
                        .read_text("utf-8"))
EQUALITY_PL = yaml.safe_load((TRANSLATIONS / "blocks" / "equality-monitoring.pl.yaml")
                             .read_text("utf-8"))
ORGANISATION_PL = yaml.safe_load((TRANSLATIONS / "organisation.pl.yaml").read_text("utf-8"))


def html(response) -> str:
    return response.get_data(as_text=True)


def in_polish(app) -> Browser:
    browser = Browser(app.test_client())
    browser.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "pl"
    return browser


def copied(tmp_path: Path) -> Path:
    """The shipped translations in a folder of their own, to break in a test."""
    folder = tmp_path / "translations"
    shutil.copytree(TRANSLATIONS, folder)
    return folder


def write(path: Path, data: dict) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")


def test_the_shipped_2021_files_load_and_give_every_text_in_polish(app):
    definition, _ = read_file(PCP_2021)
    assert "pl" in definition["languages"]
    polish = definition["translations"]["pl"]
    assert polish["title"] == POLISH["title"]
    # every question of every page (theme pages repeated per theme) has its Polish label
    questions = [q for page in definition["pages"] for q in page["questions"]]
    assert {q["key"] for q in questions} == set(polish["questions"])
    assert all(polish["questions"][q["key"]]["label"] != q["label"] for q in questions)
    assert len(polish["checks"]) == len(definition["checks"])
    # the district's answers are the organisation's area names in Polish
    district = polish["questions"]["district"]["options"]
    assert district["outside_area"]["label"] == ORGANISATION_PL["areas"]["outside"]["name"]


def test_a_language_missing_texts_is_refused_naming_each_file_and_text(app, tmp_path):
    folder = copied(tmp_path)
    app.config["TRANSLATIONS_FOLDER"] = str(folder)
    own = folder / "consultations" / "police-and-crime-plan-2021.pl.yaml"
    texts = copy.deepcopy(POLISH)  # the module's copy stays whole for the other tests
    del texts["summary"]
    texts["themes"] = {k: v for k, v in POLISH["themes"].items() if k != "crime_prevention"}
    del texts["questions"]["respondent_type"]["options"]["business"]
    del texts["questions"]["postcode_district"]["hint"]
    write(own, texts)
    block = dict(EQUALITY_PL)
    block["questions"] = {k: v for k, v in EQUALITY_PL["questions"].items() if k != "sex"}
    write(folder / "blocks" / "equality-monitoring.pl.yaml", block)
    organisation = dict(ORGANISATION_PL)
    organisation["data_protection"] = {k: v for k, v in ORGANISATION_PL["data_protection"].items()
                                       if k != "rights"}
    write(folder / "organisation.pl.yaml", organisation)
    with pytest.raises(DefinitionError) as refused:
        read_file(PCP_2021)
    problems = refused.value.problems
    expected = [
        (own, "summary"),
        (own, "themes.crime_prevention.title"),
        (own, "themes.crime_prevention.what_we_will_do"),
        (own, "questions.respondent_type.options.business"),
        (own, "questions.postcode_district.hint"),
        (folder / "blocks" / "equality-monitoring.pl.yaml", "questions.sex.label"),
        (folder / "blocks" / "equality-monitoring.pl.yaml", "questions.sex.options.female"),
        (folder / "organisation.pl.yaml", "data_protection.rights"),
    ]
    for path, place in expected:
        assert f"{path}: {place}: is missing" in "\n".join(problems), (place, problems)
    # all at once, and nothing else
    assert len(problems) == len(expected) + 2 + 1  # the theme's summary, sex's other two options


def test_a_missing_file_and_unknown_keys_are_refused(app, tmp_path):
    folder = copied(tmp_path)
    app.config["TRANSLATIONS_FOLDER"] = str(folder)
    (folder / "blocks" / "victims.pl.yaml").unlink()
    texts = dict(POLISH)
    texts["subtitle"] = "Nic"
    texts["questions"] = dict(POLISH["questions"], no_such_question={"label": "Nic"})
    texts["pages"] = dict(POLISH["pages"], equality={"title": "Równość"})
    write(folder / "consultations" / "police-and-crime-plan-2021.pl.yaml", texts)
    with pytest.raises(DefinitionError) as refused:
        read_file(PCP_2021)
    text = "\n".join(refused.value.problems)
    assert f"{folder / 'blocks' / 'victims.pl.yaml'}: the file is missing" in text
    assert "subtitle" in text
    assert "questions.no_such_question: is not a question of these pages" in text
    assert "pages.equality: is a page of block equality-monitoring: give it in " \
           "blocks/equality-monitoring.pl.yaml" in text


def test_the_sha256_covers_the_translation_files(app, tmp_path):
    folder = copied(tmp_path)
    app.config["TRANSLATIONS_FOLDER"] = str(folder)
    first = load_file(PCP_2021)
    assert first.action == "created"
    assert load_file(PCP_2021).action == "unchanged"
    path = folder / "blocks" / "business-crime.pl.yaml"
    texts = yaml.safe_load(path.read_text("utf-8"))
    texts["pages"]["business"]["title"] = "Przestępczość wobec firmy"
    write(path, texts)
    assert load_file(PCP_2021).action == "updated"
    stored = db.session.query(Consultation).filter_by(slug="police-and-crime-plan-2021").one()
    assert stored.definition["translations"]["pl"]["pages"]["business"]["title"] == \
        "Przestępczość wobec firmy"


def test_a_polish_journey_shows_the_consultations_own_words_in_polish(app, loaded):
    browser = in_polish(app)
    start = BeautifulSoup(html(browser.get(DEMO)), "html.parser")
    assert start.html["lang"] == "pl"
    heading = start.find("h1")
    assert heading.get_text(strip=True) == POLISH["title"] and not heading.has_attr("lang")
    assert POLISH["themes"]["crime_prevention"]["title"] in start.get_text()
    assert "dostępne tylko w języku angielskim" not in start.get_text()
    assert not start.select("main [lang=en]")

    page = BeautifulSoup(html(browser.get(f"{DEMO}/q/about_you")), "html.parser")
    legend = page.find("legend")
    assert legend.get_text(strip=True) == POLISH["questions"]["respondent_type"]["label"]
    assert "Lokalna firma" in page.get_text() and "A local business" not in page.get_text()
    assert not page.select("main [lang=en]")
    theme = BeautifulSoup(html(browser.get(f"{DEMO}/q/theme__crime_prevention")), "html.parser")
    assert theme.find("h1").get_text(strip=True) == POLISH["themes"]["crime_prevention"]["title"]

    check = BeautifulSoup(html(browser.get(complete_2021(browser))), "html.parser")
    keys = [dt.get_text(strip=True) for dt in check.select(".govuk-summary-list__key")]
    assert POLISH["questions"]["respondent_type"]["label"] in keys
    assert "Mieszkaniec lub mieszkanka Cambridgeshire albo Peterborough" in check.get_text()
    assert "Poza Cambridgeshire" not in check.get_text()  # fenland was chosen
    # nothing of the consultation's own is in English; a scale's levels are interface words,
    # marked as English until the catalogs give them
    scale = {level["label"] for levels in SCALES.values() for level in levels}
    assert {e.get_text() for e in check.select("main [lang=en]")} <= scale
    sent = browser.post(f"{DEMO}/check", {})
    assert sent.status_code == 302
    confirmation = html(browser.get(f"{DEMO}/confirmation"))
    assert POLISH["title"] in confirmation


def test_a_check_message_is_given_in_polish(app, loaded):
    browser = in_polish(app)
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    answer = browser.post(f"{DEMO}/q/victim_experience", {
        "victim_support_offered": "no", "victim_satisfaction": "satisfied"})
    shown = BeautifulSoup(html(answer), "html.parser").select_one(".govuk-error-summary")
    assert "Podał(a) Pan/Pani, że nie zaproponowano" in shown.get_text()


def test_a_consultation_that_does_not_offer_polish_is_english_marked_and_says_so(app, loaded):
    browser = in_polish(app)
    start = BeautifulSoup(html(browser.get("/c/police-and-crime-plan-2016")), "html.parser")
    assert start.html["lang"] == "pl"
    assert start.find("h1")["lang"] == "en"
    notices = " ".join(n.get_text() for n in start.select(".govuk-inset-text"))
    assert "Te konsultacje są dostępne tylko w języku angielskim." in notices
    assert start.select("nav.consult-languages a")  # the language links stay


def test_the_organisations_texts_are_in_polish_on_its_pages(app, loaded):
    browser = in_polish(app)
    privacy = BeautifulSoup(html(browser.get("/privacy")), "html.parser")
    assert ORGANISATION_PL["data_protection"]["rights"].split(",")[0] in privacy.get_text()
    accessibility = BeautifulSoup(html(browser.get("/accessibility")), "html.parser")
    assert ORGANISATION_PL["accessibility"]["how_tested"][:40] in accessibility.get_text()
    header = accessibility.select_one("header")
    assert ORGANISATION_PL["name"] in header.get_text()
    assert not header.select("[lang=en]")
    english = BeautifulSoup(html(Browser(app.test_client()).get("/accessibility")), "html.parser")
    assert "Cambridgeshire and Peterborough Police and Crime Commissioner" in \
        english.select_one("header").get_text()


def test_an_easy_read_file_without_its_start_intro_is_refused(app, tmp_path):
    folder = copied(tmp_path)
    app.config["TRANSLATIONS_FOLDER"] = str(folder)
    path = folder / "consultations" / "police-and-crime-plan-2021.easy-read.yaml"
    texts = yaml.safe_load(path.read_text("utf-8"))
    del texts["start"]
    texts["themes"]["ethical_policing"].pop("summary")
    write(path, texts)
    with pytest.raises(DefinitionError) as refused:
        read_file(PCP_2021)
    assert sorted(refused.value.problems) == sorted([
        f"{path}: start.intro: is missing; give its Easy Read text",
        f"{path}: themes.ethical_policing.summary: is missing; give its Easy Read text"])


def test_easy_read_on_a_polish_page_is_marked_as_english(app, loaded):
    browser = in_polish(app)
    browser.get(f"{DEMO}?easy_read=1")
    start = BeautifulSoup(html(browser.get(DEMO)), "html.parser")
    assert start.html["lang"] == "pl"
    assert start.find("h1")["lang"] == "en"
    link = start.select_one(".consult-easy-read a")
    assert link.get_text() == "Wersja standardowa"
    assert "dostępne tylko w języku angielskim" not in start.get_text()


def test_the_privacy_page_gives_each_consultations_notice_in_its_language(app, loaded):
    privacy = BeautifulSoup(html(in_polish(app).get("/privacy")), "html.parser")
    notices = {h.get_text(strip=True): h for h in privacy.select("h3")}
    polish = notices[POLISH["title"]]
    assert not polish.has_attr("lang")
    assert POLISH["privacy_notice"][:60] in polish.find_next("p").get_text()
    # in a language it does not offer (Welsh, offered by this app alone): English, marked so
    app.config["LANGUAGES"] = {**LANGUAGES, "cy": {"name": "Cymraeg", "dir": "ltr"}}
    welsh = Browser(app.test_client())
    welsh.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "cy"
    privacy = BeautifulSoup(html(welsh.get("/privacy")), "html.parser")
    assert privacy.html["lang"] == "cy"
    english = next(h for h in privacy.select("h3") if "2021 to 2024" in h.get_text())
    assert english["lang"] == "en" and english.find_next("p")["lang"] == "en"


def test_the_organisations_name_in_polish_is_not_marked_as_english(app, loaded):
    index = BeautifulSoup(html(in_polish(app).get("/")), "html.parser")
    lead = index.select_one("main .govuk-body-l")
    assert ORGANISATION_PL["name"] in lead.get_text() and not lead.select("[lang]")
    footer = index.select_one("footer p.govuk-body-s")
    assert footer.get_text() == ORGANISATION_PL["name"] and not footer.has_attr("lang")


def test_an_area_left_out_keeps_its_place_name_and_an_unknown_one_is_refused(app, tmp_path):
    folder = copied(tmp_path)
    app.config["TRANSLATIONS_FOLDER"] = str(folder)
    organisation = yaml.safe_load((folder / "organisation.pl.yaml").read_text("utf-8"))
    organisation["areas"]["items"] = [{"code": "east_cambridgeshire",
                                       "name": "Wschodnie Cambridgeshire"}]
    write(folder / "organisation.pl.yaml", organisation)
    definition, _ = read_file(PCP_2021)
    names = {code: o["label"] for code, o in
             definition["translations"]["pl"]["questions"]["district"]["options"].items()}
    assert names["east_cambridgeshire"] == "Wschodnie Cambridgeshire"
    assert names["fenland"] == "Fenland"
    organisation["areas"]["items"].append({"code": "norwich", "name": "Norwich"})
    write(folder / "organisation.pl.yaml", organisation)
    with pytest.raises(DefinitionError) as refused:
        read_file(PCP_2021)
    assert any("areas.items.norwich: is not an area code of the organisation" in p
               for p in refused.value.problems)


def test_the_list_of_consultations_gives_each_title_in_its_language(app, loaded):
    index = BeautifulSoup(html(in_polish(app).get("/")), "html.parser")
    links = {a["href"]: a for a in index.select("main a.govuk-link")}
    demo = links[DEMO]
    assert POLISH["title"] in demo.get_text() and not demo.select("[lang]")
    old = links["/c/police-and-crime-plan-2016"]
    assert old["lang"] == "en"
