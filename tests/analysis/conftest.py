"""Fixtures for the analysis tests (helpers that build data live in analysis_helpers.py)."""
from __future__ import annotations

import pytest
from analysis_helpers import DEMO

from analysis.load import ConsultationData, load


@pytest.fixture(scope="session")
def demo() -> ConsultationData:
    return load(DEMO / "demo.json")
