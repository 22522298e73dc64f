"""The dashboard: counts of valid responses only, aggregated by the database."""
from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup

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
    assert roads["counts"]["dont_know"] == 1 and roads["no_view"] == 1


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


# --- the running counts agree with the responses themselves, whatever happens to them -------

def recount(consultation) -> dict:
    """Every dashboard figure recomputed from the rows themselves, in Python."""
    import collections

    from consult.models import Response

    rows = db.session.scalars(sa.select(Response)
                              .where(Response.consultation_id == consultation.id)).all()
    valid = [r for r in rows if r.status == "valid"]
    drafts = db.session.scalars(sa.select(Draft)
                                .where(Draft.consultation_id == consultation.id)).all()
    online = [d for d in drafts if d.channel == "online"]
    support = {}
    for theme in consultation.themes:
        answers = [r.answers.get(f"support__{theme.key}") or "not_answered" for r in valid]
        support[theme.key] = dict(collections.Counter(answers))
    return {
        "by_status": dict(collections.Counter(r.status for r in rows)),
        "per_day": sorted(collections.Counter(r.received_on for r in valid).items()),
        "by_type": dict(collections.Counter(r.respondent_type for r in valid)),
        "by_district": dict(collections.Counter(r.district for r in valid)),
        "by_channel": dict(collections.Counter(r.channel for r in valid)),
        "drafts": (len(online), sum(1 for d in online if d.submitted_at is not None)),
        "support": support,
    }


def shown(consultation) -> dict:
    figures = dashboard_figures(consultation, with_support=True)
    return {
        "by_status": figures.by_status,
        "per_day": figures.per_day,
        "by_type": dict(figures.by_type),
        "by_district": {k: n for k, n in figures.by_district if n},
        "by_channel": dict(figures.by_channel),
        "drafts": (figures.drafts_started, figures.drafts_sent),
        "support": {row["theme"].key: {k: n for k, n in row["counts"].items() if n}
                    for row in figures.support},
    }


def test_the_counts_follow_every_write_moderation_erasure_and_draft(consultation, monkeypatch):
    import random

    from consult import counts, retention
    from consult.survey.submission import store_response

    monkeypatch.setattr(counts, "FOLD_AFTER", 7)  # fold now and then, read changes otherwise
    rng = random.Random(4)
    made = []
    for n in range(40):
        answers = {"respondent_type": rng.choice(["resident", "business", None]),
                   "district": rng.choice(["fenland", "cambridge", "peterborough", None]),
                   "support__roads": rng.choice(["support", "oppose", "neither", "dont_know",
                                                 "", None]),
                   "support__safer_streets": rng.choice(["strongly_support", None])}
        made.append(add_response(consultation, {k: v for k, v in answers.items()
                                                if v is not None},
                                 received_on=dt.date(2021, 6, 1 + n % 5),
                                 channel=rng.choice(["online", "paper"])))
        if n % 9 == 0:
            assert shown(consultation) == recount(consultation)
    for response in made[:6]:
        response.status = rng.choice(["duplicate", "campaign", "invalid"])
    made[6].answers = {**made[6].answers, "support__roads": "strongly_oppose"}
    made[7].district = "huntingdonshire"
    db.session.commit()
    assert shown(consultation) == recount(consultation)
    assert retention.erase(made[8].reference, "asked")
    assert retention.erase(made[0].reference, "asked")
    for n in range(4):
        db.session.add(Draft(consultation_id=consultation.id, token=f"d{n}", answers={},
                             expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)))
    db.session.commit()
    draft = db.session.scalar(sa.select(Draft).where(Draft.token == "d1"))
    store_response(consultation, {"district": "fenland", "support__roads": "support"},
                   draft=draft)
    assert shown(consultation) == recount(consultation)
    counts.fold(force=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(counts.CountChange)) == 0
    assert shown(consultation) == recount(consultation)
    assert shown(consultation)["drafts"] == (4, 1)


def test_drafts_sent_are_a_share_of_online_drafts_started(consultation, signed_in):
    from consult.survey.submission import store_response

    for n in range(4):
        db.session.add(Draft(consultation_id=consultation.id, token=f"d{n}", answers={},
                             expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)))
    db.session.commit()
    store_response(consultation, {"district": "fenland"},
                   draft=db.session.scalar(sa.select(Draft).where(Draft.token == "d0")))
    for _ in range(5):  # paper responses have no online draft: they are not in the share
        add_response(consultation, channel="paper")
    page = signed_in("viewer").get(URL).get_data(as_text=True)
    text = BeautifulSoup(page, "html.parser").find(id="drafts").get_text(" ", strip=True)
    assert text.startswith("4 online drafts started, of which 1 was sent (25% of online drafts "
                           "started). 6 responses submitted on all channels"), text


def test_early_rates_per_thousand_can_be_told_apart(consultation, signed_in):
    add_response(consultation, {"district": "peterborough"})
    add_response(consultation, {"district": "fenland"})
    page = signed_in("viewer").get(URL).get_data(as_text=True)
    table = BeautifulSoup(page, "html.parser").find(id="representativeness")
    rates = {row.th.get_text(strip=True): row.find_all("td")[-1].get_text(strip=True)
             for row in table.tbody.find_all("tr")}
    assert rates["Peterborough"] == f"{1000 / 215700:.4f}" == "0.0046"
    assert rates["Fenland"] == f"{1000 / 102500:.4f}" == "0.0098"
    assert rates["Cambridge"] == "0"


def test_every_district_is_listed_even_with_no_responses(consultation, signed_in):
    add_response(consultation, {"district": "fenland"})
    page = signed_in("viewer").get(URL).get_data(as_text=True)
    soup = BeautifulSoup(page, "html.parser")
    caption = soup.find("caption", string="By district")
    rows = {r.th.get_text(strip=True): r.td.get_text(strip=True)
            for r in caption.find_parent("table").tbody.find_all("tr")}
    assert len(rows) == 8 and rows["Fenland"] == "1" and rows["Huntingdonshire"] == "0"


def test_interim_support_shows_neither_and_shares_that_add_up(consultation, signed_in):
    for code in ["support", "support", "neither", "oppose", "dont_know"]:
        add_response(consultation, {"support__roads": code})
    page = signed_in("analyst").get(URL).get_data(as_text=True)
    table = BeautifulSoup(page, "html.parser").find(id="support").find_next("table")
    headers = [th.get_text(strip=True) for th in table.thead.find_all("th")]
    assert headers == ["Theme", "Gave a view", "Support", "Neither", "Oppose", "Don't know",
                       "Not answered"]
    roads = next(r for r in table.tbody.find_all("tr") if r.th.get_text() == "Safer Roads")
    cells = [td.get_text(strip=True) for td in roads.find_all("td")]
    # 4 gave a view: 2 support (50%), 1 neither (25%), 1 oppose (25%)
    assert cells == ["4", "50%", "25%", "25%", "1", "0"]
