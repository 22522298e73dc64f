"""Consult: the Flask app. ``create_app`` loads config, binds extensions, registers blueprints."""
from __future__ import annotations

import os
import sys
from typing import Any

from flask import Flask
from govuk_frontend_wtf.main import WTFormsHelpers
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.routing import IntegerConverter

from .config import INSTANCE_DIR, ConfigurationError, config_by_name, make_private_sqlite_file
from .extensions import csrf, db, limiter, login_manager, migrate


class StartRefused(SystemExit):
    """The app cannot start (a setting missing or not readable, a bad organisation file): the
    message is written to stderr and the process ends with no traceback, with status 3, which
    gunicorn's arbiter reads as "a worker cannot boot" and stops rather than starting workers
    again and again."""

    BOOT_ERROR = 3

    def __init__(self, message: str) -> None:
        super().__init__(self.BOOT_ERROR)
        self.message = message
        print(message, file=sys.stderr, flush=True)


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in a route: a number up to ``models.MAX_ID``; a bigger one is a 404, as a
    row that does not exist, not an integer the database cannot hold."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        from .models import MAX_ID

        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="static",
    )
    app.url_map.converters["int"] = RowIdConverter
    name = config_name or os.environ.get("CONSULT_ENV", "development")
    try:
        # A setting that cannot be read (PAGE_CACHE_SIZE=lots) names itself in the error.
        app.config.from_object(config_by_name[name]())
    except (ValueError, ConfigurationError) as error:
        raise StartRefused(f"Consult will not start: {error}. Mend the setting "
                           "(docs/operations.md lists them).") from None
    if overrides:
        app.config.update(overrides)
    if name == "production" and not app.config.get("SECRET_KEY"):
        raise StartRefused(
            "Consult will not start in production without SECRET_KEY: set it to the same long "
            "random value on every app server (python3 -c \"import secrets; "
            "print(secrets.token_hex(32))\"). See docs/operations.md.")

    from . import organisation
    from .definitions import DefinitionError
    try:
        organisation.init_app(app)
    except DefinitionError as error:
        raise StartRefused(f"Consult will not start: {error}\nSet ORGANISATION_FILE to another "
                           "file, or mend this one (docs/organisation.md).") from None

    make_private_sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])

    from . import models  # noqa: F401  (registers the tables with the metadata)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "..", "migrations"),
        render_as_batch=True,  # SQLite alters tables by copying them
    )
    csrf.init_app(app)
    login_manager.init_app(app)
    if login_manager._user_callback is None and login_manager._request_callback is None:
        # Public pages are anonymous; the staff blueprint sets the real user_loader.
        login_manager.request_loader(lambda request: None)
    from limits.errors import ConfigurationError as StorageError
    try:
        limiter.init_app(app)
    except StorageError as error:   # a storage whose client library is not installed
        raise StartRefused(f"Consult will not start: the rate-limit storage "
                           f"{app.config.get('RATELIMIT_STORAGE_URI')!r} cannot be used: "
                           f"{error}") from None

    # Our templates first, then GOV.UK Frontend's macros under their package names.
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(os.path.join(os.path.dirname(__file__), "..", "templates")),
        PrefixLoader({
            "govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja"),
            "govuk_frontend_wtf": PackageLoader("govuk_frontend_wtf"),
        }),
    ])
    WTFormsHelpers(app)

    from . import cli, content_languages, errors, i18n, jobs, plans, published, security, staff
    from .survey import bp as survey_bp
    from .survey import rendering

    i18n.init_app(app)
    content_languages.init_app(app)
    app.register_blueprint(survey_bp)
    errors.init_app(app)
    published.init_app(app)
    rendering.init_app(app)
    security.init_app(app)
    plans.init_app(app)  # before staff: it adds the plan pages to the staff blueprint
    staff.init_app(app)
    cli.init_app(app)
    jobs.init_app(app)
    cli.guard_database_errors(app)
    return app
