"""docs/staff.md's role tables say what the code enforces (consult/staff/roles.py ROLE_TABLE)."""
from __future__ import annotations

from pathlib import Path

import pytest

from consult.staff.roles import (PERMISSION_LABELS, PERMISSIONS, ROLE_TABLE, ROLES, Role,
                                 permissions_of)

DOC = Path(__file__).resolve().parents[2] / "docs" / "staff.md"


def _tables() -> list[list[list[str]]]:
    """The Markdown tables of the Roles section, each as its rows of stripped cells."""
    lines = DOC.read_text().split("## Roles", 1)[1].split("\n## ", 1)[0].splitlines()
    tables: list[list[list[str]]] = []
    previous = False
    for line in lines:
        is_row = line.startswith("| ")
        if is_row and not previous:
            tables.append([])
        if is_row:
            tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
        previous = is_row
    return tables


def _permission_table() -> list[list[str]]:
    return next(t for t in _tables() if t[0][0] == "What")


def test_the_documented_role_table_matches_the_permissions():
    rows = _permission_table()
    header = rows[0]
    assert header[1:] == list(ROLES)
    table = {cells[0]: {role for role, cell in zip(ROLES, cells[1:]) if cell == "yes"}
             for cells in rows[2:]}
    assert len(table) == len(PERMISSIONS)
    for permission, roles in PERMISSIONS.items():
        assert table[PERMISSION_LABELS[permission]] == set(roles), permission


def test_the_documented_roles_are_the_role_table_with_its_labels_and_descriptions():
    rows = next(t for t in _tables() if t[0][0] == "Role")
    documented = {cells[0].strip("`"): (cells[1], cells[2]) for cells in rows[2:]}
    assert list(documented) == list(ROLES)
    for name, role in ROLE_TABLE.items():
        assert documented[name] == (role.label, role.description), name


def test_permissions_are_worked_out_from_the_role_table():
    # recomputed the other way round: each role's permissions from PERMISSIONS
    for name, role in ROLE_TABLE.items():
        assert {p for p, holders in PERMISSIONS.items() if name in holders} == role.permissions
    assert ROLE_TABLE["admin"].permissions == set(PERMISSION_LABELS)


def test_a_new_role_is_one_entry_in_the_table():
    """A role added to the table (a lead analyst here) gets its permissions, and nobody else's
    change."""
    table = {**ROLE_TABLE, "lead_analyst": Role(
        "Lead analyst", "Leads the analysis.", frozenset({"view_dashboard", "download_report"}))}
    permissions = permissions_of(table)
    assert permissions["download_report"] == {"admin", "analyst", "lead_analyst"}
    assert permissions["erase"] == {"admin"}
    assert {p for p, holders in permissions.items() if "lead_analyst" in holders} == {
        "view_dashboard", "download_report"}


def test_a_role_with_an_unknown_permission_is_refused():
    table = {**ROLE_TABLE, "typo": Role("Typo", "", frozenset({"view_plan"}))}
    with pytest.raises(KeyError, match="view_plan"):
        permissions_of(table)
