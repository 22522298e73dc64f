"""Export format version 2 (docs/export-format.md): the data dictionary in the survey's own
words with each scale's levels, the areas with their populations in every format, the
organisation's name; imports read rows of versions 1 and 2."""
from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import openpyxl
import pytest
from bs4 import BeautifulSoup

from consult import codes
from consult.definitions import make_demo, parse_file, store_definition, validate
from consult.exports import (AREA_FIELDS, FORMAT_VERSION, columns, write_areas_csv,
                             write_dictionary_csv, write_json, write_xlsx)
from consult.extensions import db
from consult.imports import check_file
from consult.models import Consultation

from tests.survey.conftest import Browser

from .conftest import POPULATION, SHIPPED_2021, add_consultation, add_response, tiny_definition

ROOT = Path(__file__).resolve().parents[2]
# An organisation's areas as a definition stores them (names made up for the test).
AREAS = {
    "label": "Borough",
    "population_source": "ONS Census 2021, table TS001",
    "population_year": 2021,
    "items": [
        {"code": "northtown", "name": "Northtown", "ons_code": "E07000901", "population": 91000,
         "postcode_districts": ["NT1", "NT2"],
         "sub_areas": [{"code": "northtown_east", "name": "Northtown East",
                        "ons_code": "E05000001", "population": 12000}]},
        {"code": "southvale", "name": "Southvale", "ons_code": "E07000902", "population": 64000,
         "postcode_districts": ["SV3"], "sub_areas": []},
    ],
    "outside": {"code": "outside_area", "name": "Outside Northtown and Southvale"},
    "prefer_not_to_say": {"code": "prefer_not_to_say", "name": "Prefer not to say"},
}


def read_csv_text(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def dictionary_of(consultation) -> dict[str, dict[str, str]]:
    out = io.StringIO(newline="")
    write_dictionary_csv(consultation, out)
    return {row["column"]: row for row in read_csv_text(out.getvalue())}


def json_document(consultation) -> dict:
    out = io.StringIO()
    write_json(consultation, out)
    return json.loads(out.getvalue())


def test_the_data_dictionary_says_what_the_survey_says(pcp2021, client):
    """Each question column's label and codes are the survey's own words: the definition file's
    labels and options, and the district names the survey page shows."""
    raw = parse_file(ROOT / SHIPPED_2021)[0]
    written = {}
    for page in raw["pages"]:
        for question in page["questions"]:
            written[question["key"]] = question
    dictionary = dictionary_of(pcp2021)
    definition = pcp2021.definition
    checked = 0
    for page in definition["pages"]:
        for question in page["questions"]:
            source = written[question.get("definition_key") or question["key"]]
            for column in question["columns"]:
                entry = dictionary[column]
                assert entry["label"] == " ".join(source["label"].split()), column
                if "options" in source:
                    expected = " | ".join(f"{o['code']}={' '.join(o['label'].split())}"
                                          for o in source["options"])
                    assert entry["codes"] == expected, column
                    checked += 1
                elif question["type"] == "support":
                    levels = codes.SCALES[source.get("scale", "support")]
                    assert entry["codes"] == " | ".join(f"{lv['code']}={lv['label']}"
                                                        for lv in levels)
                    checked += 1
    assert checked > 10
    # the district names as the resident reads them on the survey page (an open demo copy)
    make_demo(pcp2021.slug)
    browser = Browser(client)
    slug = f"{pcp2021.slug}-demo"
    started = browser.post(f"/c/{slug}/q/about_you", {"respondent_type": "resident"})
    assert started.status_code == 302
    page = BeautifulSoup(browser.get(f"/c/{slug}/q/area").get_data(as_text=True), "html.parser")
    shown = [(radio["value"], page.find("label", attrs={"for": radio["id"]}).get_text(strip=True))
             for radio in page.select('input[type=radio][name="district"]')]
    assert len(shown) > 2
    assert dictionary["district"]["codes"] == " | ".join(f"{c}={label}" for c, label in shown)


def test_support_columns_declare_their_scale_and_levels(consultation):
    dictionary = dictionary_of(consultation)
    entry = dictionary["support__roads"]
    assert entry["scale"] == "support"
    levels = dict(part.split("=") for part in entry["levels"].split(" | "))
    # the contract's numbers: 2 .. -2 for the five views, no number for don't know
    assert levels == {"strongly_support": "2", "support": "1", "neither": "0", "oppose": "-1",
                      "strongly_oppose": "-2", "dont_know": ""}
    assert all(row["scale"] == "" and row["levels"] == ""
               for column, row in dictionary.items() if not column.startswith("support__"))


def _agreement_consultation() -> Consultation:
    raw = parse_file(ROOT / SHIPPED_2021)[0]
    raw = copy.deepcopy(raw)
    raw["slug"] = "agree-or-not"
    # a new consultation in English only: it has no translation files of its own
    raw.pop("languages", None)
    raw.pop("easy_read", None)
    for page in raw["pages"]:
        for question in page["questions"]:
            if question["type"] == "support":
                question["scale"] = "agreement"
                question["label"] = "How far do you agree with this priority?"
    definition = validate(raw, "agree.yaml")
    now = dt.datetime.now(dt.timezone.utc)
    store_definition(definition, hashlib.sha256(repr(definition).encode()).hexdigest(),
                     opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=9))
    return db.session.query(Consultation).filter_by(slug="agree-or-not").one()


def test_a_question_on_the_agreement_scale_is_exported_with_its_levels(app, tmp_path):
    consultation = _agreement_consultation()
    column = "support__communities_first"
    for level in ["strongly_agree", "agree", "disagree", "dont_know", "strongly_disagree",
                  "agree"]:
        add_response(consultation, {column: level})
    add_response(consultation, {column: "agree"}, status="duplicate", status_reason="twice")
    entry = dictionary_of(consultation)[column]
    assert entry["scale"] == "agreement"
    assert entry["codes"].startswith("strongly_agree=Strongly agree | agree=Agree | "
                                     "neither=Neither agree nor disagree")
    assert entry["levels"] == ("strongly_agree=2 | agree=1 | neither=0 | disagree=-1 | "
                               "strongly_disagree=-2 | dont_know=")
    assert "agrees with" in entry["description"]
    path = tmp_path / "agree.xlsx"
    write_xlsx(consultation, str(path))
    sheet = openpyxl.load_workbook(path)["support per theme"]
    header = [c.value for c in sheet[1]]
    row = next(dict(zip(header, (c.value for c in r))) for r in sheet.iter_rows(min_row=2)
               if r[2].value == column)
    assert row["scale"] == "agreement" and row["agree"] == 2 and row["dont_know"] == 1
    assert "strongly_support" not in header  # only the levels of the scales used
    # by hand: 3 of the 5 valid responses who gave a view agree (don't know left out)
    assert row["support_share_of_views"] == pytest.approx(3 / 5)
    assert row["valid_responses"] == 6


def test_the_agreement_scale_is_what_the_resident_is_asked(app, client):
    consultation = _agreement_consultation()
    browser = Browser(client)
    slug = consultation.slug
    page = browser.get(f"/c/{slug}/q/theme__communities_first").get_data(as_text=True)
    for level in codes.SCALES["agreement"]:
        assert level["label"].replace("'", "&#39;") in page, level["label"]
    assert "Strongly support" not in page
    # "don't know" (no number: no view) stands apart from the views, after "or"
    divider = page.index("govuk-radios__divider")
    assert page.index("Strongly disagree") < divider < page.index("Don&#39;t know")


def test_the_areas_travel_with_every_format(app, tmp_path):
    definition = tiny_definition()
    definition["areas"] = AREAS
    consultation = add_consultation(definition)
    expected = [
        {"code": "northtown", "name": "Northtown", "ons_code": "E07000901", "parent": "",
         "population": 91000, "population_source": "ONS Census 2021, table TS001",
         "population_year": 2021, "postcode_districts": "NT1;NT2"},
        {"code": "northtown_east", "name": "Northtown East", "ons_code": "E05000001",
         "parent": "northtown", "population": 12000,
         "population_source": "ONS Census 2021, table TS001", "population_year": 2021,
         "postcode_districts": ""},
        {"code": "southvale", "name": "Southvale", "ons_code": "E07000902", "parent": "",
         "population": 64000, "population_source": "ONS Census 2021, table TS001",
         "population_year": 2021, "postcode_districts": "SV3"},
    ]
    assert json_document(consultation)["consultation"]["areas"] == expected
    out = io.StringIO(newline="")
    assert write_areas_csv(consultation, out) == 3
    assert out.getvalue().startswith('\ufeff"code","name","ons_code","parent","population"')
    rows = read_csv_text(out.getvalue())
    assert rows == [{k: "" if v is None else str(v) for k, v in row.items()} for row in expected]
    path = tmp_path / "areas.xlsx"
    write_xlsx(consultation, str(path))
    sheet = openpyxl.load_workbook(path)["areas"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == AREA_FIELDS
    assert [dict(zip(AREA_FIELDS, (v if v is not None else "" for v in row)))
            for row in values[1:]] == [{k: "" if v is None else v for k, v in row.items()}
                                       for row in expected]


def test_a_consultation_stored_without_areas_gives_those_its_population_names(consultation):
    """Names from the district question the survey showed, populations from the consultation."""
    areas = json_document(consultation)["consultation"]["areas"]
    district = consultation.definition["pages"][1]["questions"][0]
    names = {o["code"]: o["label"] for o in district["options"]}
    assert [a["code"] for a in areas] == list(POPULATION)
    assert all(a["population"] == POPULATION[a["code"]] and a["name"] == names[a["code"]]
               and a["parent"] == "" for a in areas)
    assert "outside_area" not in {a["code"] for a in areas}


def test_the_json_export_names_the_organisation_and_its_version(app):
    definition = tiny_definition()
    definition["organisation"] = "Northtown and Southvale Fire Authority"
    document = json_document(add_consultation(definition))
    assert document["format_version"] == FORMAT_VERSION == 4
    assert document["consultation"]["organisation"] == "Northtown and Southvale Fire Authority"


def test_the_formula_guard_covers_the_areas_table(app):
    definition = tiny_definition()
    definition["areas"] = copy.deepcopy(AREAS)
    definition["areas"]["items"][0]["name"] = "=HYPERLINK(\"http://x\")"
    consultation = add_consultation(definition)
    out = io.StringIO(newline="")
    write_areas_csv(consultation, out)
    assert read_csv_text(out.getvalue())[0]["name"] == "'=HYPERLINK(\"http://x\")"


@pytest.mark.parametrize("version, accepted", [("1", True), ("2", True), ("3", True), ("4", True), ("", True), ("5", False)])
def test_imports_read_rows_of_versions_1_to_4(consultation, version, accepted):
    content = ("format_version,received_on,channel,respondent_type\r\n"
               f"{version},2021-06-14,paper,resident\r\n").encode()
    check = check_file(consultation, "rows.csv", content, today=dt.date(2021, 7, 1))
    assert check.ok == accepted, check.problems
    if not accepted:
        assert [p.column for p in check.problems] == ["format_version"]
        assert "versions 1, 2, 3 and 4" in check.problems[0].problem


def test_staff_download_the_areas_beside_the_dictionary(consultation, signed_in):
    client = signed_in("analyst")
    response = client.get(f"/staff/consultations/{consultation.slug}/export/areas.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f"{consultation.slug}.areas.csv")
    rows = read_csv_text(response.get_data(as_text=True))
    assert {r["code"]: int(r["population"]) for r in rows} == POPULATION
    page = client.get(f"/staff/consultations/{consultation.slug}/export").get_data(as_text=True)
    assert f"/staff/consultations/{consultation.slug}/export/areas.csv" in page


def test_areas_download_is_refused_without_the_export_permission(consultation, signed_in):
    client = signed_in("viewer")
    response = client.get(f"/staff/consultations/{consultation.slug}/export/areas.csv")
    assert response.status_code == 403


def test_every_column_is_listed_once_in_the_dictionary(consultation):
    assert list(dictionary_of(consultation)) == [c.column for c in columns(consultation)]


def test_the_dashboard_counts_the_agreement_scale_by_its_numbers(app):
    from consult.staff.stats import support_per_theme

    consultation = _agreement_consultation()
    column = "support__crime_prevention"
    given = ["strongly_agree", "neither", "disagree", "strongly_disagree", "dont_know"]
    for level in given:
        add_response(consultation, {column: level})
    row = next(r for r in support_per_theme(consultation) if r["theme"].key == "crime_prevention")
    # by hand: 4 gave a view; 1 for, 1 neither, 2 against; don't know is no view
    assert row["views"] == 4 and row["no_view"] == 1
    assert (row["support_share"], row["neither_share"], row["oppose_share"]) == (0.25, 0.25, 0.5)


def test_a_support_question_stored_before_levels_had_numbers_still_sets_dont_know_apart(
        consultation, signed_in):
    """The fixture's support options have no numbers (as stored by earlier versions): the paper
    entry page still puts "or" before the last level."""
    stored = consultation.definition["pages"][2]["questions"][0]["options"]
    assert all("value" not in o for o in stored)
    page = signed_in("engagement").get(
        f"/staff/consultations/{consultation.slug}/entry").get_data(as_text=True)
    first = page.index('name="support__safer_streets"')
    divider = page.index("govuk-radios__divider", first)
    assert page.index('value="strongly_oppose"', first) < divider < page.index(
        'value="dont_know"', first)
