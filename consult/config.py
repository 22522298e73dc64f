"""Settings from environment variables, one class per environment.

The default database is SQLite in ``instance/consult.db`` so that ``make run`` needs nothing
else; production sets ``DATABASE_URL`` to PostgreSQL.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from .quoting import quoted

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


class ConfigurationError(RuntimeError):
    """Settings the app refuses to start with; the message lists each one and what to set."""


def make_private_sqlite_file(url: str) -> None:
    """Creates a SQLite database file that does not exist yet readable by its owner alone (SQLite
    would make it world-readable under the usual umask, and its journals copy its mode)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return
    name = url[len(prefix):].split("?", 1)[0]
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.exists() or not path.parent.is_dir():
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def secret_key(instance_dir: Path = INSTANCE_DIR) -> str:
    """``SECRET_KEY`` from the environment, else (development only) one kept in
    ``instance/secret_key``, created readable by its owner alone."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = instance_dir / "secret_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        try:
            # Created with mode 0600 from the start: never readable by others, not even briefly.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32))
    return path.read_text().strip()


def _hosts(raw: str | None) -> list[str]:
    return [h.strip().lower() for h in (raw or "").split(",") if h.strip()]


def public_url() -> str | None:
    """``PUBLIC_URL``, the address residents use (``https://haveyoursay.example.gov.uk``): links
    that leave the page, such as the "save and come back" link, are built from it, never from
    the request's Host header."""
    raw = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/")
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigurationError(f"PUBLIC_URL must be an address such as "
                                 f"https://haveyoursay.example.gov.uk, not {quoted(raw)}")
    return raw


def trusted_hosts(public: str | None) -> list[str] | None:
    """Host names the app answers to (Flask's ``TRUSTED_HOSTS``): ``TRUSTED_HOSTS`` (comma
    separated), plus the host of ``PUBLIC_URL``; None (any host) when neither is set."""
    hosts = _hosts(os.environ.get("TRUSTED_HOSTS"))
    if public:
        host = urlsplit(public).hostname
        if host and host not in hosts:
            hosts.insert(0, host)
    return hosts or None


def rate_limit_storage() -> str:
    """Where rate-limit counters live: ``RATELIMIT_STORAGE_URI``, else ``REDIS_URL``, else the
    process's memory (development only: production refuses it, consult/wsgi.py)."""
    from limits.storage import SCHEMES

    name = "RATELIMIT_STORAGE_URI" if os.environ.get("RATELIMIT_STORAGE_URI") else "REDIS_URL"
    uri = os.environ.get(name) or "memory://"
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    redis_expected = name == "REDIS_URL" and bool(os.environ.get("REDIS_URL"))
    if redis_expected and scheme == "unix":
        # The job queue's Redis client takes a socket as unix:///path; the rate limiter names
        # the same socket redis+unix:///path.
        uri, scheme = "redis+" + uri, "redis+unix"
    if scheme not in SCHEMES or (redis_expected and not scheme.startswith("redis")):
        raise ConfigurationError(
            f"{name} must be the address of the Redis every app server shares, such as "
            f"redis://127.0.0.1:6379/0, not {quoted(uri)}")
    return uri


def production_problems(config: dict) -> list[str]:
    """What keeps an app server from running in production, in plain English: a session key
    shared by every server, rate-limit counters shared by every process, and the public address."""
    problems = []
    if not config.get("SECRET_KEY"):
        problems.append("SECRET_KEY is not set. Set it to the same long random value on every "
                        "app server (for example the output of: python3 -c \"import secrets; "
                        "print(secrets.token_hex(32))\").")
    if str(config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        problems.append("Rate limits would be counted in each process's memory, so every process "
                        "and server would multiply them. Set REDIS_URL (or "
                        "RATELIMIT_STORAGE_URI) to the Redis every app server shares, e.g. "
                        "redis://127.0.0.1:6379/0.")
    if not config.get("PUBLIC_URL"):
        problems.append("PUBLIC_URL is not set. Set it to the address residents use, e.g. "
                        "https://haveyoursay.example.gov.uk: links sent to residents are built "
                        "from it, and requests for any other host are refused.")
    return problems


def _number(name: str, default: float) -> float:
    """A setting that must be a number of 0 or more, with a message naming it when it is not."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {quoted(raw)}") from None
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, not {quoted(raw)}")
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
    # Said explicitly: Flask-Limiter keeps the last app's setting when an app leaves it out.
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # Several deployments (or test runs) can share one Redis without sharing counters.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "consult")
    STAFF_IDLE_TIMEOUT_MINUTES = int(os.environ.get("STAFF_IDLE_TIMEOUT_MINUTES", "30"))
    # A staff session ends this long after sign-in however busy it is (a session cookie copied
    # from a computer left signed in is worth nothing the next day).
    STAFF_SESSION_MAX_HOURS = float(os.environ.get("STAFF_SESSION_MAX_HOURS", "12"))
    CONSULTATIONS_DIR = os.environ.get("CONSULTATIONS_DIR", str(INSTANCE_DIR / "consultations"))
    # Blocks of pages a definition includes by name (``- include: equality``): one folder for
    # every definition, an uploaded one too (docs/consultation-definitions.md).
    BLOCKS_FOLDER = os.environ.get("BLOCKS_FOLDER", str(INSTANCE_DIR / "blocks"))
    # A consultation's texts in other languages and in Easy Read, its blocks' and the
    # organisation's (consult/content_languages.py, docs/translations.md).
    TRANSLATIONS_FOLDER = os.environ.get("TRANSLATIONS_FOLDER", str(INSTANCE_DIR / "translations"))
    TESTING = False
    # ``flask run`` is reached directly; production sits behind the shipped nginx.
    DEFAULT_TRUSTED_PROXIES = 0
    # The body running consultations: its name, statements and areas (consult/organisation.py,
    # docs/organisation.md). ORGANISATION_NAME is set from the file when the app starts.
    ORGANISATION_FILE = os.environ.get("ORGANISATION_FILE", str(INSTANCE_DIR / "organisation.yaml"))
    # The evidence report's analysis language, and the languages comments are detected among
    # (comma-separated ISO 639-1 codes; empty: analysis.languages.DEFAULT_LANGUAGES).
    ANALYSIS_LANGUAGE = os.environ.get("ANALYSIS_LANGUAGE", "en")
    ANALYSIS_LANGUAGES = os.environ.get("ANALYSIS_LANGUAGES", "")

    def __init__(self) -> None:
        self.SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
        self.SECRET_KEY = self._secret_key()
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options()
        self.RATELIMIT_STORAGE_URI = rate_limit_storage()
        # How many reverse proxies in front of the app set X-Forwarded-* (consult/wsgi.py), and
        # the networks they connect from.
        self.TRUSTED_PROXIES = int(_number("TRUSTED_PROXIES", self.DEFAULT_TRUSTED_PROXIES))
        self.TRUSTED_PROXY_NETWORKS = os.environ.get("TRUSTED_PROXY_NETWORKS",
                                                     "127.0.0.0/8,::1/128")
        self.PUBLIC_URL = public_url()
        self.TRUSTED_HOSTS = trusted_hosts(self.PUBLIC_URL)
        # How long each process keeps a consultation as residents see it (consult/published.py):
        # staff changes reach the public pages within this many seconds.
        self.CONSULTATION_CACHE_SECONDS = _number("CONSULTATION_CACHE_SECONDS", 5.0)
        # Question pages rendered per process, kept by what they show (survey/rendering.py).
        self.PAGE_CACHE_SIZE = int(_number("PAGE_CACHE_SIZE", 512))
        # A CSV export of EXPORT_PARALLEL_FROM responses or more on PostgreSQL is written by
        # EXPORT_PROCESSES processes at once (0: one per core, at most 4; 1: this process
        # alone), each a share of the rows read at one snapshot (consult/parallel_export.py).
        self.EXPORT_PROCESSES = int(_number("EXPORT_PROCESSES", 0))
        self.EXPORT_PARALLEL_FROM = int(_number("EXPORT_PARALLEL_FROM", 20_000))

    def _secret_key(self) -> str | None:
        return secret_key()


class DevelopmentConfig(Config):
    pass


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    # If Redis goes away, limits are counted per process until it is back, rather than every
    # request that is limited failing.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # The shipped deployment: one nginx on the same machine (deploy/nginx/consult.conf).
    DEFAULT_TRUSTED_PROXIES = 1

    def _secret_key(self) -> str | None:
        # Never a key file made on this machine: two app servers would sign with different keys
        # (create_app refuses to start without it).
        return os.environ.get("SECRET_KEY") or None


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
        self.TRUSTED_PROXIES = 0
        self.PUBLIC_URL = None
        self.TRUSTED_HOSTS = None


config_by_name = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}
