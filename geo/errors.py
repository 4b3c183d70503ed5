"""Errors raised by the geo package, carrying where the bad data is and a message for people.

Messages are :class:`Message` values: the English text, keeping its template (the gettext msgid)
and named parameters so that whoever knows the reader's language renders it in that language (the
service renders the request's language with its catalogue)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from numbers import Integral, Real


def english_number(value: float, decimals: int = 2) -> str:
    """A figure as English text, as the messages have always written it: a whole number as it is,
    another with at most ``decimals`` decimals and no trailing zeros (``7``, ``3.5``, ``1734.2``)."""
    if isinstance(value, Integral):
        return str(value)
    text = f"{float(value):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _same(text: str) -> str:
    return text


class Message(str):
    """A message for people, translated when it is shown: an English ``template`` in
    :meth:`str.format` syntax (``"{count} rows"``) and its named parameters.

    It is the English text (a ``str``: logs, ``str(error)`` and every caller reading text get
    English); :meth:`render` writes it in another language. Parameters that are numbers are
    written as the language writes them; a parameter that is a :class:`Message` is rendered in
    the same language; any other is used as it is (``{name!r}`` quotes it).
    """

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, /, **params: object) -> Message:
        message = super().__new__(cls, _render(template, params, _same, english_number))
        message.template, message.params = template, params
        return message

    def render(self, gettext: Callable[[str], str] = _same,
               number: Callable[[float], str] = english_number) -> str:
        """The text in the language of ``gettext`` (template → translated template), its numbers
        written by ``number``."""
        return _render(self.template, self.params, gettext, number)

    def substitute(self, old: str, new: str) -> Message:
        """The message with ``old`` replaced by ``new`` in its text parameters (a file's temporary
        path by the name a person knows it by)."""
        return Message(self.template, **{name: value.substitute(old, new) if isinstance(value, Message)
                                         else value.replace(old, new) if isinstance(value, str)
                                         else value for name, value in self.params.items()})

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __reduce__(self) -> tuple:
        return _message, (self.template, self.params)


def _message(template: str, params: dict[str, object]) -> Message:
    return Message(template, **params)


def _render(template: str, params: dict[str, object], gettext: Callable[[str], str],
            number: Callable[[float], str]) -> str:
    values = {name: value.render(gettext, number) if isinstance(value, Message)
              else number(value) if isinstance(value, Real) and not isinstance(value, bool)
              else value for name, value in params.items()}
    return gettext(template).format_map(_Given(values))


class _Given(dict):
    """The parameters given; a placeholder without one stays as it is (a template in a table)."""

    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def render(message: str, gettext: Callable[[str], str] = _same,
           number: Callable[[float], str] = english_number) -> str:
    """A message given as text: a :class:`Message` rendered, any other text as it is."""
    return message.render(gettext, number) if isinstance(message, Message) else message


_PLACE = re.compile(r"(row|feature|line) (\d+)(.*)", re.S)


def place(label: str | None) -> str | None:
    """Where a record sits in its file as the readers label it (``row 7``, ``feature 3 (zone_id
    'torg')``, ``line 2``) as a :class:`Message`; any other label as it is."""
    found = _PLACE.fullmatch(label) if isinstance(label, str) and not isinstance(label, Message) else None
    if found is None:
        return label
    kind, number, rest = found.groups()
    where = {"row": Message("row {number}", number=number), "feature": Message("feature {number}", number=number),
             "line": Message("line {number}", number=number)}[kind]
    return Message("{place}{rest}", place=where, rest=rest) if rest else where


@dataclass
class ValidationError(ValueError):
    """Bad input data: names the file, the row/feature and the field, and says what is wrong.

    ``message`` is written for the person who supplied the data; ``str(error)`` prefixes it
    with the location, for example ``zones.geojson, feature 3 (zone_id 'torg'), field 'kind': ...``;
    :meth:`render` writes the same in another language.
    """

    message: str
    file: str | None = None
    row: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def render(self, gettext: Callable[[str], str] = _same,
               number: Callable[[float], str] = english_number) -> str:
        """The location and the message in the language of ``gettext`` (see :meth:`Message.render`)."""
        where = [render(part, gettext, number) for part in (self.file, place(self.row)) if part]
        if self.field:
            where.append(Message("field '{field}'", field=self.field).render(gettext, number))
        text = render(self.message, gettext, number)
        return f"{', '.join(where)}: {text}" if where else text

    def __str__(self) -> str:
        return self.render()


class StateConflict(ValueError):
    """A change that the record's current state does not allow (for example moving a closed
    report back to acknowledged); ``current`` describes that state."""

    def __init__(self, message: str, current: dict | None = None) -> None:
        super().__init__(message)  # str() of the error is the English text
        self.current = current or {}
