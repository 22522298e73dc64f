"""``flask`` commands. Each feature adds its group in ``init_app``."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    pass
