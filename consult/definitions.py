"""Consultation definitions: YAML files -> validated, normalised dicts -> database rows.

A consultation is data. Its file under ``instance/consultations/`` names the themes, the pages
and their questions; :func:`validate` checks it and returns the normalised form the survey and
the exports read (``Consultation.definition``), and :func:`load_file` writes the
``Consultation``, ``Theme`` and ``Question`` rows. Loading the same file twice changes nothing
(the file's sha256 is kept); a changed file that would leave responses already given pointing
at a theme, question or option that no longer exists is refused.

A definition's pages may include blocks by name (``- include: equality-monitoring``): pages, and
checks between their questions, kept once in ``BLOCKS_FOLDER`` (``instance/blocks/``) and put in
place before anything is checked; the sha256 kept covers the blocks too. The structure of the
file is checked against ``consult/schemas/consultation.schema.json`` first, then what reaches
across it (routing, keys and export columns, checks) here.

The district question's options are the consultation's areas: its own ``areas:`` block, else
the organisation's (consult/organisation.py); the normalised definition keeps them under
``areas`` (and their populations under ``population``), so a stored consultation carries them.

Every problem found is reported with the file, the place in it (``pages[3].questions[1].options``,
or a block's file and the place there) and what is wrong, all at once, so that a definition can be
fixed in one pass.
"""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from sqlalchemy import select

from . import content_languages, schema
from .extensions import db
from .models import Consultation, Question, Response, Theme
from .quoting import quoted
from .survey.handlers import HANDLERS

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,59}$")
PREFIX_RE = re.compile(r"^[A-Z0-9]{1,6}$")

# The districts are the organisation's areas, or the definition's own ``areas:``
# (consult/organisation.py); the question types' settings are their handlers'.

# The keys every question may have; each type's own settings are its handler's
# (consult/survey/handlers.py), and so is everything else about the type.
COMMON_QUESTION_KEYS = {"key", "type", "label", "short_label", "hint", "required", "label_is_heading"}
# A definition is a few pages of text (the shipped ones are 9 and 14 KB): a file over this size,
# or with more YAML nodes than this, is refused before anything is built from it.
MAX_DEFINITION_BYTES = 256 * 1024
MAX_YAML_NODES = 50_000
# Problems listed at most: a broken file of thousands of options is still one readable page.
MAX_PROBLEMS = 100

TOP_KEYS = {
    "slug", "title", "summary", "organisation", "reference_prefix", "timezone", "opens_at",
    "closes_at", "retention_days", "time_to_complete", "privacy_notice", "contact",
    "population", "areas", "themes", "pages", "checks", "languages", "easy_read",
}
REQUIRED_TOP_KEYS = ("slug", "title", "summary", "reference_prefix", "opens_at", "closes_at",
                     "themes", "pages")
THEME_KEYS = {"key", "title", "summary", "what_we_will_do"}
PAGE_KEYS = {"key", "title", "intro", "show_if", "for_each_theme", "questions"}
OPTION_KEYS = {"code", "label", "hint", "exclusive"}
CHECK_KEYS = {"if", "then", "message"}


class DefinitionError(Exception):
    """A definition file that cannot be loaded; ``problems`` lists each one in plain English."""

    def __init__(self, path: str, problems: list[str], what: str = "consultation definition"):
        self.path = path
        if len(problems) > MAX_PROBLEMS:
            problems = problems[:MAX_PROBLEMS] + [
                f"and {len(problems) - MAX_PROBLEMS:,} more problems not listed; fix these first"]
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem{'' if len(problems) == 1 else 's'} in this {what}:\n{lines}")


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, place: str, message: str) -> None:
        self.items.append(f"{place}: {message}" if place else message)


def _text(value: Any, place: str, problems: _Problems, *, required: bool = True,
          max_length: int = 5000) -> str:
    if value is None or value == "":
        if required:
            problems.add(place, "is missing; give it some text")
        return ""
    if not isinstance(value, str):
        problems.add(place, f"should be text, not {type(value).__name__}")
        return ""
    value = value.strip()
    if len(value) > max_length:
        problems.add(place, f"is {len(value)} characters long; the most allowed is {max_length}")
    return value


def _key(value: Any, place: str, problems: _Problems) -> str:
    if not isinstance(value, str) or not KEY_RE.match(value):
        problems.add(place, f"{quoted(value)} is not a valid key: use lower-case letters, digits and "
                     "underscores, starting with a letter (at most 60 characters)")
        return str(value)
    if "__" in value:
        problems.add(place, f"{quoted(value)} may not contain a double underscore: it separates a "
                     "question from its theme in export columns")
    return value


def _unknown(mapping: dict, allowed: set[str], place: str, problems: _Problems) -> None:
    for name in sorted(set(mapping) - allowed, key=str):
        name = name if isinstance(name, str) and len(name) <= 60 else quoted(name)
        problems.add(f"{place}.{name}" if place else str(name),
                     f"is not a known setting here; the settings allowed are {', '.join(sorted(allowed))}")


def _when(value: Any, place: str, zone: ZoneInfo | None, problems: _Problems) -> dt.datetime | None:
    """A date-time in the consultation's own time zone (UK time), returned in UTC."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            problems.add(place, f"{quoted(value)} is not a date and time; write it as 2021-06-30 09:00")
            return None
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        problems.add(place, "is missing; write a date and time such as 2021-06-30 09:00")
        return None
    if moment.tzinfo is None:
        if zone is None:
            return None
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.timezone.utc)


def _options(raw: Any, place: str, problems: _Problems, exclusive_allowed: bool) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        problems.add(place, "should be a list of options, each with a code and a label")
        return []
    options: list[dict] = []
    seen: set[str] = set()
    exclusive = 0
    for i, item in enumerate(raw):
        where = f"{place}[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "should have a code and a label")
            continue
        _unknown(item, OPTION_KEYS, where, problems)
        code = item.get("code")
        if isinstance(code, (bool, int, float)):
            problems.add(f"{where}.code", f"YAML read this code as {quoted(code)}, not as text; put it in "
                         "quotes, e.g. code: \"yes\" or code: \"18_24\"")
            code = str(code)
        elif not isinstance(code, str) or not CODE_RE.match(code):
            problems.add(f"{where}.code", f"{quoted(code)} is not a valid code: use lower-case letters, "
                         "digits and underscores (at most 60 characters)")
            code = str(code)
        if code in seen:
            problems.add(f"{where}.code", f"{quoted(code)} is used by another option of this question")
        seen.add(code)
        option = {"code": code, "label": _text(item.get("label"), f"{where}.label", problems, max_length=300)}
        if item.get("hint"):
            option["hint"] = _text(item.get("hint"), f"{where}.hint", problems, max_length=500)
        if item.get("exclusive"):
            if not exclusive_allowed:
                problems.add(f"{where}.exclusive", "only an option of a multiple_choice question can be exclusive")
            option["exclusive"] = True
            exclusive += 1
        options.append(option)
    if len(options) < 2:
        problems.add(place, "needs at least two options")
    if exclusive > 1:
        problems.add(place, "may have only one exclusive option (such as 'None of these')")
    return options


class _QuestionContext:
    """What a question handler's ``build`` may use while a definition is checked."""

    def __init__(self, problems: _Problems, themes: list[dict], areas: dict | None = None) -> None:
        self.problems, self.themes, self.areas = problems, themes, areas

    def problem(self, place: str, message: str) -> None:
        self.problems.add(place, message)

    def text(self, value: Any, place: str, *, required: bool = True, max_length: int = 5000) -> str:
        return _text(value, place, self.problems, required=required, max_length=max_length)

    def options(self, raw: Any, place: str, *, exclusive_allowed: bool) -> list[dict]:
        return _options(raw, place, self.problems, exclusive_allowed)

    def area_options(self) -> list[dict]:
        """The district question's options: the consultation's areas, outside, prefer not to say."""
        from .organisation import area_options
        return area_options(self.areas) if self.areas else []


def _question(raw: Any, place: str, problems: _Problems, *, per_theme_page: bool,
              context: _QuestionContext) -> dict | None:
    if not isinstance(raw, dict):
        problems.add(place, "should be a question with a key, a type and a label")
        return None
    qtype = raw.get("type")
    handler = HANDLERS.get(qtype) if isinstance(qtype, str) else None
    if handler is None:
        problems.add(f"{place}.type", f"{quoted(qtype)} is not a question type; the types are "
                     f"{', '.join(HANDLERS)}")
        return None
    _unknown(raw, COMMON_QUESTION_KEYS | handler.settings, place, problems)
    question: dict[str, Any] = {
        "key": _key(raw.get("key"), f"{place}.key", problems),
        "type": qtype,
        "label": _text(raw.get("label"), f"{place}.label", problems, max_length=500),
        "hint": _text(raw.get("hint"), f"{place}.hint", problems, required=False, max_length=2000),
        # What error messages call the answer ("Your comment must be 1,000 characters or fewer").
        "short_label": _text(raw.get("short_label"), f"{place}.short_label", problems,
                             required=False, max_length=100),
        "required": bool(raw.get("required", False)),
    }
    if "required" in raw and not isinstance(raw["required"], bool):
        problems.add(f"{place}.required", "should be true or false")
    if handler.theme_pages == "only" and not per_theme_page:
        problems.add(f"{place}.type",
                     f"a {qtype} question must be on a page with for_each_theme: true")
    if per_theme_page and handler.theme_pages == "never":
        allowed = sorted(t for t, h in HANDLERS.items() if h.theme_pages != "never")
        problems.add(f"{place}.type", f"a page with for_each_theme may hold only "
                     f"{' and '.join(allowed)} questions")
    question.update(handler.build(raw, place, context))
    return question


def _condition(raw: Any, place: str, problems: _Problems, earlier: dict[str, dict]) -> dict | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or set(raw) != {"question", "in"}:
        problems.add(place, "should name a question and the codes that show this page, e.g. "
                     "{question: respondent_type, in: [victim_or_witness]}")
        return None
    key, codes = raw["question"], raw["in"]
    target = earlier.get(key)
    if target is None:
        problems.add(f"{place}.question", f"{quoted(key)} is not a question on an earlier page")
        return None
    if not HANDLERS[target["type"]].choice:
        problems.add(f"{place}.question", f"{quoted(key)} is a {target['type']} question; a page can "
                     "only be shown by the answer to a choice question")
        return None
    if not isinstance(codes, list) or not codes:
        problems.add(f"{place}.in", "should be a list of the codes that show this page")
        return None
    known = {o["code"] for o in target["options"]}
    for i, code in enumerate(codes):
        if code not in known:
            problems.add(f"{place}.in[{i}]", f"{quoted(code)} is not a code of question {quoted(key)}; its "
                         f"codes are {', '.join(sorted(known))}")
    return {"question": key, "in": list(codes)}


def _checked_question(raw: Any, place: str, problems: _Problems,
                      questions: dict[str, dict]) -> dict | None:
    """``{question: KEY, in: [CODES]}`` naming a choice question of the definition; ``in`` may be
    empty in a check's ``then`` (the question must then be left blank)."""
    if not isinstance(raw, dict) or set(raw) != {"question", "in"}:
        problems.add(place, "should name a question and a list of its codes, e.g. "
                     "{question: victim_support_offered, in: [\"no\"]}")
        return None
    key, codes = raw["question"], raw["in"]
    target = questions.get(key) if isinstance(key, str) else None
    if target is None or "columns" not in target:
        problems.add(f"{place}.question", f"{_short(key)} is not a question of this consultation "
                     "(questions asked once per theme cannot be checked)")
        return None
    if not HANDLERS[target["type"]].choice:
        problems.add(f"{place}.question", f"{key!r} is a {target['type']} question; a check can "
                     "only name a choice question")
        return None
    if not isinstance(codes, list):
        problems.add(f"{place}.in", "should be a list of codes")
        return None
    known = {o["code"] for o in target["options"]}
    for i, code in enumerate(codes):
        if code not in known:
            problems.add(f"{place}.in[{i}]", f"{_short(code)} is not a code of question {key!r}; "
                         f"its codes are {', '.join(sorted(known))}")
    return {"question": key, "in": list(codes)}


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _checks(raw: Any, problems: _Problems, questions: dict[str, dict]) -> list[dict]:
    """Answers that contradict each other: ``if`` one question's answer is among some codes,
    ``then`` another's must be blank or among others (consult/survey/journey.py applies them)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        problems.add("checks", "should be a list of checks, each with if, then and message")
        return []
    checks = []
    for i, item in enumerate(raw):
        place = f"checks[{i}]"
        if not isinstance(item, dict):
            problems.add(place, "should be a check with if, then and message")
            continue
        _unknown(item, CHECK_KEYS, place, problems)
        when = _checked_question(item.get("if"), f"{place}.if", problems, questions)
        then = _checked_question(item.get("then"), f"{place}.then", problems, questions)
        message = _text(item.get("message"), f"{place}.message", problems, max_length=500)
        if when and when["in"] == []:
            problems.add(f"{place}.if.in", "should list at least one code")
        if when and then and when["question"] == then["question"]:
            problems.add(f"{place}.then.question", "should be another question than the one in if")
        if when and then and message:
            checks.append({"if": when, "then": then, "message": message})
    return checks


def _areas(raw: dict, path: str, organisation: dict | None, problems: _Problems) -> dict | None:
    """The areas the consultation uses: its own ``areas:``, else the organisation's (by default
    the running app's, or outside an app the instance's organisation file). An old-style
    ``population:`` mapping replaces the populations, and then the year is not known."""
    from . import organisation as organisations
    if "areas" in raw:
        found = organisations.area_problems(raw["areas"])
        for item in found:
            problems.add("", item)
        areas = None if found else organisations.normalise_areas(raw["areas"])
    else:
        if organisation is None:
            try:
                organisation = organisations.default()
            except DefinitionError as error:
                problems.add("areas", f"the definition lists no areas and the organisation file "
                             f"cannot be read ({error.path}: {'; '.join(error.problems[:3])})")
                return None
        areas = copy.deepcopy(organisation["areas"])
    population = raw.get("population")
    if population is None or areas is None:
        return areas
    if not isinstance(population, dict):
        problems.add("population", "should map district codes to numbers of residents")
        return areas
    codes = [a["code"] for a in areas["items"]]
    for code, count in population.items():
        if code not in codes:
            problems.add(f"population.{code}",
                         f"is not a district code; the codes are {', '.join(codes)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            problems.add(f"population.{code}", "should be a whole number of residents")
    for area in areas["items"]:
        area["population"] = population.get(area["code"])
    areas["population_source"] = ("the consultation definition's own figures (population:), "
                                  "source not given")
    areas["population_year"] = None
    return areas


_PLACE_PARTS = re.compile(r"[.\[]")


def _merged(structure: list[str], checks: list[str]) -> list[str]:
    """The schema's problems, then the code's, without one at (or inside) a place the schema
    already found wrong, and without repeats."""
    wrong = {p.split(": ", 1)[0] for p in structure}

    def reported(problem: str) -> bool:
        where = problem.split(": ", 1)[0]
        cuts = [m.start() for m in _PLACE_PARTS.finditer(where)] + [len(where)]
        return any(where[:cut] in wrong for cut in cuts)

    found = list(dict.fromkeys(structure))
    found += [p for p in dict.fromkeys(checks) if not reported(p)]
    return found


def _validate(raw: Any, path: str, organisation: dict | None = None) -> dict[str, Any]:
    """validate, once the blocks are included."""
    from .organisation import populations
    if not isinstance(raw, dict):
        raise DefinitionError(path, ["the file should hold a consultation (a mapping of settings "
                                     "such as slug, title, themes and pages)"])
    # The structure first (consult/schemas/consultation.schema.json), then what reaches across
    # the file; a place the schema found wrong is not reported again by the checks below.
    structure = schema.problems(raw, "consultation")
    problems = _Problems()
    _unknown(raw, TOP_KEYS, "", problems)
    for name in REQUIRED_TOP_KEYS:
        if name not in raw:
            problems.add(name, "is missing")
    slug = raw.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug) or slug.endswith("-demo"):
        problems.add("slug", f"{quoted(slug)} is not a valid slug: lower-case letters, digits and hyphens "
                     "(the suffix -demo is kept for demo copies)")
    prefix = raw.get("reference_prefix")
    if not isinstance(prefix, str) or not PREFIX_RE.match(prefix):
        problems.add("reference_prefix", f"{quoted(prefix)} should be 1 to 6 capital letters or digits, e.g. PCP")
    zone_name = raw.get("timezone", "Europe/London")
    zone: ZoneInfo | None
    try:
        zone = ZoneInfo(str(zone_name))
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("timezone", f"{quoted(zone_name)} is not a time zone name such as Europe/London")
        zone = None
    opens_at = _when(raw.get("opens_at"), "opens_at", zone, problems) if "opens_at" in raw else None
    closes_at = _when(raw.get("closes_at"), "closes_at", zone, problems) if "closes_at" in raw else None
    if opens_at and closes_at and closes_at <= opens_at:
        problems.add("closes_at", "is not after opens_at: a consultation must close after it opens")
    retention = raw.get("retention_days", 730)
    if not isinstance(retention, int) or isinstance(retention, bool) or retention < 1:
        problems.add("retention_days", "should be a whole number of days, at least 1")
    areas = _areas(raw, path, organisation, problems)

    themes: list[dict] = []
    raw_themes = raw.get("themes")
    if "themes" in raw and (not isinstance(raw_themes, list) or not raw_themes):
        problems.add("themes", "should be a list of themes, each with a key and a title")
        raw_themes = []
    seen_themes: set[str] = set()
    for i, item in enumerate(raw_themes or []):
        place = f"themes[{i}]"
        if not isinstance(item, dict):
            problems.add(place, "should be a theme with a key, a title, a summary and what_we_will_do")
            continue
        _unknown(item, THEME_KEYS, place, problems)
        key = _key(item.get("key"), f"{place}.key", problems)
        if key in seen_themes:
            problems.add(f"{place}.key", f"{quoted(key)} is the key of another theme")
        seen_themes.add(key)
        themes.append({
            "key": key,
            "title": _text(item.get("title"), f"{place}.title", problems, max_length=300),
            "summary": _text(item.get("summary"), f"{place}.summary", problems),
            "what_we_will_do": _text(item.get("what_we_will_do"), f"{place}.what_we_will_do", problems),
        })

    pages: list[dict] = []
    questions_by_key: dict[str, dict] = {}
    columns_seen: dict[str, str] = {}
    page_keys: set[str] = set()
    raw_pages = raw.get("pages")
    if "pages" in raw and (not isinstance(raw_pages, list) or not raw_pages):
        problems.add("pages", "should be a list of pages, each with a key, a title and questions")
        raw_pages = []
    once: dict[str, int] = {}
    context = _QuestionContext(problems, themes, areas)
    for p, page_raw in enumerate(raw_pages or []):
        place = f"pages[{p}]"
        if not isinstance(page_raw, dict):
            problems.add(place, "should be a page with a key, a title and a list of questions")
            continue
        _unknown(page_raw, PAGE_KEYS, place, problems)
        page_key = _key(page_raw.get("key"), f"{place}.key", problems)
        for_each_theme = bool(page_raw.get("for_each_theme", False))
        title = _text(page_raw.get("title"), f"{place}.title", problems, required=not for_each_theme,
                      max_length=300)
        intro = _text(page_raw.get("intro"), f"{place}.intro", problems, required=False)
        condition = _condition(page_raw.get("show_if"), f"{place}.show_if", problems, questions_by_key)
        raw_questions = page_raw.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            problems.add(f"{place}.questions", "should be a list of at least one question")
            raw_questions = []
        page_questions: list[dict] = []
        for q, q_raw in enumerate(raw_questions):
            q_place = f"{place}.questions[{q}]"
            question = _question(q_raw, q_place, problems, per_theme_page=for_each_theme,
                                 context=context)
            if question is None:
                continue
            if question["key"] in questions_by_key:
                problems.add(f"{q_place}.key", f"{quoted(question['key'])} is the key of another question")
            once[question["type"]] = once.get(question["type"], 0) + 1
            question["_place"] = q_place
            questions_by_key[question["key"]] = question
            page_questions.append(question)
        if for_each_theme:
            for theme in themes:
                expanded = []
                for question in page_questions:
                    copy = {k: v for k, v in question.items() if k != "_place"}
                    copy["definition_key"] = question["key"]
                    copy["key"] = f"{question['key']}__{theme['key']}"
                    copy["theme"] = theme["key"]
                    copy["columns"] = [copy["key"]]
                    expanded.append(copy)
                pages.append({"key": f"{page_key}__{theme['key']}", "title": theme["title"],
                              "intro": intro, "show_if": condition, "theme": theme["key"],
                              "questions": expanded})
        else:
            for question in page_questions:
                question.pop("_place", None)
                HANDLERS[question["type"]].complete(question, themes)
            pages.append({"key": page_key, "title": title, "intro": intro, "show_if": condition,
                          "theme": None, "questions": page_questions})
        if page_key in page_keys:
            problems.add(f"{place}.key", f"{quoted(page_key)} is the key of another page")
        page_keys.add(page_key)
    for page in pages:
        for question in page["questions"]:
            for column in question["columns"]:
                if column in columns_seen:
                    problems.add(columns_seen[column], f"two questions would store their answers "
                                 f"in the same column {quoted(column)}; rename one of them")
                columns_seen[column] = f"pages (page {page['key']})"
    for qtype, count in once.items():
        if count > 1 and HANDLERS[qtype].once:
            problems.add("pages", f"has more than one {qtype} question; {HANDLERS[qtype].once}")
    for q in questions_by_key.values():
        q.pop("_place", None)
    checks = _checks(raw.get("checks"), problems, questions_by_key)

    title = _text(raw.get("title"), "title", problems, max_length=300) if "title" in raw else ""
    summary = _text(raw.get("summary"), "summary", problems) if "summary" in raw else ""
    texts = {name: _text(raw.get(name), name, problems, required=False)
             for name in ("organisation", "time_to_complete", "privacy_notice", "contact")}
    found = _merged(structure, problems.items)
    if found:
        raise DefinitionError(path, found)
    return {
        "slug": slug,
        "title": title,
        "summary": summary,
        "organisation": texts["organisation"],
        "reference_prefix": prefix,
        "timezone": str(zone_name),
        "opens_at": opens_at.isoformat() if opens_at else None,
        "closes_at": closes_at.isoformat() if closes_at else None,
        "retention_days": retention,
        "time_to_complete": texts["time_to_complete"],
        "privacy_notice": texts["privacy_notice"],
        "contact": texts["contact"],
        "areas": areas,
        "population": populations(areas) if areas else {},
        "themes": themes,
        "pages": pages,
        "checks": checks,
    }


class DefinitionLoader(yaml.SafeLoader):
    """YAML's safe loader without anchors and aliases, and with a cap on the number of nodes.

    An alias repeats a node without repeating its text, so a few hundred bytes of nested aliases
    stand for billions of values (an "alias bomb"); a definition never needs them, so the file is
    refused at the first anchor or alias, before anything is built or validated.
    """

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, "YAML anchors (&name) and aliases (*name) are not allowed in a "
                "definition; write each value out in full", event.start_mark)
        self._nodes += 1
        if self._nodes > MAX_YAML_NODES:
            raise yaml.composer.ComposerError(
                None, None, f"the file has more than {MAX_YAML_NODES:,} values; a consultation "
                "definition is far smaller", event.start_mark)
        return super().compose_node(parent, index)


def parse_yaml(text: str) -> Any:
    """The YAML document in ``text``, read with :class:`DefinitionLoader`."""
    loader = DefinitionLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> tuple[Any, bytes, list[str]]:
    """(parsed YAML, the file's bytes, problems): the size cap, UTF-8 and YAML checks of a file."""
    try:
        size = path.stat().st_size
        if size > MAX_DEFINITION_BYTES:
            return None, b"", [
                f"the file is {size:,} bytes; a definition may be at most "
                f"{MAX_DEFINITION_BYTES // 1024} KB (the shipped ones are under 15 KB)"]
        data = path.read_bytes()
    except OSError as error:
        return None, b"", [f"the file cannot be read: {error.strerror or error}"]
    try:
        return parse_yaml(data.decode("utf-8")), data, []
    except UnicodeDecodeError:
        return None, data, ["the file is not UTF-8 text"]
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or str(error)
        return None, data, [f"{where}: this is not valid YAML ({problem})"]


# ---------------------------------------------------------------------------------------------
# Blocks: pages kept once in BLOCKS_FOLDER and included by name (``- include: equality``)
# ---------------------------------------------------------------------------------------------

BLOCK_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")
BLOCK_KEYS = {"description", "pages", "checks"}
# A block may include blocks; a definition includes at most this many in all (a block that
# includes another twice, which includes another twice ... would otherwise double at each level).
MAX_INCLUDES = 50
_LISTED_PLACE = re.compile(r"^(pages|checks)\[(\d+)\]")


def blocks_folder() -> Path:
    """Where blocks are read from: the app's ``BLOCKS_FOLDER``, else ``instance/blocks``. Never
    beside the definition: an uploaded definition is read from a temporary folder."""
    from flask import current_app, has_app_context

    if has_app_context() and current_app.config.get("BLOCKS_FOLDER"):
        return Path(current_app.config["BLOCKS_FOLDER"])
    from .config import INSTANCE_DIR

    return INSTANCE_DIR / "blocks"


Origin = tuple[str | None, int]  # (None: the definition, else a block's file; index there)


@dataclass
class Expanded:
    """A definition with its blocks included: ``raw`` as validate reads it; ``origins["pages"][i]``
    is where page ``i`` of ``raw["pages"]`` was written, ``origins["checks"][i]`` where check
    ``i``; ``blocks`` maps each block included to its file's bytes."""
    raw: Any
    origins: dict[str, list[Origin]]
    blocks: dict[str, bytes]
    # The translation and Easy Read files read for it (consult/content_languages.py): name -> bytes
    translations: dict[str, bytes] | None = None


class _Includer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.problems: list[str] = []
        self.blocks: dict[str, bytes] = {}
        self.block_of: dict[str, dict | None] = {}
        self.checks: list[tuple[Any, Origin]] = []
        self.count = 0

    def pages(self, raw_pages: list, source: str | None,
              chain: list[str]) -> list[tuple[Any, tuple[str | None, int]]]:
        out: list[tuple[Any, tuple[str | None, int]]] = []
        for i, item in enumerate(raw_pages):
            if not (isinstance(item, dict) and "include" in item):
                out.append((item, (source, i)))
                continue
            place = f"pages[{i}]" if source is None else f"{source} pages[{i}]"
            if set(item) != {"include"}:
                others = ", ".join(sorted(str(k) for k in item if k != "include"))[:200]
                self.problems.append(f"{place}: an include names a block and nothing else "
                                     f"(- include: NAME), but this one also has {others}")
            name = item["include"]
            if not isinstance(name, str) or not BLOCK_NAME_RE.match(name):
                self.problems.append(f"{place}.include: {quoted(name)} is not a block name: the "
                                     "name of a file in the blocks folder without .yaml "
                                     "(lower-case letters, digits, hyphens and underscores)")
                continue
            if name in chain:
                loop = " includes ".join(chain[chain.index(name):] + [name])
                self.problems.append(f"{place}.include: block {quoted(name)} includes itself "
                                     f"({loop}); a block cannot include itself, even through "
                                     "another block")
                continue
            self.count += 1
            if self.count > MAX_INCLUDES:
                if self.count == MAX_INCLUDES + 1:
                    self.problems.append(f"{place}.include: a definition may include at most "
                                         f"{MAX_INCLUDES} blocks, counting those blocks include")
                continue
            block = self.read(name, place)
            if block is not None:
                # a copy each time: a block included twice is two pages, not one page seen twice
                block = copy.deepcopy(block)
                source_of_block = str(self.folder / f"{name}.yaml")
                out.extend(self.pages(block["pages"], source_of_block, chain + [name]))
                self.checks += [(check, (source_of_block, j))
                                for j, check in enumerate(block.get("checks") or [])]
        return out

    def read(self, name: str, place: str) -> dict | None:
        """The block ``name`` (its pages and checks), or None with its problems noted."""
        if name in self.block_of:
            return self.block_of[name]
        self.block_of[name] = None
        path = self.folder / f"{name}.yaml"
        where = f"{place}.include: block {quoted(name)} ({path})"
        if not path.is_file():
            known = sorted(p.stem for p in self.folder.glob("*.yaml")) if self.folder.is_dir() else []
            have = f"the blocks are {', '.join(known)}" if known else f"there are no blocks in {self.folder}"
            self.problems.append(f"{where}: there is no such block; {have}")
            return None
        raw, data, found = _read_yaml(path)
        if found:
            self.problems += [f"{where}: {problem}" for problem in found]
            return None
        self.blocks[name] = data
        if not isinstance(raw, dict) or not isinstance(raw.get("pages"), list) or not raw["pages"]:
            self.problems.append(f"{where}: a block should hold pages: a list of one or more pages "
                                 "(and may have a description and checks)")
            return None
        for key in sorted(set(raw) - BLOCK_KEYS, key=str):
            shown = key if isinstance(key, str) and len(key) <= 60 else quoted(key)
            self.problems.append(f"{path} {shown}: is not a known setting of a block; the settings "
                                 f"allowed are {', '.join(sorted(BLOCK_KEYS))}")
        if raw.get("description") is not None and not isinstance(raw["description"], str):
            self.problems.append(f"{path} description: should be text, not {quoted(raw['description'])}")
        if raw.get("checks") is not None and not isinstance(raw["checks"], list):
            self.problems.append(f"{path} checks: should be a list of checks, each with if, then "
                                 "and message")
            return None
        self.block_of[name] = raw
        return raw


def expand(raw: Any, path: str = "<definition>", folder: str | Path | None = None) -> Expanded:
    """``raw`` with every ``- include: NAME`` in its pages replaced by the pages of the block
    ``FOLDER/NAME.yaml`` (default :func:`blocks_folder`), blocks included by blocks too; raises
    DefinitionError naming the block file and the place of each problem."""
    if not isinstance(raw, dict) or not isinstance(raw.get("pages"), list) \
            or not any(isinstance(p, dict) and "include" in p for p in raw["pages"]):
        return Expanded(raw, {}, {}, content_languages.files(raw, {}))
    includer = _Includer(Path(folder) if folder is not None else blocks_folder())
    pages = includer.pages(raw["pages"], None, [])
    if includer.problems:
        # with the definition's own structural problems (placed in the file as written); what
        # reaches across pages waits until every block can be read
        raise DefinitionError(path, _merged(includer.problems, schema.problems(raw, "consultation")))
    expanded = {**raw, "pages": [page for page, _ in pages]}
    origins = {"pages": [origin for _, origin in pages]}
    own_checks = raw.get("checks")
    if includer.checks and (own_checks is None or isinstance(own_checks, list)):
        # the blocks' checks follow the definition's own, in the order the blocks are included
        own = list(own_checks or [])
        expanded["checks"] = own + [check for check, _ in includer.checks]
        origins["checks"] = [(None, i) for i in range(len(own))] + [o for _, o in includer.checks]
    return Expanded(expanded, origins, includer.blocks,
                    content_languages.files(expanded, includer.blocks))


def _validate_expanded(expanded: Expanded, path: str,
                       organisation: dict | None = None) -> dict[str, Any]:
    """validate, with each problem in an included page placed in its block's file; then the
    definition's languages and Easy Read (consult/content_languages.py)."""
    try:
        definition = _validate(expanded.raw, path, organisation)
        return content_languages.attach(definition, expanded, path, organisation)
    except DefinitionError as error:
        if not expanded.blocks:
            raise

        def placed(problem: str) -> str:
            match = _LISTED_PLACE.match(problem)
            origins = expanded.origins.get(match.group(1), []) if match else []
            if not match or int(match.group(2)) >= len(origins):
                return problem
            source, index = origins[int(match.group(2))]
            where = f"{match.group(1)}[{index}]"
            return (where if source is None else f"{source} {where}") + problem[match.end():]

        raise DefinitionError(path, [placed(p) for p in error.problems]) from None


def validate(raw: Any, path: str = "<definition>", organisation: dict | None = None, *,
             blocks: str | Path | None = None) -> dict[str, Any]:
    """Check a parsed definition and return its normalised form, or raise DefinitionError.

    Blocks it includes are read from ``blocks`` (default :func:`blocks_folder`). ``organisation``
    (a loaded organisation file) gives the areas of a definition that lists none of its own; by
    default the running app's. The normalised form holds the areas it uses under ``areas``, and
    their populations under ``population`` (code -> residents). It expands each
    ``for_each_theme`` page into one page per theme, gives every question the export ``columns``
    its answers are stored under, and holds dates as ISO 8601 UTC.
    """
    return _validate_expanded(expand(raw, path, blocks), path, organisation)


def _sha256(data: bytes, blocks: dict[str, bytes],
            translations: dict[str, bytes] | None = None) -> str:
    """The sha256 of a definition file, of the blocks it includes and of its translation files,
    so that a changed block or translation changes it; a definition that includes none keeps its
    file's own sha256."""
    digest = hashlib.sha256(data)
    for name, content in blocks.items():
        digest.update(b"\0block " + name.encode() + b"\0" + hashlib.sha256(content).digest())
    for name, content in sorted((translations or {}).items()):
        digest.update(b"\0translation " + name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _read(path: str | Path, blocks: str | Path | None) -> tuple[Expanded, str]:
    path = Path(path)
    raw, data, found = _read_yaml(path)
    if found:
        raise DefinitionError(str(path), found)
    expanded = expand(raw, str(path), blocks)
    return expanded, _sha256(data, expanded.blocks, expanded.translations)


def parse_file(path: str | Path, blocks: str | Path | None = None) -> tuple[Any, str]:
    """One definition file parsed, its blocks included but not yet validated; returns (the
    definition as validate reads it, sha256 of the file and its blocks)."""
    expanded, sha256 = _read(path, blocks)
    return expanded.raw, sha256


def read_file(path: str | Path, blocks: str | Path | None = None) -> tuple[dict[str, Any], str]:
    """Parse and validate one definition file, its blocks (from ``blocks``, default
    :func:`blocks_folder`) included; returns (normalised definition, sha256 of the file and the
    blocks it includes)."""
    expanded, sha256 = _read(path, blocks)
    return _validate_expanded(expanded, str(path)), sha256


# ---------------------------------------------------------------------------------------------
# Writing rows
# ---------------------------------------------------------------------------------------------

def answer_questions(definition: dict[str, Any]) -> dict[str, dict]:
    """Every answer column of a definition -> the question it belongs to."""
    return {column: question for page in definition["pages"] for question in page["questions"]
            for column in question["columns"]}


def allowed_values(definition: dict[str, Any]) -> dict[str, set[str] | None]:
    """Every answer column of a definition -> the codes it may hold (None: any text or number)."""
    return {column: ({o["code"] for o in question.get("options", [])}
                     if HANDLERS[question["type"]].coded else None)
            for column, question in answer_questions(definition).items()}


def orphaned_answers(consultation: Consultation, definition: dict[str, Any]) -> list[str]:
    """What responses already given use that ``definition`` no longer has, in plain English."""
    questions = answer_questions(definition)
    missing: dict[str, int] = {}
    rows = db.session.execute(
        select(Response.answers).where(Response.consultation_id == consultation.id)
    ).scalars()
    for answers in rows:
        for column, value in (answers or {}).items():
            if value in (None, "", []):
                continue
            question = questions.get(column)
            if question is None:
                what = f"column {quoted(column)} (a theme or question the new definition removes)"
            else:
                found = HANDLERS[question["type"]].orphaned(question, column, value)
                if found is None:
                    continue
                what = found
            missing[what] = missing.get(what, 0) + 1
    return [f"{count} response{' already given uses' if count == 1 else 's already given use'} {what}"
            for what, count in sorted(missing.items())]


@dataclass
class LoadResult:
    slug: str
    action: str  # "created", "updated" or "unchanged"
    path: str


def _apply(consultation: Consultation, definition: dict[str, Any]) -> None:
    """Write the definition's fields, themes and questions onto ``consultation`` (no commit)."""
    consultation.title = definition["title"]
    consultation.summary = definition["summary"]
    consultation.retention_days = definition["retention_days"]
    consultation.population = dict(definition["population"])
    consultation.definition = definition
    themes = {t.key: t for t in consultation.themes}
    wanted = {t["key"] for t in definition["themes"]}
    for key, theme in list(themes.items()):
        if key not in wanted:
            consultation.themes.remove(theme)
    for position, item in enumerate(definition["themes"], start=1):
        theme = themes.get(item["key"])
        if theme is None:
            theme = Theme(key=item["key"])
            consultation.themes.append(theme)
        theme.title, theme.position = item["title"], position
        theme.summary, theme.what_we_will_do = item["summary"], item["what_we_will_do"]
    questions = {q.key: q for q in consultation.questions}
    listed = [(page, q) for page in definition["pages"] for q in page["questions"]]
    wanted = {q["key"] for _, q in listed}
    for key, question in list(questions.items()):
        if key not in wanted:
            consultation.questions.remove(question)
    db.session.flush()  # removals first, so a key can move between rows without a clash
    for position, (page, item) in enumerate(listed, start=1):
        question = questions.get(item["key"])
        if question is None or question not in consultation.questions:
            question = Question(key=item["key"])
            consultation.questions.append(question)
        question.page, question.type, question.position = page["key"], item["type"], position
        question.label = item["label"]
        spec = {k: v for k, v in item.items() if k not in ("key", "type", "label")}
        spec["show_if"] = page["show_if"]
        question.spec = spec


def store_definition(definition: dict[str, Any], sha256: str, source_path: str = "", *,
                     slug: str | None = None, is_demo: bool = False,
                     opens_at: dt.datetime | None = None,
                     closes_at: dt.datetime | None = None) -> LoadResult:
    """Create or update the consultation ``slug`` (default: the definition's) from ``definition``.

    Refuses, with DefinitionError, a change that would orphan answers already given.
    """
    slug = slug or definition["slug"]
    consultation = db.session.execute(
        select(Consultation).where(Consultation.slug == slug)
    ).scalar_one_or_none()
    opens = opens_at or dt.datetime.fromisoformat(definition["opens_at"])
    closes = closes_at or dt.datetime.fromisoformat(definition["closes_at"])
    if consultation is not None and consultation.definition_sha256 == sha256 \
            and consultation.opens_at == opens and consultation.closes_at == closes:
        return LoadResult(slug, "unchanged", source_path)
    action = "updated"
    if consultation is None:
        action = "created"
        consultation = Consultation(slug=slug, is_demo=is_demo,
                                    demo_of=definition["slug"] if is_demo else None)
        db.session.add(consultation)
    else:
        orphans = orphaned_answers(consultation, definition)
        if orphans:
            raise DefinitionError(source_path or slug, [
                f"this change to {quoted(slug)} is refused: {o}; keep them in the definition, "
                "or start a new consultation with a new slug" for o in orphans])
    consultation.opens_at, consultation.closes_at = opens, closes
    consultation.definition_sha256 = sha256
    consultation.source_path = source_path
    consultation.loaded_at = dt.datetime.now(dt.timezone.utc)
    _apply(consultation, definition)
    db.session.commit()
    return LoadResult(slug, action, source_path)


def load_file(path: str | Path) -> LoadResult:
    """Validate one definition file and write its rows; idempotent."""
    definition, sha256 = read_file(path)
    try:
        return store_definition(definition, sha256, str(path))
    except Exception:
        db.session.rollback()
        raise


def definition_files(directory: str | Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def make_demo(slug: str, days: int = 28, now: dt.datetime | None = None) -> LoadResult:
    """A copy of consultation ``slug`` as ``SLUG-demo``, open from ``now`` for ``days`` days.

    Run again, it keeps an open demo's dates (its drafts stay valid) and takes up any change to the
    original's definition; a demo that has closed is opened again from now.
    """
    original = db.session.execute(
        select(Consultation).where(Consultation.slug == slug)
    ).scalar_one_or_none()
    if original is None:
        raise LookupError(f"there is no consultation {quoted(slug)}; load its definition first "
                          "with 'flask consultations load'")
    if original.is_demo:
        raise LookupError(f"{quoted(slug)} is itself a demo; give the slug of the real consultation")
    now = now or dt.datetime.now(dt.timezone.utc)
    demo_slug = f"{slug}-demo"
    demo = db.session.execute(
        select(Consultation).where(Consultation.slug == demo_slug)
    ).scalar_one_or_none()
    if demo is not None and demo.is_open(now):
        opens, closes = demo.opens_at, demo.closes_at
    else:
        opens = now.replace(microsecond=0)
        closes = opens + dt.timedelta(days=days)
    definition = dict(original.definition)
    try:
        return store_definition(definition, original.definition_sha256, original.source_path,
                                slug=demo_slug, is_demo=True, opens_at=opens, closes_at=closes)
    except Exception:
        db.session.rollback()
        raise
