"""The responses list (filters, search, pages) and each response by its reference."""
from __future__ import annotations

import datetime as dt
import html

import pytest
from bs4 import BeautifulSoup

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


def _references(page: str) -> list[str]:
    table = BeautifulSoup(page, "html.parser").find("tbody")
    return [a.get_text() for a in table.select('a[href^="/staff/responses/"]')]


def _link(page: str, rel: str) -> str | None:
    link = BeautifulSoup(page, "html.parser").find("a", rel=rel)
    return html.unescape(link["href"]) if link else None


def test_pages_of_fifty_walk_every_response_once_newest_first(consultation, signed_in):
    # 120 responses, many stored in the same second: the pages must not skip or repeat any.
    made = []
    for n in range(120):
        at = dt.datetime(2021, 6, 10, 12, n // 7, tzinfo=dt.timezone.utc)
        made.append(add_response(consultation, submitted_at=at))
    expected = [r.reference for r in sorted(made, key=lambda r: (r.submitted_at, r.id),
                                            reverse=True)]
    client = signed_in("analyst")
    seen, pages, url = [], [], LIST
    while url:
        page = client.get(url).get_data(as_text=True)
        pages.append(page)
        seen += _references(page)
        url = _link(page, "next")
    assert [len(_references(p)) for p in pages] == [50, 50, 20]
    assert seen == expected
    count = BeautifulSoup(pages[0], "html.parser").find(id="result-count").get_text()
    assert count.startswith("120 responses match")
    # and back: "Newer" from the last page shows the second page again
    back = client.get(_link(pages[2], "prev")).get_data(as_text=True)
    assert _references(back) == expected[50:100]
    assert _link(pages[0], "prev") is None
    assert client.get(LIST + "?after=nonsense&page=abc").status_code == 200


def test_the_count_of_matches_is_the_number_of_responses_listed(several, signed_in):
    client = signed_in("analyst")
    for query, n in (("", 3), ("?district=fenland", 1), ("?status=valid&channel=online", 1),
                     ("?from=2021-06-10", 2), ("?type=nobody", 0)):
        page = client.get(LIST + query).get_data(as_text=True)
        counted = BeautifulSoup(page, "html.parser").find(id="result-count").get_text()
        assert len(_references(page)) == n
        assert counted.startswith(f"{n} response{'' if n == 1 else 's'} match"), counted


def test_search_ignores_case_in_every_language(consultation, signed_in):
    polish = add_response(consultation, {"comment__roads": "Więcej policji na ulicach"})
    greek = add_response(consultation, {"missing_from_plan": "Ασφάλεια στους δρόμους"})
    add_response(consultation, {"comment__roads": "Nothing to add"})
    client = signed_in("analyst")
    for term, found in (("WIĘCEJ", polish), ("więcej POLICJI", polish), ("ΑΣΦΆΛΕΙΑ", greek),
                        (polish.reference.lower(), polish)):
        page = client.get(LIST, query_string={"q": term}).get_data(as_text=True)
        assert _references(page) == [found.reference], term


def test_search_does_not_match_codes_or_column_names(consultation, signed_in):
    add_response(consultation, {"support__roads": "strongly_oppose", "age_band": "18_24"})
    client = signed_in("analyst")
    page = client.get(LIST + "?q=strongly").get_data(as_text=True)
    assert _references(page) == []
    page = client.get(LIST + "?q=comment__").get_data(as_text=True)
    assert _references(page) == []


def test_a_search_with_very_many_matches_says_more_than(consultation, signed_in, monkeypatch):
    from consult.staff import responses as module

    monkeypatch.setattr(module, "SEARCH_COUNT_LIMIT", 3)
    for _ in range(5):
        add_response(consultation, {"comment__roads": "potholes"})
    page = signed_in("analyst").get(LIST + "?q=POTHOLES").get_data(as_text=True)
    counted = BeautifulSoup(page, "html.parser").find(id="result-count").get_text()
    assert counted.startswith("More than 3 responses match")
    assert len(_references(page)) == 5


def test_the_list_shows_labels_not_codes(consultation, signed_in):
    add_response(consultation, {"respondent_type": "victim_or_witness",
                                "district": "south_cambridgeshire"}, channel="paper",
                 status="duplicate", status_reason="same")
    page = signed_in("analyst").get(LIST).get_data(as_text=True)
    row = [td.get_text(" ", strip=True) for td in
           BeautifulSoup(page, "html.parser").find("tbody").find_all("td")]
    assert row[2:] == ["Paper form", "Victim or witness of crime", "South Cambridgeshire",
                       "Duplicate of another response"]


def test_a_response_page_shows_labels_not_codes(consultation, signed_in):
    response = add_response(consultation, {
        "respondent_type": "business", "support__roads": "strongly_oppose",
        "age_band": "18_24", "contact_ways": ["phone", "online"], "rank__roads": 1})
    page = signed_in("analyst").get(f"/staff/responses/{response.reference}")
    answers = BeautifulSoup(page.get_data(as_text=True), "html.parser").find(id="answers")
    shown = {}
    for row in answers.select(".govuk-summary-list__row"):
        column = row.find("dt").find("span").get_text(strip=True)
        shown[column] = row.find("dd").get_text(" ", strip=True)
    assert shown["support__roads"] == "Strongly oppose"
    assert shown["age_band"] == "18 to 24"
    assert shown["respondent_type"] == "Business"
    assert shown["contact_ways"] == "Phone, Online"
    assert shown["rank__roads"] == "1"
    assert shown["support__safer_streets"] == "Not answered"


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


def test_a_search_whose_matches_fit_on_one_page_counts_them_without_a_second_query(
        consultation, signed_in, app):
    import sqlalchemy as sa

    from consult.extensions import db

    found = [add_response(consultation, {"comment__roads": f"pothole number {i}"}) for i in range(3)]
    add_response(consultation, {"comment__roads": "nothing to say"})
    client = signed_in("analyst")
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        page = client.get(LIST + "?q=POTHOLE").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    counted = BeautifulSoup(page, "html.parser").find(id="result-count").get_text()
    assert counted.startswith("3 responses match"), counted
    assert sorted(_references(page)) == sorted(r.reference for r in found)
    assert not [s for s in statements if "count(" in s.lower() and "response" in s.lower()
                and "consult_fold" in s.lower()], statements
