"""Easy Read: a consultation with ``easy_read: true`` offers its Easy Read version on every page;
the resident switches to it and back with a plain link (kept for the visit), and the start page,
themes, questions and answer choices then show their Easy Read texts."""
from __future__ import annotations

from pathlib import Path

import yaml
from bs4 import BeautifulSoup

from survey.conftest import DEMO, Browser, complete_2021

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "instance" / "translations"
EASY = yaml.safe_load((FOLDER / "consultations" / "police-and-crime-plan-2021.easy-read.yaml")
                      .read_text("utf-8"))
EASY_VICTIMS = yaml.safe_load((FOLDER / "blocks" / "victims.easy-read.yaml").read_text("utf-8"))


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.get_data(as_text=True), "html.parser")


def easy_read_link(page: BeautifulSoup):
    return page.select_one(".consult-easy-read a")


def switch(browser: Browser, page: BeautifulSoup, at: str) -> BeautifulSoup:
    link = easy_read_link(page)
    followed = browser.get(link["href"])
    assert followed.status_code == 302 and followed.headers["Location"].endswith(at)
    return soup(browser.get(at))


def test_every_page_of_the_consultation_links_to_its_easy_read_version(browser):
    for address in (DEMO, f"{DEMO}/q/about_you", f"{DEMO}/q/theme__crime_prevention",
                    f"{DEMO}/resume"):
        link = easy_read_link(soup(browser.get(address)))
        assert link is not None and link.get_text() == "Easy Read version", address
    # a consultation without one has no link
    assert easy_read_link(soup(browser.get("/c/police-and-crime-plan-2016"))) is None


def test_easy_read_on_and_off_on_any_page(browser):
    question = f"{DEMO}/q/about_you"
    standard = soup(browser.get(question))
    assert standard.find("legend").get_text(strip=True) == "Which of these best describes you?"
    easy = switch(browser, standard, question)
    assert easy.find("legend").get_text(strip=True) == EASY["questions"]["respondent_type"]["label"]
    labels = [label.get_text(strip=True) for label in easy.select(".govuk-radios__label")]
    assert EASY["questions"]["respondent_type"]["options"]["business"] in labels
    assert easy_read_link(easy).get_text() == "Standard version"
    assert not easy.select("main [lang]")  # Easy Read is English, as the page is

    # kept for the visit: the start page and a theme are in Easy Read too
    start = soup(browser.get(DEMO))
    assert start.find("h1").get_text(strip=True) == EASY["title"]
    assert EASY["start"]["intro"] in start.get_text()
    assert EASY["themes"]["crime_prevention"]["title"] in start.get_text()
    theme = soup(browser.get(f"{DEMO}/q/theme__crime_prevention"))
    assert theme.find("h1").get_text(strip=True) == EASY["themes"]["crime_prevention"]["title"]
    assert EASY["themes"]["crime_prevention"]["what_we_will_do"] in theme.get_text()

    back = switch(browser, start, DEMO)
    assert back.find("h1").get_text(strip=True) == "Police and Crime Plan 2021 to 2024 consultation"
    again = soup(browser.get(question))  # a page kept in memory is kept per choice
    assert again.find("legend").get_text(strip=True) == "Which of these best describes you?"


def test_a_block_and_check_answers_in_easy_read(browser):
    browser.get(f"{DEMO}?easy_read=1")
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "victim_or_witness"})
    victims = soup(browser.get(f"{DEMO}/q/victim_experience"))
    assert EASY_VICTIMS["pages"]["victim_experience"]["title"] in victims.get_text()
    check = soup(browser.get(complete_2021(browser, "victim_or_witness")))
    keys = [dt.get_text(strip=True) for dt in check.select(".govuk-summary-list__key")]
    assert EASY_VICTIMS["questions"]["victim_reported"]["label"] in keys
    assert EASY["questions"]["respondent_type"]["options"]["victim_or_witness"] in check.get_text()


def test_the_choice_is_for_the_consultation_it_was_made_on(browser):
    browser.get(f"{DEMO}?easy_read=1")
    assert soup(browser.get(DEMO)).find("h1").get_text(strip=True) == EASY["title"]
    other = soup(browser.get("/c/police-and-crime-plan-2021"))
    assert other.find("h1").get_text(strip=True) != EASY["title"]
