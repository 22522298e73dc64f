"""Fixtures of the plan tests: the staff tests' consultation, staff of every role, a sample plan."""
from __future__ import annotations

import pytest

from staff.conftest import (  # noqa: F401  (fixtures shared with the staff tests)
    consultation,
    fresh_g_per_request,
    quick_password_hashes,
    signed_in,
    staff,
)

from .helpers import add_sample_plan


@pytest.fixture
def plan(app, consultation):  # noqa: F811
    return add_sample_plan()


@pytest.fixture
def periods(plan):
    return {p.key: p for p in plan.periods}


@pytest.fixture
def deliverables(plan):
    return {d.key: d for d in plan.deliverables}
