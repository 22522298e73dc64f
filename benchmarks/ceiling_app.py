"""The ceiling: a bare Flask app with one endpoint returning a small page.

Served by the same gunicorn configuration as Consult (``gunicorn -c gunicorn.conf.py
benchmarks.ceiling_app:app``), it shows the most requests per second this machine can serve
through Flask and gunicorn at all; the load benchmark reports Consult as a fraction of it.
"""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)

PAGE = (
    "<!DOCTYPE html><html lang=\"en\"><head><title>Ceiling</title></head>"
    "<body><main><h1>Ceiling</h1><p>A small page.</p></main></body></html>"
)


@app.get("/")
def index() -> str:
    return PAGE
