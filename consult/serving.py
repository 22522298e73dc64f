"""gunicorn's threaded worker, noting when each request was queued (for consult/admission.py).

``gunicorn.conf.py`` names it as the worker class (``consult.serving.ThreadWorker``). It behaves
exactly as gunicorn's ``gthread`` worker: the only addition is a timestamp taken when a
connection is handed to the thread pool, passed to the thread that serves it.
"""
from __future__ import annotations

import time

from gunicorn.workers.gthread import ThreadWorker as GunicornThreadWorker

from . import admission


class ThreadWorker(GunicornThreadWorker):
    def enqueue_req(self, conn):
        conn.consult_enqueued_at = time.monotonic()
        super().enqueue_req(conn)

    def handle(self, conn):
        admission.note_enqueued(getattr(conn, "consult_enqueued_at", None))
        try:
            return super().handle(conn)
        finally:
            admission.note_enqueued(None)
