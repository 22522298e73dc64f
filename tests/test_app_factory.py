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
