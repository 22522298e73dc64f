"""JSON Schema checks for the YAML files an office writes (``consult/schemas/*.schema.json``).

The structure of a file (which keys, of what type, which are required) is a JSON Schema kept in
the repository, so that an editor can check a file as it is written and the rules are read in one
place. :func:`problems` checks a parsed file against one of them with ``jsonschema`` and returns
every problem at once, each as ``place: what is wrong`` in the same words the rest of the
definition checks use (``pages[3].questions[1].options: ...``). Rules that reach across the file
(routing, column clashes, answers a change would orphan) stay in code.
"""
from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .quoting import quoted

SCHEMA_PACKAGE = "consult.schemas"


@cache
def schema(name: str) -> dict[str, Any]:
    """The schema ``consult/schemas/NAME.schema.json``."""
    text = resources.files(SCHEMA_PACKAGE).joinpath(f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def validator(name: str) -> Draft202012Validator:
    document = schema(name)
    Draft202012Validator.check_schema(document)
    return Draft202012Validator(document)


def place(path: Any) -> str:
    """``pages[3].questions[1].label`` for the path ``["pages", 3, "questions", 1, "label"]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(error: ValidationError) -> str:
    # a schema may give a plain-English message for a rule: "errorMessage" beside the rule, one
    # text for every rule there or one per rule ({"pattern": "..."}); {value} quotes the value
    custom = error.schema.get("errorMessage") if isinstance(error.schema, dict) else None
    if isinstance(custom, dict):
        custom = custom.get(error.validator)
    if isinstance(custom, str):
        return custom.replace("{value}", quoted(error.instance))
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{missing} is missing"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(sorted(error.schema.get("properties", {})))
        return f"has unknown key{'s' if len(extra) > 1 else ''} {', '.join(map(str, extra))}; the keys are {allowed}"
    if error.validator == "type":
        return f"should be {_a(error.validator_value)}, not {quoted(error.instance)}"
    if error.validator == "enum":
        return f"is {quoted(error.instance)}; it should be one of {', '.join(map(str, error.validator_value))}"
    if error.validator in ("minLength", "minItems") and not error.instance:
        return "is empty; give a value"
    if error.validator == "maxLength":
        return f"is {len(error.instance):,} characters long; the most allowed is {error.validator_value:,}"
    if error.validator == "minItems":
        return f"should have at least {error.validator_value} items"
    if error.validator == "maxItems":
        return f"has {len(error.instance):,} items; the most allowed is {error.validator_value:,}"
    if error.validator in ("minimum", "maximum"):
        least = "least" if error.validator == "minimum" else "most"
        return f"is {quoted(error.instance)}; the {least} allowed is {error.validator_value}"
    if error.validator == "pattern":
        return f"is {quoted(error.instance)}, which is not in the expected form"
    return error.message if len(error.message) < 300 else error.message[:297] + "..."


def _a(kind: Any) -> str:
    names = {"string": "text", "object": "a set of keys and values", "array": "a list",
             "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "null": "empty"}
    kinds = kind if isinstance(kind, list) else [kind]
    return " or ".join(names.get(k, str(k)) for k in kinds)


def problems(data: Any, name: str) -> list[str]:
    """Every way ``data`` breaks the schema ``name``, as ``place: message`` lines, in file order."""
    found = []
    for error in sorted(validator(name).iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        where = place(error.absolute_path)
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            where = f"{where}.{missing}" if where and missing else (missing or where)
            found.append(f"{where}: is missing")
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            # one problem per unknown key, each at its own place, its name quoted short
            allowed = ", ".join(sorted(error.schema.get("properties", {})))
            for name in sorted(set(error.instance) - set(error.schema.get("properties", {})), key=str):
                shown = name if isinstance(name, str) and len(name) <= 60 else quoted(name)
                found.append(f"{f'{where}.' if where else ''}{shown}: is not a known setting here; "
                             f"the settings allowed are {allowed}")
            continue
        message = _message(error)
        found.append(f"{where}: {message}" if where else message)
    return found
