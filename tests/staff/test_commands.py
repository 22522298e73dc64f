"""The flask commands: checks come before the password is asked for, counts read as English."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import StaffUser

from .conftest import PASSWORD, add_response


@pytest.mark.parametrize("email, message", [
    ("not-an-email", "Enter an email address in the right format"),
    ("taken@example.org", "There is already a staff account for taken@example.org"),
])
def test_users_create_checks_the_email_before_asking_for_a_password(app, cli_runner, email,
                                                                   message):
    cli_runner.invoke(args=["users", "create", "taken@example.org", "--role", "admin",
                            "--password", PASSWORD])
    # Nothing is typed: a command that asked for a password would stop at the prompt instead.
    result = cli_runner.invoke(args=["users", "create", email, "--role", "viewer"], input="")
    assert result.exit_code != 0
    assert message in result.output
    assert "Password" not in result.output


def test_users_create_asks_for_the_password_twice_hidden(app, cli_runner):
    result = cli_runner.invoke(args=["users", "create", "new@example.org", "--role", "viewer"],
                               input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert db.session.scalar(sa.select(StaffUser.email)) == "new@example.org"


def test_users_set_password_for_nobody_says_so_without_asking(app, cli_runner):
    result = cli_runner.invoke(args=["users", "set-password", "ghost@example.org"], input="")
    assert result.exit_code != 0 and "There is no staff account" in result.output
    assert "password" not in result.output.lower().replace("set-password", "")


def _numbers_and_nouns(text: str) -> list[tuple[int, str]]:
    return [(int(n.replace(",", "")), noun) for n, noun in
            re.findall(r"\b(\d[\d,]*) (?:expired )?(responses?|drafts?|rows?|problems?)\b", text)]


def test_counts_in_command_output_are_singular_for_one(app, consultation, cli_runner, tmp_path):
    add_response(consultation)
    outputs = [
        cli_runner.invoke(args=["consultations", "list"]).output,
        cli_runner.invoke(args=["export", "test-consultation", "--out",
                                str(tmp_path / "one.csv")]).output,
        cli_runner.invoke(args=["purge", "--dry-run"]).output,
    ]
    text = "\n".join(outputs)
    assert "1 response\t" in outputs[0] and "Exported 1 response to" in outputs[1]
    assert "0 expired drafts and 1 response past" in outputs[2]
    found = _numbers_and_nouns(text)
    assert found, text
    for n, noun in found:
        assert noun.endswith("s") == (n != 1), (n, noun, text)
    assert "(s)" not in text and not re.search(r"\bnan\b", text, re.IGNORECASE)
