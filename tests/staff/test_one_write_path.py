"""One way a response is written: online, paper entry and import are held to one check and
stored by one row builder, so the same answers give the same response (or the same refusal)
whichever way they arrive."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from consult.extensions import db
from consult.imports import check_file, import_file
from consult.models import AuditEvent, Response
from consult.survey import submission
from consult.survey.submission import InvalidAnswers, check_response, store_response

from .conftest import csrf_token
from .test_imports import csv_file

ENTRY = "/staff/consultations/police-and-crime-plan-2021/entry"
ANSWERS = {
    "respondent_type": "resident", "district": "fenland",
    "support__communities_first": "support",
    "comment__communities_first": "More patrols\r\nin March",
    # a victim's page: a resident is not asked it, so no channel keeps it
    "victim_reported": "no",
}
STORED = {"respondent_type": "resident", "district": "fenland",
          "support__communities_first": "support",
          "comment__communities_first": "More patrols\nin March"}


def _by_channel() -> dict[str, Response]:
    return {r.channel: r for r in db.session.scalars(sa.select(Response))}


def test_the_same_answers_are_stored_alike_online_on_paper_and_from_a_file(
        pcp2021, signed_in, staff):
    store_response(pcp2021, ANSWERS, channel="online")
    client = signed_in("engagement")
    posted = client.post(ENTRY, data={"csrf_token": csrf_token(client, ENTRY),
                                      "channel": "paper", "received_on": "2021-07-05", **ANSWERS})
    assert posted.status_code == 302, posted.get_data(as_text=True)
    header = ["received_on", "channel", *ANSWERS]
    check = import_file(pcp2021, "letters.csv",
                        csv_file([["2021-07-06", "letter", *ANSWERS.values()]], header=header),
                        user=staff["engagement"])
    assert check.ok, check.problems
    stored = _by_channel()
    assert set(stored) == {"online", "paper", "letter"}
    for channel, response in stored.items():
        assert response.answers == STORED, channel
        assert (response.respondent_type, response.district, response.status) == \
            ("resident", "fenland", "valid"), channel
        assert response.reference.startswith(pcp2021.definition["reference_prefix"] + "-")
    assert stored["online"].entered_by_id is None
    assert stored["paper"].entered_by_id == stored["letter"].entered_by_id == \
        staff["engagement"].id


@pytest.mark.parametrize("answers, column", [
    ({"district": "fenland"}, "respondent_type"),  # required online
    ({"respondent_type": "victim_or_witness", "victim_support_offered": "no",
      "victim_satisfaction": "satisfied"}, "victim_satisfaction"),  # the definition's checks
])
def test_what_the_survey_refuses_is_refused_on_every_channel(pcp2021, signed_in, answers,
                                                             column):
    with pytest.raises(InvalidAnswers) as online:
        store_response(pcp2021, answers, channel="online")
    assert column in online.value.errors
    client = signed_in("engagement")
    page = client.post(ENTRY, data={"csrf_token": csrf_token(client, ENTRY), "channel": "paper",
                                    "received_on": "2021-07-05", **answers})
    assert page.status_code == 200 and "the response is not stored yet" in page.get_data(
        as_text=True)
    assert f'href="#{column}"' in page.get_data(as_text=True)
    header = ["received_on", "channel", *answers]
    check = check_file(pcp2021, "r.csv",
                       csv_file([["2021-07-05", "paper", *answers.values()]], header=header))
    assert column in {p.column for p in check.problems}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Response)) == 0


def test_the_import_and_paper_entry_use_the_survey_check(pcp2021, signed_in, monkeypatch):
    """Whatever the shared check refuses, paper entry and the import refuse: a made-up rule
    added to it (no comment may mention pigeons) reaches both."""
    real = submission.check_response

    def stricter(definition, answers, **kw):
        new, errors = real(definition, answers, **kw)
        if "pigeon" in str(answers.get("comment__communities_first", "")):
            errors["comment__communities_first"] = "no pigeons"
        return new, errors

    monkeypatch.setattr(submission, "check_response", stricter)
    import consult.imports
    import consult.staff.entry
    monkeypatch.setattr(consult.imports, "check_response", stricter)
    monkeypatch.setattr(consult.staff.entry, "check_response", stricter)
    answers = {"respondent_type": "resident", "comment__communities_first": "A pigeon"}
    client = signed_in("engagement")
    page = client.post(ENTRY, data={"csrf_token": csrf_token(client, ENTRY), "channel": "paper",
                                    "received_on": "2021-07-05", **answers})
    assert "no pigeons" in page.get_data(as_text=True)
    check = check_file(pcp2021, "r.csv", csv_file([["2021-07-05", "paper", *answers.values()]],
                                                  header=["received_on", "channel", *answers]))
    assert [(p.column, p.problem) for p in check.problems] == [
        ("comment__communities_first", "the survey does not accept this answer: no pigeons")]


def test_a_response_keyed_in_by_staff_is_in_the_audit_log(pcp2021, signed_in):
    client = signed_in("engagement")
    client.post(ENTRY, data={"csrf_token": csrf_token(client, ENTRY), "channel": "event",
                             "received_on": "2021-07-05", "respondent_type": "resident"})
    response = db.session.scalar(sa.select(Response))
    event = db.session.scalar(sa.select(AuditEvent).where(
        AuditEvent.action == "response.entered"))
    assert (event.target, event.actor, event.rows) == (response.reference,
                                                       "engagement@example.org", 1)
    assert event.details["channel"] == "event" and event.details["received_on"] == "2021-07-05"


def test_no_audit_event_for_a_resident_submitting_online(pcp2021):
    store_response(pcp2021, {"respondent_type": "resident"})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 0


def test_a_date_received_in_the_future_is_refused_whatever_the_channel(pcp2021):
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=2)
    with pytest.raises(InvalidAnswers) as refused:
        store_response(pcp2021, {"respondent_type": "resident"}, channel="letter",
                       received_on=tomorrow)
    assert refused.value.errors == {"received_on": "The date received cannot be in the future."}
    check = check_file(pcp2021, "r.csv", csv_file([[tomorrow.isoformat(), "letter", "resident"]],
                                                  header=["received_on", "channel",
                                                          "respondent_type"]))
    assert [(p.row, p.column, p.problem) for p in check.problems] == [
        (2, "received_on", "The date received cannot be in the future.")]


@pytest.mark.parametrize("given, column", [
    ({"status": "campaign"}, "status_reason"),
    ({"status_reason": "odd"}, "status_reason"),
    ({"status": "spam", "status_reason": "x"}, "status"),
    ({"status": "invalid", "status_reason": "x" * 501}, "status_reason"),
    ({"hidden_comments": ["district"]}, "hidden_comments"),
    ({"hidden_comments": ["comment__crime_prevention"]}, "hidden_comments"),  # no comment there
    ({"channel": "fax"}, "channel"),
])
def test_the_check_refuses_a_wrong_moderation_or_channel(pcp2021, given, column):
    _, errors = check_response(pcp2021.definition, {"respondent_type": "resident"},
                               **{"channel": "paper", **given})
    assert list(errors) == [column]


def test_the_check_keeps_only_the_answers_the_route_shows(pcp2021):
    new, errors = check_response(pcp2021.definition, ANSWERS, channel="paper",
                                 received_on=dt.date(2021, 7, 1), status="duplicate",
                                 status_reason="twice",
                                 hidden_comments=["comment__communities_first"])
    assert errors == {}
    assert new.answers == STORED
    assert (new.status, new.status_reason, new.hidden_comments) == (
        "duplicate", "twice", ["comment__communities_first"])
