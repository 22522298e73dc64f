"""Consult: the Flask app. ``create_app`` loads config, binds extensions, registers blueprints."""
from __future__ import annotations

import os
from typing import Any

from flask import Flask

from .config import INSTANCE_DIR, config_by_name
from .extensions import csrf, db, limiter, login_manager, migrate


def create_app(config_name: str | None = None, overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder="../templates",
        static_folder="static",
    )
    name = config_name or os.environ.get("CONSULT_ENV", "development")
    app.config.from_object(config_by_name[name]())
    if overrides:
        app.config.update(overrides)

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
    limiter.init_app(app)

    from . import cli, security, staff

    security.init_app(app)
    staff.init_app(app)
    cli.init_app(app)
    return app
