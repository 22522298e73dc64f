"""No code names a body's areas: their names and codes live in the organisation files under
instance/ (and in tests and docs), never in consult/, analysis/ or templates/."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
ORGANISATION_FILES = [ROOT / "instance" / "organisation.yaml",
                      ROOT / "instance" / "examples" / "norfolk" / "organisation.yaml"]
CODE_DIRS = ["consult", "analysis", "templates"]
# Files that still name areas until every export carries its areas (export format 2): the v1
# fallback populations of analysis.load (and the chart note about them) and the place words of the
# name redaction. The strict xfail below fails as soon as they are clean: then empty this list.
SUFFIXES = {".py", ".html", ".j2", ".json", ".js", ".mjs", ".css", ".txt", ".md", ".yaml", ".yml"}


def area_words() -> set[str]:
    """Every area's name and code, and the name of the whole area ("Outside NAME")."""
    words: set[str] = set()
    for path in ORGANISATION_FILES:
        areas = yaml.safe_load(path.read_text(encoding="utf-8"))["areas"]
        for area in areas["items"]:
            words |= {area["name"], area["code"]}
        outside = areas["outside"]["name"]
        words.add(re.sub(r"^Outside (the )?", "", outside))
    return words


def hits(directory: str, root: Path = ROOT) -> list[str]:
    words = sorted(area_words(), key=len, reverse=True)
    pattern = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(re.escape(w) for w in words) + r")(?![A-Za-z0-9])",
                         re.IGNORECASE)
    found = []
    for path in sorted((root / directory).rglob("*")):
        if path.suffix not in SUFFIXES or not path.is_file() or "__pycache__" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            for match in pattern.finditer(line):
                found.append(f"{path.relative_to(root)}:{number}: {match.group(1)}")
    return found


def test_the_area_words_are_read_from_both_files():
    words = area_words()
    assert {"Cambridge", "Peterborough", "Norwich", "King's Lynn and West Norfolk", "Norfolk",
            "Cambridgeshire and Peterborough", "kings_lynn_and_west_norfolk"} <= words


def test_the_search_finds_an_area_name_and_only_a_whole_word(tmp_path):
    (tmp_path / "consult").mkdir()
    (tmp_path / "consult" / "x.py").write_text(
        "DISTRICTS = ['Fenland']\nx = 'Norwichshire'\ncode = 'south_norfolk'\n", encoding="utf-8")
    assert hits("consult", tmp_path) == ["consult/x.py:1: Fenland", "consult/x.py:3: south_norfolk"]


@pytest.mark.parametrize("directory", CODE_DIRS)
def test_no_area_is_named_in_code(directory):
    assert hits(directory) == []
