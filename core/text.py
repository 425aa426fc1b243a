"""The one rule for text that enters LeadBridge, wherever it comes from.

PostgreSQL refuses two things Python strings may hold: the NUL character (in `text` and `jsonb`)
and a lone UTF-16 surrogate (it is not UTF-8). DRF's `CharField` already refuses both for plain
fields; `text_validator` applies the same rule to free-form JSON (contact attributes, company
tags, event properties, rule values), keys and values at any depth, so a bad value is a 400 that
names its field instead of a `DataError` from the database.
"""

from django.core.exceptions import ValidationError


def text_problem(text: str) -> str:
    """What is wrong with `text` for storage, or "" when nothing is."""
    if "\x00" in text:
        return "Contains a NUL character."
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "Not valid UTF-8 (an unpaired surrogate)."
    return ""


def shown(text: str) -> str:
    """`text` safe to echo back in a message: a lone surrogate as its escape (e.g. `\\ud800`),
    which a JSON response can carry (a NUL is escaped by the JSON encoder itself)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def json_text_problem(value) -> str:
    """The first text problem in a JSON value (its keys and strings, at any depth), with where it
    is, e.g. `industry: Contains a NUL character.`; "" when there is none."""
    stack = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if problem := text_problem(item):
                return f"{path}: {problem}" if path else problem
        elif isinstance(item, dict):
            for key, child in item.items():
                key = str(key)
                if problem := text_problem(key):
                    return f"Key {key!r}: {problem}"
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return ""


def text_validator(value) -> None:
    """A Django validator (models, forms and DRF fields alike) for a string or any JSON value."""
    if problem := json_text_problem(value):
        raise ValidationError(problem, code="invalid_text")
