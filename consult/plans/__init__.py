"""Plans and their delivery: a plan's themes and deliverables loaded from its file, progress
updates per reporting period, the Panel report, and the public pages.

Data flows one way: consultation -> evidence -> decisions -> deliverables -> updates -> reports.
Nothing here writes to a consultation or its responses.
"""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Add the staff pages (to the staff blueprint, so call this before staff.init_app), the
    public pages and the ``flask plans`` commands."""
    from . import cli, public, results_views, staff_views  # noqa: F401  (they add routes to staff.bp)

    app.register_blueprint(public.bp)
    app.register_blueprint(results_views.public_bp)
    app.context_processor(results_views.results_notice_helper)
    app.cli.add_command(cli.plans)
