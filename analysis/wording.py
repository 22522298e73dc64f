"""Words for figures, shared by every output meant for reading (the report, command output).

``counted(1, "response")`` is "1 response", ``counted(1200, "response")`` "1,200 responses";
``percent_range(0.702, 0.751)`` is "between 70% and 75%". Keeping them here means a plural or a
range is written the same way everywhere.
"""
from __future__ import annotations

import re
from typing import Any

import pandas as pd

IRREGULAR = {"person": "people", "is": "are", "was": "were", "has": "have"}


def plural(word: str) -> str:
    """The plural of a noun used in our outputs (``person`` -> ``people``, ``reply`` -> ``replies``)."""
    if word in IRREGULAR:
        return IRREGULAR[word]
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    if re.search(r"(s|x|z|ch|sh)$", word):
        return word + "es"
    return word + "s"


def counted(n: Any, singular: str, plural_form: str | None = None) -> str:
    """``n`` with its noun in the right number: "1 response", "0 responses", "2,400 people".

    The noun may be a phrase ending in the noun ("campaign response" -> "campaign responses")."""
    head, _, last = singular.rpartition(" ")
    value = int(round(float(n)))
    if value == 1:
        noun = singular
    else:
        noun = plural_form or ((head + " " if head else "") + plural(last))
    return f"{value:,} {noun}"


def percent(x: Any) -> str:
    """A share 0-1 as a whole percentage ("72%"); "–" when missing."""
    return "–" if x is None or pd.isna(x) else f"{100 * x:.0f}%"


def percent_range(low: Any, high: Any) -> str:
    """A 95% interval in words: "between 70% and 75%" (or "about 70%" when both round alike)."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "not known"
    a, b = f"{100 * low:.0f}", f"{100 * high:.0f}"
    return f"about {a}%" if a == b else f"between {a}% and {b}%"


def points(x: Any) -> str:
    """Percentage points with their sign: "+57", "-3", "0"."""
    if x is None or pd.isna(x):
        return "–"
    value = round(100 * float(x))
    return f"{value:+d}" if value else "0"


def points_range(low: Any, high: Any) -> str:
    """A net support interval in words: "between +50 and +63"."""
    if low is None or high is None or pd.isna(low) or pd.isna(high):
        return "not known"
    a, b = points(low), points(high)
    return f"about {a}" if a == b else f"between {a} and {b}"


def join(items: list[str], last: str = "and") -> str:
    """"A", "A and B", "A, B and C"."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]
