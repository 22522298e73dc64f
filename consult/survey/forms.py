"""WTForms forms built page by page from a consultation's definition.

``build_form(page, ...)`` gives the Flask-WTF form of one page (CSRF included), with one field
per answer column; ``page_answers(page, form)`` turns a validated form into stored answers; and
``validate_answers(definition, answers)`` checks a whole answers dict with the very same fields,
so that staff paper entry is held to the rules the online survey is held to.
"""
from __future__ import annotations

import json
import threading
from functools import lru_cache
from typing import Any

from cachetools import LRUCache
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

from .handlers import HANDLERS
from .journey import visible_pages


class PageForm(FlaskForm):
    """A page of a consultation; its fields are added per page by ``form_class``."""


@lru_cache(maxsize=256)
def _form_class(page_json: str) -> type[PageForm]:
    page = json.loads(page_json)
    attrs: dict[str, Any] = {}
    for question in page["questions"]:
        attrs.update(HANDLERS[question["type"]].fields(question))
    return type(f"PageForm_{page['key']}", (PageForm,), attrs)


# The classes of the page dicts seen most recently, by identity: a published consultation's pages
# are the same dict objects request after request, so most look-ups skip serialising the page.
# Each entry holds its page, so an id cannot be reused while it is kept.
_by_identity: LRUCache = LRUCache(maxsize=256)
_by_identity_lock = threading.Lock()


def form_class(page: dict) -> type[PageForm]:
    """The form class of one page of a definition (cached: a page's fields never change)."""
    with _by_identity_lock:
        kept = _by_identity.get(id(page))
    if kept is not None and kept[0] is page:
        return kept[1]
    cls = _form_class(json.dumps(page, sort_keys=True))
    with _by_identity_lock:
        _by_identity[id(page)] = (page, cls)
    return cls


def build_form(page: dict, *, formdata: MultiDict | None = None,
               answers: dict[str, Any] | None = None, csrf: bool = True) -> PageForm:
    """The form of ``page``: filled from ``formdata`` when given (a POST), else from ``answers``."""
    data: dict[str, Any] = {}
    for question in page["questions"]:
        data.update(HANDLERS[question["type"]].form_data(question, answers or {}))
    meta = {} if csrf else {"csrf": False}
    if formdata is not None:
        return form_class(page)(formdata=formdata, meta=meta)
    return form_class(page)(formdata=None, data=data, meta=meta)


def page_answers(page: dict, form: PageForm) -> dict[str, Any]:
    """The answers of one validated page, keyed by export column (unanswered left out)."""
    answers: dict[str, Any] = {}
    for question in page["questions"]:
        answers.update(HANDLERS[question["type"]].answers(question, form))
    return answers


def page_columns(page: dict) -> list[str]:
    return [c for q in page["questions"] for c in q["columns"]]


def validate_answers(definition: dict, answers: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Check a whole answers dict as the survey would, page by page.

    Returns (clean answers of the pages the routing shows, errors keyed by column). Answers to
    pages the routing hides (a victim page when the respondent is a business) are dropped, and so
    are keys that are no column of the definition.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for page in visible_pages(definition, answers):
        pairs: list[tuple[str, str]] = []
        for question in page["questions"]:
            pairs.extend(HANDLERS[question["type"]].formdata_pairs(question, answers))
        form = build_form(page, formdata=MultiDict(pairs), csrf=False)
        if form.validate():
            clean.update(page_answers(page, form))
        else:
            for name, messages in form.errors.items():
                errors[name] = messages[0]
    return clean, errors
