"""gunicorn settings for Consult: ``gunicorn -c gunicorn.conf.py consult.wsgi:app``.

Every setting can be changed by an environment variable, so the same file serves a laptop, the
load benchmark and production. See docs/operations.md for why each default is what it is and
for the measurements behind the worker model.
"""
from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One process per core: page rendering is CPU-bound, so more processes than cores only adds
# context switches; a few threads per process overlap the waits on PostgreSQL.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count())
# gunicorn's gthread worker, plus the time each request was queued, which admission control
# (consult/admission.py) uses to answer 503 at once rather than late. "sync", "gthread" and
# "gevent" also work (without queue-time admission control unless a proxy stamps
# X-Request-Start).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "consult.serving.ThreadWorker")
threads = _int("GUNICORN_THREADS", 4)
# Connections one process holds (queued or kept alive) before it stops accepting more.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)
# Connections waiting in the kernel to be accepted.
backlog = _int("GUNICORN_BACKLOG", 2048)
# A request still running after this many seconds is killed and its worker replaced.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so that a slow leak can never take the service down.
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)
# Limits on the request line and headers (the body is limited to 64 KiB by the app).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
proc_name = "consult"
# No control socket: several gunicorns on one machine would share its default path, and
# nothing here uses it (docs/operations.md).
control_socket_disable = True


def post_worker_init(worker):
    """Compile every template before the first request, so that a worker just started (or
    restarted by max_requests) does not make its first residents wait while it does so."""
    app = worker.wsgi
    flask_app = getattr(app, "jinja_env", None) and app
    if flask_app is None:
        return
    env = flask_app.jinja_env
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)


def when_ready(server):
    """Says so when gunicorn listens where more than the reverse proxy could reach it: clients
    talking to gunicorn directly meet no header or body timeouts (docs/operations.md)."""
    import ipaddress

    for address in server.cfg.bind:
        if address.startswith(("unix:", "fd://")):
            continue
        host = address.rsplit(":", 1)[0].strip("[]") if ":" in address else address
        try:
            local = ipaddress.ip_address(host).is_loopback
        except ValueError:
            local = host == "localhost"
        if not local:
            server.log.warning(
                "gunicorn listens on %s: make sure only the reverse proxy can reach it (firewall "
                "it to nginx's addresses, or bind to 127.0.0.1 or a unix socket) and set "
                "TRUSTED_PROXY_NETWORKS to where nginx connects from; see docs/operations.md",
                address)
