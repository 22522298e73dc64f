"""The public survey: pages built from the consultation's definition, drafts, submission.

``forms.build_form`` builds a page's WTForms form from the definition (one handler per question
type, see ``handlers``); ``submission.store_response`` writes a Response from an answers dict.
Staff paper entry reuses both, so that every channel asks the same questions and writes the
same way.
"""
from flask import Blueprint

bp = Blueprint("survey", __name__)

from . import views  # noqa: E402,F401  (registers the routes)


@bp.record_once
def _filters(state) -> None:
    from .filters import uk_date, uk_datetime

    state.app.add_template_filter(uk_date)
    state.app.add_template_filter(uk_datetime)
