"""The migration that adds the running counts totals the responses already there."""
from __future__ import annotations

import datetime as dt

from flask_migrate import downgrade, upgrade

from consult import create_app
from consult.extensions import db
from consult.models import Draft
from consult.staff.stats import dashboard_figures

from .conftest import add_consultation, add_response
from .test_dashboard import recount, shown


def test_upgrading_a_database_with_responses_totals_them(tmp_path):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
                                 "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(revision="0001")  # the schema before the running counts
        consultation = add_consultation()
        for n, code in enumerate(["support", "oppose", "support", "dont_know", None]):
            add_response(consultation, {"support__roads": code} if code else {},
                         received_on=dt.date(2021, 6, 1 + n), status="valid" if n else "invalid")
        db.session.add(Draft(consultation_id=consultation.id, token="t", answers={},
                             expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)))
        db.session.commit()
        upgrade()
        assert shown(consultation) == recount(consultation)
        add_response(consultation, {"support__roads": "neither"})  # the triggers now count it
        assert shown(consultation) == recount(consultation)
        assert dashboard_figures(consultation, with_support=False).valid == 5
        downgrade(revision="0001")
        db.session.remove()
