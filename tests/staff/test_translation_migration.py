"""The migration langdata_0001 adds the comment translations table and the index for counting
responses by language, and takes them away again."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from consult import create_app
from consult.extensions import db


def test_the_migration_adds_the_translations_table_and_the_language_index(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    with app.app_context():
        upgrade()
        inspector = sa.inspect(db.engine)
        columns = {c["name"] for c in inspector.get_columns("comment_translation")}
        assert columns == {"id", "response_id", "column", "source_language", "language", "text",
                           "translated_by_id", "created_at", "updated_at"}
        # the same columns as the model the app writes through
        from consult.models import CommentTranslation

        assert columns == {c.name for c in CommentTranslation.__table__.columns}
        indexes = {i["name"] for i in inspector.get_indexes("response")}
        assert "ix_response_consultation_id_status_language" in indexes
        downgrade(revision="coding_0001")
        inspector = sa.inspect(db.engine)
        assert "comment_translation" not in inspector.get_table_names()
        assert "ix_response_consultation_id_status_language" not in {
            i["name"] for i in inspector.get_indexes("response")}
        db.session.remove()
