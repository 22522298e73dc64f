"""A second body runs Consult by adding files only: the Norfolk example's organisation file and
consultation folder (instance/examples/norfolk/) go through the whole flow — a resident takes the
survey, the staff dashboard shows responses per 1,000 residents and below district level, the
responses are exported as CSV, imported back, and the evidence report is built from the export."""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from flask import g

from consult import create_app
from consult.definitions import make_demo
from consult.exports import write_csv, write_dictionary_csv
from consult.extensions import db
from consult.imports import import_file
from consult.models import Consultation, Response
from consult.staff.accounts import create_user

ROOT = Path(__file__).resolve().parents[1]
NORFOLK = ROOT / "instance" / "examples" / "norfolk"
SLUG = "police-and-crime-plan-2024"
DEMO = f"/c/{SLUG}-demo"
PASSWORD = "correct horse battery staple"
THEMES = ["preventing_crime", "cohesive_communities", "reducing_harm"]
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def organisation_file() -> dict:
    """The organisation file as plain YAML, read apart from the app's own loader."""
    return yaml.safe_load((NORFOLK / "organisation.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def norfolk(tmp_path):
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'norfolk.db'}",
        "ORGANISATION_FILE": str(NORFOLK / "organisation.yaml"),
        "CONSULTATIONS_DIR": str(NORFOLK / "consultations"),
        "REPORTS_DIR": str(tmp_path / "reports"), "IMPORTS_DIR": str(tmp_path / "imports")})
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


class Client:
    """A test client that sends the CSRF token of the page it last read, as a browser does."""

    def __init__(self, app):
        self.client = app.test_client()
        self.token = None

    def get(self, url):
        g.pop("csrf_token", None)
        response = self.client.get(url)
        match = CSRF.search(response.get_data(as_text=True))
        self.token = match.group(1) if match else self.token
        return response

    def post(self, url, data):
        if self.token is None:
            self.get(url)
        g.pop("csrf_token", None)
        return self.client.post(url, data={**data, "csrf_token": self.token})


def take_the_survey(client: Client, district: str, postcode: str) -> None:
    pages = [("about_you", {"respondent_type": "resident"}),
             ("area", {"district": district, "postcode_district": postcode})]
    pages += [(f"theme__{t}", {f"support__{t}": "support", f"comment__{t}": f"More on {t}"})
              for t in THEMES]
    pages += [("ranking", {f"rank__{t}": str(i + 1) for i, t in enumerate(THEMES)}),
              ("missing", {"missing_from_plan": "Rural patrols"}),
              ("equality", {"age_band": "35_54"})]
    for key, data in pages:
        response = client.post(f"{DEMO}/q/{key}", data)
        assert response.status_code == 302, (key, response.get_data(as_text=True)[:2000])
    done = client.post(f"{DEMO}/check", {})
    assert done.status_code == 302 and done.location.endswith("/confirmation")


def test_a_second_body_runs_end_to_end_from_its_files(norfolk, tmp_path):
    org = organisation_file()
    runner = norfolk.test_cli_runner()
    loaded = runner.invoke(args=["consultations", "load"])
    assert loaded.exit_code == 0, loaded.output
    make_demo(SLUG)

    # the survey offers the body's own districts, in its own words
    resident = Client(norfolk)
    area_page = BeautifulSoup(resident.get(f"{DEMO}/q/area").get_data(as_text=True), "html.parser")
    offered = [label.get_text(strip=True) for label in area_page.select("input[name=district] + label")]
    assert offered == [a["name"] for a in org["areas"]["items"]] + [
        org["areas"]["outside"]["name"], org["areas"]["prefer_not_to_say"]["name"]]
    assert org["name"] in area_page.get_text()

    take_the_survey(resident, "norwich", "nr2 1aa")
    take_the_survey(Client(norfolk), "norwich", "NR2")
    take_the_survey(Client(norfolk), "breckland", "IP24")
    demo = Consultation.query.filter_by(slug=f"{SLUG}-demo").one()
    stored = db.session.query(Response).filter_by(consultation_id=demo.id).all()
    assert sorted(r.district for r in stored) == ["breckland", "norwich", "norwich"]

    # the dashboard: per 1,000 residents from the file's Census 2021 figures, with the source
    create_user("viewer@example.org", "Viewer", "viewer", PASSWORD)
    staff = Client(norfolk)
    staff.get("/staff/login")
    assert staff.post("/staff/login", {"email": "viewer@example.org",
                                       "password": PASSWORD}).status_code == 302
    page = BeautifulSoup(staff.get(f"/staff/consultations/{SLUG}-demo").get_data(as_text=True),
                         "html.parser")
    rows = {tr.th.get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")]
            for tr in page.select("#representativeness tbody tr")}
    population = {a["name"]: a["population"] for a in org["areas"]["items"]}
    assert set(rows) == set(population)
    assert rows["Norwich"] == ["2", f"{population['Norwich']:,}", f"{2000 / population['Norwich']:.2g}"]
    assert rows["Breckland"][2] == f"{1000 / population['Breckland']:.2g}"
    assert rows["Broadland"] == ["0", f"{population['Broadland']:,}", "0"]
    assert "Census 2021" in page.select_one("#population-source").get_text()
    # below district level: Norwich by its neighbourhoods, two responses shown only as "<10"
    norwich = {tr.th.get_text(strip=True): tr.td.get_text(strip=True)
               for tr in page.select("#local-norwich tbody tr")}
    assert set(norwich) == {s["name"] for s in org["areas"]["items"][5]["sub_areas"]}
    assert norwich["West Norwich (NR2)"] == "<10"
    assert "2" not in norwich.values()

    # the CSV export carries the body's codes, and imports back (as a second copy of each)
    out = io.StringIO()
    write_csv(demo, out)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted(r["district"] for r in exported) == ["breckland", "norwich", "norwich"]
    check = import_file(demo, "norfolk.csv", out.getvalue().encode("utf-8"))
    assert check.ok, check.problems[:5]
    imported = db.session.query(Response).filter_by(consultation_id=demo.id, channel="online").all()
    assert len(check.new_rows) == 3 and len(imported) == 6
    assert sorted((r.district, r.answers.get("postcode_district")) for r in imported)[::2] == [
        ("breckland", "IP24"), ("norwich", "NR2"), ("norwich", "NR2")]

    # the evidence report, built from the export alone, with the body's own populations
    from analysis.load import load
    from analysis.report import build_report

    export_path = tmp_path / "norfolk.csv"
    export_path.write_text(out.getvalue(), encoding="utf-8")
    with (tmp_path / "norfolk.dictionary.csv").open("w", encoding="utf-8", newline="") as handle:
        write_dictionary_csv(demo, handle)
    population_csv = tmp_path / "population.csv"
    population_csv.write_text("district,population\n" + "".join(
        f"{a['code']},{a['population']}\n" for a in org["areas"]["items"]), encoding="utf-8")
    data = load(export_path)
    paths = build_report(data, tmp_path / "report", None, str(population_csv), progress=False)
    report = paths["markdown"].read_text(encoding="utf-8")
    assert "Preventing crime" in report and "Norwich" in report
    assert "Cambridge" not in report and "Peterborough" not in report
