"""The route through a consultation: which pages the answers so far show, and in what order.

A page with ``show_if: {question: KEY, in: [CODES]}`` is shown only when the answer to KEY is
(or, for multiple choice, includes) one of CODES. Everything else is asked of everyone.

Questions on one page cannot hide each other without JavaScript, so answers that contradict
each other are caught instead, by the definition's ``checks``: ``if`` one question's answer is
among some codes, ``then`` another question must be left blank or answered with one of its own
(``contradictions``). The survey's pages, check your answers, paper entry and imports all apply
them through ``forms.validate_answers``.
"""
from __future__ import annotations

from typing import Any


def _holds(condition: dict, answers: dict[str, Any]) -> bool:
    value = answers.get(condition["question"])
    values = value if isinstance(value, list) else [value]
    return any(v in condition["in"] for v in values)


def is_shown(page: dict, answers: dict[str, Any]) -> bool:
    condition = page.get("show_if")
    return not condition or _holds(condition, answers)


def broken_checks(definition: dict, answers: dict[str, Any]) -> list[dict]:
    """The definition's checks that ``answers`` break (only answers to pages the route shows)."""
    checks = definition.get("checks") or []
    if not checks:
        return []
    shown = shown_answers(definition, answers)
    broken = []
    for check in checks:
        then = check["then"]
        if not _holds(check["if"], shown):
            continue
        value = shown.get(then["question"])
        values = value if isinstance(value, list) else [value]
        if value in (None, "", []) or all(v in then["in"] for v in values):
            continue
        broken.append(check)
    return broken


def contradictions(definition: dict, answers: dict[str, Any],
                   on_page: dict | None = None) -> dict[str, str]:
    """The definition's checks that ``answers`` break, as {column: message}.

    Only answers to pages the route shows count. With ``on_page``, only the checks naming a
    question of that page, each message placed on that page's question (the ``then`` one when
    both are there), so that it shows beside the answer to change.
    """
    here = {c for q in on_page["questions"] for c in q["columns"]} if on_page else None
    found: dict[str, str] = {}
    for check in broken_checks(definition, answers):
        when, then = check["if"], check["then"]
        if here is None or then["question"] in here:
            found.setdefault(then["question"], check["message"])
        elif when["question"] in here:
            found.setdefault(when["question"], check["message"])
    return found


def visible_pages(definition: dict, answers: dict[str, Any]) -> list[dict]:
    return [p for p in definition["pages"] if is_shown(p, answers)]


def find_page(definition: dict, key: str) -> dict | None:
    return next((p for p in definition["pages"] if p["key"] == key), None)


def next_page(definition: dict, key: str, answers: dict[str, Any]) -> dict | None:
    """The page after ``key`` that the answers show; None after the last one."""
    pages = definition["pages"]
    index = next(i for i, p in enumerate(pages) if p["key"] == key)
    return next((p for p in pages[index + 1:] if is_shown(p, answers)), None)


def previous_page(definition: dict, key: str, answers: dict[str, Any]) -> dict | None:
    pages = definition["pages"]
    index = next(i for i, p in enumerate(pages) if p["key"] == key)
    return next((p for p in reversed(pages[:index]) if is_shown(p, answers)), None)


def shown_answers(definition: dict, answers: dict[str, Any]) -> dict[str, Any]:
    """Only the answers to pages the route shows: what a response stores."""
    columns = {c for p in visible_pages(definition, answers) for q in p["questions"] for c in q["columns"]}
    return {k: v for k, v in answers.items() if k in columns}
