"""Scale levels and equality groups (consult/codes.py) are interface words on the resident's
pages, shown in the page's language, while their codes and the export's English labels stay."""
from __future__ import annotations

from babel.support import Translations

from consult import codes
from consult.catalogs import TRANSLATIONS
from consult.survey.handlers import handler_for

from survey.conftest import DEMO, Browser, loaded  # noqa: F401  (fixture)


def polish(text: str) -> str:
    return Translations.load(str(TRANSLATIONS), ["pl"]).gettext(text)


def test_a_polish_page_shows_the_scale_and_equality_groups_in_polish(app, loaded):  # noqa: F811
    browser = Browser(app.test_client())
    browser.get("/?lang=pl")
    browser.post(f"{DEMO}/q/about_you", {"respondent_type": "resident"})
    theme = browser.get(f"{DEMO}/q/theme__communities_first").get_data(as_text=True)
    for level in codes.SCALES["support"]:
        assert polish(level["label"]) != level["label"]
        assert f">{polish(level['label'])}<" in theme.replace("\n", "").replace("  ", "")
        assert f'value="{level["code"]}"' in theme
    assert "Strongly support" not in theme
    equality = browser.get(f"{DEMO}/q/equality").get_data(as_text=True)
    # each of the six questions' own answer, and the page's intro (the consultation's Polish
    # text) quoting it in the same words
    assert equality.count(polish("Prefer not to say")) == 7
    assert "Prefer not to say" not in equality


def test_the_export_keeps_the_english_labels():
    handler = handler_for("support")
    question = {"key": "support__x", "type": "support", "label": "How far?", "theme": "x",
                "scale": "support", "options": [dict(level) for level in codes.SCALES["support"]]}
    (column,) = handler.export_columns(question, {"x": "X"})
    assert "strongly_support=Strongly support" in column.codes
    assert codes.RESIDENT_LABELS >= {"Strongly agree", "Prefer not to say", "Muslim"}


def test_a_message_quoting_a_definition_is_translated_when_shown_and_escaped(app):
    from flask_babel import refresh
    from markupsafe import escape

    from consult.survey.handlers import lazy_gettext

    message = lazy_gettext("Enter an answer: %(label)s", label="<b>Your comment</b>")
    with app.test_request_context("/", headers={"Accept-Language": "pl"}):
        refresh()  # the test's app context is shared: the language is chosen afresh
        shown = str(escape(message))
    assert shown == f"{polish('Enter an answer: %(label)s')}" % {
        "label": "&lt;b&gt;Your comment&lt;/b&gt;"}
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        refresh()
        assert str(message) == "Enter an answer: <b>Your comment</b>"
