"""The JSON Schema of a consultation definition: valid, documented, met by the shipped files, and
its problems told in plain English, each at its place, once."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from consult import schema
from consult.definitions import DefinitionError, validate

from .conftest import DEFINITIONS, ROOT

SCHEMAS = ROOT / "consult" / "schemas"
BLOCKS = ROOT / "instance" / "blocks"
# jsonschema's own wording, which a message to the person writing a definition never uses
RAW_WORDING = ("is a required property", "is not of type", "does not match", "is too long",
               "Additional properties", "is not one of", "is too short", "should be non-empty")


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))


def _validator(name: str) -> Draft202012Validator:
    """A validator that resolves one schema's references to the others, as an editor does."""
    registry = Registry().with_resources(
        (path.name, Resource.from_contents(json.loads(path.read_text(encoding="utf-8"))))
        for path in SCHEMAS.glob("*.schema.json"))
    return Draft202012Validator(_schema(name), registry=registry)


def _undocumented(node, where="") -> list[str]:
    found = []
    if isinstance(node, dict):
        for name, sub in (node.get("properties") or {}).items():
            if "description" not in sub:
                found.append(f"{where}.properties.{name}")
        for name, sub in node.items():
            if name != "if":  # a condition's properties are not settings
                found += _undocumented(sub, f"{where}.{name}")
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            found += _undocumented(sub, f"{where}[{i}]")
    return found


@pytest.mark.parametrize("name", ["consultation", "block"])
def test_the_schemas_are_draft_2020_12_and_every_setting_has_a_description(name):
    document = _schema(name)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(document)
    assert document["description"] and _undocumented(document) == []


@pytest.mark.parametrize("path", sorted(DEFINITIONS.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_definitions_as_written_meet_the_schema(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert any("include" in page for page in raw["pages"])  # includes are part of the file's form
    assert list(_validator("consultation").iter_errors(raw)) == []
    assert path.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../consult/schemas/consultation.schema.json\n")


@pytest.mark.parametrize("path", sorted(BLOCKS.glob("*.yaml")), ids=lambda p: p.name)
def test_the_shipped_blocks_meet_the_block_schema(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(_validator("block").iter_errors(raw)) == []
    broken = {**raw, "pages": [{**raw["pages"][0], "colour": "red"}]}
    assert [e.validator for e in _validator("block").iter_errors(broken)] == ["additionalProperties"]


def _problems(raw: dict) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        validate(raw, "broken.yaml")
    return caught.value.problems


def test_structural_problems_are_plain_english_each_at_its_place(raw_definition):
    raw_definition.pop("summary")                                   # a required setting missing
    raw_definition["title"] = ["a", "list"]                         # of the wrong type
    raw_definition["themes"][0]["colour"] = "red"                   # an unknown setting
    raw_definition["reference_prefix"] = "pcp"                      # not in the expected form
    raw_definition["themes"][1]["title"] = "T" * 301                # too long
    raw_definition["pages"][0]["questions"][0]["options"] = []      # too few items
    raw_definition["pages"][2]["for_each_theme"] = "yes"            # not true or false
    found = _problems(raw_definition)
    assert "summary: is missing" in found
    assert "title: should be text, not ['a', 'list']" in found
    assert any(p.startswith("themes[0].colour: is not a known setting here; the settings allowed "
                            "are key, summary, title, what_we_will_do") for p in found), found
    assert "reference_prefix: 'pcp' should be 1 to 6 capital letters or digits, e.g. PCP" in found
    assert "themes[1].title: is 301 characters long; the most allowed is 300" in found
    assert [p for p in found if p.startswith("pages[0].questions[0].options")] == [
        "pages[0].questions[0].options: needs at least two options"]
    assert "pages[2].for_each_theme: should be true or false, not 'yes'" in found
    assert not [p for p in found if any(raw in p for raw in RAW_WORDING)], found


def test_a_place_the_schema_found_wrong_is_reported_once(raw_definition):
    raw_definition["title"] = 5
    raw_definition["themes"][0]["key"] = "Bad Key"
    found = _problems(raw_definition)
    assert [p for p in found if p.startswith("title:")] == ["title: should be text, not 5"]
    assert len([p for p in found if p.startswith("themes[0].key:")]) == 1


def test_schema_and_cross_reference_problems_are_reported_together(raw_definition):
    raw_definition["colour"] = "blue"                                        # the schema
    raw_definition["themes"].append(dict(raw_definition["themes"][0]))      # the code: a repeated key
    raw_definition["pages"][1]["show_if"]["question"] = "shoe_size"         # the code: routing
    found = _problems(raw_definition)
    assert {p.split(": ")[0] for p in found} >= {"colour", "themes[5].key", "pages[1].show_if.question"}


def test_a_question_types_own_settings_are_left_to_its_handler(raw_definition):
    """The schema names the settings every question has; a type's own are checked by code."""
    question = raw_definition["pages"][6]["questions"][0]
    question["max_length"] = "long"
    found = _problems(raw_definition)
    assert found == ["pages[6].questions[0].max_length: should be a whole number from 1 to 5000"]


@pytest.mark.parametrize("rule,value,expected", [
    ({"enum": ["a", "b"]}, "c", "is 'c'; it should be one of a, b"),
    ({"type": "integer"}, "x", "should be a whole number, not 'x'"),
    ({"pattern": "^[a-z]+$"}, "A", "is 'A', which is not in the expected form"),
    ({"maxLength": 3}, "abcd", "is 4 characters long; the most allowed is 3"),
    ({"minimum": 1}, 0, "is 0; the least allowed is 1"),
    ({"pattern": "^x$", "errorMessage": {"pattern": "{value} is not x"}}, "y", "'y' is not x"),
])
def test_the_common_rules_are_told_in_plain_english(rule, value, expected):
    (error,) = Draft202012Validator(rule).iter_errors(value)
    assert schema._message(error) == expected
