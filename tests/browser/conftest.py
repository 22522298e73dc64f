"""A live server (werkzeug in a thread, SQLite file database) and headless Debian Chromium.

The browser tests drive the survey as residents do; each page is checked with axe-core.
"""
from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from consult import create_app
from consult.definitions import load_file, make_demo
from consult.extensions import db

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
SLUG = "police-and-crime-plan-2021-demo"


class LiveServer:
    def __init__(self, app, server):
        self.app, self.server = app, server
        self.url = f"http://127.0.0.1:{server.server_port}"

    def close_consultation(self, slug: str = SLUG) -> None:
        """Ends the consultation now, as if its closing time had passed."""
        from consult.models import Consultation

        with self.app.app_context():
            consultation = db.session.query(Consultation).filter_by(slug=slug).one()
            consultation.closes_at = dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)
            db.session.commit()

    def reopen(self) -> None:
        with self.app.app_context():
            from consult.models import Consultation

            consultation = db.session.query(Consultation).filter_by(slug=SLUG).one()
            consultation.closes_at = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=28)
            db.session.commit()

    def responses(self):
        from consult.models import Response

        with self.app.app_context():
            return [(r.reference, dict(r.answers)) for r in db.session.query(Response).order_by(Response.id)]


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make chromium`")
    if not (ROOT / "consult" / "static" / "vendor" / "consult.css").exists():
        pytest.fail("The front-end assets are not built: run `make assets`")
    path = tmp_path_factory.mktemp("live") / "live.db"
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                                 "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        for definition in sorted((ROOT / "instance" / "consultations").glob("*.yaml")):
            load_file(definition)
        make_demo("police-and-crime-plan-2021")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LiveServer(app, server)
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def narrow_page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


@pytest.fixture
def no_js_page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1024, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


