"""The organisation file: checked against its schema and in code, loaded at start, and the source
of the privacy notice, the accessibility statement and the areas."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from consult import create_app
from consult.definitions import DefinitionError, validate
from consult.organisation import area_options, load_organisation, validate_organisation

ROOT = Path(__file__).resolve().parents[1]
CAMBS = ROOT / "instance" / "organisation.yaml"
NORFOLK = ROOT / "instance" / "examples" / "norfolk" / "organisation.yaml"
PCP_2021 = ROOT / "instance" / "consultations" / "police-and-crime-plan-2021.yaml"

ARTICLE_13 = ["controller", "dpo_contact", "purpose_survey", "lawful_basis_survey", "purpose_equality",
              "lawful_basis_equality", "recipients", "retention", "rights", "complaints",
              "international_transfers", "automated_decisions", "obligation_to_provide"]
STATEMENT_SECTIONS = ["compliance_status", "non_accessible_content", "how_tested", "prepared_on",
                      "contact", "enforcement_procedure"]


def raw(path: Path = CAMBS) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def problems_of(data: dict) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        validate_organisation(data, "org.yaml")
    return caught.value.problems


@pytest.mark.parametrize("path", [CAMBS, NORFOLK], ids=["shipped", "norfolk"])
def test_the_shipped_organisation_files_load(path):
    organisation = load_organisation(path)
    assert organisation["name"] == raw(path)["name"]
    areas = organisation["areas"]
    assert areas["population_year"] == 2021 and "Census 2021" in areas["population_source"]
    assert all(a["ons_code"] and a["population"] for a in areas["items"])


@pytest.mark.parametrize("item", ARTICLE_13)
def test_every_article_13_item_is_required(item):
    data = raw()
    del data["data_protection"][item]
    assert problems_of(data) == [f"data_protection.{item}: is missing"]


@pytest.mark.parametrize("section", STATEMENT_SECTIONS)
def test_every_accessibility_statement_section_is_required(section):
    data = raw()
    del data["accessibility"][section]
    assert problems_of(data) == [f"accessibility.{section}: is missing"]


def test_an_empty_statement_is_refused_like_a_missing_one():
    data = raw()
    data["data_protection"]["complaints"] = ""
    assert problems_of(data) == ["data_protection.complaints: is empty; give a value"]


@pytest.mark.parametrize("change, expected", [
    (lambda a: a["items"][1].update(code="cambridge"),
     "areas.items[1].code: 'cambridge' is also the code of areas.items[0]"),
    (lambda a: a["items"][1]["postcode_districts"].append("cb1"),
     "areas.items[1].postcode_districts: CB1 is also given to areas.items[0]"),
    (lambda a: a["items"][5]["sub_areas"][1].update(postcode_districts=["PE1"]),
     "areas.items[5].sub_areas[1].postcode_districts: PE1 is also given to areas.items[5].sub_areas[0]"),
    (lambda a: a["items"][2].update(ons_code="E07000008"),
     "areas.items[2].ons_code: E07000008 is also the ONS code of areas.items[0]"),
    (lambda a: a["outside"].update(code="fenland"),
     "areas.outside.code: 'fenland' is also the code of areas.items[2]"),
    (lambda a: a["items"][0].update(ons_code="E7"),
     "areas.items[0].ons_code: should be a nine-character ONS code such as E07000008"),
    (lambda a: a["items"][0].update(population="lots"),
     "areas.items[0].population: should be a whole number, not 'lots'"),
    (lambda a: a.pop("population_year"), "areas.population_year: is missing"),
])
def test_cross_references_and_shapes_of_the_areas_are_checked(change, expected):
    data = raw()
    change(data["areas"])
    found = problems_of(data)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_every_problem_is_listed_at_once_with_the_file_name(tmp_path):
    data = raw()
    del data["name"]
    data["contact"]["email"] = "not an address"
    data["areas"]["items"][0]["code"] = "Cambridge City"
    path = tmp_path / "organisation.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        load_organisation(path)
    assert str(caught.value).startswith(f"{path}: 3 problems in this organisation file:")
    assert set(caught.value.problems) == {
        "name: is missing", "contact.email: should be an email address",
        "areas.items[0].code: should be a code of lower-case letters, digits and underscores (at most 50 characters)"}


def test_yaml_aliases_are_refused(tmp_path):
    path = tmp_path / "organisation.yaml"
    path.write_text("name: &n Body\nshort_name: *n\n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="anchors .* and aliases .* are not allowed"):
        load_organisation(path)


def test_a_bad_file_stops_the_start_listing_its_problems(tmp_path):
    data = raw()
    del data["data_protection"]["dpo_contact"]
    path = tmp_path / "organisation.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(SystemExit) as caught:
        create_app("testing", {"ORGANISATION_FILE": str(path)})
    assert "data_protection.dpo_contact: is missing" in caught.value.message
    run = subprocess.run([sys.executable, "-c", "from consult import create_app; create_app('testing')"],
                         env={**os.environ, "ORGANISATION_FILE": str(path)}, cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 3  # gunicorn's "worker failed to boot": it stops, not restarts
    assert "data_protection.dpo_contact: is missing" in run.stderr and "Traceback" not in run.stderr


def test_the_name_shown_on_every_page_comes_from_the_file():
    app = create_app("testing", {"ORGANISATION_FILE": str(NORFOLK)})
    assert app.config["ORGANISATION_NAME"] == raw(NORFOLK)["name"]


def _text(element) -> str:
    return " ".join(element.get_text(" ").split())


def _words(text: str) -> str:
    return " ".join(str(text).split())


@pytest.mark.parametrize("path", [CAMBS, NORFOLK], ids=["shipped", "norfolk"])
def test_the_privacy_page_says_every_article_13_item(path):
    app = create_app("testing", {"ORGANISATION_FILE": str(path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.app_context():
        from consult.extensions import db
        db.create_all()
        page = BeautifulSoup(app.test_client().get("/privacy").get_data(as_text=True), "html.parser")
    main = _text(page.main)
    data = raw(path)
    for item in ARTICLE_13:
        assert _words(data["data_protection"][item]) in main, item
    assert data["contact"]["email"] in main and _words(data["contact"]["address"]) in main
    headings = [_text(h) for h in page.main.find_all("h2")]
    assert {"Who is responsible for your information", "Data Protection Officer", "Your rights",
            "How to complain", "Automated decisions"} <= set(headings)


@pytest.mark.parametrize("path", [CAMBS, NORFOLK], ids=["shipped", "norfolk"])
def test_the_accessibility_page_has_every_required_section(path):
    app = create_app("testing", {"ORGANISATION_FILE": str(path)})
    page = BeautifulSoup(app.test_client().get("/accessibility").get_data(as_text=True), "html.parser")
    main = _text(page.main)
    data = raw(path)["accessibility"]
    for section in ("compliance_status", "non_accessible_content", "how_tested", "contact",
                    "enforcement_procedure"):
        assert _words(data[section]) in main, section
    prepared = data["prepared_on"]
    assert f"prepared on {prepared.day} {prepared:%B %Y}" in main
    assert [_text(h) for h in page.main.find_all("h2")] == [
        "Compliance status", "Non-accessible content", "Feedback and contact information",
        "Enforcement procedure", "Preparation of this accessibility statement"]


def test_a_definition_uses_the_organisation_areas_unless_it_lists_its_own():
    definition = yaml.safe_load(PCP_2021.read_text(encoding="utf-8"))
    # in English only: its Polish area names are the Cambridgeshire ones
    definition.pop("languages", None)
    definition.pop("easy_read", None)
    norfolk = load_organisation(NORFOLK)
    normalised = validate(copy.deepcopy(definition), "x.yaml", organisation=norfolk)
    district = next(q for p in normalised["pages"] for q in p["questions"] if q["type"] == "district")
    assert district["options"] == area_options(norfolk["areas"])
    assert normalised["areas"] == norfolk["areas"]
    assert normalised["population"] == {a["code"]: a["population"] for a in raw(NORFOLK)["areas"]["items"]}

    own = copy.deepcopy(raw(NORFOLK)["areas"])
    own["items"] = own["items"][:2]
    own["population_year"] = 2011
    normalised = validate({**copy.deepcopy(definition), "areas": own}, "x.yaml", organisation=norfolk)
    district = next(q for p in normalised["pages"] for q in p["questions"] if q["type"] == "district")
    assert [o["code"] for o in district["options"]] == ["breckland", "broadland", "outside_area",
                                                         "prefer_not_to_say"]
    assert normalised["areas"]["population_year"] == 2011


def test_an_old_population_mapping_replaces_the_populations_and_says_the_year_is_unknown():
    definition = yaml.safe_load(PCP_2021.read_text(encoding="utf-8"))
    definition["population"] = {"cambridge": 1000}
    normalised = validate(definition, "x.yaml", organisation=load_organisation(CAMBS))
    assert normalised["population"] == {"cambridge": 1000}
    assert normalised["areas"]["population_year"] is None
