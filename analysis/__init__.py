"""Analysis of consultation responses: a plain library with no Flask.

Reads the export contract (docs/export-format.md) or a database URL, and produces support per
theme, breakdowns, clusters and codes of free-text comments, campaign detection and the
evidence report. Run ``python -m analysis --help`` for the command line.
"""

__all__ = ["__version__"]
__version__ = "0.1.0"
