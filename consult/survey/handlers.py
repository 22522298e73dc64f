"""One handler per question type: its WTForms fields, its stored answers, its summary line.

``HANDLERS`` maps a question type to its handler; each handler names the one template that
renders it (``templates/survey/questions/TYPE.html``). A new question type is one handler here,
one template, and its settings in ``definitions.TYPE_KEYS``.

Answers are stored keyed by export column (docs/export-format.md): a code for single choice,
district and support; a list of codes for multiple choice; text for free text and postcode
district; an int for number and for each ``rank__THEME``. An unanswered question has no key.
"""
from __future__ import annotations

import re
from typing import Any, ClassVar

from wtforms import (Field, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError

# Characters a browser never needs to send in an answer: NUL and the other C0 controls except
# tab and line feed (PostgreSQL refuses NUL in text, and none of them mean anything to a reader).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}$")
SHORT_TEXT = 100


def clean_text(value: Any) -> str:
    """Text as the resident wrote it, with Windows line breaks as \\n and control characters gone."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def _label(question: dict) -> str:
    return question.get("short_label") or question["label"].rstrip("?:. ")


class _Choice:
    """Checks that every code sent is one of the question's options (a tampered form is refused)."""

    def __init__(self, codes: list[str], message: str):
        self.codes, self.message = set(codes), message

    def __call__(self, form, field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in self.codes for v in values):
            raise StopValidation(self.message)


class Handler:
    """How one question type becomes form fields and stored answers."""

    template: ClassVar[str]

    def fields(self, question: dict) -> dict[str, Field]:
        raise NotImplementedError

    def answers(self, question: dict, form) -> dict[str, Any]:
        """The stored answers from a validated form (unanswered columns left out)."""
        column = question["columns"][0]
        value = form[column].data
        return {column: value} if value not in (None, "", []) else {}

    def form_data(self, question: dict, answers: dict[str, Any]) -> dict[str, Any]:
        """Field values that show ``answers`` again in the form."""
        return {c: answers[c] for c in question["columns"] if c in answers}

    def formdata_pairs(self, question: dict, answers: dict[str, Any]) -> list[tuple[str, str]]:
        """``answers`` as a browser would post them (for validating a dict, e.g. paper entry)."""
        pairs = []
        for column in question["columns"]:
            value = answers.get(column)
            if value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((column, str(item)))
        return pairs

    def summary(self, question: dict, answers: dict[str, Any]) -> list[str]:
        """Lines shown on the check-your-answers page; empty when not answered."""
        value = answers.get(question["columns"][0])
        return [str(value)] if value not in (None, "", []) else []

    def required(self, question: dict, message: str) -> list:
        return [InputRequired(message=message)] if question.get("required") else [Optional()]


class SingleChoiceHandler(Handler):
    template = "survey/questions/single_choice.html"

    def fields(self, question):
        codes = [o["code"] for o in question["options"]]
        return {question["columns"][0]: RadioField(
            question["label"],
            choices=[SelectChoice(o["code"], o["label"]) for o in question["options"]],
            validate_choice=False,
            validators=self.required(question, f"Select an answer: {_label(question)}")
            + [_Choice(codes, f"Select one of the answers shown: {_label(question)}")],
        )}

    def summary(self, question, answers):
        value = answers.get(question["columns"][0])
        labels = {o["code"]: o["label"] for o in question["options"]}
        return [labels.get(value, value)] if value else []


class DistrictHandler(SingleChoiceHandler):
    template = "survey/questions/district.html"


class SupportHandler(SingleChoiceHandler):
    template = "survey/questions/support.html"


class MultipleChoiceHandler(Handler):
    template = "survey/questions/multiple_choice.html"

    def fields(self, question):
        codes = [o["code"] for o in question["options"]]
        label = _label(question)
        exclusive = next((o for o in question["options"] if o.get("exclusive")), None)

        def only_alone(form, field):
            if exclusive and exclusive["code"] in field.data and len(field.data) > 1:
                raise ValidationError(f"Select the answers that apply, or select "
                                      f"“{exclusive['label']}” on its own")

        return {question["columns"][0]: _DedupSelectMultipleField(
            question["label"],
            choices=[SelectChoice(o["code"], o["label"]) for o in question["options"]],
            validate_choice=False,
            validators=self.required(question, f"Select at least one answer: {label}")
            + [_Choice(codes, f"Select only the answers shown: {label}"), only_alone],
        )}

    def answers(self, question, form):
        column = question["columns"][0]
        values = list(form[column].data or [])
        return {column: values} if values else {}

    def summary(self, question, answers):
        labels = {o["code"]: o["label"] for o in question["options"]}
        return [labels.get(v, v) for v in answers.get(question["columns"][0]) or []]


class _DedupSelectMultipleField(SelectMultipleField):
    def process_formdata(self, valuelist):
        self.data = list(dict.fromkeys(v for v in valuelist))


class _CleanTextMixin:
    def process_formdata(self, valuelist):
        self.data = clean_text(valuelist[0]) if valuelist else ""


class _CleanTextArea(_CleanTextMixin, TextAreaField):
    pass


class _CleanString(_CleanTextMixin, StringField):
    pass


class FreeTextHandler(Handler):
    template = "survey/questions/free_text.html"

    def fields(self, question):
        limit = question["max_length"]
        label = _label(question)

        def within_limit(form, field):
            if len(field.data) > limit:
                raise ValidationError(f"{label} must be {limit:,} characters or fewer "
                                      f"(it is {len(field.data):,} now)")

        return {question["columns"][0]: _CleanTextArea(
            question["label"],
            validators=self.required(question, f"Enter an answer: {label}") + [within_limit],
        )}


class PostcodeDistrictHandler(Handler):
    template = "survey/questions/postcode_district.html"

    def fields(self, question):
        # examples from the consultation's own areas (consult/definitions.py), so that a resident
        # is shown postcodes of the place they live in
        examples = question.get("examples") or ["SW1A", "M1"]

        def outward_code(form, field):
            value = re.sub(r"\s+", " ", field.data.upper()).strip()
            full = FULL_POSTCODE.match(value)
            if full:  # a whole postcode was given: keep only its first part, as the question says
                value = full.group(1)
            if len(value) > SHORT_TEXT or not OUTWARD_CODE.match(value):
                raise StopValidation(f"Enter the first part of a postcode, like "
                                     f"{' or '.join(examples)}, or leave it blank")
            field.data = value

        return {question["columns"][0]: _CleanString(
            question["label"],
            validators=self.required(
                question, f"Enter the first part of your postcode, like {examples[0]}") + [outward_code],
        )}


class NumberHandler(Handler):
    template = "survey/questions/number.html"

    def fields(self, question):
        low, high = question["min"], question["max"]
        label = _label(question)

        def whole_number(form, field):
            text = field.data.replace(",", "").replace(" ", "")
            if not re.fullmatch(r"[+-]?\d{1,12}", text):
                raise StopValidation(f"{label} must be a whole number, like {max(low, 12)}")
            number = int(text)
            if not low <= number <= high:
                raise StopValidation(f"{label} must be between {low:,} and {high:,}")
            field.data = number

        return {question["columns"][0]: _CleanString(
            question["label"],
            validators=self.required(question, f"Enter a number: {label}") + [whole_number],
        )}

    def form_data(self, question, answers):
        column = question["columns"][0]
        return {column: str(answers[column])} if column in answers else {}


class RankingHandler(Handler):
    """One select per theme (1..N): works with a keyboard, a screen reader and without JavaScript."""

    template = "survey/questions/ranking.html"

    def fields(self, question):
        themes = question["options"]
        count = len(themes)
        numbers = [str(n) for n in range(1, count + 1)]
        choices = [SelectChoice("", "Not ranked")] + [SelectChoice(n, n) for n in numbers]
        columns = question["columns"]
        titles = dict(zip(columns, (t["label"] for t in themes)))

        def rank_valid(form, field):
            title = titles[field.name]
            value = field.data or ""
            if value and value not in numbers:
                raise StopValidation(f"Choose a number from 1 to {count} for {title}")
            given = {c: form[c].data for c in columns if form[c].data}
            if not given:
                return
            if not value:
                raise StopValidation(f"Give {title} a number from 1 to {count}, or leave every "
                                     "theme blank if you prefer not to rank them")
            if sum(1 for v in given.values() if v == value) > 1:
                raise StopValidation(f"You gave {value} to more than one theme. Give {title} a "
                                     f"different number: each number from 1 to {count} once")

        fields = {}
        for column in columns:
            fields[column] = SelectField(titles[column], choices=choices, validate_choice=False,
                                         validators=[rank_valid])
        return fields

    def answers(self, question, form):
        return {c: int(form[c].data) for c in question["columns"] if form[c].data}

    def form_data(self, question, answers):
        return {c: str(answers[c]) for c in question["columns"] if c in answers}

    def summary(self, question, answers):
        ranked = sorted((answers[c], t["label"]) for c, t in zip(question["columns"], question["options"])
                        if c in answers)
        return [f"{rank}. {title}" for rank, title in ranked]


HANDLERS: dict[str, Handler] = {
    "single_choice": SingleChoiceHandler(),
    "multiple_choice": MultipleChoiceHandler(),
    "support": SupportHandler(),
    "free_text": FreeTextHandler(),
    "ranking": RankingHandler(),
    "district": DistrictHandler(),
    "postcode_district": PostcodeDistrictHandler(),
    "number": NumberHandler(),
}
