"""A consultation definition uploaded by an engagement user cannot exhaust the server: YAML
anchors and aliases are refused before anything is built (an alias bomb of a few hundred bytes
stands for billions of values), the upload has a size limit, and messages that quote a wrong
value quote only its start."""
from __future__ import annotations

import io
import time

import pytest
from bs4 import BeautifulSoup

from consult.definitions import MAX_DEFINITION_BYTES, DefinitionError, parse_yaml, read_file, validate
from consult.quoting import quoted

from .conftest import csrf_token


def alias_bomb(levels: int) -> bytes:
    """The billion-laughs file: each level is a list of nine aliases to the level below."""
    lines = ['a0: &a0 "lol"']
    for n in range(1, levels + 1):
        lines.append(f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]")
    lines.append(f"slug: *a{levels}")
    return ("\n".join(lines) + "\n").encode()


def upload(client, name: str, content: bytes):
    return client.post("/staff/consultations/load", data={
        "csrf_token": csrf_token(client, "/staff/consultations/load"),
        "file": (io.BytesIO(content), name)}, content_type="multipart/form-data")


def _problems(answer) -> list[str]:
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    return [li.get_text(" ", strip=True) for li in soup.select("main li")]


def test_an_alias_bomb_upload_is_refused_at_once_with_a_short_page(signed_in):
    client = signed_in("engagement")
    started = time.monotonic()
    # Six levels is 531,441 strings: before the fix its repr alone made a 3.7 MB page.
    answer = upload(client, "bomb.yaml", alias_bomb(6))
    elapsed = time.monotonic() - started
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert len(body) < 50_000, f"the refusal page is {len(body):,} characters"
    assert elapsed < 5, f"refusing the file took {elapsed:.1f} s"
    assert any("aliases" in p and "not allowed" in p for p in _problems(answer)), _problems(answer)


def test_the_eight_level_bomb_of_the_finding_is_refused_before_it_is_built():
    started = time.monotonic()
    with pytest.raises(Exception, match="anchors .* aliases .* not allowed"):
        parse_yaml(alias_bomb(8).decode())
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("text", [
    "base: &base {label: Yes}\noptions: [*base]\n",   # an anchor then an alias
    "a: &only_an_anchor 1\n",                          # an anchor alone is refused too
    "base: &b {x: 1}\nother:\n  <<: *b\n",             # merge keys need an alias
])
def test_anchors_and_aliases_are_refused_with_their_line(tmp_path, text):
    path = tmp_path / "anchors.yaml"
    path.write_text(text)
    with pytest.raises(DefinitionError) as caught:
        read_file(path)
    (problem,) = caught.value.problems
    assert problem.startswith("line ") and "not allowed" in problem, problem


def test_a_definition_over_the_size_limit_is_refused_without_being_read(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * MAX_DEFINITION_BYTES + b"\nslug: huge\n")
    with pytest.raises(DefinitionError, match="at most 256 KB"):
        read_file(path)


def test_an_oversized_upload_is_refused_with_the_too_long_page(signed_in):
    client = signed_in("engagement")
    answer = upload(client, "huge.yaml", b"# " + b"x" * (MAX_DEFINITION_BYTES + 32 * 1024))
    assert answer.status_code == 413
    soup = BeautifulSoup(answer.get_data(as_text=True), "html.parser")
    assert soup.h1 and "too long" in soup.h1.get_text()


def test_messages_quote_only_the_start_of_a_long_value(signed_in):
    client = signed_in("engagement")
    long_slug = "Not A Slug " * 20_000  # 220,000 characters in a 220 KB file
    answer = upload(client, "long.yaml", f"slug: '{long_slug}'\n".encode())
    assert answer.status_code == 400
    slug_problem = next(p for p in _problems(answer) if p.startswith("slug"))
    assert len(slug_problem) < 300, slug_problem[:400]
    assert "220,000 characters" in slug_problem


def test_unknown_settings_with_huge_names_are_quoted_short():
    raw = {"x" * 10_000: 1, "slug": "ok"}
    with pytest.raises(DefinitionError) as caught:
        validate(raw)
    assert all(len(p) < 400 for p in caught.value.problems)


def test_a_file_with_thousands_of_problems_lists_a_hundred_and_says_how_many_more():
    raw = {f"unknown_{n}": n for n in range(5000)}
    with pytest.raises(DefinitionError) as caught:
        validate(raw)
    problems = caught.value.problems
    assert len(problems) == 101
    assert problems[-1].startswith("and 4,")  # 5,000 unknown settings + 8 missing, less 100


@pytest.mark.parametrize("value, expected", [
    ("short", "'short'"),
    ("a" * 100, "'" + "a" * 60 + "'… (100 characters)"),
    (12, "12"),
])
def test_quoted_keeps_short_values_and_cuts_long_ones(value, expected):
    assert quoted(value) == expected


def test_quoted_does_not_walk_a_shared_structure_whole():
    level = ["lol"]
    for _ in range(30):  # 9**30 leaves if walked
        level = [level] * 9
    started = time.monotonic()
    text = quoted(level)
    assert time.monotonic() - started < 0.1 and len(text) < 200
