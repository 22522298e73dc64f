"""Each question type: its fields accept what they should, refuse the rest in plain English."""
from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from consult import create_app
from consult.definitions import validate
from consult.survey.forms import build_form, page_answers, validate_answers
from consult.survey.handlers import HANDLERS, clean_text
from consult.survey.journey import find_page

from .conftest import raw_2021


@pytest.fixture(autouse=True)
def request_context():
    """Forms need an app; these tests need no database."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        yield


def definition_with(*questions, themes=True) -> dict:
    raw = raw_2021()
    raw["pages"] = [{"key": "only", "title": "Only page", "questions": list(questions)}]
    raw.pop("checks", None)  # they name questions of the pages just replaced
    return validate(raw, "test.yaml")


def submit(definition, data, page_key="only"):
    page = find_page(definition, page_key)
    form = build_form(page, formdata=MultiDict(data), csrf=False)
    ok = form.validate()
    return ok, (page_answers(page, form) if ok else form.errors)


def test_every_question_type_has_a_handler_and_a_template():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    for handler in HANDLERS.values():
        assert (root / handler.template).exists(), handler.template


SINGLE = {"key": "colour", "type": "single_choice", "label": "Which colour?", "required": True,
          "options": [{"code": "red", "label": "Red"}, {"code": "blue", "label": "Blue"}]}


@pytest.mark.parametrize("data,expected", [
    ([("colour", "red")], (True, {"colour": "red"})),
    ([], (False, {"colour": ["Select an answer: Which colour"]})),
    ([("colour", "green")], (False, {"colour": ["Select one of the answers shown: Which colour"]})),
])
def test_single_choice(data, expected):
    assert submit(definition_with(SINGLE), data) == expected


def test_single_choice_not_required_may_be_skipped():
    assert submit(definition_with({**SINGLE, "required": False}), []) == (True, {})


MULTI = {"key": "crimes", "type": "multiple_choice", "label": "Which crimes?",
         "options": [{"code": "theft", "label": "Theft"}, {"code": "fraud", "label": "Fraud"},
                     {"code": "none", "label": "None of these", "exclusive": True}]}


@pytest.mark.parametrize("data,expected", [
    ([("crimes", "theft"), ("crimes", "fraud")], (True, {"crimes": ["theft", "fraud"]})),
    ([("crimes", "theft"), ("crimes", "theft")], (True, {"crimes": ["theft"]})),
    ([("crimes", "none")], (True, {"crimes": ["none"]})),
    ([], (True, {})),
    ([("crimes", "theft"), ("crimes", "none")],
     (False, {"crimes": ["Select the answers that apply, or select “None of these” on its own"]})),
    ([("crimes", "arson")], (False, {"crimes": ["Select only the answers shown: Which crimes"]})),
])
def test_multiple_choice_with_an_exclusive_none(data, expected):
    assert submit(definition_with(MULTI), data) == expected


def test_support_scale_per_theme():
    definition = validate(raw_2021(), "x.yaml")
    ok, answers = submit(definition, [("support__ethical_policing", "strongly_oppose")], "theme__ethical_policing")
    assert ok and answers == {"support__ethical_policing": "strongly_oppose"}
    ok, errors = submit(definition, [("support__ethical_policing", "love_it")], "theme__ethical_policing")
    assert not ok and "support__ethical_policing" in errors


def test_free_text_limit_counts_a_line_break_as_one_character():
    definition = validate(raw_2021(), "x.yaml")
    text = ("a" * 499 + "\r\n") + "b" * 499  # 1,000 characters once \r\n is one line break
    ok, answers = submit(definition, [("comment__crime_prevention", text)], "theme__crime_prevention")
    assert ok and answers["comment__crime_prevention"] == "a" * 499 + "\n" + "b" * 499
    ok, errors = submit(definition, [("comment__crime_prevention", "x" * 1001)], "theme__crime_prevention")
    assert errors == {"comment__crime_prevention": ["Your comment must be 1,000 characters or fewer (it is 1,001 now)"]}


def test_free_text_drops_control_characters_postgresql_refuses():
    assert clean_text("  a\x00b\x07c\r\nd\t ") == "abc\nd"


@pytest.mark.parametrize("typed,stored", [
    ("cb1", "CB1"), (" pe13 ", "PE13"), ("PE13 2AB", "PE13"), ("cb12ab", "CB1"), ("sw1a", "SW1A"),
    ("", None),
])
def test_postcode_district_is_normalised_to_an_outward_code(typed, stored):
    definition = validate(raw_2021(), "x.yaml")
    ok, answers = submit(definition, [("district", "cambridge"), ("postcode_district", typed)], "area")
    assert ok and answers.get("postcode_district") == stored


@pytest.mark.parametrize("typed", ["CB", "12", "Cambridge", "CB1 2", "X" * 200, "1CB"])
def test_postcode_district_refuses_what_is_not_one(typed):
    definition = validate(raw_2021(), "x.yaml")
    ok, errors = submit(definition, [("postcode_district", typed)], "area")
    areas = definition["areas"]["items"]
    like = f"{areas[0]['postcode_districts'][0]} or {areas[-1]['postcode_districts'][0]}"
    assert errors == {"postcode_district": [f"Enter the first part of a postcode, like {like}, or leave it blank"]}


def test_postcode_examples_come_from_the_areas_of_the_consultation():
    raw = raw_2021()
    raw["areas"] = {"label": "Ward", "population_source": "x", "population_year": 2021,
                    "items": [{"code": "a", "name": "A", "postcode_districts": ["NR1", "NR2"]},
                              {"code": "b", "name": "B"},
                              {"code": "c", "name": "C", "postcode_districts": ["IP24"]}],
                    "outside": {"code": "out", "name": "Out"},
                    "prefer_not_to_say": {"code": "pnts", "name": "Prefer not to say"}}
    ok, errors = submit(validate(raw, "x.yaml"), [("postcode_district", "??")], "area")
    assert errors == {"postcode_district": ["Enter the first part of a postcode, like NR1 or IP24, or leave it blank"]}


def test_district_codes_are_the_contract_ones():
    definition = validate(raw_2021(), "x.yaml")
    assert submit(definition, [("district", "outside_area")], "area") == (True, {"district": "outside_area"})
    assert not submit(definition, [("district", "cambs")], "area")[0]


NUMBER = {"key": "officers", "type": "number", "label": "How many officers?", "min": 0, "max": 500,
          "suffix": "officers"}


@pytest.mark.parametrize("typed,result", [
    ("12", (True, {"officers": 12})),
    (" 1,200 ", (False, {"officers": ["How many officers must be between 0 and 500"]})),
    ("450", (True, {"officers": 450})),
    ("-1", (False, {"officers": ["How many officers must be between 0 and 500"]})),
    ("twelve", (False, {"officers": ["How many officers must be a whole number, like 12"]})),
    ("1.5", (False, {"officers": ["How many officers must be a whole number, like 12"]})),
    ("9" * 400, (False, {"officers": ["How many officers must be a whole number, like 12"]})),
    ("", (True, {})),
])
def test_number(typed, result):
    assert submit(definition_with(NUMBER), [("officers", typed)]) == result


THEMES = ["communities_first", "crime_prevention", "victims_and_witnesses", "ethical_policing", "robust_enforcement"]


def ranks(*values):
    return [(f"rank__{t}", v) for t, v in zip(THEMES, values)]


def test_ranking_complete_and_unique_is_stored_as_ints():
    definition = validate(raw_2021(), "x.yaml")
    ok, answers = submit(definition, ranks("2", "1", "5", "3", "4"), "ranking")
    assert ok and answers == {"rank__communities_first": 2, "rank__crime_prevention": 1,
                              "rank__victims_and_witnesses": 5, "rank__ethical_policing": 3,
                              "rank__robust_enforcement": 4}


def test_ranking_left_blank_is_allowed():
    definition = validate(raw_2021(), "x.yaml")
    assert submit(definition, ranks("", "", "", "", ""), "ranking") == (True, {})


def test_ranking_errors_name_each_theme():
    definition = validate(raw_2021(), "x.yaml")
    ok, errors = submit(definition, ranks("1", "1", "2", "", "9"), "ranking")
    assert not ok
    assert errors["rank__communities_first"] == [
        "You gave 1 to more than one theme. Give Putting Communities First a different number: each number from 1 to 5 once"]
    assert errors["rank__crime_prevention"][0].startswith("You gave 1 to more than one theme. Give Crime Prevention")
    assert errors["rank__ethical_policing"] == [
        "Give Ethical Policing a number from 1 to 5, or leave every theme blank if you prefer not to rank them"]
    assert errors["rank__robust_enforcement"] == ["Choose a number from 1 to 5 for Robust Enforcement"]
    assert "rank__victims_and_witnesses" not in errors


def test_validate_answers_checks_a_whole_dict_like_the_pages_do():
    definition = validate(raw_2021(), "x.yaml")
    clean, errors = validate_answers(definition, {
        "respondent_type": "business", "business_crimes": ["shoplifting"],
        "victim_reported": "yes",  # a victim page, hidden for a business: dropped
        "postcode_district": "cb1 2ab", "rank__crime_prevention": 1, "unknown_column": "x"})
    assert errors == {"rank__communities_first": [
        "Give Putting Communities First a number from 1 to 5, or leave every theme blank if you prefer not to rank them"][0],
        "rank__victims_and_witnesses": errors["rank__victims_and_witnesses"],
        "rank__ethical_policing": errors["rank__ethical_policing"],
        "rank__robust_enforcement": errors["rank__robust_enforcement"]}
    clean, errors = validate_answers(definition, {
        "respondent_type": "business", "business_crimes": ["shoplifting"], "victim_reported": "yes",
        "postcode_district": "cb1 2ab", "unknown_column": "x"})
    assert errors == {}
    assert clean == {"respondent_type": "business", "business_crimes": ["shoplifting"],
                     "postcode_district": "CB1"}
