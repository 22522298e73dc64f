import pytest

from consult.config import database_url


def test_create_app_uses_the_given_database(app, database_url):
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database_url


def test_requests_are_limited_to_64_kib(app):
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024


def test_postgres_urls_use_psycopg_3():
    assert database_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"
    assert database_url("postgresql://u@h/d") == "postgresql+psycopg://u@h/d"


def test_default_database_is_sqlite_in_instance(tmp_path):
    assert database_url(None, tmp_path) == f"sqlite:///{tmp_path / 'consult.db'}"


def test_connections_are_not_pinged_before_each_request_unless_asked(monkeypatch):
    from consult.config import ProductionConfig

    monkeypatch.delenv("DATABASE_PRE_PING", raising=False)
    options = ProductionConfig().SQLALCHEMY_ENGINE_OPTIONS
    assert options == {"pool_pre_ping": False, "pool_recycle": 1800}
    monkeypatch.setenv("DATABASE_PRE_PING", "1")
    assert ProductionConfig().SQLALCHEMY_ENGINE_OPTIONS["pool_pre_ping"] is True


def test_kept_in_memory_settings_come_from_the_environment(monkeypatch):
    from consult import create_app
    from consult.survey.rendering import page_cache

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("CONSULTATION_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("PAGE_CACHE_SIZE", "0")
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["CONSULTATION_CACHE_SECONDS"] == 2.5
    assert page_cache(app).pages is None  # 0: every page is rendered afresh
    monkeypatch.setenv("PAGE_CACHE_SIZE", "lots")
    with pytest.raises(ValueError, match="PAGE_CACHE_SIZE must be a number"):
        create_app("production")
