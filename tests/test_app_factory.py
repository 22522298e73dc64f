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
    from consult import StartRefused, create_app
    from consult.survey.rendering import page_cache

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("CONSULTATION_CACHE_SECONDS", "2.5")
    monkeypatch.setenv("PAGE_CACHE_SIZE", "0")
    app = create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["CONSULTATION_CACHE_SECONDS"] == 2.5
    assert page_cache(app).pages is None  # 0: every page is rendered afresh
    monkeypatch.setenv("PAGE_CACHE_SIZE", "lots")
    with pytest.raises(StartRefused) as refused:
        create_app("production")
    assert "PAGE_CACHE_SIZE must be a number, not 'lots'" in refused.value.message


def _flask(tmp_path, *args, **env):
    import os
    import subprocess
    import sys
    from pathlib import Path

    environment = {k: v for k, v in os.environ.items()
                   if k not in ("CONSULT_ENV", "REDIS_URL", "RATELIMIT_STORAGE_URI", "PUBLIC_URL")}
    environment.update(DATABASE_URL=f"sqlite:///{tmp_path / 'consult.db'}", **env)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "consult", *args],
                          cwd=Path(__file__).resolve().parents[1], env=environment,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("setting, value, words", [
    ("PAGE_CACHE_SIZE", "lots", "PAGE_CACHE_SIZE must be a number, not 'lots'"),
    ("EXPORT_PROCESSES", "two", "EXPORT_PROCESSES must be a number, not 'two'"),
    ("REDIS_URL", "http://cache.internal", "REDIS_URL must be the address of the Redis"),
    ("PUBLIC_URL", "ftp://x", "PUBLIC_URL must be an address such as"),
])
def test_a_setting_that_cannot_be_read_stops_a_command_with_its_name_and_no_traceback(
        tmp_path, setting, value, words):
    result = _flask(tmp_path, "users", "list", **{setting: value})
    assert result.returncode == 3
    assert words in result.stderr and "Traceback" not in result.stderr, result.stderr[-2000:]


def test_a_command_on_a_database_without_tables_says_to_create_them(tmp_path):
    for command in (["users", "list"], ["consultations", "load"]):
        result = _flask(tmp_path, *command)
        assert result.returncode == 1
        assert "has no Consult tables yet" in result.stderr
        assert "db upgrade" in result.stderr and "Traceback" not in result.stderr
    assert _flask(tmp_path, "db", "upgrade").returncode == 0
    listed = _flask(tmp_path, "users", "list")
    assert listed.returncode == 0 and "Traceback" not in listed.stderr


def test_a_redis_socket_address_serves_the_job_queue_and_the_rate_limits_alike(monkeypatch):
    from limits.storage import storage_from_string

    from consult.config import rate_limit_storage
    from consult.jobs import REDIS_SCHEMES

    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    monkeypatch.setenv("REDIS_URL", "unix:///run/redis/redis.sock")
    assert "unix:///run/redis/redis.sock".startswith(REDIS_SCHEMES)   # the job queue takes it
    uri = rate_limit_storage()
    assert uri == "redis+unix:///run/redis/redis.sock"
    # limits reads it as a Redis socket (it connects only when first counting).
    assert type(storage_from_string(uri)).__name__ == "RedisStorage"
