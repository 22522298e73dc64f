"""One column of an export and its row in the data dictionary (docs/export-format.md).

Question handlers (consult/survey/handlers.py) make the columns of their question type; the
exporter (consult/exports.py) adds the fixed ones and writes them all.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

# The data dictionary's fields, in order; fields added by a later format version go at the end.
DICTIONARY_FIELDS = [
    "column", "question", "type", "theme", "theme_title", "label", "codes", "description",
    "scale", "levels",
]


@dataclass(frozen=True)
class Column:
    column: str
    question: str
    type: str
    theme: str
    theme_title: str
    label: str
    codes: str
    description: str
    code_list: tuple[str, ...] = ()
    max_length: int | None = None
    question_type: str = ""
    scale: str = ""
    levels: str = ""
    # the largest value a cell may hold (a rank: the number of themes), when the type has one
    max_value: int | None = None

    def dictionary_row(self) -> dict[str, str]:
        row = asdict(self)
        return {name: row[name] for name in DICTIONARY_FIELDS}


def codes_text(options: list[tuple[str, str]]) -> str:
    """``code=label | code=label`` (the data dictionary's ``codes``)."""
    return " | ".join(f"{code}={label}" for code, label in options)
