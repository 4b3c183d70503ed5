"""YAML and JSON documents checked against pydantic models: reading with located errors."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml

from geo.errors import Message, ValidationError


def read_yaml(path: str | Path) -> object:
    """A YAML (or JSON) document; errors name the file (and the line of a syntax error)."""
    path = Path(path)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValidationError(Message("cannot read the file: {problem}", problem=exc.strerror or exc),
                              file=str(path)) from None
    except UnicodeDecodeError:
        raise ValidationError(Message("the file is not UTF-8 text"), file=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        raise ValidationError(Message("not valid YAML: {problem}", problem=getattr(exc, "problem", None) or exc),
                              file=str(path),
                              row=where) from None


def first_problem(errors: list[dict]) -> dict:
    """The error to report: a misspelt field before the missing one it caused, with a suggestion."""
    extra = [e for e in errors if e["type"] == "extra_forbidden"]
    if not extra:
        return errors[0]
    error = dict(extra[0])
    missing = [e["loc"][-1] for e in errors if e["type"] == "missing" and e["loc"][:-1] == error["loc"][:-1]]
    close = difflib.get_close_matches(str(error["loc"][-1]), [str(m) for m in missing], n=1)
    error["msg"] = f"unknown field{f'; did you mean {close[0]!r}?' if close else ' (check the spelling)'}"
    return error


def located_entry(loc: list, doc: dict, entries: str, noun: str) -> tuple[str | None, list]:
    """For a pydantic error at ``loc`` in ``doc``: the row naming the entry of the list ``entries``
    it is in ("promise 2 (id 'x')", by ``noun``), and the rest of ``loc`` (its field); no row when
    the error is not inside an entry."""
    if len(loc) >= 2 and loc[0] == entries and isinstance(loc[1], int):
        entry = doc[entries][loc[1]]
        ident = entry.get("id") if isinstance(entry, dict) else None
        return f"{noun} {loc[1] + 1}" + (f" (id {ident!r})" if ident else ""), loc[2:]
    return None, loc
