"""The dashboard's areas: responses per 1,000 residents from the consultation's own areas, with
the source and year of the populations, and valid responses below district level by neighbourhood
or postcode district with the evidence report's small-number rule."""
from __future__ import annotations

import copy
from collections import Counter

import pytest
from bs4 import BeautifulSoup

from analysis import tally
from consult.organisation import current
from consult.staff.stats import dashboard_figures, local_breakdown

from .conftest import add_consultation, add_response, tiny_definition

URL = "/staff/consultations/test-consultation"


@pytest.fixture
def with_areas(app):
    """The tiny consultation, keeping the organisation's areas with a population year of 2011
    and one area of its own (so that nothing here is the shipped file by accident)."""
    definition = tiny_definition()
    areas = copy.deepcopy(current()["areas"])
    areas["population_year"] = 2011
    areas["population_source"] = "A test census, 2011"
    areas["items"].append({"code": "testshire", "name": "Testshire", "ons_code": "", "population": 4000,
                           "postcode_districts": ["ZZ9"], "sub_areas": []})
    definition["areas"] = areas
    return add_consultation(definition)


POSTCODES = ["PE1"] * 12 + ["PE2"] * 3 + ["ZZ9"] * 11 + ["XX1"] * 2 + [None] * 4


@pytest.fixture
def answered(with_areas):
    for i, postcode in enumerate(POSTCODES):
        district = {"PE1": "peterborough", "PE2": "peterborough", "ZZ9": "testshire"}.get(postcode, "fenland")
        answers = {"district": district}
        if postcode:
            answers["postcode_district"] = postcode
        add_response(with_areas, answers)
    add_response(with_areas, {"district": "peterborough", "postcode_district": "PE2"},
                 status="duplicate", status_reason="same")
    return with_areas


def test_per_thousand_uses_the_consultations_own_areas_and_says_their_year(answered):
    figures = dashboard_figures(answered, with_support=False)
    rows = {r["district"]: r for r in figures.per_thousand}
    assert rows["testshire"]["per_thousand"] == pytest.approx(11 / 4)
    assert rows["peterborough"]["responses"] == 15
    assert (figures.population_year, figures.population_source) == (2011, "A test census, 2011")


def test_responses_below_district_level_are_counted_from_postcodes_and_small_ones_hidden(answered):
    local = local_breakdown(answered)
    by_area = {a["code"]: {p["code"]: p for p in a["parts"]} for a in local["areas"]}
    valid = Counter(p for p in POSTCODES if p)
    peterborough = by_area["peterborough"]
    assert peterborough["peterborough_central_and_east"]["responses"] == valid["PE1"] == 12
    assert peterborough["peterborough_south"]["responses"] == valid["PE2"] == 3  # the duplicate left out
    # the rule of the evidence report: 3 is under MIN_CELL; alone it would be worked out from the
    # published total of 15, so a zero is hidden too (and shown, truly, as under MIN_CELL)
    hidden = tally.hidden_parts([12, 3, 0, 0])
    assert list(hidden) == [False, True, True, False]
    assert [p["text"] for p in peterborough.values()] == ["12", f"<{tally.MIN_CELL}",
                                                          f"<{tally.MIN_CELL}", "0"]
    assert by_area["testshire"]["ZZ9"]["text"] == "11"
    assert (local["not_given"], local["unmapped"]) == (4, 2)


def test_the_dashboard_page_shows_the_source_and_the_neighbourhoods(answered, signed_in):
    client = signed_in("viewer")
    page = BeautifulSoup(client.get(URL).get_data(as_text=True), "html.parser")
    header = [th.get_text(strip=True) for th in page.select("#representativeness thead th")]
    assert header[2] == "Residents (2011)"
    assert "A test census, 2011" in page.select_one("#population-source").get_text()
    rows = {tr.th.get_text(strip=True): tr.td.get_text(strip=True)
            for tr in page.select("#local-peterborough tbody tr")}
    assert rows[current()["areas"]["items"][5]["sub_areas"][1]["name"]] == f"<{tally.MIN_CELL}"
    assert "No postcode given: 4" in page.select_one("#local-unplaced").get_text()
