"""The Lithuanian and Romanian content files cover every text of their English source.

For each translation file the set of texts is recomputed from its English source: the 2021
consultation read with ``parse_file`` (its blocks included, then the blocks' pages and checks
set aside, since each block has its own file), each block and the organisation file read with
``parse_yaml``. A file must translate each of them and nothing else, leave none in English, and
keep the numbers, phone numbers, emails, addresses of web pages and codes of its source.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from consult.config import INSTANCE_DIR
from consult.definitions import parse_file, parse_yaml

LANGUAGES = ["lt", "ro"]
CONSULTATIONS = INSTANCE_DIR / "consultations"
BLOCKS = INSTANCE_DIR / "blocks"
TRANSLATIONS = INSTANCE_DIR / "translations"
SLUGS = ["police-and-crime-plan-2021"]
BLOCK_NAMES = sorted(path.stem for path in BLOCKS.glob("*.yaml"))

CONSULTATION_TEXTS = ("title", "summary", "time_to_complete", "privacy_notice", "contact")
THEME_TEXTS = ("title", "summary", "what_we_will_do")
PAGE_TEXTS = ("title", "intro")
QUESTION_TEXTS = ("label", "hint", "short_label")
OPTION_TEXTS = ("label", "hint")
# contact's email and phone are not words; data_protection and accessibility are all texts
# except accessibility's dates
ORGANISATION_TEXTS = ("name", "short_name")
CONTACT_TEXTS = ("address",)
# Texts that may read the same in a language as in English (a name or a code, not a word).
SAME_AS_ENGLISH: dict[str, set[str]] = {"lt": set(), "ro": set()}

REVIEW_NOTICE = "awaits review by a fluent speaker before a live consultation"
KEPT = [
    re.compile(r"https?://[^\s)]+[^\s).,;]"),              # addresses of web pages
    re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),           # emails
    re.compile(r"\b0\d{3} \d{3} \d{4}\b"),                 # UK phone numbers
    re.compile(r"\b[A-Z]{1,2}\d{1,2}(?: \d[A-Z]{2})?\b"),  # postcodes and postcode districts
    re.compile(r"\{[a-z_]+\}"),                            # placeholders
    re.compile(r"\d+(?:\.\d+)?"),                          # numbers
]
QUOTED = re.compile(r"[“\"]([^”\"]+)[”\"]")


def _has_text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


# ---------------------------------------------------------------------------------------------
# The texts of an English source, each at its place in a translation file
# ---------------------------------------------------------------------------------------------

def content_texts(raw: dict) -> dict[tuple, str]:
    """place -> English text of a definition or block as parsed (pages without includes)."""
    texts: dict[tuple, str] = {}
    for key in CONSULTATION_TEXTS:
        if _has_text(raw.get(key)):
            texts[(key,)] = raw[key]
    for theme in raw.get("themes") or []:
        for key in THEME_TEXTS:
            if _has_text(theme.get(key)):
                texts[("themes", theme["key"], key)] = theme[key]
    for page in raw.get("pages") or []:
        if "include" in page:
            continue
        for key in PAGE_TEXTS:
            if _has_text(page.get(key)):
                texts[("pages", page["key"], key)] = page[key]
        for question in page.get("questions") or []:
            for key in QUESTION_TEXTS:
                if _has_text(question.get(key)):
                    texts[("questions", question["key"], key)] = question[key]
            for option in question.get("options") or []:
                for key in OPTION_TEXTS:
                    if _has_text(option.get(key)):
                        texts[("questions", question["key"], "options", option["code"], key)] = option[key]
    for i, check in enumerate(raw.get("checks") or []):
        if _has_text(check.get("message")):
            texts[("checks", i, "message")] = check["message"]
    return texts


def read_yaml(path: Path):
    return parse_yaml(path.read_text(encoding="utf-8"))


def consultation_texts(slug: str) -> dict[tuple, str]:
    """The texts of a consultation that are not in one of the blocks it includes."""
    expanded, _ = parse_file(CONSULTATIONS / f"{slug}.yaml", blocks=BLOCKS)
    included = [page["include"] for page in read_yaml(CONSULTATIONS / f"{slug}.yaml")["pages"]
                if "include" in page]
    assert included, "the consultation includes no block: the test would not set any aside"
    texts = content_texts(expanded)
    block_checks = 0
    for name in included:
        block = read_yaml(BLOCKS / f"{name}.yaml")
        block_checks += len(block.get("checks") or [])
        for place in content_texts({"pages": block["pages"]}):
            texts.pop(place, None)
    own_checks = len(expanded.get("checks") or []) - block_checks
    return {place: text for place, text in texts.items()
            if place[0] != "checks" or place[1] < own_checks}


def _proper_name(name: str) -> bool:
    """A name made of capitalised words and codes only (Cambridge, East Cambridgeshire): stays
    as it is in every language. A name with a lower-case word describes a place and is translated."""
    return not any(re.fullmatch(r"[a-z]+", word) for word in re.findall(r"[A-Za-z]+", name))


def organisation_texts(org: dict) -> tuple[dict[tuple, str], dict[tuple, str]]:
    """(texts every translation must have, area names it may translate) of organisation.yaml."""
    texts: dict[tuple, str] = {}
    for key in ORGANISATION_TEXTS:
        if _has_text(org.get(key)):
            texts[(key,)] = org[key]
    for key in CONTACT_TEXTS:
        if _has_text((org.get("contact") or {}).get(key)):
            texts[("contact", key)] = org["contact"][key]
    for section in ("data_protection", "accessibility"):
        for key, value in (org.get(section) or {}).items():
            if _has_text(value):
                texts[(section, key)] = value
    areas = org.get("areas") or {}
    if _has_text(areas.get("label")):
        texts[("areas", "label")] = areas["label"]
    for key in ("outside", "prefer_not_to_say"):
        if _has_text((areas.get(key) or {}).get("name")):
            texts[("areas", key, "name")] = areas[key]["name"]
    names: dict[tuple, str] = {}
    for item in areas.get("items") or []:
        names[("areas", "items", item["code"], "name")] = item["name"]
        for sub in item.get("sub_areas") or []:
            names[("areas", "items", item["code"], "sub_areas", sub["code"], "name")] = sub["name"]
    for place, name in names.items():
        if not _proper_name(name):
            texts[place] = name
    return texts, names


# ---------------------------------------------------------------------------------------------
# The texts of a translation file, at the same places
# ---------------------------------------------------------------------------------------------

def flatten(value, place: tuple = ()) -> dict[tuple, object]:
    if isinstance(value, dict):
        out: dict[tuple, object] = {}
        for key, inner in value.items():
            out.update(flatten(inner, place + (key,)))
        return out
    if isinstance(value, list):
        out = {}
        for i, inner in enumerate(value):
            out.update(flatten(inner, place + (i,)))
        return out
    return {place: value}


def translated_texts(data: dict) -> dict[tuple, object]:
    """place -> text of a translation file; an option given as text is its label, and the
    organisation's areas are placed by code, not position."""
    data = dict(data)
    data.pop("language", None)
    areas = data.pop("areas", None)
    texts: dict[tuple, object] = {}
    for place, value in flatten(data).items():
        if len(place) == 4 and place[0] == "questions" and place[2] == "options":
            place += ("label",)
        texts[place] = value
    if isinstance(areas, dict):
        areas = dict(areas)
        items = areas.pop("items", None) or []
        for place, value in flatten(areas).items():
            texts[("areas",) + place] = value
        for item in items:
            if "name" in item:
                texts[("areas", "items", item.get("code"), "name")] = item["name"]
            for sub in item.get("sub_areas") or []:
                texts[("areas", "items", item.get("code"), "sub_areas", sub.get("code"), "name")] = \
                    sub.get("name")
    return texts


# ---------------------------------------------------------------------------------------------
# The files
# ---------------------------------------------------------------------------------------------

def _cases():
    for language in LANGUAGES:
        for slug in SLUGS:
            yield pytest.param(TRANSLATIONS / "consultations" / f"{slug}.{language}.yaml", language,
                               ("consultation", slug), id=f"{slug}.{language}")
        for name in BLOCK_NAMES:
            yield pytest.param(TRANSLATIONS / "blocks" / f"{name}.{language}.yaml", language,
                               ("block", name), id=f"block-{name}.{language}")
        yield pytest.param(TRANSLATIONS / f"organisation.{language}.yaml", language,
                           ("organisation", None), id=f"organisation.{language}")


CASES = list(_cases())


def english(source: tuple) -> tuple[dict[tuple, str], dict[tuple, str]]:
    """(texts the translation must have, texts it may have) of an English source."""
    kind, name = source
    if kind == "consultation":
        texts = consultation_texts(name)
        return texts, {}
    if kind == "block":
        return content_texts(read_yaml(BLOCKS / f"{name}.yaml")), {}
    return organisation_texts(read_yaml(INSTANCE_DIR / "organisation.yaml"))


def shown(place: tuple) -> str:
    return ".".join(str(part) for part in place)


@pytest.mark.parametrize("path,language,source", CASES)
def test_file_names_its_language_and_awaits_review(path, language, source):
    text = path.read_text(encoding="utf-8")
    header = "".join(line[1:] for line in text.splitlines() if line.startswith("#"))
    assert REVIEW_NOTICE in " ".join(header.split()), f"{path.name}: no review notice at the top"
    assert read_yaml(path)["language"] == language


@pytest.mark.parametrize("path,language,source", CASES)
def test_file_translates_every_text_of_its_source_and_nothing_else(path, language, source):
    required, optional = english(source)
    assert required, f"no English texts found for {source}: the test would prove nothing"
    translated = translated_texts(read_yaml(path))
    missing = sorted(shown(p) for p in set(required) - set(translated))
    unknown = sorted(shown(p) for p in set(translated) - set(required) - set(optional))
    not_text = sorted(shown(p) for p, v in translated.items() if not _has_text(v))
    assert not missing, f"{path.name} lacks {missing}"
    assert not unknown, f"{path.name} has texts its English source does not: {unknown}"
    assert not not_text, f"{path.name}: these are not text: {not_text}"


@pytest.mark.parametrize("path,language,source", CASES)
def test_no_text_is_left_in_english(path, language, source):
    required, optional = english(source)
    sources = {**optional, **required}
    translated = translated_texts(read_yaml(path))
    same = sorted(shown(place) for place, value in translated.items()
                  if place in sources and " ".join(str(value).split()) == " ".join(sources[place].split())
                  and value not in SAME_AS_ENGLISH[language])
    assert not same, f"{path.name} leaves these as in English: {same}"


@pytest.mark.parametrize("path,language,source", CASES)
def test_numbers_phones_emails_web_addresses_and_codes_are_kept(path, language, source):
    required, optional = english(source)
    sources = {**optional, **required}
    translated = translated_texts(read_yaml(path))
    lost = []
    for place, value in translated.items():
        if place not in sources:
            continue
        for pattern in KEPT:
            for token in set(pattern.findall(sources[place])):
                if token not in str(value):
                    lost.append(f"{shown(place)}: {token}")
    assert not lost, f"{path.name} loses {lost}"


@pytest.mark.parametrize("path,language,source", CASES)
def test_a_quoted_answer_is_quoted_as_translated(path, language, source):
    """A message or intro that quotes an answer ("Prefer not to say") quotes that answer's
    translation, so the resident finds it among the answers."""
    required, _ = english(source)
    translated = translated_texts(read_yaml(path))
    labels: dict[str, set[str]] = {}
    for place, text in required.items():
        if place[0] == "questions" and place[-1] == "label" and len(place) == 5:
            labels.setdefault(" ".join(text.split()), set()).add(str(translated.get(place)))
    quoting = 0
    for place, text in required.items():
        for quoted in QUOTED.findall(" ".join(text.split())):
            if quoted in labels:
                quoting += 1
                value = str(translated.get(place))
                assert any(label in value for label in labels[quoted]), \
                    f"{path.name} {shown(place)} should quote one of {sorted(labels[quoted])}"
    if source in [("block", "victims"), ("block", "equality-monitoring")]:
        assert quoting, f"{source[1]} quotes an answer in English: the test should have found it"


def test_every_block_the_consultation_includes_has_its_files():
    """The consultation's own file covers only its own texts; each block it includes has a file
    of its own in every language."""
    for slug in SLUGS:
        raw = read_yaml(CONSULTATIONS / f"{slug}.yaml")
        for page in raw["pages"]:
            if "include" in page:
                for language in LANGUAGES:
                    assert (TRANSLATIONS / "blocks" / f"{page['include']}.{language}.yaml").is_file()


def test_the_english_texts_are_recomputed_from_the_sources():
    """The places the files are held to are those of the sources, counted another way: every
    question of the expanded consultation is either the consultation's or a block's."""
    expanded, _ = parse_file(CONSULTATIONS / "police-and-crime-plan-2021.yaml", blocks=BLOCKS)
    all_questions = {q["key"] for page in expanded["pages"] for q in page.get("questions") or []}
    own = {place[1] for place in consultation_texts("police-and-crime-plan-2021")
           if place[0] == "questions"}
    in_blocks = {q["key"] for name in BLOCK_NAMES
                 for page in read_yaml(BLOCKS / f"{name}.yaml")["pages"]
                 for q in page.get("questions") or []}
    assert own and own.isdisjoint(in_blocks)
    assert own | (all_questions & in_blocks) == all_questions
    assert "victim_satisfaction" in in_blocks and "respondent_type" in own
    # the block's check is the block file's, not the consultation's
    assert expanded.get("checks") and not any(
        place[0] == "checks" for place in consultation_texts("police-and-crime-plan-2021"))
