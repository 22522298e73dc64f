"""The code lists of delivery tracking, defined once: statuses, directions of travel.

Everything else (forms, pages, the Panel report, the spreadsheets) reads them from here.
"""
from __future__ import annotations

# A deliverable's delivery status in a reporting period (the Delivery Plan's RAG rating, with
# "not started" and "complete" either side of it).
STATUSES: dict[str, str] = {
    "not_started": "Not started",
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "complete": "Complete",
}
# What each status means, shown as the hint beside it on the update form.
STATUS_HINTS: dict[str, str] = {
    "not_started": "Work has not begun yet.",
    "green": "On track.",
    "amber": "At risk: some delay or difficulty, being managed.",
    "red": "Off track: needs action or escalation.",
    "complete": "Delivered.",
}
# A note is required for these: the Panel reads why.
NOTE_REQUIRED = frozenset({"red", "amber"})
# The order the RAG summary counts them in.
SUMMARY_ORDER = ("red", "amber", "green", "complete", "not_started")
# GOV.UK tag colours for each status.
STATUS_TAGS: dict[str, str] = {
    "not_started": "govuk-tag--grey",
    "green": "govuk-tag--green",
    "amber": "govuk-tag--yellow",
    "red": "govuk-tag--red",
    "complete": "govuk-tag--blue",
}
# Chart colours (the GOV.UK palette), and the pattern each uses so colour is not the only cue.
STATUS_COLOURS: dict[str, str] = {
    "red": "#d4351c", "amber": "#ffdd00", "green": "#00703c", "complete": "#1d70b8",
    "not_started": "#b1b4b6",
}

DIRECTIONS: dict[str, str] = {
    "improving": "Improving",
    "no_change": "No change",
    "worsening": "Worsening",
}

# How far along a status is, to propose a direction of travel from the previous period's status.
# "Not started" has no place on this scale: from or to it, nothing is proposed but "no change"
# when neither period has started.
_PROGRESS = {"red": 1, "amber": 2, "green": 3, "complete": 4}


def propose_direction(previous: str | None, current: str) -> str | None:
    """The direction of travel from the previous period's status to this one, or None when the
    two cannot be compared (no previous update, or work not started in one of them)."""
    if previous is None:
        return None
    if previous == current == "not_started":
        return "no_change"
    if previous not in _PROGRESS or current not in _PROGRESS:
        return None
    change = _PROGRESS[current] - _PROGRESS[previous]
    return "improving" if change > 0 else "worsening" if change < 0 else "no_change"


def measure_trend(previous: float | None, current: float | None,
                  higher_is_better: bool | None) -> str:
    """A measure's trend between two periods in words: up, down or level, and whether that is
    better or worse when the measure says which way is better."""
    if previous is None or current is None:
        return "no earlier value"
    if current == previous:
        return "level"
    word = "up" if current > previous else "down"
    if higher_is_better is None:
        return word
    better = (current > previous) == higher_is_better
    return f"{word} (better)" if better else f"{word} (worse)"
