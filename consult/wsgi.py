"""The production WSGI entry point: ``gunicorn -c gunicorn.conf.py consult.wsgi:app``.

Behind a reverse proxy, set ``TRUSTED_PROXIES`` to the number of proxies in front of the app
(usually 1): the client address, scheme and host are then taken from the ``X-Forwarded-*``
headers those proxies set, so rate limits apply per resident, not per proxy, and HSTS and
secure cookies see HTTPS. Left at 0 (the default) the headers are ignored, because a client
talking to the app directly could forge them.

Admission control (``consult/admission.py``) wraps everything, so a flood is refused before any
proxy handling, session or database work.
"""
from __future__ import annotations

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from . import admission, create_app

app = create_app(os.environ.get("CONSULT_ENV", "production"))

_proxies = int(os.environ.get("TRUSTED_PROXIES", "0"))
if _proxies > 0:
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies, x_port=_proxies
    )
app.wsgi_app = admission.wrap(app.wsgi_app)  # type: ignore[method-assign]
