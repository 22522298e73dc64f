"""The route through a consultation: which pages the answers so far show, and in what order.

A page with ``show_if: {question: KEY, in: [CODES]}`` is shown only when the answer to KEY is
(or, for multiple choice, includes) one of CODES. Everything else is asked of everyone.
"""
from __future__ import annotations

from typing import Any


def is_shown(page: dict, answers: dict[str, Any]) -> bool:
    condition = page.get("show_if")
    if not condition:
        return True
    value = answers.get(condition["question"])
    values = value if isinstance(value, list) else [value]
    return any(v in condition["in"] for v in values)


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
