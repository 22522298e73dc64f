"""The coding workbench's migration builds the tables its models describe, and goes back."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from consult import create_app
from consult.extensions import db

TABLES = {"codebook_version", "coding", "double_coding_assignment", "coding_sign_off"}


def test_the_coding_migration_matches_the_models_and_downgrades(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'm.db'}",
                                 "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(revision="coding_0001")
        assert TABLES <= set(sa.inspect(db.engine).get_table_names())
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
        ours = [d for d in differences
                if any(t in repr(d) for t in TABLES) and "counts" not in repr(d)
                and "model_coding_run" not in repr(d)]   # a later migration (modelcodes_0001)
        assert ours == []
        downgrade(revision="i18n_0001")
        assert not TABLES & set(sa.inspect(db.engine).get_table_names())
        db.session.remove()
        db.engine.dispose()
