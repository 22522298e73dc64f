"""The responses list (filters, search, pages) and each response by its reference."""
from __future__ import annotations

import datetime as dt
import html

import pytest

from .conftest import add_response

LIST = "/staff/consultations/test-consultation/responses"
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]


@pytest.fixture
def several(consultation):
    return {
        "a": add_response(consultation, {"district": "fenland",
                                         "comment__roads": "Speeding on the A141"},
                          received_on=dt.date(2021, 6, 1)),
        "b": add_response(consultation, {"respondent_type": "business", "district": "cambridge"},
                          channel="paper", received_on=dt.date(2021, 6, 20)),
        "c": add_response(consultation, {"comment__safer_streets": "100% agree_with this"},
                          status="invalid", status_reason="test entry",
                          received_on=dt.date(2021, 7, 1)),
    }


def listed(client, several, query=""):
    page = client.get(LIST + query).get_data(as_text=True)
    return {key for key, r in several.items() if f">{r.reference}</a>" in page}


@pytest.mark.parametrize("query, expected", [
    ("", {"a", "b", "c"}),
    ("?district=fenland", {"a"}),
    ("?type=business", {"b"}),
    ("?channel=paper", {"b"}),
    ("?status=invalid", {"c"}),
    ("?from=2021-06-10&to=2021-06-30", {"b"}),
    ("?q=a141", {"a"}),
    ("?q=100%25", {"c"}),
    ("?q=_", {"c"}),
    ("?from=yesterday", {"a", "b", "c"}),
])
def test_filters(several, signed_in, query, expected):
    assert listed(signed_in("analyst"), several, query) == expected


def test_a_bad_date_filter_says_what_to_type(several, signed_in):
    page = signed_in("analyst").get(LIST + "?from=yesterday").get_data(as_text=True)
    assert "is not a date. Use the form 2021-07-04." in page


def test_pages_of_fifty(consultation, signed_in):
    for _ in range(51):
        add_response(consultation)
    client = signed_in("analyst")
    first = client.get(LIST).get_data(as_text=True)
    assert first.count('href="/staff/responses/') == 50 and "page=2" in first
    second = client.get(LIST + "?page=2").get_data(as_text=True)
    assert second.count('href="/staff/responses/') == 1
    assert client.get(LIST + "?page=abc").status_code == 200


def test_detail_by_reference_shows_answers_inert(consultation, signed_in):
    response = add_response(consultation, {"comment__roads": XSS[0], "missing_from_plan": XSS[1]})
    client = signed_in("engagement")
    page = client.get(f"/staff/responses/{response.reference}").get_data(as_text=True)
    for payload in XSS:
        assert payload not in page
        assert html.escape(payload, quote=False) in page or html.escape(payload) in page
    assert client.get(f"/staff/responses/{response.reference.lower()}").status_code == 200
    assert client.get("/staff/responses/TST-NOPE-NOPE").status_code == 404
    assert client.get(f"/staff/responses/{response.id}").status_code == 404
