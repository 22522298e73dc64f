"""Consultation definitions: validated with placed errors, loaded idempotently, never orphaning."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml

from consult.definitions import DefinitionError, load_file, make_demo, read_file, validate
from consult.extensions import db
from consult.models import Consultation, Question, Theme
from consult.survey.submission import store_response

from .conftest import PCP_2016, PCP_2021, THEMES_2021

EXPORT_COLUMNS_2021 = """
respondent_type
victim_crime_types victim_reported victim_support_offered victim_satisfaction
business_size business_sector business_crimes business_reported
district postcode_district
support__communities_first comment__communities_first
support__crime_prevention comment__crime_prevention
support__victims_and_witnesses comment__victims_and_witnesses
support__ethical_policing comment__ethical_policing
support__robust_enforcement comment__robust_enforcement
rank__communities_first rank__crime_prevention rank__victims_and_witnesses
rank__ethical_policing rank__robust_enforcement
missing_from_plan
age_band sex gender_identity ethnicity disability religion
""".split()


def columns(definition: dict) -> list[str]:
    return [c for page in definition["pages"] for q in page["questions"] for c in q["columns"]]


def test_2021_definition_gives_exactly_the_export_columns_in_order():
    definition, _ = read_file(PCP_2021)
    assert columns(definition) == EXPORT_COLUMNS_2021


def test_2021_definition_has_the_plan_themes_and_real_dates():
    definition, _ = read_file(PCP_2021)
    assert [(t["key"], t["title"]) for t in definition["themes"]] == [
        ("communities_first", "Putting Communities First"),
        ("crime_prevention", "Crime Prevention"),
        ("victims_and_witnesses", "Supporting Victims and Witnesses"),
        ("ethical_policing", "Ethical Policing"),
        ("robust_enforcement", "Robust Enforcement"),
    ]
    assert all(t["summary"] and t["what_we_will_do"].startswith("We will") for t in definition["themes"])
    # 30 June 2021 00:00 and 30 July 2021 23:59 UK time (British Summer Time, UTC+1)
    assert definition["opens_at"] == "2021-06-29T23:00:00+00:00"
    assert definition["closes_at"] == "2021-07-30T22:59:00+00:00"
    assert definition["population"] == {
        "cambridge": 145700, "east_cambridgeshire": 87700, "fenland": 102500,
        "huntingdonshire": 180800, "south_cambridgeshire": 162000, "peterborough": 215700}


def test_2021_codes_match_the_export_contract():
    definition, _ = read_file(PCP_2021)
    questions = {q["key"]: q for page in definition["pages"] for q in page["questions"]}
    codes = {k: [o["code"] for o in q.get("options", [])] for k, q in questions.items()}
    assert codes["respondent_type"] == ["resident", "victim_or_witness", "business", "organisation",
                                        "elected_representative", "police"]
    assert codes["district"] == ["cambridge", "east_cambridgeshire", "fenland", "huntingdonshire",
                                 "south_cambridgeshire", "peterborough", "outside_area", "prefer_not_to_say"]
    assert codes["support__ethical_policing"] == ["strongly_support", "support", "neither", "oppose",
                                                  "strongly_oppose", "dont_know"]
    assert codes["age_band"] == ["under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_74",
                                 "75_plus", "prefer_not_to_say"]
    assert codes["sex"] == ["female", "male", "prefer_not_to_say"]
    for key in ("age_band", "sex", "gender_identity", "ethnicity", "disability", "religion"):
        assert "prefer_not_to_say" in codes[key]
        assert not questions[key]["required"]
    assert "none" in codes["business_crimes"]


def test_2016_definition_has_its_four_themes():
    definition, _ = read_file(PCP_2016)
    assert [t["key"] for t in definition["themes"]] == ["victims", "offenders", "communities", "transformation"]
    assert "rank__transformation" in columns(definition)
    assert definition["opens_at"].startswith("2016-10-03")


def place_of(error: DefinitionError) -> list[str]:
    return [p.split(": ")[0] for p in error.problems]


def _break(raw: dict, change) -> dict:
    change(raw)
    return raw


BROKEN = [
    ("missing slug", lambda r: r.pop("slug"), "slug", "is missing"),
    ("bad slug", lambda r: r.update(slug="Police Plan"), "slug", "not a valid slug"),
    ("demo slug", lambda r: r.update(slug="plan-demo"), "slug", "-demo"),
    ("bad prefix", lambda r: r.update(reference_prefix="pcp-1"), "reference_prefix", "capital letters"),
    ("unknown top key", lambda r: r.update(colour="blue"), "colour", "not a known setting"),
    ("bad date", lambda r: r.update(opens_at="30/06/2021"), "opens_at", "not a date and time"),
    ("closes before opening", lambda r: r.update(closes_at="2021-06-01 00:00"), "closes_at", "not after opens_at"),
    ("bad timezone", lambda r: r.update(timezone="Mars/Olympus"), "timezone", "not a time zone"),
    ("old-style population of unknown district", lambda r: r.update(population={"atlantis": 5}),
     "population.atlantis", "not a district code"),
    ("own areas without a population year", lambda r: r.update(areas={
        "label": "Ward", "population_source": "x", "items": [{"code": "a", "name": "A"}],
        "outside": {"code": "out", "name": "Out"}, "prefer_not_to_say": {"code": "pnts", "name": "P"}}),
     "areas.population_year", "is missing"),
    ("own areas with a code twice", lambda r: r.update(areas={
        "label": "Ward", "population_source": "x", "population_year": 2021,
        "items": [{"code": "a", "name": "A"}, {"code": "a", "name": "B"}],
        "outside": {"code": "out", "name": "Out"}, "prefer_not_to_say": {"code": "pnts", "name": "P"}}),
     "areas.items[1].code", "also the code of areas.items[0]"),
    ("duplicate theme", lambda r: r["themes"].append(dict(r["themes"][0])), "themes[5].key", "another theme"),
    ("theme without title", lambda r: r["themes"][2].pop("title"), "themes[2].title", "is missing"),
    ("theme key with double underscore", lambda r: r["themes"][0].update(key="a__b"), "themes[0].key", "double underscore"),
    ("unknown type", lambda r: r["pages"][0]["questions"][0].update(type="slider"), "pages[0].questions[0].type", "not a question type"),
    ("option code read as a number", lambda r: r["pages"][7]["questions"][0]["options"][1].update(code=1824),
     "pages[7].questions[0].options[1].code", "put it in quotes"),
    ("duplicate option code", lambda r: r["pages"][1]["questions"][1]["options"].append({"code": "yes", "label": "Y"}),
     "pages[1].questions[1].options[3].code", "another option"),
    ("one option only", lambda r: r["pages"][1]["questions"][1].update(options=[{"code": "yes", "label": "Yes"}]),
     "pages[1].questions[1].options", "at least two options"),
    ("two exclusive options", lambda r: [o.update(exclusive=True) for o in r["pages"][2]["questions"][2]["options"][:2]],
     "pages[2].questions[2].options", "only one exclusive"),
    ("exclusive on single choice", lambda r: r["pages"][1]["questions"][1]["options"][0].update(exclusive=True),
     "pages[1].questions[1].options[0].exclusive", "only an option of a multiple_choice"),
    ("free text limit too big", lambda r: r["pages"][6]["questions"][0].update(max_length=100000),
     "pages[6].questions[0].max_length", "whole number from 1 to"),
    ("show_if on unknown question", lambda r: r["pages"][1]["show_if"].update(question="shoe_size"),
     "pages[1].show_if.question", "not a question on an earlier page"),
    ("show_if with unknown code", lambda r: r["pages"][1]["show_if"].update({"in": ["victim"]}),
     "pages[1].show_if.in[0]", "not a code of question"),
    ("support question off a theme page", lambda r: r["pages"][5]["questions"].append(
        {"key": "overall", "type": "support", "label": "Overall?"}), "pages[5].questions[1].type", "for_each_theme"),
    ("duplicate question key", lambda r: r["pages"][3]["questions"].append(
        {"key": "district", "type": "district", "label": "Again"}), "pages[3].questions[2].key", "another question"),
    ("no questions on a page", lambda r: r["pages"][6].update(questions=[]), "pages[6].questions", "at least one question"),
    ("unknown question setting", lambda r: r["pages"][6]["questions"][0].update(colour="red"),
     "pages[6].questions[0].colour", "not a known setting"),
]


@pytest.mark.parametrize("change,place,message", [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_a_broken_definition_names_the_place_and_the_problem(raw_definition, change, place, message):
    change(raw_definition)
    with pytest.raises(DefinitionError) as caught:
        validate(raw_definition, "broken.yaml")
    assert place in place_of(caught.value), caught.value.problems
    assert any(p.startswith(place + ":") and message in p for p in caught.value.problems), caught.value.problems
    assert str(caught.value).startswith("broken.yaml: ")


def test_every_problem_is_reported_at_once(raw_definition):
    raw_definition.pop("title")
    raw_definition["themes"][0]["key"] = "Bad Key"
    raw_definition["pages"][0]["questions"][0]["type"] = "slider"
    with pytest.raises(DefinitionError) as caught:
        validate(raw_definition, "x.yaml")
    assert {"title", "themes[0].key", "pages[0].questions[0].type"} <= set(place_of(caught.value))


@pytest.mark.parametrize("content,message", [
    ("slug: [unclosed", "line 1"),
    ("- just\n- a list\n", "should hold a consultation"),
    ("", "should hold a consultation"),
])
def test_unreadable_files_are_explained(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(DefinitionError) as caught:
        read_file(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_not_utf8_is_explained(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: caf\xe9".encode("latin-1"))
    with pytest.raises(DefinitionError, match="not UTF-8"):
        read_file(path)


def test_loading_writes_themes_and_questions(app):
    result = load_file(PCP_2021)
    assert result.action == "created"
    consultation = db.session.query(Consultation).filter_by(slug="police-and-crime-plan-2021").one()
    assert [t.key for t in consultation.themes] == THEMES_2021
    assert consultation.themes[0].what_we_will_do.startswith("We will ensure the police and other partners")
    questions = {q.key: q for q in consultation.questions}
    assert questions["support__crime_prevention"].type == "support"
    assert questions["support__crime_prevention"].spec["theme"] == "crime_prevention"
    assert questions["support__crime_prevention"].page == "theme__crime_prevention"
    assert questions["rank"].spec["columns"] == [f"rank__{t}" for t in THEMES_2021]
    assert questions["victim_reported"].spec["show_if"] == {"question": "respondent_type", "in": ["victim_or_witness"]}
    assert [q.key for q in consultation.questions][:2] == ["respondent_type", "victim_crime_types"]
    assert consultation.opens_at == dt.datetime(2021, 6, 29, 23, 0, tzinfo=dt.timezone.utc)
    assert consultation.population["peterborough"] == 215700
    assert not consultation.is_demo


def test_loading_twice_changes_nothing(app):
    load_file(PCP_2021)
    before = db.session.query(Consultation).one()
    loaded_at, ids = before.loaded_at, [q.id for q in before.questions]
    assert load_file(PCP_2021).action == "unchanged"
    db.session.expire_all()
    after = db.session.query(Consultation).one()
    assert after.loaded_at == loaded_at and [q.id for q in after.questions] == ids
    assert db.session.query(Theme).count() == 5


def _write(tmp_path, raw, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_changed_file_updates_rows_in_place(app, tmp_path, raw_definition):
    path = _write(tmp_path, raw_definition)
    load_file(path)
    theme_ids = {t.key: t.id for t in db.session.query(Theme)}
    raw_definition["themes"][1]["title"] = "Preventing Crime"
    raw_definition["pages"][7]["questions"][1]["options"].append({"code": "intersex", "label": "Intersex"})
    assert load_file(_write(tmp_path, raw_definition)).action == "updated"
    db.session.expire_all()
    assert {t.key: t.id for t in db.session.query(Theme)} == theme_ids
    assert db.session.query(Theme).filter_by(key="crime_prevention").one().title == "Preventing Crime"
    sex = db.session.query(Question).filter_by(key="sex").one()
    assert "intersex" in [o["code"] for o in sex.spec["options"]]


def _one_response(consultation_slug="police-and-crime-plan-2021", **answers):
    consultation = db.session.query(Consultation).filter_by(slug=consultation_slug).one()
    return store_response(consultation, answers, channel="paper", received_on=dt.date(2021, 7, 1))


@pytest.mark.parametrize("change,what", [
    (lambda r: r["themes"].pop(4), "robust_enforcement"),
    (lambda r: r["pages"][7]["questions"][0]["options"].pop(2), "'25_34'"),
    (lambda r: r["pages"][6].update(questions=[{"key": "gaps", "type": "free_text", "label": "Gaps?"}]),
     "missing_from_plan"),
], ids=["theme removed", "option removed", "question removed"])
def test_a_change_that_would_orphan_responses_is_refused(app, tmp_path, raw_definition, change, what):
    load_file(_write(tmp_path, raw_definition))
    _one_response(respondent_type="resident", support__robust_enforcement="support",
                  age_band="25_34", missing_from_plan="Rural crime")
    change(raw_definition)
    with pytest.raises(DefinitionError) as caught:
        load_file(_write(tmp_path, raw_definition))
    assert "refused" in str(caught.value) and what in str(caught.value)
    db.session.expire_all()
    consultation = db.session.query(Consultation).one()
    assert len(consultation.themes) == 5  # nothing was changed
    assert "missing_from_plan" in [q.key for q in consultation.questions]


def test_removing_what_no_response_uses_is_allowed(app, tmp_path, raw_definition):
    load_file(_write(tmp_path, raw_definition))
    _one_response(respondent_type="resident")
    raw_definition["pages"][7]["questions"].pop()  # religion: nobody answered it
    assert load_file(_write(tmp_path, raw_definition)).action == "updated"
    assert db.session.query(Question).filter_by(key="religion").count() == 0


def test_demo_copy_opens_now_for_28_days_and_is_marked(app):
    load_file(PCP_2021)
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.timezone.utc)
    result = make_demo("police-and-crime-plan-2021", now=now)
    demo = db.session.query(Consultation).filter_by(slug="police-and-crime-plan-2021-demo").one()
    assert result.action == "created" and demo.is_demo and demo.demo_of == "police-and-crime-plan-2021"
    assert demo.opens_at == now and demo.closes_at == now + dt.timedelta(days=28)
    assert [t.key for t in demo.themes] == THEMES_2021
    # run again while open: its dates (and its drafts) are kept
    assert make_demo("police-and-crime-plan-2021", now=now + dt.timedelta(days=3)).action == "unchanged"
    # once closed, it opens again from now
    later = now + dt.timedelta(days=40)
    assert make_demo("police-and-crime-plan-2021", now=later).action == "updated"
    db.session.expire_all()
    assert db.session.query(Consultation).filter_by(is_demo=True).one().opens_at == later


def test_demo_of_an_unknown_consultation_is_explained(app):
    with pytest.raises(LookupError, match="load its definition first"):
        make_demo("nope")
