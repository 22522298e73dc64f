"""docs/staff.md's role table says what the code enforces."""
from __future__ import annotations

from pathlib import Path

from consult.staff.roles import PERMISSION_LABELS, PERMISSIONS, ROLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "staff.md"


def test_the_documented_role_table_matches_the_permissions():
    lines = DOC.read_text().split("## Roles", 1)[1].split("\n## ", 1)[0].splitlines()
    rows = [line.strip("|").split("|") for line in lines if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    assert header[1:] == list(ROLES)
    table = {cells[0].strip(): {role for role, cell in zip(ROLES, cells[1:])
                                if cell.strip() == "yes"} for cells in rows[2:]}
    assert len(table) == len(PERMISSIONS)
    for permission, roles in PERMISSIONS.items():
        assert table[PERMISSION_LABELS[permission]] == set(roles), permission
