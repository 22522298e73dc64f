"""Every shipped language has every word of the interface, translated and not fuzzy.

The words are extracted afresh from the code and templates (as `make translations-extract`
does), so a word added to a page and not to a catalog fails here.
"""
from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from consult.catalogs import catalog_path, extract
from consult.i18n import LANGUAGES

from .conftest import SHIPPED

PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%\{[a-z]+\}")
TAG = re.compile(r"<[^>]+>")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    pot = extract(tmp_path_factory.mktemp("pot") / "messages.pot")
    with pot.open("rb") as source:
        catalog = read_po(source)
    messages = [m for m in catalog if m.id]
    assert len(messages) > 100, "the extraction found too few words: is babel.cfg right?"
    return messages


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]


def _english(message) -> list[str]:
    return list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]


def problems(template, language: str, path=None) -> list[str]:
    with (path or catalog_path(language)).open("rb") as source:
        catalog = read_po(source, locale=language)
    found = []
    for wanted in template:
        message = catalog.get(wanted.id)
        name = _english(wanted)[0][:70]
        if message is None:
            found.append(f"{language}: missing: {name!r}")
            continue
        if message.fuzzy:
            found.append(f"{language}: fuzzy: {name!r}")
        forms = _forms(message)
        english = _english(wanted)
        if isinstance(wanted.id, (list, tuple)) and len(forms) != catalog.num_plurals:
            found.append(f"{language}: {len(forms)} plural forms, "
                         f"not {catalog.num_plurals}: {name!r}")
        for index, form in enumerate(forms):
            same_as = english[min(index, len(english) - 1)]
            if not form.strip():
                found.append(f"{language}: untranslated: {name!r}")
            elif form == same_as:
                found.append(f"{language}: the same as the English: {name!r}")
            elif sorted(PLACEHOLDER.findall(form)) != sorted(PLACEHOLDER.findall(same_as)):
                found.append(f"{language}: placeholders differ from the English: {name!r}")
            elif sorted(TAG.findall(form)) != sorted(TAG.findall(same_as)):
                found.append(f"{language}: HTML tags differ from the English: {name!r}")
    for message in catalog:
        if message.id and message.fuzzy:
            found.append(f"{language}: fuzzy: {_english(message)[0][:70]!r}")
    return found


@pytest.mark.parametrize("language", SHIPPED)
def test_every_word_of_the_interface_is_translated_and_not_fuzzy(template, language):
    assert problems(template, language) == []


@pytest.mark.parametrize("language", SHIPPED)
def test_each_catalog_says_it_awaits_review_by_a_fluent_speaker(language):
    header = catalog_path(language).read_text(encoding="utf-8").split("msgid", 1)[0]
    assert "awaits review by a fluent" in header


def test_the_check_finds_a_missing_a_fuzzy_and_an_english_word(template, tmp_path):
    """The check itself can fail: a catalog with one word gone, one fuzzy, one left in English."""
    from babel.messages.pofile import write_po

    with catalog_path("pl").open("rb") as source:
        catalog = read_po(source, locale="pl")
    catalog.delete("Back")
    catalog["Continue"].flags.add("fuzzy")
    catalog["Start now"].string = "Start now"
    broken = tmp_path / "pl" / "LC_MESSAGES" / "messages.po"
    broken.parent.mkdir(parents=True)
    with broken.open("wb") as out:
        write_po(out, catalog)
    found = problems(template, "pl", broken)
    assert "pl: missing: 'Back'" in found
    assert "pl: fuzzy: 'Continue'" in found
    assert "pl: the same as the English: 'Start now'" in found


def test_every_catalog_in_the_repository_is_a_language_offered():
    from consult.catalogs import TRANSLATIONS

    on_disk = {p.parent.parent.name for p in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}
    assert on_disk == set(LANGUAGES) - {"en"}
