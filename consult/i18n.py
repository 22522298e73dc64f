"""The languages of the resident's pages: which one a request is in, and the words around it.

The interface's words are in gettext catalogs, ``consult/translations/LANG/LC_MESSAGES/
messages.po`` (compiled to ``.mo`` by ``make install``; docs/translations.md). ``LANGUAGES``
(a setting) lists the languages offered, each with its name written in that language and its
writing direction. A request's language is, in order: a ``?lang=`` link just followed (kept in
the session), the language chosen earlier in the visit, the language of the saved answers the
resident came back to, then the browser's Accept-Language, then English. Staff pages stay in
English.
"""
from __future__ import annotations

import logging
import os
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, current_app, g, has_request_context, redirect, request, session
from flask_babel import Babel, get_locale, refresh
from markupsafe import Markup, escape

DEFAULT_LANGUAGE = "en"
# Every language shipped: its name in its own language and the direction it is written in.
LANGUAGES: dict[str, dict[str, str]] = {
    "en": {"name": "English", "dir": "ltr"},
    "pl": {"name": "Polski", "dir": "ltr"},
    "lt": {"name": "Lietuvių", "dir": "ltr"},
    "ro": {"name": "Română", "dir": "ltr"},
}
SESSION_KEY = "lang"

babel = Babel()
log = logging.getLogger(__name__)


def languages(app: Flask | None = None) -> dict[str, dict[str, str]]:
    return (app or current_app).config.get("LANGUAGES") or LANGUAGES


def _staff_request() -> bool:
    return request.blueprint == "staff" or request.path.rstrip("/") == "/staff" \
        or request.path.startswith("/staff/")


def select_language() -> str:
    offered = languages()
    if not request or _staff_request():
        return DEFAULT_LANGUAGE
    chosen = session.get(SESSION_KEY)
    if chosen in offered:
        return chosen
    return request.accept_languages.best_match(list(offered), default=DEFAULT_LANGUAGE)


def current_language() -> str:
    """The code of the language this request's pages are in (``en`` outside a request)."""
    locale = get_locale()
    return str(locale) if locale is not None else DEFAULT_LANGUAGE


def choose(code: str | None) -> bool:
    """Keep ``code`` as the visit's language, when it is one offered; whether it was."""
    if code in languages():
        session[SESSION_KEY] = code
        return True
    return False


def chosen() -> str | None:
    """The language chosen during this visit (a link or saved answers), if any."""
    code = session.get(SESSION_KEY)
    return code if code in languages() else None


def _follow_language_link():
    """``?lang=pl`` on any public page: keep the choice and show the same address without it
    (so every page's address, and so what is kept in memory for it, stays one)."""
    # Flask-Babel keeps the language it chose on the app context, which a test (or a command)
    # may share between requests: each request chooses afresh.
    refresh()
    if request.method != "GET" or "lang" not in request.args or _staff_request():
        return None
    choose(request.args.get("lang"))
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return redirect(request.path + ("?" + urlencode(rest) if rest else ""))


def language_links() -> list[dict[str, str]]:
    """The links to the other languages offered, each named in its own language."""
    here = current_language()
    rest = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return [{"code": code, "name": info["name"], "dir": info.get("dir", "ltr"),
             "href": request.path + "?" + urlencode(rest + [("lang", code)])}
            for code, info in languages().items() if code != here]


def _template_context() -> dict:
    code = current_language()
    info = languages().get(code, LANGUAGES[DEFAULT_LANGUAGE])
    return {"page_language": code, "text_direction": info.get("dir", "ltr"),
            "language_links": language_links, "content_language": content_language()}


def content_language() -> str:
    """The language the consultation's own text on this page is in: the page's language when the
    consultation offers it, else English (set by consult/content_languages.py for_request)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    return g.get("content_language", DEFAULT_LANGUAGE)


def in_language(text, language: str) -> Markup:
    """``text`` marked with its own language when the page is in another one."""
    if text is None or text == "":
        return Markup("")
    if language == current_language():
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(language, text)


def in_content_language(text) -> Markup:
    """Text from the consultation's definition, marked with its own language when the page is
    in another one (English, when the consultation does not offer the page's language)."""
    return in_language(text, content_language())


def option_label(text) -> Markup:
    """An answer's label as a resident reads it: a scale level or equality group of
    consult/codes.py is an interface word, shown in the page's language; any other label is the
    definition's own text (``in_content_language``)."""
    from flask_babel import gettext

    from .codes import RESIDENT_LABELS

    if isinstance(text, str) and text in RESIDENT_LABELS:
        return escape(gettext(text))
    return in_content_language(text)


def content_lang() -> Markup:
    """` lang="en"` for an element holding definition text in a language other than the page's."""
    language = content_language()
    if language == current_language():
        return Markup("")
    return Markup(' lang="{}"').format(language)


def plural_messages(singular: str, plural: str) -> dict[str, str]:
    """One message for each CLDR plural category of the current language (as GOV.UK Frontend's
    JavaScript picks them, with ``%{count}`` left in), from a gettext plural message."""
    from flask_babel import get_translations

    translations = get_translations()
    locale = Locale.parse(current_language())
    samples: dict[str, int] = {}
    for n in range(0, 200):
        samples.setdefault(locale.plural_form(n), n)
    messages = {}
    for category in locale.plural_form.tags | {"other"}:
        n = samples.get(category, 5)
        messages[category] = translations.ngettext(singular, plural, n)
    return messages


def missing_catalogs(app: Flask) -> list[str]:
    """The languages offered whose compiled catalog (.mo) is in no translation directory: their
    pages would be shown in English."""
    folders = [os.path.join(app.root_path, folder) for folder in
               app.config.get("BABEL_TRANSLATION_DIRECTORIES", "translations").split(";")]
    return [code for code in languages(app) if code != DEFAULT_LANGUAGE and not any(
        os.path.exists(os.path.join(folder, code, "LC_MESSAGES", "messages.mo"))
        for folder in folders)]


def init_app(app: Flask) -> None:
    app.config.setdefault("LANGUAGES", LANGUAGES)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, locale_selector=select_language)
    missing = missing_catalogs(app)
    if missing:
        log.warning("no compiled translation catalog for %s: those pages will be in English "
                    "until `make translations` compiles consult/translations/*/LC_MESSAGES/"
                    "messages.po (docs/translations.md)", ", ".join(missing))
    app.before_request(_follow_language_link)
    app.context_processor(_template_context)
    app.add_template_filter(in_content_language, "content")
    app.add_template_filter(option_label, "option_label")
    app.add_template_global(content_lang)
    app.add_template_global(plural_messages)
