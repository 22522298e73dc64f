"""Fixtures shared by the whole suite: the app on each database, and a test client.

Every test that uses ``app`` runs on SQLite, and also on PostgreSQL when ``CI`` is set (or
``TEST_POSTGRESQL=1``). When CI is set and PostgreSQL cannot be reached the tests fail: a
skipped database is a database nobody tested.
"""
from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from consult import create_app
from consult.extensions import db

POSTGRESQL_URL = os.environ.get(
    "TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ["sqlite"]
if os.environ.get("CI") or os.environ.get("TEST_POSTGRESQL"):
    BACKENDS.append("postgresql")

_schema_ready: set[str] = set()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    engine = sa.create_engine(POSTGRESQL_URL)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as error:
        pytest.fail(f"PostgreSQL at {POSTGRESQL_URL} is unreachable and CI is set: {error}")
    finally:
        engine.dispose()
    return POSTGRESQL_URL


def _empty_tables() -> None:
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    # Deleting responses and drafts appended changes to the running counts: clear them too.
    from consult.counts import COUNT_TABLES

    for table in COUNT_TABLES:
        db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url: str, tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": database_url,
                                 "REPORTS_DIR": str(tmp_path / "reports"),
                                 "IMPORTS_DIR": str(tmp_path / "imports")})
    with app.app_context():
        if database_url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(database_url)
        else:
            _empty_tables()
        yield app
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli_runner(app):
    return app.test_cli_runner()
