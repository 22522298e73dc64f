"""Coding comments in the staff workspace: codebook versions per comment question, people's
codes with the model's suggestions beside them, a double-coded sample, agreement and sign-off.

``models`` holds the tables, ``work`` what the pages do with them (which comments count, the
model's suggestions, agreement figures); the pages are consult/staff/workbench.py.
"""
