"""A small plan for tests, written through the same loader as the shipped files."""
from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from consult.extensions import db
from consult.plans.definitions import store_plan, validate
from consult.plans.models import Plan

SAMPLE_SLUG = "test-plan"


def sample_source(consultation: str | None = "test-consultation") -> dict[str, Any]:
    """A plan file's contents (as YAML would give them): two themes linked to the staff tests'
    consultation, five deliverables, two reporting periods and a measure with values."""
    return {
        "slug": SAMPLE_SLUG,
        "title": "Test Plan 2021-24",
        "years": "2021-24",
        "organisation": "Test Office",
        "consultation": consultation,
        "periods": [
            {"key": "2022-h1", "title": "April to September 2022",
             "starts_on": "2022-04-01", "ends_on": "2022-09-30"},
            {"key": "2022-h2", "title": "October 2022 to March 2023",
             "starts_on": "2022-10-01", "ends_on": "2023-03-31"},
        ],
        "themes": [
            {"key": "streets", "title": "Safer Streets", "consultation_theme": "safer_streets",
             "what_we_will_do": "We will make streets safer.",
             "measures": [{"key": "burglary", "title": "Burglaries recorded", "unit": "crimes",
                           "higher_is_better": False,
                           "values": [{"period": "2022-h1", "value": 410},
                                      {"period": "2022-h2", "value": 385}]}],
             "deliverables": [
                 {"key": "patrols", "reference": "S1", "title": "More foot patrols"},
                 {"key": "lighting", "title": "Street lighting review", "lead": "Council",
                  "partners": ["Parish councils"], "due_on": "2023-06-30"},
                 {"key": "watch", "title": "Neighbourhood watch grants", "due_on": "2025-03-31"},
             ]},
            {"key": "roads", "title": "Safer Roads", "consultation_theme": "roads",
             "deliverables": [
                 {"key": "speed", "title": "Community speed watch"},
                 {"key": "cameras", "reference": "R2", "title": "Average speed cameras"},
             ]},
        ],
    }


def add_sample_plan(source: dict[str, Any] | None = None) -> Plan:
    """The sample plan, loaded once (the consultation it names must be loaded)."""
    existing = db.session.execute(sa.select(Plan).where(Plan.slug == SAMPLE_SLUG)).scalar_one_or_none()
    if existing is not None:
        return existing
    source = source or sample_source()
    digest = hashlib.sha256(repr(source).encode()).hexdigest()
    store_plan(validate(source, "test-plan.yaml"), digest, "test-plan.yaml")
    return db.session.execute(sa.select(Plan).where(Plan.slug == SAMPLE_SLUG)).scalar_one()


def route_values() -> dict[str, str]:
    """Values that fill the plan routes' arguments, for the route-access tests."""
    add_sample_plan()
    return {"plan_slug": SAMPLE_SLUG, "period_key": "2022-h1", "ref": "patrols"}
