"""Progress updates: the direction proposed from the previous period, the note the Panel needs,
history never overwritten, every update audited."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.models import AuditEvent
from consult.plans.codes import DIRECTIONS, STATUSES, measure_trend, propose_direction
from consult.plans.models import ProgressUpdate
from consult.plans.progress import (
    UpdateError,
    UpdateInput,
    current_update,
    current_updates,
    history,
    parse_evidence,
    record_update,
)


@pytest.mark.parametrize("previous, current, expected", [
    (None, "green", None),
    ("amber", "green", "improving"),
    ("red", "complete", "improving"),
    ("green", "amber", "worsening"),
    ("complete", "red", "worsening"),
    ("amber", "amber", "no_change"),
    ("not_started", "not_started", "no_change"),
    ("not_started", "green", None),
    ("green", "not_started", None),
])
def test_the_direction_proposed_follows_the_status_from_the_previous_period(previous, current,
                                                                             expected):
    assert propose_direction(previous, current) == expected


@pytest.mark.parametrize("previous, current, better, expected", [
    (410, 385, False, "down (better)"),
    (385, 410, False, "up (worse)"),
    (10, 12, True, "up (better)"),
    (10, 10, True, "level"),
    (10, 12, None, "up"),
    (None, 12, True, "no earlier value"),
])
def test_a_measures_trend_says_which_way_and_whether_that_is_better(previous, current, better,
                                                                     expected):
    assert measure_trend(previous, current, better) == expected


@pytest.mark.parametrize("status", ["red", "amber"])
def test_red_and_amber_need_a_note(app, deliverables, periods, status):
    with pytest.raises(UpdateError) as caught:
        record_update(deliverables["patrols"], periods["2022-h1"],
                      UpdateInput(status, "no_change", note="   "), actor="test")
    assert "note" in caught.value.problems
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressUpdate)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_unknown_codes_are_refused_with_the_choices(app, deliverables, periods):
    with pytest.raises(UpdateError) as caught:
        record_update(deliverables["patrols"], periods["2022-h1"], UpdateInput("blue", "sideways"),
                      actor="test")
    assert set(caught.value.problems) == {"status", "direction"}
    assert "not started, green, amber, red, complete" in caught.value.problems["status"]


def test_a_correction_is_a_new_row_and_the_first_stays_in_the_history(app, deliverables, periods):
    patrols, h1 = deliverables["patrols"], periods["2022-h1"]
    first = record_update(patrols, h1, UpdateInput("amber", "no_change", note="Recruiting"),
                          actor="ada@example.org")
    second = record_update(patrols, h1, UpdateInput("green", "improving"), actor="bo@example.org")
    rows = db.session.scalars(sa.select(ProgressUpdate).order_by(ProgressUpdate.id)).all()
    assert [(r.status, r.note, r.recorded_by) for r in rows] == [
        ("amber", "Recruiting", "ada@example.org"), ("green", "", "bo@example.org")]
    assert current_update(patrols, h1).id == second.id
    assert current_updates(h1) == {patrols.id: second}
    assert [u.id for u in history(patrols)] == [second.id, first.id]
    events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.target, e.details["status"], e.details["previous_status"]) for e in events] == [
        ("plan.progress", "test-plan/2022-h1/patrols", "amber", None),
        ("plan.progress", "test-plan/2022-h1/patrols", "green", "amber")]


def test_the_proposed_direction_is_stored_beside_the_one_confirmed(app, deliverables, periods):
    patrols = deliverables["patrols"]
    record_update(patrols, periods["2022-h1"], UpdateInput("amber", "no_change", note="Slow"),
                  actor="t")
    later = record_update(patrols, periods["2022-h2"], UpdateInput("green", "no_change"), actor="t")
    assert later.direction_proposed == "improving" and later.direction == "no_change"


def test_evidence_links_must_be_web_addresses():
    links, problems = parse_evidence("Board minutes | https://example.org/minutes\n\n"
                                     "https://example.org/b\njavascript:alert(1)\nnot a link")
    assert links == [{"label": "Board minutes", "url": "https://example.org/minutes"},
                     {"label": "https://example.org/b", "url": "https://example.org/b"}]
    assert [p.split(":")[0] for p in problems] == ["line 4", "line 5"]


def test_the_code_lists_have_the_labels_the_panel_uses():
    assert list(STATUSES.values()) == ["Not started", "Green", "Amber", "Red", "Complete"]
    assert list(DIRECTIONS.values()) == ["Improving", "No change", "Worsening"]
