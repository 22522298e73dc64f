"""Production starts only with what several app servers need, files holding secrets are private,
and client addresses come from the proxy only when the proxy sent them.

- without SECRET_KEY production refuses to start (no key file made on the machine);
- the production server (consult.wsgi, what gunicorn runs) refuses per-process rate-limit
  storage and a missing PUBLIC_URL, with a message naming what to set;
- the key file and a new SQLite database are created readable by their owner alone;
- X-Forwarded-For is believed only from the proxy's network, and a wrong proxy setting is logged
  once per process.
"""
from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from consult import StartRefused, create_app
from consult.config import ProductionConfig, production_problems, secret_key
from consult.security import ClientAddresses, _warned, proxy_networks

ROOT = Path(__file__).resolve().parents[2]


def _production_env(monkeypatch, **values):
    for name in ("SECRET_KEY", "REDIS_URL", "RATELIMIT_STORAGE_URI", "PUBLIC_URL", "TRUSTED_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    _production_env(monkeypatch)
    monkeypatch.setattr("consult.config.INSTANCE_DIR", tmp_path)
    assert ProductionConfig().SECRET_KEY is None  # never a key file made on this machine
    with pytest.raises(StartRefused) as refused:
        create_app("production", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert "without SECRET_KEY" in refused.value.message
    assert not list(tmp_path.iterdir())


def test_production_lists_memory_limits_and_a_missing_public_url(monkeypatch):
    _production_env(monkeypatch, SECRET_KEY="k" * 64)
    problems = production_problems(vars(ProductionConfig()))
    assert len(problems) == 2
    assert "REDIS_URL" in problems[0] and "PUBLIC_URL" in problems[1]
    _production_env(monkeypatch, SECRET_KEY="k" * 64, REDIS_URL="redis://127.0.0.1:6379/0",
                    PUBLIC_URL="https://haveyoursay.example.gov.uk")
    assert production_problems(vars(ProductionConfig())) == []


@pytest.mark.parametrize("missing, message", [
    ({"SECRET_KEY": None}, "without SECRET_KEY"),
    ({"REDIS_URL": "memory://"}, "REDIS_URL must be the address of the Redis"),
    ({"PUBLIC_URL": None}, "PUBLIC_URL is not set"),
])
def test_the_production_server_will_not_start_without_them(missing, message):
    env = {k: v for k, v in os.environ.items() if k not in ("CONSULT_ENV", "RATELIMIT_STORAGE_URI")}
    env.update(SECRET_KEY="k" * 64, REDIS_URL="redis://127.0.0.1:6379/0", DATABASE_URL="sqlite://",
               PUBLIC_URL="https://haveyoursay.example.gov.uk")
    for name, value in missing.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run([sys.executable, "-c", "import consult.wsgi"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr[-2000:]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_secret_key_file_is_readable_by_its_owner_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    old = os.umask(0o022)
    try:
        key = secret_key(tmp_path)
    finally:
        os.umask(old)
    assert len(key) == 64 and _mode(tmp_path / "secret_key") == 0o600


def test_a_new_sqlite_database_is_readable_by_its_owner_alone(tmp_path):
    from consult.extensions import db

    path = tmp_path / "consult.db"
    old = os.umask(0o022)
    try:
        app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    finally:
        os.umask(old)
    assert _mode(path) == 0o600


def _environ(peer: str, forwarded: str | None = None) -> dict:
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "localhost",
               "SERVER_PORT": "8000", "wsgi.url_scheme": "http", "REMOTE_ADDR": peer,
               "HTTP_HOST": "localhost"}
    if forwarded:
        environ["HTTP_X_FORWARDED_FOR"] = forwarded
    return environ


def _client_address(middleware: ClientAddresses, environ: dict) -> str:
    seen = {}

    def app(env, start_response):
        seen["address"] = env["REMOTE_ADDR"]
        return [b""]

    middleware.direct = app
    middleware.proxied = middleware.proxied.__class__(app, x_for=middleware.proxies) \
        if middleware.proxies else app
    middleware(environ, lambda *a: None)
    return seen["address"]


@pytest.fixture
def fresh_warnings():
    _warned.clear()
    yield
    _warned.clear()


def test_forwarded_for_is_believed_only_from_the_proxy(fresh_warnings, caplog):
    middleware = ClientAddresses(lambda e, s: [b""], 1, proxy_networks("127.0.0.0/8,::1/128"))
    assert _client_address(middleware, _environ("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # gunicorn reachable from outside: whatever the client wrote is ignored, and said so once.
    with caplog.at_level(logging.WARNING, logger="consult.proxies"):
        for n in range(5):
            assert _client_address(middleware, _environ("203.0.113.9", f"10.0.0.{n}")) == "203.0.113.9"
    assert [r.getMessage() for r in caplog.records].count(caplog.records[0].getMessage()) == 1
    assert "straight from 203.0.113.9" in caplog.records[0].getMessage()


def test_forwarded_headers_with_no_trusted_proxy_are_logged_once(fresh_warnings, caplog):
    middleware = ClientAddresses(lambda e, s: [b""], 0, [])
    with caplog.at_level(logging.WARNING, logger="consult.proxies"):
        for _ in range(5):
            assert _client_address(middleware, _environ("127.0.0.1", "198.51.100.7")) == "127.0.0.1"
    assert len(caplog.records) == 1
    assert "TRUSTED_PROXIES is 0" in caplog.records[0].getMessage()


def test_no_forwarded_headers_while_a_proxy_is_trusted_is_logged_once(fresh_warnings, caplog):
    middleware = ClientAddresses(lambda e, s: [b""], 1, proxy_networks("127.0.0.0/8"))
    with caplog.at_level(logging.WARNING, logger="consult.proxies"):
        for _ in range(5):
            _client_address(middleware, _environ("127.0.0.1"))
    assert len(caplog.records) == 1
    assert "no X-Forwarded-For" in caplog.records[0].getMessage()


def test_a_wrong_proxy_network_is_a_clear_error():
    with pytest.raises(ValueError, match="TRUSTED_PROXY_NETWORKS: 'nginx' is not an address"):
        proxy_networks("127.0.0.1, nginx")


def test_gunicorn_warns_when_it_listens_beyond_loopback():
    import importlib.util

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    assert conf.bind == os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
    warned = []

    class Server:
        class cfg:
            bind = ["0.0.0.0:8000", "127.0.0.1:8000", "[::1]:8000", "unix:/run/consult.sock"]

        class log:
            @staticmethod
            def warning(message, address):
                warned.append(address)

    conf.when_ready(Server)
    assert warned == ["0.0.0.0:8000"]


def test_parallel_guesses_of_the_current_password_pass_no_more_than_the_limit(app, staff):
    """Five a minute, counted before the password is checked: sixteen sent at once from one
    signed-in session check at most five."""
    import concurrent.futures

    from .conftest import csrf_token, login

    client = app.test_client()
    assert login(client, "viewer@example.org").status_code == 302
    token = csrf_token(client, "/staff/account/password")
    cookie = client.get_cookie("session").value

    def guess(n: int) -> int:
        with app.app_context():
            other = app.test_client()
            other.set_cookie("session", cookie)
            return other.post("/staff/account/password", data={
                "current": f"guess {n}", "new": "a new long password", "again": "a new long password",
                "csrf_token": token}).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(guess, range(16)))
    assert statuses.count(429) >= 11, statuses
