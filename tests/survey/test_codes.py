"""Every code list is defined once, in consult/codes.py, and read from there."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from consult import codes
from consult.definitions import DefinitionError, parse_file, validate
from consult.survey import drafts, submission

from .conftest import PCP_2016, PCP_2021, raw_2021

CONSULT = Path(codes.__file__).resolve().parent


def test_each_scale_has_five_views_from_two_to_minus_two_and_a_no_view():
    for name, levels in codes.SCALES.items():
        values = [level["value"] for level in levels]
        assert values == [2, 1, 0, -1, -2, None], name
        assert len({level["code"] for level in levels}) == len(levels), name
        assert all(level["label"] for level in levels), name
        assert codes.parse_levels(codes.levels_text(levels)) == [
            (level["code"], level["value"]) for level in levels]
    assert codes.DEFAULT_SCALE in codes.SCALES and set(codes.SCALE_VERBS) == set(codes.SCALES)


@pytest.mark.parametrize("path", [PCP_2021, PCP_2016], ids=lambda p: p.stem)
def test_the_shipped_equality_questions_ask_the_ons_2021_groups(path):
    raw = parse_file(path)[0]  # with the blocks it includes
    asked = {q["key"]: q for page in raw["pages"] for q in page["questions"]
             if q["key"] in codes.EQUALITY_GROUPS}
    assert asked, "the consultation asks no equality questions"
    for key, question in asked.items():
        if "code_list" in question:
            assert question["code_list"] == key
            continue
        given = [(str(o["code"]), " ".join(str(o["label"]).split())) for o in question["options"]]
        assert given == list(codes.EQUALITY_GROUPS[key]), key


def test_a_choice_question_can_take_its_options_from_a_code_list():
    raw = raw_2021()
    equality = next(p for p in raw["pages"] if p["key"] == "equality")
    ethnicity = next(q for q in equality["questions"] if q["key"] == "ethnicity")
    del ethnicity["options"]
    ethnicity["code_list"] = "ethnicity"
    definition = validate(raw, "t.yaml")
    question = next(q for p in definition["pages"] for q in p["questions"]
                    if q["key"] == "ethnicity")
    assert [(o["code"], o["label"]) for o in question["options"]] == list(
        codes.EQUALITY_GROUPS["ethnicity"])
    ethnicity["code_list"] = "ethnic_groups"
    with pytest.raises(DefinitionError) as error:
        validate(raw, "t.yaml")
    assert any(p.startswith("pages[") and ".code_list: 'ethnic_groups' is not a code list" in p
               for p in error.value.problems)


def test_a_support_question_names_a_scale_of_the_small_set():
    raw = raw_2021()
    theme_page = next(p for p in raw["pages"] if p.get("for_each_theme"))
    support = next(q for q in theme_page["questions"] if q["type"] == "support")
    support["scale"] = "agreement"
    definition = validate(raw, "t.yaml")
    question = next(q for p in definition["pages"] for q in p["questions"]
                    if q["type"] == "support")
    assert question["scale"] == "agreement"
    assert question["options"] == codes.SCALES["agreement"]
    support["scale"] = "satisfaction"
    with pytest.raises(DefinitionError) as error:
        validate(raw, "t.yaml")
    assert any(".scale: 'satisfaction' is not a scale; the scales are support, agreement" in p
               for p in error.value.problems)


def test_references_and_resume_codes_use_the_reference_alphabet():
    reference = submission.new_reference("PCP")
    assert re.fullmatch(f"PCP-[{codes.REFERENCE_ALPHABET}]{{4}}-[{codes.REFERENCE_ALPHABET}]{{4}}",
                        reference)
    assert drafts.ALPHABET is codes.REFERENCE_ALPHABET
    assert not set("01IO") & set(codes.REFERENCE_ALPHABET) and len(codes.REFERENCE_ALPHABET) == 32


def test_no_module_keeps_its_own_copy_of_a_code_list():
    """The labels of the scales, channels and statuses, and the alphabet, appear once in
    consult/."""
    texts = {path: path.read_text(encoding="utf-8") for path in CONSULT.rglob("*.py")
             if path.name != "codes.py" and "plans" not in path.parts}
    facts = ([level["label"] for levels in codes.SCALES.values() for level in levels]
             + [label for _, label in codes.CHANNELS + codes.RESPONSE_STATUSES]
             + [codes.REFERENCE_ALPHABET])
    for fact in facts:
        copies = [str(path.relative_to(CONSULT)) for path, text in texts.items()
                  if f'"{fact}"' in text or f"'{fact}'" in text]
        assert not copies, (fact, copies)
