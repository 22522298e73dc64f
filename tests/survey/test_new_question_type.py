"""A new question type is one handler and one template: registered here, a made-up type
("a mark out of N") is validated in a definition, shown and answered in the survey, summarised
on check your answers, exported with its data dictionary entry and read back from an imported
file, with nothing else in the code told about it."""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from dataclasses import replace

import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from wtforms import RadioField, SelectChoice
from wtforms.validators import StopValidation

from consult.definitions import DefinitionError, store_definition, validate
from consult.exports import columns, write_csv, write_dictionary_csv
from consult.extensions import db
from consult.imports import check_file
from consult.models import Consultation, Response
from consult.survey import handlers
from consult.survey.handlers import HANDLERS, Handler, register

from .conftest import Browser, raw_2021

SLUG = "mark-out-of"

TEMPLATE = """{% set field = form[question.columns[0]] %}
<fieldset class="mark-out-of" data-out-of="{{ question.out_of }}"><legend>{{ question.label }}</legend>
{% if field.errors %}<p class="govuk-error-message">{{ field.errors[0] }}</p>{% endif %}
{% for n in range(1, question.out_of + 1) %}<label><input type="radio" name="{{ field.name }}" value="{{ n }}"{% if field.data|string == n|string %} checked{% endif %}> {{ n }}</label>
{% endfor %}</fieldset>
"""


class MarkHandler(Handler):
    """A whole-number mark from 1 to ``out_of`` (default 5)."""

    template = "survey/questions/mark.html"
    settings = frozenset({"out_of"})
    export_type = "integer"
    description = "The mark the respondent gave, from 1 to out_of; empty when not given."

    def build(self, raw, place, ctx):
        out_of = raw.get("out_of", 5)
        if not isinstance(out_of, int) or isinstance(out_of, bool) or not 2 <= out_of <= 10:
            ctx.problem(f"{place}.out_of", "should be a whole number from 2 to 10")
            out_of = 5
        return {"out_of": out_of}

    def fields(self, question):
        marks = [str(n) for n in range(1, question["out_of"] + 1)]

        def a_mark(form, field):
            if field.data not in marks:
                raise StopValidation(f"Give a mark from 1 to {question['out_of']}")
            field.data = int(field.data)

        return {question["columns"][0]: RadioField(
            question["label"], choices=[SelectChoice(m, m) for m in marks], validate_choice=False,
            validators=self.required(question, "Give a mark") + [a_mark])}

    def form_data(self, question, answers):
        column = question["columns"][0]
        return {column: str(answers[column])} if column in answers else {}

    def summary(self, question, answers):
        value = answers.get(question["columns"][0])
        return [f"{value} out of {question['out_of']}"] if value else []

    def export_columns(self, question, titles):
        return [replace(column, max_value=question["out_of"])
                for column in super().export_columns(question, titles)]

    def read_cell(self, column, raw):
        if not raw.isdigit() or not 1 <= int(raw) <= column.max_value:
            return None, f"'{raw}' is not a mark from 1 to {column.max_value}"
        return int(raw), None


@pytest.fixture
def mark_type(app, tmp_path):
    """The new type: its handler registered and its one template beside the app's."""
    folder = tmp_path / "templates" / "survey" / "questions"
    folder.mkdir(parents=True)
    (folder / "mark.html").write_text(TEMPLATE)
    app.jinja_env.loader = ChoiceLoader([FileSystemLoader(tmp_path / "templates"),
                                         app.jinja_env.loader])
    register("mark", MarkHandler())
    yield HANDLERS["mark"]
    del HANDLERS["mark"]


def definition(**question) -> dict:
    raw = raw_2021()
    raw["slug"] = SLUG
    raw["pages"] = [
        {"key": "about_you", "title": "About you", "questions": [
            {"key": "respondent_type", "type": "single_choice", "label": "Who are you?",
             "options": [{"code": "resident", "label": "A resident"},
                         {"code": "business", "label": "A business"}]}]},
        {"key": "marks", "title": "Your mark", "questions": [
            {"key": "mark", "type": "mark", "label": "What mark do you give the plan?",
             "required": True, **question}]},
    ]
    raw.pop("checks", None)
    return raw


def test_the_new_type_is_checked_by_its_handler(mark_type):
    normalised = validate(definition(out_of=7), "mark.yaml")
    [question] = normalised["pages"][1]["questions"]
    assert question["out_of"] == 7 and question["columns"] == ["mark"]
    with pytest.raises(DefinitionError) as error:
        validate(definition(out_of=70, colour="red"), "mark.yaml")
    assert ("pages[1].questions[0].out_of: should be a whole number from 2 to 10"
            in error.value.problems)
    assert any(p.startswith("pages[1].questions[0].colour: is not a known setting")
               and "out_of" in p for p in error.value.problems)


def test_without_its_handler_the_type_is_unknown(app):
    with pytest.raises(DefinitionError) as error:
        validate(definition(), "mark.yaml")
    assert any("'mark' is not a question type" in p for p in error.value.problems)


def _open(normalised: dict) -> Consultation:
    now = dt.datetime.now(dt.timezone.utc)
    store_definition(normalised, hashlib.sha256(repr(normalised).encode()).hexdigest(), "mark.yaml",
                     opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=1))
    return db.session.query(Consultation).filter_by(slug=SLUG).one()


def test_the_new_type_is_asked_answered_exported_and_imported(mark_type, client):
    consultation = _open(validate(definition(out_of=7), "mark.yaml"))
    browser = Browser(client)
    started = browser.post(f"/c/{SLUG}/q/about_you", {"respondent_type": "resident"})
    assert started.status_code == 302
    page = browser.get(f"/c/{SLUG}/q/marks").get_data(as_text=True)
    assert 'data-out-of="7"' in page and page.count('type="radio" name="mark"') == 7
    refused = browser.post(f"/c/{SLUG}/q/marks", {"mark": "9"})
    assert refused.status_code == 200
    assert "Give a mark from 1 to 7" in refused.get_data(as_text=True)
    assert browser.post(f"/c/{SLUG}/q/marks", {"mark": "6"}).status_code == 302
    check = browser.get(f"/c/{SLUG}/check").get_data(as_text=True)
    assert "6 out of 7" in check
    assert browser.post(f"/c/{SLUG}/check", {}).status_code == 302
    stored = db.session.query(Response).filter_by(consultation_id=consultation.id).one()
    assert stored.answers["mark"] == 6

    [column] = [c for c in columns(consultation) if c.column == "mark"]
    assert (column.type, column.question_type, column.label) == (
        "integer", "mark", "What mark do you give the plan?")
    out = io.StringIO()
    write_csv(consultation, out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff"))))
    assert row["mark"] == "6"
    out = io.StringIO()
    write_dictionary_csv(consultation, out)
    entry = next(r for r in csv.DictReader(io.StringIO(out.getvalue().lstrip("\ufeff")))
                 if r["column"] == "mark")
    assert entry["description"] == MarkHandler.description

    sheet = ("received_on,channel,respondent_type,mark\r\n"
             "2021-07-01,paper,resident,3\r\n"
             "2021-07-01,paper,business,8\r\n").encode()
    result = check_file(consultation, "marks.csv", sheet, today=dt.date(2021, 7, 2))
    assert [(p.row, p.column, p.problem) for p in result.problems] == [
        (3, "mark", "'8' is not a mark from 1 to 7")]
    result = check_file(consultation, "marks.csv", sheet.rsplit(b"2021-07-01,paper,business", 1)[0],
                        today=dt.date(2021, 7, 2))
    assert result.ok and [r["answers"]["mark"] for r in result.new_rows] == [3]


def test_nothing_outside_the_handlers_names_a_question_type():
    """definitions.py, exports.py and imports.py ask the handlers; none of them lists types."""
    from pathlib import Path

    root = Path(handlers.__file__).resolve().parents[1]
    types = [t for t in HANDLERS if t not in ("support", "district", "number", "ranking")]
    for name in ("definitions.py", "exports.py", "imports.py"):
        text = (root / name).read_text()
        for qtype in types + ["postcode_district"]:
            assert f'"{qtype}"' not in text and f"'{qtype}'" not in text, (name, qtype)
