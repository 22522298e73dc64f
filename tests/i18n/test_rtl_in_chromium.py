"""A language written right to left, laid out by Chromium: the page's column, its heading and
the radio buttons' marks sit on the right, as the mirrored layout (static/css/rtl.css) puts them.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from werkzeug.serving import make_server

from consult import create_app
from consult.definitions import load_file, make_demo
from consult.extensions import db
from consult.i18n import LANGUAGES
from tests.chromium import CHROMIUM, in_own_thread

ROOT = Path(__file__).resolve().parents[2]
ABOUT_YOU = "/c/police-and-crime-plan-2021-demo/q/about_you"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def rtl_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make chromium`")
    if not (ROOT / "consult" / "static" / "vendor" / "consult.css").exists():
        pytest.fail("The front-end assets are not built: run `make assets`")
    folder = tmp_path_factory.mktemp("rtl")
    catalog = Catalog(locale="ar")
    catalog.add("Continue", "متابعة")
    (folder / "ar" / "LC_MESSAGES").mkdir(parents=True)
    with (folder / "ar" / "LC_MESSAGES" / "messages.mo").open("wb") as out:
        write_mo(out, catalog)
    app = create_app("testing", {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'live.db'}", "RATELIMIT_ENABLED": False,
        "LANGUAGES": {**LANGUAGES, "ar": {"name": "العربية", "dir": "rtl"}},
        "BABEL_TRANSLATION_DIRECTORIES": f"translations;{folder}"})
    with app.app_context():
        db.create_all()
        load_file(ROOT / "instance" / "consultations" / "police-and-crime-plan-2021.yaml")
        make_demo("police-and-crime-plan-2021")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


LAYOUT = """() => {
                const box = e => e.getBoundingClientRect();
                const column = document.querySelector('.govuk-grid-column-two-thirds');
                const row = document.querySelector('.govuk-grid-row');
                const label = document.querySelector('.govuk-radios__label');
                const mark = getComputedStyle(label, '::before');
                return {dir: document.documentElement.dir,
                        columnLeft: box(column).left - box(row).left,
                        columnRight: box(row).right - box(column).right,
                        markLeft: mark.left, markRight: mark.right,
                        input: box(document.querySelector('.govuk-radios__input')).left,
                        labelLeft: box(label).left};
            }"""


def _layout(url: str, language: str) -> dict:
    def measure(browser) -> dict:
        context = browser.new_context(viewport={"width": 1024, "height": 800}, locale=language,
                                      extra_http_headers={"Accept-Language": language})
        page = context.new_page()
        page.goto(url)
        return page.evaluate(LAYOUT)

    return in_own_thread(measure)


def test_a_right_to_left_page_is_laid_out_from_the_right(rtl_server):
    rtl = _layout(rtl_server + ABOUT_YOU, "ar")
    assert rtl["dir"] == "rtl"
    assert rtl["columnRight"] < 1 < rtl["columnLeft"], rtl  # the column keeps to the right
    assert rtl["markRight"] == "2px", rtl  # the radio's circle is drawn on the right
    assert rtl["input"] > rtl["labelLeft"], rtl  # the radio stands right of its label
    ltr = _layout(rtl_server + ABOUT_YOU, "en")
    assert ltr["dir"] == "ltr"
    assert ltr["columnLeft"] < 1 < ltr["columnRight"], ltr
    assert ltr["markLeft"] == "2px" and ltr["input"] < ltr["labelLeft"], ltr
