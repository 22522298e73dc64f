"""Values quoted in messages, cut short: a message that names a wrong value must stay a message.

A definition file, an import or an environment variable can hold a value of any size; quoting it
whole with ``!r`` once turned a 563-byte file into a 656 MB error page. Every message that
quotes a value someone gave quotes it through :func:`quoted`.
"""
from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 60


def quoted(value: Any, limit: int = QUOTE_LIMIT) -> str:
    """``repr(value)`` of at most about ``limit`` characters: a longer one keeps its start and
    says how much was left out (``'aaaa…' (5,000 characters)``). Containers are not walked
    whole: their repr is built only as far as the limit needs."""
    if isinstance(value, (str, bytes)) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        text = _short_container(value, limit)
    else:
        text = repr(value)
    if len(text) > limit:
        return text[:limit] + "…"
    return text


def _short_container(value: Any, limit: int) -> str:
    # repr() of a deeply shared structure (a YAML alias bomb) is exponential: build it only as
    # far as the limit, quoting each item only when there is still room for it.
    if isinstance(value, dict):
        opening, closing = "{", "}"
        items: Any = iter(value.items())
    else:
        opening, closing = ("[", "]") if isinstance(value, list) else ("(", ")")
        items = iter(value)
    parts: list[str] = []
    size = 1
    for item in items:
        if size > limit:
            parts.append("…")
            break
        room = max(limit - size, 8)
        if isinstance(value, dict):
            text = f"{quoted(item[0], room)}: {quoted(item[1], room)}"
        else:
            text = quoted(item, room)
        parts.append(text)
        size += len(text) + 2
    return opening + ", ".join(parts) + closing
