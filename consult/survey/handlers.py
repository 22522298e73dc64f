"""One handler per question type: everything about the type lives in its handler.

``HANDLERS`` maps a question type to its handler. A handler owns its whole type:

- its settings in a definition (``settings``), how they are checked and normalised
  (``build``), where it may stand (``theme_pages``: never, may or only on a page asked once
  per theme) and the answer columns it is stored under (``complete``);
- its WTForms fields (``fields``), its stored answers (``answers``), its line on the
  check-your-answers page (``summary``) and the one template that renders it
  (``templates/survey/questions/TYPE.html``);
- its export columns with their data dictionary entries (``export_columns``: type, codes,
  scale, description) and how a cell of an imported file is read (``read_cell``).

Adding a question type is one handler registered here (``register``) and one template; nothing
else lists the types.

Answers are stored keyed by export column (docs/export-format.md): a code for single choice,
district and support; a list of codes for multiple choice; text for free text and postcode
district; an int for number and for each ``rank__THEME``. An unanswered question has no key.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any, ClassVar, Protocol

from flask import has_app_context
from flask_babel import format_number, gettext
from flask_babel.speaklater import LazyString
from markupsafe import escape
from wtforms import (Field, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField,
                     TextAreaField)
from wtforms.validators import InputRequired, Optional, StopValidation, ValidationError

from .. import codes as code_lists
from ..columns import Column, codes_text
from ..quoting import quoted

# Characters a browser never needs to send in an answer: NUL and the other C0 controls except
# tab and line feed (PostgreSQL refuses NUL in text, and none of them mean anything to a reader).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
OUTWARD_CODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
FULL_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*[0-9][A-Z]{2}$")
SHORT_TEXT = 100
MAX_FREE_TEXT = 5000
DEFAULT_TEXT_LIMIT = 5000


def clean_text(value: Any) -> str:
    """Text as the resident wrote it, with Windows line breaks as \\n and control characters gone."""
    if value is None:
        return ""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def _label(question: dict) -> str:
    return question.get("short_label") or question["label"].rstrip("?:. ")


class _Message(LazyString):
    """A resident's message, translated when it is shown (a form class is built once and
    kept), and escaped as text in a page: it may quote a definition's words."""

    def __html__(self) -> str:
        return str(escape(str(self)))


def lazy_gettext(text: str, **values) -> _Message:
    return _Message(gettext, text, **values)


class _Number:
    """A number in a resident's message, written the way the page's language writes numbers
    (``5,000`` in English, ``5000`` in Polish) when the message is shown."""

    def __init__(self, value: int):
        self.value = value

    def __str__(self) -> str:
        return format_number(self.value) if has_app_context() else f"{self.value:,}"


class DefinitionContext(Protocol):
    """What a handler's ``build`` may use from the definition being checked
    (consult/definitions.py gives it)."""

    themes: list[dict]
    areas: dict | None  # the consultation's areas (consult/organisation.py), once known

    def problem(self, place: str, message: str) -> None: ...

    def text(self, value: Any, place: str, *, required: bool = ...,
             max_length: int = ...) -> str: ...

    def options(self, raw: Any, place: str, *, exclusive_allowed: bool) -> list[dict]: ...

    def area_options(self) -> list[dict]: ...


def _whole_number(raw: dict, name: str, default: int, low: int, high: int, place: str,
                  ctx: DefinitionContext) -> int:
    value = raw.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        ctx.problem(f"{place}.{name}", f"should be a whole number from {low} to {high}")
        return default
    return value


class _Choice:
    """Checks that every code sent is one of the question's options (a tampered form is refused)."""

    def __init__(self, codes: list[str], message: str):
        self.codes, self.message = set(codes), message

    def __call__(self, form, field) -> None:
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in self.codes for v in values):
            raise StopValidation(self.message)


class Handler:
    """One question type: its settings, form fields, stored answers, export columns, import."""

    template: ClassVar[str]
    # The settings a question of this type may have besides the common ones (key, type, label...).
    settings: ClassVar[frozenset[str]] = frozenset()
    # Where it may stand: "never", "may" or "only" on a page asked once per theme.
    theme_pages: ClassVar[str] = "never"
    # Its answers are codes of its options (validation, orphaned answers, the data dictionary).
    coded: ClassVar[bool] = False
    # Its answer can show a page (``show_if``) or be named by a definition's ``checks``.
    choice: ClassVar[bool] = False
    # Its options are the consultation's areas (the area breakdowns and the areas table).
    asks_area: ClassVar[bool] = False
    # At most one question of the type in a definition; the reason says why.
    once: ClassVar[str] = ""
    # The export column type (docs/export-format.md) and what the column means.
    export_type: ClassVar[str] = "text"
    description: ClassVar[str] = "The respondent's answer."
    # Its answers are words a person wrote, which staff may translate (``translation__COLUMN``).
    translatable: ClassVar[bool] = False

    # --- the definition --------------------------------------------------------------------

    def build(self, raw: dict, place: str, ctx: DefinitionContext) -> dict[str, Any]:
        """The type's own settings of question ``raw``, checked and normalised; problems go to
        ``ctx.problem`` with their place."""
        return {}

    def complete(self, question: dict, themes: list[dict]) -> None:
        """Give a question asked once (not per theme) its answer ``columns``."""
        question["columns"] = [question["key"]]

    def code_pairs(self, question: dict) -> list[tuple[str, str]]:
        """The (code, label) pairs of a coded question, in the survey's own words."""
        return [(str(o["code"]), str(o.get("label") or o["code"]))
                for o in question.get("options") or [] if isinstance(o, dict) and "code" in o]

    def orphaned(self, question: dict, column: str, value: Any) -> str | None:
        """What in a stored answer the (new) definition of ``question`` no longer allows, in
        plain English, or None."""
        if not self.coded:
            return None
        known = {o["code"] for o in question.get("options", [])}
        values = value if isinstance(value, list) else [value]
        bad = [v for v in values if v not in known]
        if bad:
            return (f"code {quoted(bad[0])} of {quoted(column)} "
                    "(an option the new definition removes)")
        return None

    # --- the export and imports ------------------------------------------------------------

    def export_columns(self, question: dict, titles: dict[str, str]) -> list[Column]:
        """The question's export columns with their data dictionary entries. ``question`` is the
        normalised definition's question (key, type, label and the rest of its settings);
        ``titles`` maps theme keys to titles."""
        theme = question.get("theme") or ""
        options = self.code_pairs(question) if self.coded else []
        return [Column(
            question["key"], str(question.get("definition_key") or question["key"]),
            self.export_type, theme, titles.get(theme, "") if theme else "", question["label"],
            codes_text(options), self.column_description(question, titles),
            tuple(code for code, _ in options), question.get("max_length"), question["type"],
        )]

    def column_description(self, question: dict, titles: dict[str, str]) -> str:
        return self.description

    def read_cell(self, column: Column, raw: str) -> tuple[Any, str | None]:
        """The stored value of one non-empty cell of an imported file, or a problem in plain
        English (the survey's own checks run afterwards, on the whole row)."""
        limit = column.max_length or DEFAULT_TEXT_LIMIT
        if len(raw) > limit:
            return None, f"the text is {len(raw)} characters long; the most is {limit}"
        return raw, None

    # --- the survey ------------------------------------------------------------------------

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


def _choice_options(raw: dict, place: str, ctx: DefinitionContext, *,
                    exclusive_allowed: bool) -> list[dict]:
    """A choice question's options: its own ``options``, or ``code_list: NAME`` for one of the
    code lists of consult/codes.py ``EQUALITY_GROUPS`` (the ONS 2021 categories)."""
    name = raw.get("code_list")
    if name is None:
        return ctx.options(raw.get("options"), f"{place}.options",
                           exclusive_allowed=exclusive_allowed)
    if "options" in raw:
        ctx.problem(f"{place}.code_list", "give either options or a code_list, not both")
    if not isinstance(name, str) or name not in code_lists.EQUALITY_GROUPS:
        ctx.problem(f"{place}.code_list", f"{quoted(name)} is not a code list; the code lists are "
                    f"{', '.join(code_lists.EQUALITY_GROUPS)}")
        return []
    return [{"code": code, "label": label} for code, label in code_lists.EQUALITY_GROUPS[name]]


def _read_code(column: Column, raw: str) -> tuple[Any, str | None]:
    if column.code_list and raw not in column.code_list:
        return None, f"'{raw}' is not one of the codes: {', '.join(column.code_list)}"
    return raw, None


class SingleChoiceHandler(Handler):
    template = "survey/questions/single_choice.html"
    settings = frozenset({"options", "code_list"})
    coded = True
    choice = True
    export_type = "code"
    description = "One code, or empty when not answered."

    def build(self, raw, place, ctx):
        return {"options": _choice_options(raw, place, ctx, exclusive_allowed=False)}

    def read_cell(self, column, raw):
        return _read_code(column, raw)

    def fields(self, question):
        codes = [o["code"] for o in question["options"]]
        return {question["columns"][0]: RadioField(
            question["label"],
            choices=[SelectChoice(o["code"], o["label"]) for o in question["options"]],
            validate_choice=False,
            validators=self.required(question, lazy_gettext("Select an answer: %(label)s",
                                                             label=_label(question)))
            + [_Choice(codes, lazy_gettext("Select one of the answers shown: %(label)s",
                                           label=_label(question)))],
        )}

    def summary(self, question, answers):
        value = answers.get(question["columns"][0])
        labels = {o["code"]: o["label"] for o in question["options"]}
        return [labels.get(value, value)] if value else []


class DistrictHandler(SingleChoiceHandler):
    """The area the respondent lives or works in: the consultation's areas (its own, or the
    organisation's), then outside the area and prefer not to say."""

    template = "survey/questions/district.html"
    settings = frozenset()
    asks_area = True
    description = "The area, as a code; empty when not answered."

    def build(self, raw, place, ctx):
        areas = ctx.areas
        # the template sets the choices outside the areas apart from the areas
        return {"options": [dict(o) for o in ctx.area_options()],
                "set_apart_from": areas["outside"]["code"] if areas else ""}


class SupportHandler(SingleChoiceHandler):
    """How far the respondent supports (or agrees with) one theme, on a scale of
    consult/codes.py ``SCALES``: ``scale: agreement``; the default is ``support``."""

    template = "survey/questions/support.html"
    settings = frozenset({"scale"})
    theme_pages = "only"
    choice = False
    export_type = "support"

    def build(self, raw, place, ctx):
        name = raw.get("scale", code_lists.DEFAULT_SCALE)
        if not isinstance(name, str) or name not in code_lists.SCALES:
            ctx.problem(f"{place}.scale", f"{quoted(name)} is not a scale; the scales are "
                        f"{', '.join(code_lists.SCALES)}")
            name = code_lists.DEFAULT_SCALE
        return {"scale": name, "options": [dict(level) for level in code_lists.SCALES[name]]}

    def levels(self, question: dict) -> list[dict]:
        """The scale's levels as the definition stored them (older definitions: the scale's)."""
        options = question.get("options") or []
        if options and all("value" in o for o in options):
            return options
        return code_lists.scale(question.get("scale"))

    def code_pairs(self, question):
        return [(o["code"], o["label"]) for o in self.levels(question)]

    def column_description(self, question, titles):
        theme = question.get("theme") or ""
        verb = code_lists.SCALE_VERBS.get(question.get("scale") or code_lists.DEFAULT_SCALE,
                                          "supports")
        return (f"How far the respondent {verb} '{titles.get(theme, theme)}'; "
                "empty when not answered.")

    def export_columns(self, question, titles):
        levels = self.levels(question)
        return [replace(column, scale=question.get("scale") or code_lists.DEFAULT_SCALE,
                        levels=code_lists.levels_text(levels))
                for column in super().export_columns(question, titles)]


class MultipleChoiceHandler(Handler):
    template = "survey/questions/multiple_choice.html"
    settings = frozenset({"options", "code_list"})
    coded = True
    choice = True
    export_type = "codes"
    description = "Codes separated by ';' (a list in JSON); 'none' is none of these."

    def build(self, raw, place, ctx):
        return {"options": _choice_options(raw, place, ctx, exclusive_allowed=True)}

    def read_cell(self, column, raw):
        codes = [c.strip() for c in raw.split(";") if c.strip()]
        wrong = [c for c in codes if column.code_list and c not in column.code_list]
        if wrong:
            return None, (f"{', '.join(repr(c) for c in wrong)} not among the codes: "
                          f"{', '.join(column.code_list)} (separate codes with ;)")
        if "none" in codes and len(codes) > 1:
            return None, "'none' (none of these) cannot be given with other codes"
        return codes, None

    def fields(self, question):
        codes = [o["code"] for o in question["options"]]
        label = _label(question)
        exclusive = next((o for o in question["options"] if o.get("exclusive")), None)

        def only_alone(form, field):
            if exclusive and exclusive["code"] in field.data and len(field.data) > 1:
                raise ValidationError(lazy_gettext(
                    "Select the answers that apply, or select “%(answer)s” on its own",
                    answer=exclusive["label"]))

        return {question["columns"][0]: _DedupSelectMultipleField(
            question["label"],
            choices=[SelectChoice(o["code"], o["label"]) for o in question["options"]],
            validate_choice=False,
            validators=self.required(question, lazy_gettext("Select at least one answer: %(label)s",
                                                             label=label))
            + [_Choice(codes, lazy_gettext("Select only the answers shown: %(label)s",
                                           label=label)),
               only_alone],
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
    """Free text; on a page asked once per theme, the respondent's comment on each theme."""

    template = "survey/questions/free_text.html"
    settings = frozenset({"max_length", "rows"})
    theme_pages = "may"
    description = "Free text, as written."
    translatable = True

    def build(self, raw, place, ctx):
        return {"max_length": _whole_number(raw, "max_length", 1000, 1, MAX_FREE_TEXT, place, ctx),
                "rows": _whole_number(raw, "rows", 5, 2, 20, place, ctx)}

    def export_columns(self, question, titles):
        columns = super().export_columns(question, titles)
        if question.get("theme"):
            theme = question["theme"]
            columns = [replace(column, type="comment", description=(
                f"The respondent's comment on '{titles.get(theme, theme)}', as written."))
                for column in columns]
        return columns

    def fields(self, question):
        limit = question["max_length"]
        label = _label(question)

        def within_limit(form, field):
            if len(field.data) > limit:
                raise ValidationError(lazy_gettext(
                    "%(label)s must be %(limit)s characters or fewer (it is %(length)s now)",
                    label=label, limit=_Number(limit), length=_Number(len(field.data))))

        return {question["columns"][0]: _CleanTextArea(
            question["label"],
            validators=self.required(question, lazy_gettext("Enter an answer: %(label)s",
                                                             label=label))
            + [within_limit],
        )}


class PostcodeDistrictHandler(Handler):
    template = "survey/questions/postcode_district.html"
    description = "A partial postcode (outward code) in capitals, or empty."

    def build(self, raw, place, ctx):
        # the examples its messages give: a postcode district of the first and of the last area
        given = [a["postcode_districts"][0] for a in (ctx.areas or {}).get("items", [])
                 if a["postcode_districts"]]
        return {"examples": list(dict.fromkeys(given[:1] + given[-1:]))}

    def read_cell(self, column, raw):
        code = raw.upper().replace(" ", "")
        if not OUTWARD_CODE.match(code):
            return None, (f"'{raw}' is not the first half of a postcode (the part before the "
                          "space, such as SW1A)")
        return code, None

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
                if len(examples) > 1:
                    raise StopValidation(lazy_gettext(
                        "Enter the first part of a postcode, like %(first)s or %(second)s, or "
                        "leave it blank", first=examples[0], second=examples[-1]))
                raise StopValidation(lazy_gettext(
                    "Enter the first part of a postcode, like %(example)s, or leave it blank",
                    example=examples[0]))
            field.data = value

        return {question["columns"][0]: _CleanString(
            question["label"],
            validators=self.required(
                question, lazy_gettext("Enter the first part of your postcode, like %(example)s",
                                       example=examples[0])) + [outward_code],
        )}


def _read_whole_number(raw: str) -> tuple[int | None, str | None]:
    try:
        return int(raw), None
    except ValueError:
        return None, f"'{raw}' is not a whole number"


class NumberHandler(Handler):
    template = "survey/questions/number.html"
    settings = frozenset({"min", "max", "suffix"})
    export_type = "integer"
    description = "A whole number, or empty."

    def build(self, raw, place, ctx):
        for bound in ("min", "max"):
            if bound in raw and (not isinstance(raw[bound], int) or isinstance(raw[bound], bool)):
                ctx.problem(f"{place}.{bound}", "should be a whole number")
        low, high = raw.get("min", 0), raw.get("max", 1_000_000)
        if isinstance(low, int) and isinstance(high, int) and low > high:
            ctx.problem(f"{place}.min", f"is more than max ({low} > {high})")
        built = {"min": low, "max": high}
        if raw.get("suffix"):
            built["suffix"] = ctx.text(raw.get("suffix"), f"{place}.suffix", required=False,
                                       max_length=40)
        return built

    def read_cell(self, column, raw):
        return _read_whole_number(raw)

    def fields(self, question):
        low, high = question["min"], question["max"]
        label = _label(question)

        def whole_number(form, field):
            text = field.data.replace(",", "").replace(" ", "")
            if not re.fullmatch(r"[+-]?\d{1,12}", text):
                raise StopValidation(lazy_gettext(
                    "%(label)s must be a whole number, like %(example)s",
                    label=label, example=_Number(max(low, 12))))
            number = int(text)
            if not low <= number <= high:
                raise StopValidation(lazy_gettext(
                    "%(label)s must be between %(low)s and %(high)s",
                    label=label, low=_Number(low), high=_Number(high)))
            field.data = number

        return {question["columns"][0]: _CleanString(
            question["label"],
            validators=self.required(question, lazy_gettext("Enter a number: %(label)s",
                                                             label=label))
            + [whole_number],
        )}

    def form_data(self, question, answers):
        column = question["columns"][0]
        return {column: str(answers[column])} if column in answers else {}


class RankingHandler(Handler):
    """One select per theme (1..N): works with a keyboard, a screen reader and without JavaScript."""

    template = "survey/questions/ranking.html"
    once = "themes are ranked once"
    export_type = "rank"

    def build(self, raw, place, ctx):
        if len(ctx.themes) < 2:
            ctx.problem(place, "a ranking question needs at least two themes")
        return {}

    def complete(self, question, themes):
        question["columns"] = [f"rank__{t['key']}" for t in themes]
        question["options"] = [{"code": t["key"], "label": t["title"]} for t in themes]

    def orphaned(self, question, column, value):
        count = len(question.get("options") or [])
        if isinstance(value, int) and value > count:
            return f"rank {value} in {quoted(column)} (more than the {count} themes now ranked)"
        return None

    def export_columns(self, question, titles):
        asked_as = str(question.get("definition_key") or question["key"])
        themes = question.get("options") or []
        n = len(themes)
        return [Column(
            column, asked_as, "rank", theme["code"], theme["label"], question["label"], "",
            f"Where the respondent ranked '{theme['label']}': 1 is most important, {n} least; "
            "empty when not ranked.", question_type=question["type"], max_value=n,
        ) for column, theme in zip(question["columns"], themes)]

    def read_cell(self, column, raw):
        number, problem = _read_whole_number(raw)
        if problem is None and not 1 <= number <= (column.max_value or 0):
            return None, f"a rank is from 1 to {column.max_value}; '{raw}' is not"
        return number, problem

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
                raise StopValidation(lazy_gettext(
                    "Choose a number from 1 to %(count)s for %(theme)s", count=count, theme=title))
            given = {c: form[c].data for c in columns if form[c].data}
            if not given:
                return
            if not value:
                raise StopValidation(lazy_gettext(
                    "Give %(theme)s a number from 1 to %(count)s, or leave every theme blank if "
                    "you prefer not to rank them", theme=title, count=count))
            if sum(1 for v in given.values() if v == value) > 1:
                raise StopValidation(lazy_gettext(
                    "You gave %(number)s to more than one theme. Give %(theme)s a different "
                    "number: each number from 1 to %(count)s once",
                    number=value, theme=title, count=count))

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


def register(question_type: str, handler: Handler) -> None:
    """Add a question type (or replace one): the survey, definitions, exports and imports all
    take their knowledge of it from ``handler``."""
    HANDLERS[question_type] = handler


def handler_for(question_type: str) -> Handler:
    """The handler of ``question_type``; KeyError for a type that has none."""
    return HANDLERS[question_type]
