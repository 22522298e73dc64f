"""The model-coding migration builds the table its model describes, and goes back."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consult import create_app
from consult.extensions import db


def test_the_model_coding_migration_matches_the_model_and_downgrades(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                                 "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(revision="modelcodes_0001")
        assert "model_coding_run" in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        assert [d for d in differences if "model_coding_run" in repr(d)] == []
        downgrade(revision="langdata_0001")
        assert "model_coding_run" not in sa.inspect(db.engine).get_table_names()
        db.session.remove()
        db.engine.dispose()
