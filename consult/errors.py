"""App-wide error pages: plain English, what went wrong and what to do next, never a traceback.

A failed database write answers 503 with a page that says the answers were not saved yet; the
form that was posted is kept in hidden fields so that "Try again" posts it again unchanged.
"""
from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_babel import gettext, lazy_gettext, ngettext
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError, TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError

from .extensions import db
from .security import same_site_path

log = logging.getLogger(__name__)

TITLES = {
    400: lazy_gettext("Sorry, there is a problem with what was sent"),
    403: lazy_gettext("You cannot do that here"),
    404: lazy_gettext("Page not found"),
    405: lazy_gettext("Sorry, that page cannot be used like that"),
    410: lazy_gettext("This page has gone"),
    413: lazy_gettext("What you sent was too long"),
    429: lazy_gettext("Too many requests"),
    500: lazy_gettext("Sorry, there is a problem with the service"),
    503: lazy_gettext("Sorry, the service is unavailable"),
}

# Fields never echoed back: the CSRF token is renewed, the rest are the form's own answers.
_NOT_KEPT = {"csrf_token"}


def _staff_page() -> bool:
    """Whether the request is for the staff workspace (a route of it, or any address under it)."""
    return request.blueprint == "staff" or request.path.rstrip("/") == "/staff" \
        or request.path.startswith("/staff/")


def _error_page(code: int, *, template: str | None = None, **context):
    if template is None:
        # 5xx pages stay on the public layout: it needs nothing from the database.
        template = "staff/error.html" if code < 500 and _staff_page() else "errors/error.html"
    return render_template(template, code=code, title=TITLES.get(code, TITLES[500]), **context), code


def _kept_fields() -> list[tuple[str, str]]:
    if request.method != "POST":
        return []
    try:
        return [(k, v) for k, v in request.form.items(multi=True) if k not in _NOT_KEPT]
    except Exception:  # the body itself could not be read: nothing to keep
        return []


def handle_csrf(error: CSRFError):
    return _error_page(400, template="errors/csrf.html", back=same_site_path(request.referrer))


def handle_http(error: HTTPException):
    if error.code is None or error.code >= 500 and error.code != 503:
        return handle_500(error)
    # A refusal that says when to come back (sign-in throttling) says so on the page and in
    # Retry-After.
    retry_after = getattr(error, "retry_after", None)
    page, code = _error_page(error.code, back=same_site_path(request.referrer)
                             if error.code in (400, 405, 413) else None,
                             wait=_wait_words(retry_after))
    if isinstance(retry_after, int):
        return page, code, {"Retry-After": str(retry_after)}
    return page, code


def _wait_words(seconds: object) -> str:
    if not isinstance(seconds, int) or seconds <= 60:
        return gettext("a minute")
    minutes = -(-seconds // 60)
    return ngettext("%(num)d minute", "%(num)d minutes", minutes)


def handle_untrusted_host(error: SecurityError):
    # No page can be built for a host the app does not serve (every link would be on it).
    log.info("refused a request for an untrusted host: %s", error)
    return ("Bad request: this service is not at that address.\n", 400,
            {"Content-Type": "text/plain; charset=utf-8"})


def handle_database_down(error: Exception):
    log.warning("database unavailable while handling %s %s: %s", request.method, request.path, error)
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the session is discarded at teardown anyway
        log.debug("rollback after database failure failed", exc_info=True)
    return _error_page(503, template="errors/not_saved.html", kept=_kept_fields(),
                       action=request.path, posted=request.method == "POST")


def handle_500(error: Exception):
    log.exception("unexpected error on %s %s", request.method, request.path)
    try:
        db.session.rollback()
    except Exception:
        log.debug("rollback after an error failed", exc_info=True)
    return _error_page(500)


def end_session_quietly(_error: BaseException | None = None) -> None:
    """Closes the request's database session, even when the database went away mid-request.

    Registered after Flask-SQLAlchemy's own teardown, so it runs first. Closing a session rolls
    back its connection; if PostgreSQL was stopped under it, that rollback fails too, and an
    error raised in teardown escapes every error handler as a bare 500, replacing the "not saved
    yet" page already chosen. The dead connection is discarded instead.
    """
    try:
        db.session.remove()
    except DBAPIError as error:
        log.warning("database connection lost while closing the session: %s", error)
        try:
            db.session.invalidate()
        except Exception:  # nothing more can be done with a dead connection
            log.debug("invalidating the session failed", exc_info=True)
        db.session.registry.clear()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(end_session_quietly)
    app.register_error_handler(CSRFError, handle_csrf)
    app.register_error_handler(SecurityError, handle_untrusted_host)
    for code in (400, 403, 404, 405, 410, 413, 429):
        app.register_error_handler(code, handle_http)
    app.register_error_handler(503, handle_database_down)
    app.register_error_handler(OperationalError, handle_database_down)
    app.register_error_handler(PoolTimeoutError, handle_database_down)
    app.register_error_handler(DBAPIError, handle_database_down)
    app.register_error_handler(500, handle_500)

    @app.context_processor
    def organisation() -> dict:
        from .content_languages import organisation_name
        try:  # in the page's language when the organisation's texts are given in it
            name = organisation_name()
        except (KeyError, RuntimeError):
            name = app.config["ORGANISATION_NAME"]
        return {"organisation_name": name,
                "service_name": gettext("Have your say")}
