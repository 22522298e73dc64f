"""Question pages, rendered once per process for what they show and then served from memory.

A question page shown without errors depends only on the consultation as published (its
fingerprint), the page, the answers already given on that page, where "Back" leads, whether
the resident came from "check your answers", the path the app is served under, the language
the page is in, whether its consultation is shown in that language or in Easy Read
(consult/content_languages.py) and the address's query (the language links repeat it). Each process
keeps the HTML of such pages (the ``PAGE_CACHE_SIZE`` most recently used; 0 turns this off)
with a placeholder where the CSRF token goes, and every request puts in its own token.
Rendering a page with the GOV.UK macros costs several milliseconds of CPU; serving it from here
costs a few microseconds (benchmarks/results/load.txt).

Pages that show errors are always rendered afresh, and so are pages holding a long free-text
answer: those are one resident's own words and would only push shared pages out.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Hashable

from cachetools import LRUCache
from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf

EXTENSION = "consult.page_cache"
# Stands where the CSRF token goes in a kept page; letters only, so no escaping changes it.
CSRF_PLACEHOLDER = "CONSULTCSRFTOKENPLACEHOLDER"
# Answers longer than this (free text) are not part of any kept page.
LONGEST_KEPT_ANSWER = 40


class PageCache:
    def __init__(self, size: int):
        self.pages: LRUCache | None = LRUCache(maxsize=size) if size > 0 else None
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> str | None:
        if self.pages is None:
            return None
        with self.lock:
            html = self.pages.get(key)
            if html is None:
                self.misses += 1
            else:
                self.hits += 1
            return html

    def keep(self, key: Hashable, html: str) -> None:
        if self.pages is not None:
            with self.lock:
                self.pages[key] = html

    def clear(self) -> None:
        if self.pages is not None:
            with self.lock:
                self.pages.clear()


def page_cache(app: Flask | None = None) -> PageCache:
    return (app or current_app).extensions[EXTENSION]


def _frozen(value: Any) -> Hashable:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def page_key(fingerprint: str, page: dict, columns: list[str], answers: dict[str, Any],
             back_url: str, returning: bool) -> Hashable | None:
    """What the page shows, as a cache key; None when the page should not be kept."""
    values = []
    for column in columns:
        value = answers.get(column)
        if isinstance(value, str) and len(value) > LONGEST_KEPT_ANSWER:
            return None
        values.append(_frozen(value))
    from ..i18n import current_language

    # The path the app is served under is part of every link on the page, and the query is part
    # of the links to the other languages.
    from flask import g

    # The fingerprint of a consultation shown in another language or in Easy Read names that
    # variant too; the variant is said again here so that no two choices ever share a page.
    return (fingerprint, g.get("content_variant"), request.script_root, current_language(),
            request.query_string,
            page["key"], back_url, returning, tuple(values))


def serve(key: Hashable | None, render: Callable[[str], str]) -> str:
    """The page for ``key`` with this request's CSRF token; ``render(placeholder)`` renders it
    (with ``placeholder`` as the token) when it is not kept yet."""
    cache = page_cache()
    html = cache.get(key) if key is not None else None
    if html is None:
        html = render(CSRF_PLACEHOLDER)
        if key is not None:
            cache.keep(key, html)
    return html.replace(CSRF_PLACEHOLDER, generate_csrf())


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = PageCache(app.config.get("PAGE_CACHE_SIZE", 512))
