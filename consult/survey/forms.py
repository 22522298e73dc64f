"""WTForms forms built page by page from a consultation's definition.

``build_form(page, ...)`` gives the Flask-WTF form of one page (CSRF included), with one field
per answer column; ``page_answers(page, form)`` turns a validated form into stored answers; and
``validate_answers(definition, answers)`` checks a whole answers dict with the very same fields,
so that staff paper entry and imports are held to the rules the online survey is held to
(``submission.check_response`` calls it for every response); ``posted_answers`` reads the
answers dict of a POST holding every page at once (paper entry).
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
from .journey import contradictions, visible_pages


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
    are keys that are no column of the definition. Answers that contradict each other (the
    definition's ``checks``) are errors too.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for page in visible_pages(definition, answers):
        pairs: list[tuple[str, str]] = []
        for question in page["questions"]:
            pairs.extend(HANDLERS[question["type"]].formdata_pairs(question, answers))
        page_clean, page_errors = _checked_page(page, tuple(pairs))
        clean.update((k, list(v) if isinstance(v, list) else v) for k, v in page_clean.items())
        # messages are kept as written (lazily), and given in the language of the request
        errors.update((name, str(message)) for name, message in page_errors.items())
    for name, message in contradictions(definition, clean).items():
        errors.setdefault(name, message)
    return clean, errors


# A page's verdict depends only on the page and what is posted on it. Imports check tens of
# thousands of rows whose pages mostly hold the same few answers (a respondent type, a
# district), and building a form costs far more than looking its verdict up; pages holding
# long text (comments) are checked afresh.
_verdicts: LRUCache = LRUCache(maxsize=4096)
_verdicts_lock = threading.Lock()
LONGEST_KEPT_PAIRS = 200


_forms = threading.local()


def _reusable_form(cls: type[PageForm]) -> PageForm:
    """A form of ``cls`` kept by this thread, to be filled again with ``process``: binding the
    fields of a new form costs more than checking them, and a check fills and validates in one
    go, so no state of one use is seen by the next."""
    forms = getattr(_forms, "by_class", None)
    if forms is None:
        forms = _forms.by_class = LRUCache(maxsize=64)
    form = forms.get(cls)
    if form is None:
        form = forms[cls] = cls(formdata=None, meta={"csrf": False})
    return form


def _checked_page(page: dict, pairs: tuple[tuple[str, str], ...]
                  ) -> tuple[dict[str, Any], dict[str, str]]:
    cls = form_class(page)
    keep = sum(len(v) for _, v in pairs) <= LONGEST_KEPT_PAIRS
    if keep:
        with _verdicts_lock:
            verdict = _verdicts.get((cls, pairs))
        if verdict is not None:
            return verdict
    form = _reusable_form(cls)
    form.process(formdata=MultiDict(list(pairs)))
    if form.validate():
        verdict = (page_answers(page, form), {})
    else:
        verdict = ({}, {name: messages[0] for name, messages in form.errors.items()})
    if keep:
        with _verdicts_lock:
            _verdicts[(cls, pairs)] = verdict
    return verdict


def posted_answers(definition: dict, formdata: MultiDict) -> dict[str, Any]:
    """What a POST holding every page's fields at once (paper entry) gives for each question, as
    an answers dict for ``submission.check_response``: each field's value before its checks
    (codes, text with control characters gone), unanswered left out. Nothing is checked here."""
    answers: dict[str, Any] = {}
    for page in definition["pages"]:
        form = _reusable_form(form_class(page))
        form.process(formdata=formdata)
        for column in page_columns(page):
            value = form[column].data
            if value not in (None, "", []):
                answers[column] = list(value) if isinstance(value, list) else value
    return answers


def validate_page(definition: dict, page: dict, form: PageForm, answers: dict[str, Any]) -> bool:
    """Validate one posted page, and check its answers against ``answers`` already given on other
    pages (the definition's ``checks``); a contradiction is an error on this page's field."""
    valid = form.validate()
    if not valid:
        return False
    merged = {k: v for k, v in answers.items() if k not in set(page_columns(page))}
    merged.update(page_answers(page, form))
    found = contradictions(definition, merged, on_page=page)
    for column, message in found.items():
        form[column].errors = list(form[column].errors) + [message]
    return not found
