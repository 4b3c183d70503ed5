"""The questions a report of a category may answer (Open311 GeoReport v2 service definitions):
their codes, their Swedish wording and their allowed values with Swedish names — the one table
that service definitions, submissions and stored reports are checked against.

Every attribute is a single-value list (GeoReport v2's ``singlevaluelist``): one key of its
values. A report keeps its answers as the field ``attributes`` (:data:`geo.layers.REPORTS`), a
JSON object from code to key (``{"surface": "bro"}``); a report without answers has none.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from geo.errors import Message, ValidationError

DATATYPE = "singlevaluelist"
"""The GeoReport v2 datatype of every attribute here."""


@dataclass(frozen=True)
class Attribute:
    """One question: its ``code``, its wording for people, its allowed values (key → Swedish name,
    in the order they are offered) and whether a submission must answer it."""

    code: str
    description: str
    values: Mapping[str, str]
    required: bool = False


REPORT_ATTRIBUTES: dict[str, tuple[Attribute, ...]] = {
    "graffiti": (Attribute("surface", "Var sitter klottret?",
                           {"fasad": "Fasad", "bänk": "Bänk", "skylt": "Skylt", "bro": "Bro", "annat": "Annat"}),),
    "broken_light": (Attribute("fault", "Vad är fel på belysningen?",
                               {"släckt": "Släckt", "blinkar": "Blinkar", "skadad": "Skadad eller nedriven",
                                "lyser_dagtid": "Lyser på dagen"}, required=True),),
}
"""The questions of each report category that has any (the others have none)."""


def attributes_of(category: str) -> tuple[Attribute, ...]:
    """The questions of ``category``, in order (none for a category without any)."""
    return REPORT_ATTRIBUTES.get(category, ())


def checked_attributes(category: str, given: Mapping[str, list[str]]) -> dict[str, str]:
    """A submission's answers (code → the values sent for it) as the report keeps them (code →
    key, in the definition's order); :class:`ValidationError` naming the attribute for an unknown
    code, a value that is not one of its keys, a code sent twice, or a required one left out."""
    known = {attribute.code: attribute for attribute in attributes_of(category)}
    for code in given:
        if code not in known:
            offered = ", ".join(known) or "none"
            raise ValidationError(Message("service {category!r} has no attribute {code!r} (its attributes: "
                                          "{offered})", category=category, code=code, offered=offered),
                                  field=f"attribute[{code}]")
    answers = {}
    for code, attribute in known.items():
        values = [unicodedata.normalize("NFC", value.strip()) for value in given.get(code, []) if value.strip()]
        if len(values) > 1:
            raise ValidationError(Message("attribute {code!r} takes one value, got {count}", code=code,
                                          count=len(values)), field=f"attribute[{code}]")
        if not values:
            if attribute.required:
                raise ValidationError(Message("attribute {code!r} is required for service {category!r} (one of "
                                              "{values})", code=code, category=category,
                                              values=', '.join(attribute.values)), field=f"attribute[{code}]")
            continue
        if values[0] not in attribute.values:
            raise ValidationError(Message("{value!r} is not a value of attribute {code!r} (one of {values})",
                                          value=values[0], code=code, values=", ".join(attribute.values)),
                                  field=f"attribute[{code}]")
        answers[code] = values[0]
    return answers


def attributes_text(answers: Mapping[str, str]) -> str | None:
    """Answers as the field ``attributes`` keeps them (a JSON object), None when there are none."""
    return json.dumps(dict(answers), ensure_ascii=False, separators=(",", ":")) if answers else None


def stored_answers(text: str | None) -> dict[str, str]:
    """The answers kept in a report's ``attributes`` field (checked when it was stored)."""
    return json.loads(text) if text else {}


def attribute_problem(category: str, text: str) -> Message | None:
    """Why ``text`` cannot be the ``attributes`` of a report of ``category`` (not a JSON object of
    text, an unknown code, a value that is not one of its keys), None when it can. Required
    questions are not asked of stored reports: a report made before a question existed has no answer."""
    try:
        answers = json.loads(text)
    except ValueError:
        return Message("not a JSON object: {text!r}", text=text[:40])
    if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
        return Message("not a JSON object of codes and text values: {text!r}", text=text[:40])
    known = {attribute.code: attribute for attribute in attributes_of(category)}
    for code, value in answers.items():
        if code not in known:
            return Message("category {category!r} has no attribute {code!r}", category=category, code=code)
        if value not in known[code].values:
            return Message("{value!r} is not a value of attribute {code!r}", value=value, code=code)
    return None
