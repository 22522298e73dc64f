"""The production WSGI entry point: ``gunicorn -c gunicorn.conf.py consult.wsgi:app``.

The shipped deployment is nginx (``deploy/nginx/consult.conf``) in front of gunicorn bound to
loopback or a unix socket, with ``TRUSTED_PROXIES=1`` (the production default): the client
address, scheme and host are taken from the ``X-Forwarded-*`` headers nginx sets, so rate limits
apply per resident, not per proxy, and HSTS and secure cookies see HTTPS. The headers are only
believed on connections from ``TRUSTED_PROXY_NETWORKS`` (loopback by default), so a client that
reaches gunicorn directly cannot forge its address; a request that shows the setting is wrong is
logged once per process (consult/security.py).

In production the app refuses to start without ``SECRET_KEY``, shared rate-limit storage
(``REDIS_URL``) and ``PUBLIC_URL`` (consult/config.py, ``production_problems``).

Admission control (``consult/admission.py``) wraps everything, so a flood is refused before any
proxy handling, session or database work.
"""
from __future__ import annotations

import logging
import os

from . import StartRefused, admission, create_app
from .config import production_problems
from .security import ClientAddresses, proxy_networks

if not logging.getLogger().handlers:
    # gunicorn logs its own lines; the app's warnings (a wrong proxy setting) go beside them.
    logging.basicConfig(level=logging.WARNING,
                        format="[%(asctime)s] [%(process)d] [%(levelname)s] %(name)s: %(message)s")

_env = os.environ.get("CONSULT_ENV", "production")
app = create_app(_env)
if _env == "production":
    _problems = production_problems(app.config)
    if _problems:
        raise StartRefused("Consult will not start in production until these are set "
                           "(docs/operations.md):\n" + "\n".join(f"  - {p}" for p in _problems))

app.wsgi_app = ClientAddresses(  # type: ignore[method-assign]
    app.wsgi_app, app.config["TRUSTED_PROXIES"], proxy_networks(app.config["TRUSTED_PROXY_NETWORKS"]))
app.wsgi_app = admission.wrap(app.wsgi_app)  # type: ignore[method-assign]
