"""`flask consultations load / demo / list`, through the test CLI runner."""
from __future__ import annotations

from consult.extensions import db
from consult.models import Consultation

from .conftest import DEFINITIONS, PCP_2021


def test_load_reads_every_shipped_definition_and_is_idempotent(app, cli_runner):
    app.config["CONSULTATIONS_DIR"] = str(DEFINITIONS)
    first = cli_runner.invoke(args=["consultations", "load"])
    assert first.exit_code == 0, first.output
    assert "police-and-crime-plan-2021: created" in first.output
    assert "police-and-crime-plan-2016: created" in first.output
    second = cli_runner.invoke(args=["consultations", "load"])
    assert second.output.count("unchanged") == 2
    assert db.session.query(Consultation).count() == 2


def test_load_of_a_broken_file_names_file_and_place_and_fails(app, cli_runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(PCP_2021.read_text(encoding="utf-8").replace("type: ranking", "type: league_table"))
    result = cli_runner.invoke(args=["consultations", "load", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}: 1 problem in" in result.output
    assert "pages[5].questions[0].type: 'league_table' is not a question type" in result.output
    assert "1 of 1 definition file was not loaded" in result.output
    assert db.session.query(Consultation).count() == 0


def test_load_of_a_missing_path_is_explained(app, cli_runner, tmp_path):
    result = cli_runner.invoke(args=["consultations", "load", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "no such file or folder" in result.output
    empty = cli_runner.invoke(args=["consultations", "load", str(tmp_path)])
    assert empty.exit_code == 1 and "no .yaml definition files" in empty.output


def test_demo_and_list(app, cli_runner):
    cli_runner.invoke(args=["consultations", "load", str(PCP_2021)])
    demo = cli_runner.invoke(args=["consultations", "demo", "police-and-crime-plan-2021"])
    assert demo.exit_code == 0, demo.output
    assert "police-and-crime-plan-2021-demo: created" in demo.output
    listing = cli_runner.invoke(args=["consultations", "list"])
    lines = listing.output.splitlines()
    assert any(l.startswith("police-and-crime-plan-2021\tclosed\t2021-06-29 23:00") for l in lines), lines
    assert any(l.startswith("police-and-crime-plan-2021-demo (demo)\topen") for l in lines), lines


def test_demo_of_unknown_slug_fails_clearly(app, cli_runner):
    result = cli_runner.invoke(args=["consultations", "demo", "nope"])
    assert result.exit_code == 1 and "there is no consultation 'nope'" in result.output


def test_list_when_empty(app, cli_runner):
    assert "No consultations yet" in cli_runner.invoke(args=["consultations", "list"]).output
