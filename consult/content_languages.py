"""A consultation's own texts in other languages and in Easy Read (docs/translations.md).

A definition offers languages (``languages: [pl, lt, ro]``; English is its own text) and may
offer an Easy Read version (``easy_read: true``). Each variant's texts are kept, by key, in
``TRANSLATIONS_FOLDER`` (default ``instance/translations``):

- ``consultations/SLUG.LANG.yaml``: the definition's own texts (title, summary, themes, its own
  pages, questions, options and checks);
- ``blocks/NAME.LANG.yaml``: the texts of a block it includes;
- ``organisation.LANG.yaml``: the organisation's resident-facing texts (name, contact, privacy
  notice, accessibility statement, area names);
- ``SLUG.easy-read.yaml`` and ``blocks/NAME.easy-read.yaml``: the Easy Read version (English),
  with ``start: {intro: ...}`` for the start page.

:func:`files` reads them when the definition is read (so the definition's sha256 covers them),
:func:`attach` checks that each variant gives every text the definition has — refusing, with
every problem at once, a missing file, a missing text (naming the file and the place) and a key
the definition does not have — and keeps them in the normalised definition under
``translations[VARIANT]``, by page, question (its answer column's key), theme and option code.
:func:`for_request` gives a resident's page the consultation in the page's language, or in Easy
Read when the resident chose it (kept in the session), and says which language its text is in
(``consult.i18n.content_language``): English, marked ``lang="en"``, when the consultation does not
offer the page's language.
"""
from __future__ import annotations

import copy
import dataclasses
import logging
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from cachetools import LRUCache
from flask import Flask, current_app, g, has_app_context, redirect, request, session

from . import schema

EASY_READ = "easy-read"
SESSION_KEY = "easy_read"
EXTENSION = "consult.content_languages"
# Texts that may be given for the whole consultation (a block's file gives none of them).
CONSULTATION_TEXTS = ("title", "summary", "time_to_complete", "privacy_notice", "contact")
# The organisation's dates are not words; everything else resident-facing is.
ORGANISATION_DATES = {"prepared_on", "reviewed_on"}

log = logging.getLogger(__name__)


def translations_folder() -> Path:
    """The app's ``TRANSLATIONS_FOLDER``, else ``instance/translations``."""
    if has_app_context() and current_app.config.get("TRANSLATIONS_FOLDER"):
        return Path(current_app.config["TRANSLATIONS_FOLDER"])
    from .config import INSTANCE_DIR

    return INSTANCE_DIR / "translations"


def variants(raw: Any) -> list[str]:
    """The languages a (parsed) definition offers, then ``easy-read`` if it has Easy Read."""
    if not isinstance(raw, dict):
        return []
    found = [code for code in raw.get("languages") or [] if isinstance(code, str)] \
        if isinstance(raw.get("languages"), list) else []
    if raw.get("easy_read") is True:
        found.append(EASY_READ)
    return found


def _names(raw: Any, blocks: dict[str, bytes], variant: str) -> list[str]:
    """The files (relative to the translations folder) a variant of a definition is kept in."""
    slug = raw.get("slug") if isinstance(raw, dict) else None
    names = [f"consultations/{slug}.{variant}.yaml"] if isinstance(slug, str) else []
    names += [f"blocks/{block}.{variant}.yaml" for block in blocks]
    if variant != EASY_READ:
        names.append(f"organisation.{variant}.yaml")
    return names


def files(raw: Any, blocks: dict[str, bytes], folder: str | Path | None = None) -> dict[str, bytes]:
    """The bytes of every translation file a definition's variants are kept in (those present)."""
    base = Path(folder) if folder is not None else translations_folder()
    found: dict[str, bytes] = {}
    for variant in variants(raw):
        for name in _names(raw, blocks, variant):
            try:
                if (base / name).is_file():
                    found[name] = (base / name).read_bytes()
            except OSError:
                continue
    return found


# ---------------------------------------------------------------------------------------------
# Checking a variant against the definition
# ---------------------------------------------------------------------------------------------

def _parse(name: str, data: bytes, base: Path, problems: list[str]) -> dict | None:
    import yaml

    from .definitions import MAX_DEFINITION_BYTES, parse_yaml

    where = str(base / name)
    if len(data) > MAX_DEFINITION_BYTES:
        problems.append(f"{where}: the file is larger than {MAX_DEFINITION_BYTES // 1024} KB")
        return None
    try:
        raw = parse_yaml(data.decode("utf-8"))
    except UnicodeDecodeError:
        problems.append(f"{where}: the file is not UTF-8 text")
        return None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problems.append(f"{where}: {at}: this is not valid YAML "
                        f"({getattr(error, 'problem', None) or error})")
        return None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: the file should hold texts by key (language, title, pages, "
                        "questions ...)")
        return None
    return raw


class _Variant:
    """One variant's files checked against the definition, and its texts gathered."""

    def __init__(self, variant: str, base: Path, problems: list[str]) -> None:
        self.variant, self.base, self.problems = variant, base, problems
        self.out: dict[str, Any] = {"themes": {}, "pages": {}, "questions": {}, "checks": []}

    def where(self, name: str) -> str:
        return str(self.base / name)

    def missing(self, name: str, place: str, what: str = "") -> None:
        self.problems.append(f"{self.where(name)}: {place}: is missing{what}; give its "
                             f"{'Easy Read' if self.variant == EASY_READ else self.variant} text")

    def unknown(self, name: str, place: str, message: str) -> None:
        self.problems.append(f"{self.where(name)}: {place}: {message}")

    def text(self, name: str, given: dict, key: str, english: Any, place: str) -> str | None:
        """The text ``given[key]`` for an English text of the definition (None when it has
        none); a missing one is a problem."""
        if not english:
            if key in given:
                self.unknown(name, place, "the definition has no such text here; remove it")
            return None
        value = given.get(key)
        if not isinstance(value, str) or not value.strip():
            self.missing(name, place)
            return None
        return value.strip()


def _block_of_pages(expanded: Any) -> dict[str, str | None]:
    """Page key as written -> the block it comes from (None: the definition itself)."""
    out: dict[str, str | None] = {}
    origins = expanded.origins.get("pages") or []
    for i, page in enumerate(expanded.raw.get("pages") or []):
        if not isinstance(page, dict) or "key" not in page:
            continue
        source = origins[i][0] if i < len(origins) else None
        out.setdefault(page["key"], Path(source).name.rsplit(".", 1)[0] if source else None)
    return out


def _check_origins(expanded: Any, count: int) -> list[tuple[str | None, int]]:
    origins = expanded.origins.get("checks")
    if not origins:
        return [(None, i) for i in range(count)]
    return [(Path(s).name.rsplit(".", 1)[0] if s else None, j) for s, j in origins]


def _options_given(question: dict) -> bool:
    """Whether a question's options are written in the definition (and so need translating);
    areas come from the organisation's file, scales are interface words, ranking options are
    the themes."""
    from .survey.handlers import HANDLERS

    handler = HANDLERS[question["type"]]
    return "options" in handler.settings and bool(question.get("options"))


def _check_variant(definition: dict, expanded: Any, variant: str, data: dict[str, bytes],
                   base: Path, organisation: dict | None, problems: list[str]) -> dict:
    slug = definition["slug"]
    state = _Variant(variant, base, problems)
    own = f"consultations/{slug}.{variant}.yaml"
    page_block = _block_of_pages(expanded)
    blocks = list(expanded.blocks)
    parsed: dict[str, dict] = {}
    for name in [own] + [f"blocks/{b}.{variant}.yaml" for b in blocks]:
        if name not in data:
            what = "the consultation" if name == own else f"block {name.split('/')[1].split('.')[0]}"
            problems.append(f"{state.where(name)}: the file is missing; the definition offers "
                            f"{'an Easy Read version' if variant == EASY_READ else variant}, "
                            f"so this file must give the texts of {what} in it")
            continue
        raw = _parse(name, data[name], base, problems)
        if raw is None:
            continue
        for found in schema.problems(raw, "translation"):
            problems.append(f"{state.where(name)}: {found}")
        language = raw.get("language")
        if variant == EASY_READ:
            if language not in (None, EASY_READ):
                state.unknown(name, "language", f"is {language!r}; an Easy Read file says "
                              "language: easy-read (or nothing)")
        elif language != variant:
            state.unknown(name, "language", f"is {language!r}; this file must say language: {variant}")
        if name != own:
            for key in sorted(set(raw) - {"language", "pages", "questions", "checks"}, key=str):
                state.unknown(name, str(key), "a block's file gives only its pages, questions and "
                              "checks; put this in the consultation's file")
        parsed[name] = raw

    def file_of(block: str | None) -> str:
        return own if block is None else f"blocks/{block}.{variant}.yaml"

    def section(name: str, key: str) -> dict:
        raw = parsed.get(name) or {}
        value = raw.get(key)
        return value if isinstance(value, dict) else {}

    out = state.out
    # the consultation's own texts
    if own in parsed:
        top = parsed[own]
        for key in CONSULTATION_TEXTS:
            value = state.text(own, top, key, definition.get(key), key)
            if value:
                out[key] = value
        if variant == EASY_READ:
            start = top.get("start") if isinstance(top.get("start"), dict) else {}
            intro = state.text(own, start, "intro", True, "start.intro")
            if intro:
                out["start_intro"] = intro
        elif "start" in top:
            state.unknown(own, "start", "only an Easy Read file has a start intro")
        themes = section(own, "themes")
        keys = {t["key"] for t in definition["themes"]}
        for key in sorted(set(themes) - keys, key=str):
            state.unknown(own, f"themes.{key}", f"is not a theme of this consultation; its themes "
                          f"are {', '.join(sorted(keys))}")
        for theme in definition["themes"]:
            given = themes.get(theme["key"]) if isinstance(themes.get(theme["key"]), dict) else {}
            texts = {}
            for key in ("title", "summary", "what_we_will_do"):
                value = state.text(own, given, key, theme[key], f"themes.{theme['key']}.{key}")
                if value:
                    texts[key] = value
            out["themes"][theme["key"]] = texts

    # pages and questions, each in the file of the block it comes from
    written_pages: dict[str, list[dict]] = {}
    for page in definition["pages"]:
        written_pages.setdefault(page["key"].split("__")[0], []).append(page)
    seen_questions: dict[str, set[str]] = {}
    for written, pages in written_pages.items():
        name = file_of(page_block.get(written))
        if name not in parsed:
            continue
        given = section(name, "pages").get(written)
        given = given if isinstance(given, dict) else {}
        first = pages[0]
        themed = first.get("theme") is not None
        title = None if themed else state.text(name, given, "title", first["title"],
                                              f"pages.{written}.title")
        if themed and "title" in given:
            state.unknown(name, f"pages.{written}.title", "a page asked once per theme takes "
                          "each theme's title; remove it")
        intro = state.text(name, given, "intro", first["intro"], f"pages.{written}.intro")
        for page in pages:
            out["pages"][page["key"]] = {k: v for k, v in (("title", title), ("intro", intro)) if v}
        questions = section(name, "questions")
        for question in first["questions"]:
            asked = question.get("definition_key") or question["key"]
            seen_questions.setdefault(name, set()).add(asked)
            q_given = questions.get(asked) if isinstance(questions.get(asked), dict) else {}
            place = f"questions.{asked}"
            texts: dict[str, Any] = {}
            for key in ("label", "hint", "short_label", "suffix"):
                value = state.text(name, q_given, key, question.get(key), f"{place}.{key}")
                if value:
                    texts[key] = value
            options_given = q_given.get("options") if isinstance(q_given.get("options"), dict) else {}
            if _options_given(question):
                codes = [o["code"] for o in question["options"]]
                for code in sorted(set(options_given) - set(codes), key=str):
                    state.unknown(name, f"{place}.options.{code}", "is not a code of this question; "
                                  f"its codes are {', '.join(codes)}")
                options = {}
                for option in question["options"]:
                    item = options_given.get(option["code"])
                    item = {"label": item} if isinstance(item, str) else (item if isinstance(item, dict) else {})
                    o_place = f"{place}.options.{option['code']}"
                    label = state.text(name, item, "label", option["label"], o_place + ".label"
                                       if isinstance(options_given.get(option["code"]), dict) else o_place)
                    hint = state.text(name, item, "hint", option.get("hint"), o_place + ".hint")
                    options[option["code"]] = {k: v for k, v in (("label", label), ("hint", hint)) if v}
                texts["options"] = options
            elif "options" in q_given:
                state.unknown(name, f"{place}.options", "this question's answers are not written "
                              "in the definition (they are the areas, a scale or the themes); remove them")
            for page in pages:
                for expanded_q in page["questions"]:
                    if (expanded_q.get("definition_key") or expanded_q["key"]) == asked:
                        out["questions"][expanded_q["key"]] = texts
    for name, raw in parsed.items():
        block = None if name == own else name.split("/")[1].split(".")[0]
        known = {w for w, b in ((w, page_block.get(w)) for w in written_pages) if b == block}
        for key in sorted(set(section(name, "pages")) - known, key=str):
            other = page_block.get(key, "-")
            why = (f"is a page of block {other}: give it in {file_of(other)}" if other != "-"
                   else f"is not a page here; the pages are {', '.join(sorted(known)) or 'none'}")
            state.unknown(name, f"pages.{key}", why)
        for key in sorted(set(section(name, "questions")) - seen_questions.get(name, set()), key=str):
            state.unknown(name, f"questions.{key}", "is not a question of these pages; the questions "
                          f"are {', '.join(sorted(seen_questions.get(name, set()))) or 'none'}")

    # checks, in the definition's order, each from the file it was written in
    origins = _check_origins(expanded, len(definition["checks"]))
    used: dict[str, int] = {}
    for i, check in enumerate(definition["checks"]):
        block, j = origins[i] if i < len(origins) else (None, i)
        name = file_of(block)
        if name not in parsed:
            out["checks"].append(check["message"])
            continue
        listed = parsed[name].get("checks") if isinstance(parsed[name].get("checks"), list) else []
        used[name] = max(used.get(name, 0), j + 1)
        item = listed[j] if j < len(listed) and isinstance(listed[j], dict) else {}
        message = state.text(name, item, "message", check["message"], f"checks[{j}].message")
        out["checks"].append(message or check["message"])
    for name, raw in parsed.items():
        listed = raw.get("checks") if isinstance(raw.get("checks"), list) else []
        if len(listed) > used.get(name, 0):
            state.unknown(name, "checks", f"gives {len(listed)} messages; there "
                          f"{'is' if used.get(name, 0) == 1 else 'are'} {used.get(name, 0)} checks here")

    if variant != EASY_READ:
        org = organisation_texts(variant, organisation, data, base, problems)
        if org is not None:
            out["organisation"] = org
            names = _area_names(org)
            for page in definition["pages"]:
                for question in page["questions"]:
                    if question["type"] == "district":
                        texts = out["questions"].setdefault(question["key"], {})
                        texts["options"] = {o["code"]: {"label": names[o["code"]]}
                                            for o in question["options"] if o["code"] in names}
    return out


def _area_names(org_texts: dict) -> dict[str, str]:
    areas = org_texts.get("areas") or {}
    names = dict(areas.get("items") or {})
    for key in ("outside", "prefer_not_to_say"):
        if isinstance(areas.get(key), dict) and areas[key].get("code"):
            names[areas[key]["code"]] = areas[key]["name"]
    return names


def organisation_texts(language: str, organisation: dict | None, data: dict[str, bytes],
                       base: Path, problems: list[str]) -> dict | None:
    """The organisation's texts in ``language`` from ``organisation.LANG.yaml`` (in ``data``,
    else read from ``base``), checked against the organisation: every resident-facing text of it
    must be given. Problems are added to ``problems``; None when the file cannot be used."""
    from . import organisation as organisations
    from .definitions import DefinitionError

    name = f"organisation.{language}.yaml"
    where = str(base / name)
    if organisation is None:
        try:
            organisation = organisations.default()
        except DefinitionError as error:
            problems.append(f"{error.path}: the organisation file cannot be read")
            return None
    if name not in data:
        try:
            data = {name: (base / name).read_bytes()}
        except OSError:
            problems.append(f"{where}: the file is missing; {language} is offered, so this file "
                            "must give the organisation's texts (name, contact, privacy notice, "
                            f"accessibility statement, area names) in {language}")
            return None
    raw = _parse(name, data[name], base, problems)
    if raw is None:
        return None
    before = len(problems)
    problems += [f"{where}: {p}" for p in schema.problems(raw, "organisation-translation")]
    if raw.get("language") != language:
        problems.append(f"{where}: language: is {raw.get('language')!r}; this file must say "
                        f"language: {language}")

    def need(given: Any, english: Any, place: str) -> str | None:
        if not english or not isinstance(english, str):
            return None
        if not isinstance(given, str) or not given.strip():
            problems.append(f"{where}: {place}: is missing; give its {language} text")
            return None
        return given.strip()

    def part(key: str) -> dict:
        return raw.get(key) if isinstance(raw.get(key), dict) else {}

    out: dict[str, Any] = {}
    for key in ("name", "short_name"):
        out[key] = need(raw.get(key), organisation.get(key), key)
    out["contact"] = {"address": need(part("contact").get("address"),
                                      organisation["contact"].get("address"), "contact.address")}
    if part("contact").get("phone"):
        out["contact"]["phone"] = part("contact")["phone"].strip()
    for group in ("data_protection", "accessibility"):
        english = {k: v for k, v in organisation.get(group, {}).items()
                   if k not in ORGANISATION_DATES and isinstance(v, str) and v.strip()}
        given = part(group)
        for key in sorted(set(given) - set(english), key=str):
            problems.append(f"{where}: {group}.{key}: the organisation file has no such text; "
                            f"its texts here are {', '.join(sorted(english))}")
        out[group] = {k: need(given.get(k), v, f"{group}.{k}") for k, v in english.items()}
    areas, given = organisation["areas"], part("areas")
    items = given.get("items")
    if isinstance(items, list):  # written as organisation.yaml writes them: [{code, name}, ...]
        items = {i["code"]: i for i in items if isinstance(i, dict) and "code" in i}
    items = items if isinstance(items, dict) else {}
    codes = [a["code"] for a in areas["items"]]
    for code in sorted(set(items) - set(codes), key=str):
        problems.append(f"{where}: areas.items.{code}: is not an area code of the organisation; "
                        f"its codes are {', '.join(codes)}")
    names = {}
    for area in areas["items"]:
        # an area left out keeps its name as the organisation file writes it: a place name is
        # often written the same in every language
        item = items.get(area["code"])
        name = item.get("name") if isinstance(item, dict) else item
        names[area["code"]] = name.strip() if isinstance(name, str) and name.strip() else area["name"]
    out["areas"] = {"label": need(given.get("label"), areas.get("label"), "areas.label"),
                    "items": names}
    for key in ("outside", "prefer_not_to_say"):
        named = given.get(key) if isinstance(given.get(key), dict) else {}
        out["areas"][key] = {"code": areas[key]["code"],
                             "name": need(named.get("name"), areas[key]["name"], f"areas.{key}.name")}
    return out if len(problems) == before else None


def _with_origins(expanded: Any) -> Any:
    """A definition whose blocks were already put in place (read with parse_file, then given to
    validate) no longer says which pages came from which block: find them again in the blocks
    folder, by page key (and each check by its content), so that each block's texts are still
    read from the block's own translation file."""
    from .definitions import Expanded, _read_yaml, blocks_folder

    if expanded.origins or not isinstance(expanded.raw.get("pages"), list):
        return expanded
    folder = blocks_folder()
    pages_of: dict[str, str] = {}
    checks_of: list[tuple[dict, str, int]] = []
    data: dict[str, bytes] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        raw, content, found = _read_yaml(path)
        if found or not isinstance(raw, dict) or not isinstance(raw.get("pages"), list):
            continue
        data[path.stem] = content
        for page in raw["pages"]:
            if isinstance(page, dict) and isinstance(page.get("key"), str):
                pages_of.setdefault(page["key"], str(path))
        for j, check in enumerate(raw.get("checks") or []):
            checks_of.append((check, str(path), j))
    page_origins = [(pages_of.get(p.get("key")) if isinstance(p, dict) else None, i)
                    for i, p in enumerate(expanded.raw["pages"])]
    used = {Path(s).stem for s, _ in page_origins if s}
    if not used:
        return expanded
    check_origins = []
    for i, check in enumerate(expanded.raw.get("checks") or []):
        match = next(((s, j) for c, s, j in checks_of if c == check and Path(s).stem in used), None)
        check_origins.append(match or (None, i))
    blocks = {name: data[name] for name in sorted(used)}
    return Expanded(expanded.raw, {"pages": page_origins, "checks": check_origins}, blocks,
                    files(expanded.raw, blocks))


def attach(definition: dict, expanded: Any, path: str, organisation: dict | None = None,
           folder: str | Path | None = None) -> dict:
    """``definition`` with its languages and Easy Read checked and kept under ``translations``;
    raises DefinitionError listing every missing or unknown text of every variant at once."""
    from .definitions import DefinitionError

    offered = variants(expanded.raw)
    if not offered:
        return definition
    base = Path(folder) if folder is not None else translations_folder()
    expanded = _with_origins(expanded)
    data = expanded.translations if expanded.translations is not None \
        else files(expanded.raw, expanded.blocks, base)
    problems: list[str] = []
    translations = {variant: _check_variant(definition, expanded, variant, data, base,
                                            organisation, problems) for variant in offered}
    if problems:
        raise DefinitionError(path, problems)
    definition["languages"] = [v for v in offered if v != EASY_READ]
    definition["easy_read"] = EASY_READ in offered
    definition["translations"] = translations
    return definition


# ---------------------------------------------------------------------------------------------
# Showing a consultation in a language
# ---------------------------------------------------------------------------------------------

def localise(definition: dict, variant: str | None) -> dict:
    """A copy of ``definition`` with every text it has in ``variant`` put in place of the English
    (the definition itself when it has none)."""
    texts = (definition.get("translations") or {}).get(variant) if variant else None
    if not texts:
        return definition
    out = copy.deepcopy({k: v for k, v in definition.items() if k != "translations"})
    for key in CONSULTATION_TEXTS:
        if texts.get(key):
            out[key] = texts[key]
    if texts.get("start_intro"):
        out["start_intro"] = texts["start_intro"]
    themes = texts.get("themes") or {}
    for theme in out["themes"]:
        theme.update(themes.get(theme["key"]) or {})
    titles = {t["key"]: t["title"] for t in out["themes"]}
    pages = texts.get("pages") or {}
    questions = texts.get("questions") or {}
    for page in out["pages"]:
        page.update(pages.get(page["key"]) or {})
        if page.get("theme"):
            page["title"] = titles.get(page["theme"], page["title"])
        for question in page["questions"]:
            given = questions.get(question["key"]) or {}
            question.update({k: v for k, v in given.items() if k != "options"})
            options = given.get("options") or {}
            for option in question.get("options") or []:
                if question["type"] == "ranking":
                    option["label"] = titles.get(option["code"], option["label"])
                option.update(options.get(option["code"]) or {})
    for check, message in zip(out["checks"], texts.get("checks") or []):
        check["message"] = message
    return out


def _cache(app: Flask | None = None) -> tuple[LRUCache, threading.Lock]:
    return (app or current_app).extensions[EXTENSION]


def easy_read_chosen(slug: str) -> bool:
    return slug in (session.get(SESSION_KEY) or [])


def variant_for(definition: dict, slug: str) -> tuple[str | None, str]:
    """(the variant a page of this consultation shows, the language its text is in)."""
    from .i18n import DEFAULT_LANGUAGE, current_language

    if definition.get("easy_read") and easy_read_chosen(slug):
        return EASY_READ, DEFAULT_LANGUAGE
    language = current_language()
    if language in (definition.get("languages") or []):
        return language, language
    return None, DEFAULT_LANGUAGE


def for_request(consultation: Any) -> Any:
    """The published consultation as this request's page shows it: in the page's language when
    it offers it, in Easy Read when the resident chose it, else in English (``g.content_language``
    says which, for the ``lang`` attributes)."""
    variant, language = variant_for(consultation.definition, consultation.slug)
    g.content_language, g.content_variant = language, variant
    g.easy_read_offered = bool(consultation.definition.get("easy_read"))
    g.easy_read_slug = consultation.slug
    if variant is None:
        return consultation
    pages, lock = _cache()
    key = (consultation.fingerprint, variant)
    with lock:
        found = pages.get(key)
    if found is None:
        # a scale's levels stay as the definition has them: they are interface words, which
        # the templates show in the page's language (consult.i18n.option_label)
        definition = localise(consultation.definition, variant)
        themes = {t["key"]: t for t in definition["themes"]}
        found = (definition, tuple(
            dataclasses.replace(t, title=themes[t.key]["title"], summary=themes[t.key]["summary"],
                                what_we_will_do=themes[t.key]["what_we_will_do"])
            if t.key in themes else t for t in consultation.themes))
        with lock:
            pages[key] = found
    definition, themes = found
    # the opening times are the snapshot's own (they are not part of the fingerprint)
    return dataclasses.replace(consultation, title=definition["title"],
                               summary=definition["summary"], definition=definition,
                               themes=themes, fingerprint=f"{consultation.fingerprint}.{variant}")


@dataclasses.dataclass(frozen=True)
class InPageLanguage:
    """What a page listing consultations shows of one: its title and definition in the page's
    language when it offers it (else English), and ``lang``, the attribute its text needs."""
    slug: str
    title: str
    definition: dict
    is_demo: bool
    lang: Any

    @property
    def title_html(self) -> Any:
        """The title, in a ``<span lang>`` when it is not in the page's language."""
        from markupsafe import Markup, escape

        return Markup("<span{}>{}</span>").format(self.lang, self.title) if self.lang \
            else escape(self.title)


def in_page_language(consultation: Any) -> InPageLanguage:
    from markupsafe import Markup

    from .i18n import DEFAULT_LANGUAGE, current_language

    language = current_language()
    definition = consultation.definition or {}
    offered = language in (definition.get("languages") or [])
    if offered:
        definition = localise(definition, language)
    text_language = language if offered else DEFAULT_LANGUAGE
    lang = Markup("") if text_language == language else Markup(' lang="{}"').format(text_language)
    return InPageLanguage(consultation.slug, definition.get("title") or consultation.title,
                          definition, bool(consultation.is_demo), lang)


def only_in_english() -> bool:
    """Whether this page is in a language the consultation on it does not offer."""
    from .i18n import DEFAULT_LANGUAGE, current_language

    return current_language() != DEFAULT_LANGUAGE and g.get("content_variant") is None \
        and g.get("content_language", DEFAULT_LANGUAGE) == DEFAULT_LANGUAGE


def easy_read_link() -> dict | None:
    """The link to switch this consultation's pages to Easy Read, or back (None when the
    consultation has no Easy Read version)."""
    if not g.get("easy_read_offered"):
        return None
    on = g.get("content_variant") == EASY_READ
    rest = [(k, v) for k, v in request.args.items(multi=True) if k not in ("easy_read", "lang")]
    return {"on": on, "href": request.path + "?" + urlencode(rest + [("easy_read", "0" if on else "1")])}


def _follow_easy_read_link():
    """``?easy_read=1`` (or ``0``) on a page of a consultation: keep the choice in the session
    and show the same address without it."""
    # what the last page showed (a test, or a command, may share one app context between requests)
    for name in ("content_language", "content_variant", "easy_read_offered", "organisation_language"):
        g.pop(name, None)
    if request.method != "GET" or "easy_read" not in request.args:
        return None
    slug = (request.view_args or {}).get("slug")
    if not isinstance(slug, str):
        return None
    chosen = [s for s in (session.get(SESSION_KEY) or []) if s != slug]
    if request.args.get("easy_read") == "1":
        chosen.append(slug)
    session[SESSION_KEY] = chosen[-20:]
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "easy_read"]
    return redirect(request.path + ("?" + urlencode(rest) if rest else ""))


# ---------------------------------------------------------------------------------------------
# The organisation's texts on every page
# ---------------------------------------------------------------------------------------------

def _organisation_variant(app: Flask, language: str) -> dict | None:
    """The organisation's texts in ``language`` (read once per process), None when there is no
    file or it is incomplete (then they are shown in English, and a warning is logged)."""
    kept = app.extensions[EXTENSION + ".organisation"]
    if language in kept:
        return kept[language]
    from .organisation import current

    base = Path(app.config.get("TRANSLATIONS_FOLDER") or translations_folder())
    texts = None
    if (base / f"organisation.{language}.yaml").is_file():
        problems: list[str] = []
        texts = organisation_texts(language, current(), {}, base, problems)
        if problems:
            log.warning("the organisation's texts in %s are shown in English: %s", language,
                        "; ".join(problems[:5]))
            texts = None
    kept[language] = texts
    return texts


def localised_organisation(organisation: dict) -> dict:
    """The organisation with its texts in the page's language, when there is a file for it."""
    from .i18n import DEFAULT_LANGUAGE, current_language

    language = current_language()
    g.organisation_language = DEFAULT_LANGUAGE
    if language == DEFAULT_LANGUAGE:
        return organisation
    texts = _organisation_variant(current_app._get_current_object(), language)
    if not texts:
        return organisation
    g.organisation_language = language
    out = copy.deepcopy(organisation)
    out["name"], out["short_name"] = texts["name"], texts["short_name"]
    out["contact"].update(texts["contact"])
    for group in ("data_protection", "accessibility"):
        out[group].update(texts[group])
    out["areas"]["label"] = texts["areas"]["label"]
    for area in out["areas"]["items"]:
        area["name"] = texts["areas"]["items"].get(area["code"], area["name"])
    for key in ("outside", "prefer_not_to_say"):
        out["areas"][key]["name"] = texts["areas"][key]["name"]
    return out


def organisation_name() -> str:
    """The organisation's name in the page's language when it is given, else in English."""
    from .organisation import current

    return localised_organisation(current())["name"]


def organisation_language() -> str:
    from .i18n import DEFAULT_LANGUAGE

    return g.get("organisation_language", DEFAULT_LANGUAGE)


def init_app(app: Flask) -> None:
    from markupsafe import Markup

    from .i18n import in_language

    app.extensions[EXTENSION] = (LRUCache(maxsize=64), threading.Lock())
    app.extensions[EXTENSION + ".organisation"] = {}
    app.before_request(_follow_easy_read_link)
    app.add_template_global(easy_read_link)
    app.add_template_global(only_in_english, "content_only_in_english")
    app.add_template_filter(lambda text: in_language(text, organisation_language()),
                            "organisation_text")
    app.add_template_global(
        lambda: Markup("") if organisation_language() == _page_language()
        else Markup(' lang="{}"').format(organisation_language()), "organisation_lang")


def _page_language() -> str:
    from .i18n import current_language

    return current_language()
