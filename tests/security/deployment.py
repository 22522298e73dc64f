"""The production deployment in miniature: gunicorn (``gunicorn.conf.py``, ``consult.wsgi``) on
a loopback port, behind nginx running the shipped ``deploy/nginx/consult.conf`` with only its
ports, TLS and upstream address changed for a test (plain HTTP on free loopback ports).

nginx runs in the foreground with its own prefix, configuration and temporary directories, so
nothing of the machine's own nginx is touched; as root (CI) its workers run as ``nobody``.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
SERVER_NAME = "haveyoursay.example.gov.uk"
PASSWORD = "a long and correct password"
STAFF_EMAIL = "engagement@example.org"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port: int, proc: subprocess.Popen, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"exited with {proc.returncode}: {log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {seconds} s: {log.read_text()[-3000:]}")


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "CONSULT_"))}
    env.pop("CI", None)
    env.update(
        DATABASE_URL=database_url,
        CONSULT_ENV="production",
        SECRET_KEY="deployment-test-" + "k" * 48,
        SESSION_COOKIE_SECURE="0",
        REDIS_URL="redis://127.0.0.1:6379/0",
        # Each run counts in its own keys of the shared Redis.
        RATELIMIT_KEY_PREFIX=f"consult-test-{uuid.uuid4().hex[:12]}",
        PUBLIC_URL=f"https://{SERVER_NAME}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="4",
        CONSULT_MAX_QUEUE_MS="0",
    )
    env.update(extra)
    return env


SETUP = """
from consult import create_app
from consult.definitions import load_file, make_demo
from consult.staff.accounts import create_user
from consult.extensions import db
app = create_app("development")
with app.app_context():
    db.create_all()  # faster than the migrations, which have tests of their own
    load_file(app.config["CONSULTATIONS_DIR"] + "/police-and-crime-plan-2021.yaml")
    make_demo("police-and-crime-plan-2021")
    create_user({email!r}, "Engagement", "engagement", {password!r})
    db.session.commit()
"""


def prepare_database(folder: Path) -> str:
    """A SQLite database with the 2021 consultation, its demo copy open from today and one
    engagement account."""
    url = f"sqlite:///{folder / 'consult.db'}"
    env = app_env(url, CONSULT_ENV="development")
    result = subprocess.run([sys.executable, "-c", SETUP.format(email=STAFF_EMAIL, password=PASSWORD)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return url


class Gunicorn:
    def __init__(self, database_url: str, folder: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"gunicorn-{self.port}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
             "--bind", f"127.0.0.1:{self.port}", "consult.wsgi:app"],
            cwd=ROOT, env=app_env(database_url, **env), stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.port, self.proc, self.log_path)

    def log_text(self) -> str:
        self.log.flush()
        return self.log_path.read_text()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def site_config(upstream_port: int, port: int, redirect_port: int) -> str:
    """deploy/nginx/consult.conf with loopback ports and plain HTTP instead of 443 and TLS."""
    text = (NGINX_DIR / "consult.conf").read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8000", f"server 127.0.0.1:{upstream_port}"),
        (r"listen 443 ssl default_server;", f"listen 127.0.0.1:{port} default_server;"),
        (r"listen 80 default_server;", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{port};"),
        (r"listen 80;", f"listen 127.0.0.1:{redirect_port};"),
        (r"\n\s*ssl_[a-z_]+ [^;]*;", ""),
    ]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        assert count, f"deploy/nginx/consult.conf no longer has {pattern!r}"
    return text


class Nginx:
    def __init__(self, upstream_port: int, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.prefix = folder / "nginx"
        conf = self.prefix / "conf"
        conf.mkdir(parents=True)
        (conf / "consult").symlink_to(NGINX_DIR)
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.prefix / name).mkdir()
        if os.geteuid() == 0:  # workers run as nobody: they must reach the temporary folders
            os.chmod(folder, 0o755)
            for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
                shutil.chown(self.prefix / name, "nobody")
        (conf / "site.conf").write_text(site_config(upstream_port, self.port, free_port()))
        user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""
        (conf / "nginx.conf").write_text(f"""{user}daemon off;
worker_processes 1;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {self.prefix}/body;
    proxy_temp_path {self.prefix}/proxy;
    fastcgi_temp_path {self.prefix}/fastcgi;
    uwsgi_temp_path {self.prefix}/uwsgi;
    scgi_temp_path {self.prefix}/scgi;
    include site.conf;
}}
""")
        self.log_path = self.prefix / "stderr.log"
        self.log = open(self.log_path, "w")
        binary = nginx_binary()
        assert binary
        self.proc = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(conf / "nginx.conf"),
                                      "-e", str(self.prefix / "error.log")],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        wait_for(self.port, self.proc, self.log_path)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


def fetch(url: str, *, host: str = SERVER_NAME, timeout: float = 5, **headers: str):
    """(status, body, headers) of a GET, without following redirects."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, headers={"Host": host, **headers})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as answer:
            return answer.status, answer.read().decode(), answer.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


class Browser:
    """A tiny HTTP client with a cookie jar and a source address of its own on loopback (every
    127.x.y.z is this machine), so that nginx sees each "person" at their own address."""

    def __init__(self, base_url: str, source: str = "127.0.0.1") -> None:
        from http.cookies import SimpleCookie

        self.base = urllib.parse.urlsplit(base_url)
        self.source = source
        self.cookies: SimpleCookie = SimpleCookie()

    def request(self, method: str, path: str, *, data: dict | None = None, host: str = SERVER_NAME,
                timeout: float = 10, headers: dict | None = None):
        import http.client

        conn = http.client.HTTPConnection(self.base.hostname, self.base.port, timeout=timeout,
                                          source_address=(self.source, 0))
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        sent = {"Host": host, **(headers or {})}
        if body is not None:
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={m.value}" for k, m in self.cookies.items())
        try:
            conn.request(method, path, body=body, headers=sent)
            answer = conn.getresponse()
            text = answer.read().decode()
            for value in answer.headers.get_all("Set-Cookie") or []:
                self.cookies.load(value)
            return answer.status, text, answer.headers
        finally:
            conn.close()

    def csrf_token(self, path: str) -> str:
        status, page, _ = self.request("GET", path)
        match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
        assert match, f"no CSRF token on {path} ({status})"
        return match.group(1)
