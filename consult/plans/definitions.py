"""Plan files: YAML under ``instance/plans/`` -> validated, normalised dicts -> database rows.

A plan is data, like a consultation (consult/definitions.py, whose checks and messages this
module shares): every problem is reported at once with the file, the place in it
(``themes[2].deliverables[4].due_on``) and what is wrong.

Loading the same file twice changes nothing. Loading a changed file takes up what the file
changed since the last load and keeps what staff edited in the workspace that the file did not
change (a three-way comparison with the file as last loaded). A change that would remove a
deliverable or reporting period that already has progress recorded is refused.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import func, select

from ..definitions import SLUG_RE, _key, _Problems, _text, _unknown, parse_yaml
from ..extensions import db
from ..models import Consultation
from .models import Deliverable, Measure, MeasureValue, Plan, PlanTheme, ProgressUpdate, ReportingPeriod

MAX_FILE_BYTES = 2 * 1024 * 1024
REFERENCE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.\-/]{0,19}$")
PERIOD_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
ITEM_NAMES = ("deliverable", "priority action")

TOP_KEYS = {"slug", "title", "years", "organisation", "summary", "published_on", "consultation",
            "item_name", "source", "periods", "themes"}
THEME_KEYS = {"key", "title", "aim", "what_we_will_do", "consultation_theme", "deliverables",
              "measures"}
DELIVERABLE_KEYS = {"key", "reference", "title", "purpose", "lead", "partners", "due_on",
                    "measures"}
PERIOD_KEYS = {"key", "title", "starts_on", "ends_on"}
MEASURE_KEYS = {"key", "title", "unit", "higher_is_better", "values"}
VALUE_KEYS = {"period", "value", "note"}
# Deliverable fields staff may edit in the workspace (see _merge).
EDITABLE = ("reference", "title", "purpose", "lead", "partners", "due_on")


class PlanError(Exception):
    """A plan file that cannot be loaded; ``problems`` lists each one in plain English."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in this plan:\n{lines}")


def _date(value: Any, place: str, problems: _Problems, *, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            problems.add(place, "is missing; write a date such as 2022-09-30")
        return None
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError:
            pass
    problems.add(place, f"{value!r} is not a date; write it as 2022-09-30")
    return None


def _list(raw: dict, name: str, place: str, problems: _Problems) -> list:
    value = raw.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        problems.add(f"{place}.{name}" if place else name, "should be a list")
        return []
    return value


def _measure(raw: Any, place: str, problems: _Problems, period_keys: set[str]) -> dict | None:
    if not isinstance(raw, dict):
        problems.add(place, "should be a measure with a key and a title")
        return None
    _unknown(raw, MEASURE_KEYS, place, problems)
    better = raw.get("higher_is_better")
    if better is not None and not isinstance(better, bool):
        problems.add(f"{place}.higher_is_better", "should be true, false, or left out when "
                     "neither way is better")
        better = None
    values: list[dict] = []
    seen: set[str] = set()
    for i, item in enumerate(_list(raw, "values", place, problems)):
        where = f"{place}.values[{i}]"
        if not isinstance(item, dict):
            problems.add(where, "should give a period and a value, e.g. {period: 2022-h1, value: 12}")
            continue
        _unknown(item, VALUE_KEYS, where, problems)
        period = str(item.get("period", ""))
        if period not in period_keys:
            problems.add(f"{where}.period", f"{period!r} is not the key of one of this plan's "
                         "periods; list the period under periods first")
        elif period in seen:
            problems.add(f"{where}.period", f"{period!r} has a value already")
        seen.add(period)
        value = item.get("value")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            problems.add(f"{where}.value", f"{value!r} is not a number")
            value = None
        values.append({"period": period, "value": value,
                       "note": _text(item.get("note"), f"{where}.note", problems, required=False,
                                     max_length=1000)})
    return {
        "key": _key(raw.get("key"), f"{place}.key", problems),
        "title": _text(raw.get("title"), f"{place}.title", problems, max_length=300),
        "unit": _text(raw.get("unit"), f"{place}.unit", problems, required=False, max_length=60),
        "higher_is_better": better,
        "values": values,
    }


def _deliverable(raw: Any, place: str, problems: _Problems, period_keys: set[str]) -> dict | None:
    if not isinstance(raw, dict):
        problems.add(place, "should be a deliverable with a key and a title")
        return None
    _unknown(raw, DELIVERABLE_KEYS, place, problems)
    reference = raw.get("reference")
    if reference is None or reference == "":
        reference = ""
    elif not isinstance(reference, str) or not REFERENCE_RE.match(reference):
        problems.add(f"{place}.reference", f"{reference!r} is not a reference such as V8: "
                     "letters, digits, dots, hyphens or slashes, at most 20 characters; put it "
                     "in quotes if YAML reads it as a number")
        reference = str(reference)
    partners = raw.get("partners") or []
    if isinstance(partners, str):
        partners = [partners]
    if not isinstance(partners, list):
        problems.add(f"{place}.partners", "should be a list of partner names")
        partners = []
    partners = [_text(p, f"{place}.partners[{i}]", problems, max_length=300)
                for i, p in enumerate(partners)]
    return {
        "key": _key(raw.get("key"), f"{place}.key", problems),
        "reference": reference,
        "title": _text(raw.get("title"), f"{place}.title", problems, max_length=1000),
        "purpose": _text(raw.get("purpose"), f"{place}.purpose", problems, required=False),
        "lead": _text(raw.get("lead"), f"{place}.lead", problems, required=False, max_length=300),
        "partners": [p for p in partners if p],
        "due_on": _date(raw.get("due_on"), f"{place}.due_on", problems, required=False),
        "measures": [m for i, item in enumerate(_list(raw, "measures", place, problems))
                     if (m := _measure(item, f"{place}.measures[{i}]", problems, period_keys))],
    }


def validate(raw: Any, path: str = "<plan>") -> dict[str, Any]:
    """Check a parsed plan file and return its normalised form, or raise PlanError."""
    problems = _Problems()
    if not isinstance(raw, dict):
        raise PlanError(path, ["the file should hold a plan (a mapping of settings such as "
                               "slug, title and themes)"])
    _unknown(raw, TOP_KEYS, "", problems)
    slug = raw.get("slug")
    if not isinstance(slug, str) or not SLUG_RE.match(slug):
        problems.add("slug", f"{slug!r} is not a valid slug: lower-case letters, digits and hyphens")
    item_name = raw.get("item_name", "deliverable")
    if item_name not in ITEM_NAMES:
        problems.add("item_name", f"{item_name!r} should be one of: {', '.join(ITEM_NAMES)}")
    consultation = raw.get("consultation")
    if consultation is not None and (not isinstance(consultation, str)
                                     or not SLUG_RE.match(consultation)):
        problems.add("consultation", f"{consultation!r} is not a consultation slug")
        consultation = None

    periods: list[dict] = []
    for i, item in enumerate(_list(raw, "periods", "", problems)):
        place = f"periods[{i}]"
        if not isinstance(item, dict):
            problems.add(place, "should be a period with a key, a title, starts_on and ends_on")
            continue
        _unknown(item, PERIOD_KEYS, place, problems)
        key = str(item.get("key", ""))
        if not PERIOD_KEY_RE.match(key):
            problems.add(f"{place}.key", f"{key!r} is not a period key such as 2022-h1: "
                         "lower-case letters, digits, hyphens and underscores")
        if key in {p["key"] for p in periods}:
            problems.add(f"{place}.key", f"{key!r} is the key of another period")
        starts = _date(item.get("starts_on"), f"{place}.starts_on", problems, required=True)
        ends = _date(item.get("ends_on"), f"{place}.ends_on", problems, required=True)
        if starts and ends and ends < starts:
            problems.add(f"{place}.ends_on", "is before starts_on")
        periods.append({"key": key, "title": _text(item.get("title"), f"{place}.title", problems,
                                                    max_length=200),
                        "starts_on": starts, "ends_on": ends})
    period_keys = {p["key"] for p in periods}

    themes: list[dict] = []
    raw_themes = raw.get("themes")
    if not isinstance(raw_themes, list) or not raw_themes:
        problems.add("themes", "should be a list of themes, each with a key, a title and its "
                     "deliverables")
        raw_themes = []
    theme_keys: set[str] = set()
    deliverable_keys: dict[str, str] = {}
    measure_keys: dict[str, str] = {}
    references: dict[str, str] = {}
    for i, item in enumerate(raw_themes):
        place = f"themes[{i}]"
        if not isinstance(item, dict):
            problems.add(place, "should be a theme with a key, a title and its deliverables")
            continue
        _unknown(item, THEME_KEYS, place, problems)
        key = _key(item.get("key"), f"{place}.key", problems)
        if key in theme_keys:
            problems.add(f"{place}.key", f"{key!r} is the key of another theme")
        theme_keys.add(key)
        linked = item.get("consultation_theme")
        if linked is not None and consultation is None:
            problems.add(f"{place}.consultation_theme", "names a consultation theme, but the plan "
                         "names no consultation; add consultation: SLUG at the top")
        deliverables = [d for j, raw_d in enumerate(_list(item, "deliverables", place, problems))
                        if (d := _deliverable(raw_d, f"{place}.deliverables[{j}]", problems,
                                              period_keys))]
        for j, d in enumerate(deliverables):
            where = f"{place}.deliverables[{j}]"
            if d["key"] in deliverable_keys:
                problems.add(f"{where}.key", f"{d['key']!r} is also the key of "
                             f"{deliverable_keys[d['key']]}; each deliverable needs its own key")
            deliverable_keys.setdefault(d["key"], where)
            if d["reference"]:
                if d["reference"] in references:
                    problems.add(f"{where}.reference", f"{d['reference']!r} is also the reference "
                                 f"of {references[d['reference']]}")
                references.setdefault(d["reference"], where)
        measures = [m for j, raw_m in enumerate(_list(item, "measures", place, problems))
                    if (m := _measure(raw_m, f"{place}.measures[{j}]", problems, period_keys))]
        for m in measures + [m for d in deliverables for m in d["measures"]]:
            if m["key"] in measure_keys:
                problems.add(place, f"measure key {m['key']!r} is used twice")
            measure_keys[m["key"]] = place
        themes.append({
            "key": key,
            "title": _text(item.get("title"), f"{place}.title", problems, max_length=300),
            "aim": _text(item.get("aim"), f"{place}.aim", problems, required=False),
            "what_we_will_do": _text(item.get("what_we_will_do"), f"{place}.what_we_will_do",
                                     problems, required=False),
            "consultation_theme": _key(linked, f"{place}.consultation_theme", problems)
            if linked is not None else None,
            "deliverables": deliverables,
            "measures": measures,
        })
    result = {
        "slug": slug,
        "title": _text(raw.get("title"), "title", problems, max_length=300),
        "years": _text(raw.get("years"), "years", problems, required=False, max_length=40),
        "organisation": _text(raw.get("organisation"), "organisation", problems, required=False,
                              max_length=300),
        "summary": _text(raw.get("summary"), "summary", problems, required=False),
        "published_on": _date(raw.get("published_on"), "published_on", problems, required=False),
        "consultation": consultation,
        "item_name": item_name if item_name in ITEM_NAMES else "deliverable",
        "source": _text(raw.get("source"), "source", problems, required=False),
        "periods": periods,
        "themes": themes,
    }
    if problems.items:
        raise PlanError(path, problems.items)
    return result


def read_file(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse and validate one plan file; returns (normalised plan, sha256 of the file)."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise PlanError(str(path), [f"the file cannot be read: {error.strerror or error}"]) from error
    return read_bytes(data, str(path))


def read_bytes(data: bytes, name: str) -> tuple[dict[str, Any], str]:
    if len(data) > MAX_FILE_BYTES:
        raise PlanError(name, [f"the file is {len(data):,} bytes; a plan file may be at most "
                               f"{MAX_FILE_BYTES:,}"])
    try:
        raw = parse_yaml(data.decode("utf-8"))  # no anchors or aliases, capped in size
    except UnicodeDecodeError as error:
        raise PlanError(name, ["the file is not UTF-8 text"]) from error
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = getattr(error, "problem", None) or str(error)
        raise PlanError(name, [f"{where}: this is not valid YAML ({problem})"]) from error
    return validate(raw, name), hashlib.sha256(data).hexdigest()


def plan_files(directory: str | Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


# ---------------------------------------------------------------------------------------------
# Writing rows
# ---------------------------------------------------------------------------------------------

@dataclass
class LoadResult:
    slug: str
    action: str  # "created", "updated" or "unchanged"
    path: str


def _check_links(definition: dict[str, Any], path: str) -> None:
    """The consultation the plan names must be loaded, and each linked theme one of its themes."""
    slug = definition["consultation"]
    if slug is None:
        return
    consultation = db.session.execute(
        select(Consultation).where(Consultation.slug == slug)).scalar_one_or_none()
    if consultation is None:
        raise PlanError(path, [f"consultation: there is no consultation {slug!r} loaded; load it "
                               "first with 'flask consultations load'"])
    keys = {t.key for t in consultation.themes}
    problems = [f"themes[{i}].consultation_theme: {t['consultation_theme']!r} is not a theme of "
                f"{slug!r}; its themes are {', '.join(sorted(keys))}"
                for i, t in enumerate(definition["themes"])
                if t["consultation_theme"] is not None and t["consultation_theme"] not in keys]
    if problems:
        raise PlanError(path, problems)


def _merge(row: Any, new: dict, old: dict | None, fields: tuple[str, ...]) -> None:
    """Write the file's value of each field, unless the file did not change it since the last
    load (then what is in the row, perhaps edited by staff, is kept)."""
    for name in fields:
        value = new[name]
        if name == "due_on" and value is not None:
            value = dt.date.fromisoformat(value)
        if old is None or new[name] != old.get(name):
            setattr(row, name, value)


def _refusals(plan: Plan, definition: dict[str, Any]) -> list[str]:
    wanted = {d["key"] for t in definition["themes"] for d in t["deliverables"]}
    wanted_periods = {p["key"] for p in definition["periods"]}
    file_periods = {p["key"] for p in (plan.definition or {}).get("periods", [])}
    file_deliverables = {d["key"] for t in (plan.definition or {}).get("themes", [])
                         for d in t["deliverables"]}
    problems = []
    for deliverable in plan.deliverables:
        if deliverable.key in file_deliverables and deliverable.key not in wanted \
                and deliverable.updates:
            problems.append(f"this change is refused: {deliverable.key!r} ({deliverable.title}) "
                            f"has {len(deliverable.updates)} progress update(s) and the file no "
                            "longer lists it; keep it in the file")
    for period in plan.periods:
        if period.key in file_periods and period.key not in wanted_periods:
            count = db.session.scalar(select(func.count()).select_from(ProgressUpdate)
                                      .where(ProgressUpdate.period_id == period.id))
            if count:
                problems.append(f"this change is refused: period {period.key!r} has {count} "
                                "progress update(s) and the file no longer lists it")
    return problems


def store_plan(definition: dict[str, Any], sha256: str, source_path: str = "") -> LoadResult:
    """Create or update the plan from its validated definition (commits)."""
    _check_links(definition, source_path or definition["slug"])
    plan = db.session.execute(select(Plan).where(Plan.slug == definition["slug"])).scalar_one_or_none()
    if plan is not None and plan.definition_sha256 == sha256:
        return LoadResult(plan.slug, "unchanged", source_path)
    old = plan.definition if plan is not None else None
    action = "updated"
    if plan is None:
        action = "created"
        plan = Plan(slug=definition["slug"])
        db.session.add(plan)
    else:
        refused = _refusals(plan, definition)
        if refused:
            raise PlanError(source_path or plan.slug, refused)
    plan.title, plan.years = definition["title"], definition["years"]
    plan.organisation, plan.summary = definition["organisation"], definition["summary"]
    plan.published_on = dt.date.fromisoformat(definition["published_on"]) \
        if definition["published_on"] else None
    plan.consultation_slug, plan.item_name = definition["consultation"], definition["item_name"]
    plan.source = definition["source"]

    old_periods = {p["key"]: p for p in (old or {}).get("periods", [])}
    periods = {p.key: p for p in plan.periods}
    for item in definition["periods"]:
        period = periods.get(item["key"])
        if period is None:
            period = ReportingPeriod(key=item["key"])
            plan.periods.append(period)
            periods[item["key"]] = period
        if item != old_periods.get(item["key"]):
            period.title = item["title"]
            period.starts_on = dt.date.fromisoformat(item["starts_on"])
            period.ends_on = dt.date.fromisoformat(item["ends_on"])
    for key in set(old_periods) - {p["key"] for p in definition["periods"]}:
        if key in periods:
            plan.periods.remove(periods[key])

    old_deliverables = {d["key"]: d for t in (old or {}).get("themes", []) for d in t["deliverables"]}
    themes = {t.key: t for t in plan.themes}
    deliverables = {d.key: d for d in plan.deliverables}
    measures = {m.key: m for t in plan.themes for m in t.measures}
    wanted_themes = {t["key"] for t in definition["themes"]}
    listed = {d["key"] for t in definition["themes"] for d in t["deliverables"]}
    db.session.flush()
    for key, deliverable in deliverables.items():
        if key not in listed and key in old_deliverables:  # removed from the file
            deliverable.theme.deliverables.remove(deliverable)
    for key, theme in themes.items():
        if key not in wanted_themes:
            if any(d.key not in old_deliverables for d in theme.deliverables):
                raise PlanError(source_path or plan.slug, [
                    f"this change is refused: theme {key!r} holds deliverables added in the "
                    "workspace; move them to another theme first"])
            plan.themes.remove(theme)
    db.session.flush()
    position = 0
    for theme_position, item in enumerate(definition["themes"], start=1):
        theme = themes.get(item["key"])
        if theme is None or theme not in plan.themes:
            theme = PlanTheme(key=item["key"])
            plan.themes.append(theme)
        theme.title, theme.position = item["title"], theme_position
        theme.aim, theme.what_we_will_do = item["aim"], item["what_we_will_do"]
        theme.consultation_theme = item["consultation_theme"]
        for d_item in item["deliverables"]:
            position += 1
            deliverable = deliverables.get(d_item["key"])
            if deliverable is None:
                deliverable = Deliverable(key=d_item["key"])
                deliverables[d_item["key"]] = deliverable
                old_item = None
            else:
                old_item = old_deliverables.get(d_item["key"])
            deliverable.plan_id = plan.id
            if deliverable not in theme.deliverables:
                if deliverable.theme is not None and deliverable in deliverable.theme.deliverables:
                    deliverable.theme.deliverables.remove(deliverable)
                theme.deliverables.append(deliverable)
            deliverable.position = position
            _merge(deliverable, d_item, old_item, EDITABLE)
        for m_position, (m_item, owner) in enumerate(
                [(m, None) for m in item["measures"]]
                + [(m, d["key"]) for d in item["deliverables"] for m in d["measures"]], start=1):
            measure = measures.pop(m_item["key"], None)
            if measure is None:
                measure = Measure(key=m_item["key"], plan_id=plan.id)
            if measure not in theme.measures:
                theme.measures.append(measure)
            measure.plan_id = plan.id
            measure.title, measure.unit = m_item["title"], m_item["unit"]
            measure.higher_is_better, measure.position = m_item["higher_is_better"], m_position
            measure.deliverable = deliverables[owner] if owner else None
            given = {v["period"]: v for v in m_item["values"]}
            for value in list(measure.values):
                if value.period.key in given:
                    value.value = given[value.period.key]["value"]
                    value.note = given.pop(value.period.key)["note"]
            for key, v in given.items():
                measure.values.append(MeasureValue(period=periods[key], value=v["value"],
                                                   note=v["note"]))
    for measure in measures.values():  # measures the file no longer lists
        measure.theme.measures.remove(measure)
    plan.definition = definition
    plan.definition_sha256 = sha256
    plan.source_path = source_path
    plan.loaded_at = dt.datetime.now(dt.timezone.utc)
    db.session.flush()
    db.session.commit()
    return LoadResult(plan.slug, action, source_path)


def load_file(path: str | Path) -> LoadResult:
    """Validate one plan file and write its rows; idempotent."""
    definition, sha256 = read_file(path)
    try:
        return store_plan(definition, sha256, str(path))
    except Exception:
        db.session.rollback()
        raise
