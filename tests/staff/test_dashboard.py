"""The dashboard: counts of valid responses only, aggregated by the database."""
from __future__ import annotations

import datetime as dt

import pytest

from consult.extensions import db
from consult.models import Draft
from consult.staff.stats import dashboard_figures, day_chart

from .conftest import add_response

URL = "/staff/consultations/test-consultation"


@pytest.fixture
def responses(consultation):
    day = dt.date(2021, 6, 10)
    add_response(consultation, {"district": "fenland", "support__roads": "support"},
                 received_on=day)
    add_response(consultation, {"district": "fenland", "support__roads": "oppose",
                                "respondent_type": "business"}, received_on=day, channel="paper")
    add_response(consultation, {"district": "cambridge", "support__roads": "dont_know"},
                 received_on=day + dt.timedelta(days=2))
    add_response(consultation, {"district": "cambridge", "support__roads": "strongly_support"},
                 received_on=day, status="duplicate", status_reason="same text")
    add_response(consultation, {"district": "peterborough"}, received_on=day, status="campaign",
                 status_reason="campaign text")
    for n in range(3):
        db.session.add(Draft(consultation_id=consultation.id, token=f"t{n}", answers={},
                             expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)))
    db.session.commit()
    return consultation


def test_only_valid_responses_are_counted(responses):
    figures = dashboard_figures(responses, with_support=True)
    assert figures.valid == 3
    assert figures.by_status == {"valid": 3, "duplicate": 1, "campaign": 1}
    assert {k: n for k, n in figures.by_district if n} == {"fenland": 2, "cambridge": 1}
    assert dict(figures.by_channel) == {"online": 2, "paper": 1}
    assert dict(figures.by_type) == {"resident": 2, "business": 1}
    assert figures.per_day == [(dt.date(2021, 6, 10), 2), (dt.date(2021, 6, 12), 1)]
    assert (figures.drafts_started, figures.drafts_sent, figures.submitted) == (3, 0, 5)
    fenland = next(r for r in figures.per_thousand if r["district"] == "fenland")
    assert fenland["residents"] == 102500
    assert fenland["per_thousand"] == pytest.approx(2 * 1000 / 102500)
    roads = next(r for r in figures.support if r["theme"].key == "roads")
    assert roads["views"] == 2 and roads["support_share"] == 0.5  # don't know left out
    assert roads["counts"]["dont_know"] == 1


def test_the_chart_has_a_bar_for_every_day_including_empty_ones(responses):
    chart = day_chart(dashboard_figures(responses, with_support=False).per_day)
    assert [bar["count"] for bar in chart["bars"]] == [2, 0, 1]
    assert chart["max"] == 2


@pytest.mark.parametrize("role, sees_support", [("viewer", False), ("engagement", False),
                                                ("analyst", True), ("admin", True)])
def test_interim_support_only_for_analysts_and_admins(responses, signed_in, role, sees_support):
    page = signed_in(role).get(URL).get_data(as_text=True)
    assert "Counting rule:" in page
    assert 'id="total-valid">3<' in page
    assert "<svg" in page and "<script>" not in page
    assert ("Interim support per theme" in page) == sees_support


def test_the_dashboard_of_an_unknown_consultation_is_not_found(signed_in):
    assert signed_in("viewer").get("/staff/consultations/nope").status_code == 404
