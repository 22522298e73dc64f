"""Plan files: the shipped plans say what the seeds say, problems are placed, reloads keep
staff edits the file did not change, and nothing with progress recorded is dropped."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from consult.definitions import load_file as load_consultation
from consult.extensions import db
from consult.plans.definitions import PlanError, read_file, store_plan, validate
from consult.plans.models import Deliverable, Plan, PlanTheme
from consult.plans.progress import UpdateInput, record_update

from .helpers import sample_source

ROOT = Path(__file__).resolve().parents[2]
PLAN_2021 = ROOT / "instance" / "plans" / "police-and-crime-plan-2021-24.yaml"
PLAN_2017 = ROOT / "instance" / "plans" / "police-and-crime-plan-2017.yaml"
CONSULTATIONS = ROOT / "instance" / "consultations"

# Seed 001, section 5 (the Panel report on delivering the Plan, 2022): each theme's deliverables,
# copied from the report's bullet lists line by line.
SEED_001 = {
    "Putting Communities First": [
        "Bolstered resources for Community Safety Partnerships (CSPs) through funding Problem "
        "Solving Co-ordinators and a new Communities Fund",
        "Business Crime Survey",
        "Briefing Pack regarding workings of CSPs for the benefit of councillors for the swift "
        "referral and resolution of community concerns",
        "Scope out Visibility/Accessibility Assessment Framework",
        "Develop an Engagement Strategy",
        "Link with national cycle crime strategy",
        "Enhance links between probation and community safety partners to make Community Payback "
        "more visible and beneficial for the public",
        "Refresh the Countywide Community Safety Agreement and Board",
    ],
    "Crime Prevention": [
        "Refreshed Drugs Partnership Strategy",
        "Fraud and Cyber Crime Awareness Campaigns",
        "Review of Integrated Mental Health Team in Demand Hub",
        "Refreshed Rehabilitation & Resettlement Partnership Strategy",
        "Youth Fund Awards",
        "Enhanced early intervention support for female offenders",
    ],
    "Supporting Victims and Witnesses": [
        "Refresh of Domestic Abuse/Sexual Violence Partnership Strategy setting out core and "
        "enhanced offer",
        "Recruitment of a Victims Policy Officer",
        "Review of provision for victims of crime requiring mental health support",
        "Re-commissioning of specialist support services for young victims of crime",
        "Remodelling for provision of elements of domestic abuse support services in partnership "
        "with Local Authority",
        "Review of Victim and Witness Hub",
        "Support delivery and monitoring of innovative domestic abuse perpetrator programmes",
        "Facilitating joined up working with criminal justice colleagues",
    ],
    "Ethical Policing": [
        "Development of an Independent Ethics Board",
        "Review Independent Custody Visitor scheme",
        "Produce an Integrity Assurance Annual Report 2021/22",
        "Review Scrutiny Panels One Year In. (Stop & Search and Use of Force)",
        "Develop an Environmental Sustainability Strategy (having due regard for Estates Strategy "
        "and Accommodation Strategy)",
        "Develop an Environmental Sustainability Policy",
        "Develop plans for the ethical use of biometrics in law enforcement (as APCC national lead)",
    ],
    "Robust Enforcement": [
        "Ensure Constabulary progress in cutting crime and delivery against the National Crime & "
        "Policing Measures",
        "Police enforcement activity to tackle serious and organised crime, drugs and "
        "exploitation, including county lines.",
        "Monitoring the effectiveness and efficiency of the criminal justice system.",
        "Ensure the local delivery of the National Integrated Offender Management Strategy",
        "Support the local delivery of Multi Agency Public Protection Arrangements",
    ],
}
SEED_DIR = ROOT.parent / "shared" / "seeds"


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def test_the_2021_plan_lists_every_deliverable_of_seed_001_in_its_words():
    plan, _ = read_file(PLAN_2021)
    assert [t["title"] for t in plan["themes"]] == list(SEED_001)
    for theme in plan["themes"]:
        assert [_words(d["title"]) for d in theme["deliverables"]] == SEED_001[theme["title"]]
    assert [len(t["deliverables"]) for t in plan["themes"]] == [8, 6, 8, 7, 5]


@pytest.mark.skipif(not SEED_DIR.exists(), reason="the seed documents are not beside this checkout")
def test_the_expected_deliverables_are_the_seed_documents_bullets():
    # The list above, checked against the seed file itself: each bullet's words appear in it.
    text = _words((SEED_DIR / "001_6b9ba204b90e9b63.txt").read_text(encoding="utf-8"))
    bullets = [b for items in SEED_001.values() for b in items]
    assert len(bullets) == 34
    for bullet in bullets:
        assert bullet in text, bullet


def test_the_2021_plan_states_no_lead_partner_or_due_date_the_seed_does_not():
    plan, _ = read_file(PLAN_2021)
    for theme in plan["themes"]:
        for d in theme["deliverables"]:
            assert d["lead"] == "" and d["partners"] == [] and d["due_on"] is None, d["key"]
            assert d["reference"] == ""  # the report gives no references
    raw = yaml.safe_load(PLAN_2021.read_text())
    # the one purpose given is the report's own sentence about the Business Crime Survey
    purposes = {d["key"]: d.get("purpose") for t in raw["themes"] for d in t["deliverables"]
                if d.get("purpose")}
    assert list(purposes) == ["business_crime_survey"]


def test_the_2021_plans_themes_are_linked_to_the_2021_consultations_themes():
    plan, _ = read_file(PLAN_2021)
    consultation = yaml.safe_load((CONSULTATIONS / "police-and-crime-plan-2021.yaml").read_text())
    assert plan["consultation"] == consultation["slug"]
    assert [t["consultation_theme"] for t in plan["themes"]] == [t["key"] for t in consultation["themes"]]


def test_the_2017_plan_has_its_four_themes_and_priority_action_v8():
    plan, _ = read_file(PLAN_2017)
    assert [t["title"] for t in plan["themes"]] == ["Victims", "Offenders", "Communities",
                                                    "Transformation"]
    assert plan["item_name"] == "priority action"
    actions = [d for t in plan["themes"] for d in t["deliverables"]]
    assert len(actions) == 1
    assert actions[0]["reference"] == "V8"
    assert _words(actions[0]["title"]) == ("Ensure that when Criminal Justice System processes "
                                           "are reviewed the impact on victims and witnesses is "
                                           "considered")
    assert plan["themes"][0]["title"] == "Victims" and plan["themes"][0]["deliverables"] == actions


def test_flask_plans_load_writes_both_shipped_plans_once(app, cli_runner):
    for path in sorted(CONSULTATIONS.glob("*.yaml")):
        load_consultation(path)
    result = cli_runner.invoke(args=["plans", "load", str(PLAN_2021), str(PLAN_2017)])
    assert result.exit_code == 0, result.output
    assert "police-and-crime-plan-2021-24: created" in result.output
    again = cli_runner.invoke(args=["plans", "load", str(PLAN_2021), str(PLAN_2017)])
    assert "police-and-crime-plan-2021-24: unchanged" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deliverable)) == 35
    plan = db.session.execute(sa.select(Plan).where(Plan.slug == "police-and-crime-plan-2021-24")).scalar_one()
    assert [len(t.deliverables) for t in plan.themes] == [8, 6, 8, 7, 5]
    listed = cli_runner.invoke(args=["plans", "list"]).output
    assert "5 themes, 34 deliverables" in listed and "4 themes, 1 priority action;" in listed


def test_a_plan_whose_consultation_is_not_loaded_is_refused(app, cli_runner):
    result = cli_runner.invoke(args=["plans", "load", str(PLAN_2021)])
    assert result.exit_code != 0
    assert "there is no consultation 'police-and-crime-plan-2021' loaded" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Plan)) == 0


def _broken(change) -> list[str]:
    source = copy.deepcopy(sample_source())
    change(source)
    with pytest.raises(PlanError) as caught:
        validate(source, "broken.yaml")
    return caught.value.problems


@pytest.mark.parametrize("change, expected", [
    (lambda s: s.pop("themes"), "themes: should be a list of themes"),
    (lambda s: s.update(slug="Not A Slug"), "slug: 'Not A Slug' is not a valid slug"),
    (lambda s: s["themes"][1]["deliverables"][0].update(due_on="next spring"),
     "themes[1].deliverables[0].due_on: 'next spring' is not a date; write it as 2022-09-30"),
    (lambda s: s["themes"][0]["deliverables"][1].update(key="patrols"),
     "themes[0].deliverables[1].key: 'patrols' is also the key of themes[0].deliverables[0]"),
    (lambda s: s["themes"][1]["deliverables"][1].update(reference="S1"),
     "themes[1].deliverables[1].reference: 'S1' is also the reference of themes[0].deliverables[0]"),
    (lambda s: s["themes"][0]["deliverables"][0].update(owner="Ada"),
     "themes[0].deliverables[0].owner: is not a known setting here"),
    (lambda s: s["themes"][0]["deliverables"][0].update(title=""),
     "themes[0].deliverables[0].title: is missing"),
    (lambda s: s["themes"][0]["deliverables"][0].update(reference=8),
     "themes[0].deliverables[0].reference: 8 is not a reference such as V8"),
    (lambda s: s["themes"][0]["measures"][0]["values"][0].update(period="2031-h1"),
     "themes[0].measures[0].values[0].period: '2031-h1' is not the key of one of this plan's periods"),
    (lambda s: s["themes"][0]["measures"][0]["values"][1].update(value="lots"),
     "themes[0].measures[0].values[1].value: 'lots' is not a number"),
    (lambda s: s["periods"][1].update(ends_on="2022-01-01"), "periods[1].ends_on: is before starts_on"),
    (lambda s: s.update(item_name="project"), "item_name: 'project' should be one of"),
])
def test_each_problem_is_placed_and_explained(change, expected):
    problems = _broken(change)
    assert any(p.startswith(expected) for p in problems), problems


def test_every_problem_is_reported_at_once():
    def two(source):
        source["themes"][0]["deliverables"][0]["due_on"] = "soon"
        source["themes"][1]["title"] = ""
    assert len(_broken(two)) == 2


def test_a_file_that_is_not_yaml_says_where(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text("slug: x\nthemes: [unclosed\n")
    with pytest.raises(PlanError) as caught:
        read_file(path)
    assert "line 3" in caught.value.problems[0] and "not valid YAML" in caught.value.problems[0]


def test_a_theme_linked_to_no_theme_of_the_consultation_is_refused(app, consultation):
    source = sample_source()
    source["themes"][1]["consultation_theme"] = "traffic"
    with pytest.raises(PlanError) as caught:
        store_plan(validate(source), "x")
    assert caught.value.problems == ["themes[1].consultation_theme: 'traffic' is not a theme of "
                                     "'test-consultation'; its themes are roads, safer_streets"]


def _reload(source):
    store_plan(validate(source), "sha-" + str(id(source)), "test-plan.yaml")


def test_a_reload_keeps_staff_edits_the_file_did_not_change_and_takes_up_what_it_did(
        app, consultation, plan, deliverables):
    deliverables["patrols"].lead = "Chief Inspector, as edited by staff"
    deliverables["speed"].lead = "edited too"
    db.session.commit()
    source = sample_source()
    source["themes"][1]["deliverables"][0]["lead"] = "Road Safety Partnership"  # the file changes it
    source["themes"][0]["deliverables"].append({"key": "cctv", "title": "CCTV review"})
    _reload(source)
    by_key = {d.key: d for d in db.session.scalars(sa.select(Deliverable))}
    assert by_key["patrols"].lead == "Chief Inspector, as edited by staff"
    assert by_key["speed"].lead == "Road Safety Partnership"
    assert by_key["cctv"].theme.key == "streets" and by_key["cctv"].position == 4


def test_a_reload_that_drops_a_deliverable_with_progress_is_refused(app, consultation, plan,
                                                                    deliverables, periods):
    record_update(deliverables["cameras"], periods["2022-h1"], UpdateInput("green", "no_change"),
                  actor="test")
    source = sample_source()
    source["themes"][1]["deliverables"].pop()
    with pytest.raises(PlanError) as caught:
        _reload(source)
    assert "'cameras' (Average speed cameras) has 1 progress update(s)" in caught.value.problems[0]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deliverable)) == 5


def test_a_reload_that_drops_a_deliverable_without_progress_removes_it(app, consultation, plan):
    source = sample_source()
    source["themes"][1]["deliverables"].pop()
    source["themes"].append({"key": "extra", "title": "Extra"})
    _reload(source)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Deliverable)) == 4
    assert [t.key for t in db.session.scalars(sa.select(PlanTheme).order_by(PlanTheme.position))] == \
        ["streets", "roads", "extra"]


def test_a_plan_file_with_an_alias_bomb_is_refused_before_anything_is_built(tmp_path):
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
              f"*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 9)]
    lines.append("slug: *a8")
    path = tmp_path / "plan.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(PlanError) as caught:
        read_file(path)
    problem = caught.value.problems[0]
    assert "line 1" in problem and "aliases" in problem and len(problem) < 300
