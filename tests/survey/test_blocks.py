"""Blocks: pages kept once in the blocks folder and included by a definition by name."""
from __future__ import annotations

import hashlib
import shutil
import textwrap
from pathlib import Path

import pytest

from consult.definitions import (MAX_INCLUDES, DefinitionError, blocks_folder, load_file, parse_file,
                                 parse_yaml, read_file, validate)
from consult.extensions import db
from consult.models import Question

from .conftest import PCP_2016, PCP_2021, ROOT

BLOCKS = ROOT / "instance" / "blocks"
BEFORE = ROOT / "tests" / "fixtures" / "definitions"  # the shipped files as they were before blocks

HEAD = """\
slug: small-plan
title: A small consultation
summary: What it is for.
reference_prefix: SP
opens_at: "2021-06-30 00:00"
closes_at: "2021-07-30 23:59"
themes:
  - {key: one, title: One, summary: The first, what_we_will_do: We will do one.}
  - {key: two, title: Two, summary: The second, what_we_will_do: We will do two.}
pages:
  - key: about_you
    title: About you
    questions:
      - key: respondent_type
        type: single_choice
        label: Who are you?
        options:
          - {code: resident, label: A resident}
          - {code: victim_or_witness, label: A victim or witness}
"""

BLOCK = """\
description: One page of one question.
pages:
  - key: colour
    title: Colours
    questions:
      - key: colour
        type: single_choice
        label: Which colour?
        options:
          - {code: red, label: Red}
          - {code: blue, label: Blue}
"""


def definition(tmp_path: Path, pages: str = "", name: str = "plan.yaml") -> Path:
    """A definition in its own folder (as an upload is), its extra pages after about_you."""
    folder = tmp_path / "definitions"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(HEAD + textwrap.indent(textwrap.dedent(pages), "  "), encoding="utf-8")
    return path


@pytest.fixture
def blocks(tmp_path) -> Path:
    folder = tmp_path / "blocks"
    folder.mkdir()
    (folder / "colour.yaml").write_text(BLOCK, encoding="utf-8")
    return folder


def problems(path: Path, blocks: Path) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        read_file(path, blocks)
    assert str(caught.value).startswith(f"{path}: ")
    return caught.value.problems


@pytest.mark.parametrize("shipped", [PCP_2021, PCP_2016], ids=["2021", "2016"])
def test_the_shipped_definitions_include_blocks_and_are_what_they_were_before(shipped):
    before = BEFORE / shipped.name.replace(".yaml", ".before-blocks.yaml")
    text = shipped.read_text(encoding="utf-8")
    assert "- include: equality-monitoring" in text and "key: age_band" not in text
    old_raw = parse_yaml(before.read_text(encoding="utf-8"))
    raw, _ = parse_file(shipped)
    # what offers it in other languages came after the blocks (tests/i18n)
    variants = ("languages", "easy_read", "translations")
    raw = {k: v for k, v in raw.items() if k not in variants}
    assert raw == old_raw  # every page in its place, word for word
    read = {k: v for k, v in read_file(shipped)[0].items() if k not in variants}
    assert read == validate(old_raw, str(before))


def test_the_2021_definition_takes_the_victims_and_business_pages_from_blocks():
    text = PCP_2021.read_text(encoding="utf-8")
    assert "- include: victims" in text and "- include: business-crime" in text
    raw, _ = parse_file(PCP_2021)
    keys = [p["key"] for p in raw["pages"]]
    assert keys == ["about_you", "victim_experience", "business", "area", "theme", "ranking",
                    "missing", "equality"]
    # the victims' check comes with their page
    assert "checks:" not in text
    assert raw["checks"] == parse_yaml((BLOCKS / "victims.yaml").read_text(encoding="utf-8"))["checks"]
    for name, key in (("victims", "victim_experience"), ("business-crime", "business"),
                      ("equality-monitoring", "equality")):
        block = parse_yaml((BLOCKS / f"{name}.yaml").read_text(encoding="utf-8"))
        assert [p for p in raw["pages"] if p["key"] == key] == block["pages"]


def test_the_sha256_covers_the_blocks_so_a_changed_block_updates_the_consultation(app, tmp_path, blocks):
    app.config["BLOCKS_FOLDER"] = str(blocks)
    path = definition(tmp_path, "  - include: colour\n")
    assert load_file(path).action == "created"
    assert load_file(path).action == "unchanged"
    _, before = read_file(path)
    assert before != hashlib.sha256(path.read_bytes()).hexdigest()
    (blocks / "colour.yaml").write_text(BLOCK.replace("Which colour?", "Which colour do you like?"))
    _, after = read_file(path)
    assert after != before
    assert load_file(path).action == "updated"
    db.session.expire_all()
    assert db.session.query(Question).filter_by(key="colour").one().label == "Which colour do you like?"


def test_a_definition_without_blocks_keeps_its_files_own_sha256(tmp_path, blocks):
    path = definition(tmp_path)
    assert read_file(path, blocks)[1] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_blocks_come_from_the_blocks_folder_setting_never_from_beside_the_definition(app, tmp_path, blocks):
    path = definition(tmp_path, "  - include: colour\n")
    shutil.copy(blocks / "colour.yaml", path.parent / "colour.yaml")  # beside it: not read
    app.config["BLOCKS_FOLDER"] = str(tmp_path / "empty")
    assert blocks_folder() == tmp_path / "empty"
    (problem,) = problems(path, None)
    assert problem.startswith("pages[1].include: block 'colour' (") and "no such block" in problem
    app.config["BLOCKS_FOLDER"] = str(blocks)
    assert [p["key"] for p in read_file(path)[0]["pages"]] == ["about_you", "colour"]


def test_without_an_app_blocks_are_read_from_instance_blocks():
    assert blocks_folder() == BLOCKS


def test_an_unknown_block_is_named_with_the_blocks_there_are(tmp_path, blocks):
    path = definition(tmp_path, "  - include: colours\n")
    (problem,) = problems(path, blocks)
    assert problem == (f"pages[1].include: block 'colours' ({blocks / 'colours.yaml'}): there is "
                       "no such block; the blocks are colour")


@pytest.mark.parametrize("name", ["../definitions/plan", "Colour", "/etc/passwd", 12, ""])
def test_a_block_name_that_is_not_a_file_name_is_refused(tmp_path, blocks, name):
    path = definition(tmp_path, f"  - include: {name!r}\n" if isinstance(name, str) else f"  - include: {name}\n")
    (problem,) = problems(path, blocks)
    assert problem.startswith("pages[1].include: ") and "is not a block name" in problem


def test_an_include_with_other_settings_is_refused(tmp_path, blocks):
    path = definition(tmp_path, "  - {include: colour, title: Colours}\n")
    assert problems(path, blocks) == [
        "pages[1]: an include names a block and nothing else (- include: NAME), but this one "
        "also has title"]


def test_a_block_that_includes_itself_is_refused(tmp_path, blocks):
    (blocks / "loop.yaml").write_text("pages:\n  - include: colour\n  - include: loop\n")
    path = definition(tmp_path, "  - include: loop\n")
    (problem,) = problems(path, blocks)
    assert problem == (f"{blocks / 'loop.yaml'} pages[1].include: block 'loop' includes itself "
                       "(loop includes loop); a block cannot include itself, even through another block")


def test_blocks_that_include_each_other_are_refused(tmp_path, blocks):
    (blocks / "first.yaml").write_text("pages:\n  - include: second\n")
    (blocks / "second.yaml").write_text("pages:\n  - include: colour\n  - include: first\n")
    path = definition(tmp_path, "  - include: first\n")
    (problem,) = problems(path, blocks)
    assert problem.startswith(f"{blocks / 'second.yaml'} pages[1].include: block 'first' includes "
                              "itself (first includes second includes first)")


def test_a_block_may_include_another(tmp_path, blocks):
    (blocks / "outer.yaml").write_text("pages:\n  - include: colour\n")
    path = definition(tmp_path, "  - include: outer\n")
    assert [p["key"] for p in read_file(path, blocks)[0]["pages"]] == ["about_you", "colour"]


def test_a_definition_includes_a_limited_number_of_blocks(tmp_path, blocks):
    (blocks / "empty.yaml").write_text("pages:\n  - include: colour\n")
    path = definition(tmp_path, "  - include: empty\n" * (MAX_INCLUDES + 5))
    found = problems(path, blocks)
    assert found == [f"pages[{MAX_INCLUDES // 2 + 1}].include: a definition may include at most "
                     f"{MAX_INCLUDES} blocks, counting those blocks include"]


@pytest.mark.parametrize("content,message", [
    ("pages: [unclosed\n", "line 2, column 1: this is not valid YAML"),
    ("- a list\n", "a block should hold pages: a list of one or more pages"),
    ("pages: []\n", "a block should hold pages: a list of one or more pages"),
    ("description: x\n", "a block should hold pages: a list of one or more pages"),
    ("base: &b {x: 1}\npages: [*b]\n", "aliases (*name) are not allowed"),
])
def test_a_bad_block_file_is_explained_with_its_file(tmp_path, blocks, content, message):
    (blocks / "bad.yaml").write_text(content)
    path = definition(tmp_path, "  - include: bad\n")
    (problem,) = problems(path, blocks)
    assert problem.startswith(f"pages[1].include: block 'bad' ({blocks / 'bad.yaml'}): ")
    assert message in problem, problem


def test_a_block_that_is_not_utf8_is_explained(tmp_path, blocks):
    (blocks / "latin.yaml").write_bytes("pages: [caf\xe9]".encode("latin-1"))
    (problem,) = problems(definition(tmp_path, "  - include: latin\n"), blocks)
    assert problem.endswith("(" + str(blocks / "latin.yaml") + "): the file is not UTF-8 text")


def test_unknown_settings_of_a_block_are_named_in_its_file(tmp_path, blocks):
    (blocks / "extra.yaml").write_text(BLOCK.replace("description:", "colour: red\ndescription:"))
    (problem,) = problems(definition(tmp_path, "  - include: extra\n"), blocks)
    assert problem == (f"{blocks / 'extra.yaml'} colour: is not a known setting of a block; the "
                       "settings allowed are checks, description, pages")


def test_a_problem_in_an_included_page_is_placed_in_the_block_file(tmp_path, blocks):
    broken = BLOCK.replace("code: red", "code: Red").replace("  - key: colour\n    title",
                                                             "  - key: shade\n    title: Shades\n"
                                                             "    questions: []\n  - key: colour\n    title")
    (blocks / "broken.yaml").write_text(broken)
    path = definition(tmp_path, """\
      - include: broken
      - key: later
        questions:
          - {key: later, type: free_text, label: Anything else}
    """)
    found = problems(path, blocks)
    block = blocks / "broken.yaml"
    assert f"{block} pages[0].questions: should be a list of at least one question" in found
    assert any(p.startswith(f"{block} pages[1].questions[0].options[0].code: 'Red' is not a valid code")
               for p in found), found
    # the definition's own page after the block keeps its place in the definition
    assert "pages[2].title: is missing" in found, found


def test_validate_includes_blocks_too(blocks):
    raw = parse_yaml(HEAD + "  - include: colour\n")
    assert [p["key"] for p in validate(raw, "plan.yaml", blocks=blocks)["pages"]] == ["about_you", "colour"]


def test_a_bad_include_is_reported_with_the_definitions_own_structural_problems(tmp_path, blocks):
    path = definition(tmp_path, """\
      - include: colours
      - key: later
        questions:
          - {key: later, type: free_text, label: Anything else}
    """)
    path.write_text(path.read_text().replace("reference_prefix: SP", "reference_prefix: sp"))
    found = problems(path, blocks)
    assert found[0].startswith("pages[1].include: block 'colours' (")
    assert set(found[1:]) == {"pages[2].title: is missing",
                              "reference_prefix: 'sp' should be 1 to 6 capital letters or digits, e.g. PCP"}


CHECKED_BLOCK = BLOCK + """\
checks:
  - if: {question: colour, in: [red]}
    then: {question: respondent_type, in: [resident]}
    message: Only residents like red.
"""


def test_a_blocks_checks_follow_the_definitions_own(tmp_path, blocks):
    (blocks / "checked.yaml").write_text(CHECKED_BLOCK)
    path = definition(tmp_path, "  - include: checked\n")
    path.write_text(path.read_text() + """\
checks:
  - if: {question: respondent_type, in: [victim_or_witness]}
    then: {question: colour, in: [blue]}
    message: Victims choose blue.
""")
    checks = read_file(path, blocks)[0]["checks"]
    assert [c["message"] for c in checks] == ["Victims choose blue.", "Only residents like red."]


def test_a_problem_in_a_blocks_check_is_placed_in_the_block_file(tmp_path, blocks):
    (blocks / "checked.yaml").write_text(CHECKED_BLOCK.replace("in: [red]", "in: [green]"))
    (problem,) = problems(definition(tmp_path, "  - include: checked\n"), blocks)
    assert problem.startswith(f"{blocks / 'checked.yaml'} checks[0].if.in[0]: 'green' is not a code "
                              "of question 'colour'"), problem


def test_a_blocks_checks_that_are_not_a_list_are_explained(tmp_path, blocks):
    (blocks / "checked.yaml").write_text(BLOCK + "checks: {if: x}\n")
    (problem,) = problems(definition(tmp_path, "  - include: checked\n"), blocks)
    assert problem == (f"{blocks / 'checked.yaml'} checks: should be a list of checks, each with if, "
                       "then and message")
