"""Settings from environment variables, one class per environment.

The default database is SQLite in ``instance/consult.db`` so that ``make run`` needs nothing
else; production sets ``DATABASE_URL`` to PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def database_url(url: str | None, instance_dir: Path = INSTANCE_DIR) -> str:
    """The SQLAlchemy URL for ``DATABASE_URL``: psycopg 3 for PostgreSQL, SQLite by default."""
    if not url:
        return f"sqlite:///{instance_dir / 'consult.db'}"
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """``SECRET_KEY`` from the environment, else one kept in ``instance/secret_key``."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _number(name: str, default: float) -> float:
    """A setting that must be a number of 0 or more, with a message naming it when it is not."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, not {raw!r}")
    return value


def engine_options() -> dict:
    """SQLAlchemy's pool settings.

    Connections are not tested with a round trip before each request (``DATABASE_PRE_PING=1``
    turns that on): after a database restart the first request on a broken connection gets the
    "not saved yet" page and the pool replaces its connections. Connections older than half an
    hour are replaced when next taken, before a firewall or proxy can drop them while idle.
    """
    return {"pool_pre_ping": os.environ.get("DATABASE_PRE_PING", "0") == "1",
            "pool_recycle": 1800}


class Config:
    # Requests over 64 KiB are refused with a 413 page before any form code runs.
    MAX_CONTENT_LENGTH = 64 * 1024
    WTF_CSRF_TIME_LIMIT = None  # the CSRF token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL", "memory://")
    # Said explicitly: Flask-Limiter keeps the last app's setting when an app leaves it out.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    STAFF_IDLE_TIMEOUT_MINUTES = int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30"))
    CONSULTATIONS_DIR = os.environ.get("CONSULTATIONS_DIR", str(INSTANCE_DIR / "consultations"))
    TESTING = False
    # The body running consultations, shown in the header of every page.
    ORGANISATION_NAME = os.environ.get(
        "ORGANISATION_NAME", "Cambridgeshire and Peterborough Police and Crime Commissioner")

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        self.SECRET_KEY = secret_key()
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options()
        # How long each process keeps a consultation as residents see it (consult/published.py):
        # staff changes reach the public pages within this many seconds.
        self.CONSULTATION_CACHE_SECONDS = _number("CONSULTATION_CACHE_SECONDS", 5.0)
        # Question pages rendered per process, kept by what they show (survey/rendering.py).
        self.PAGE_CACHE_SIZE = int(_number("PAGE_CACHE_SIZE", 512))


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE


class TestingConfig(Config):
    TESTING = True
    # Tests change consultations and look at once; the cache has tests of its own.
    CONSULTATION_CACHE_SECONDS = 0.0
    PAGE_CACHE_SIZE = 512
    RATELIMIT_STORAGE_URI = "memory://"

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
        self.SECRET_KEY = "test-secret-key"
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options()


config_by_name = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
