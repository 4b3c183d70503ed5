"""Errors raised by the geo package, carrying where the bad data is and a message for people.

Messages are :class:`Message` values: an English template (the gettext msgid) with named
parameters, rendered in English by ``str()`` and in another language by whoever knows it
(the service renders the request's language with its catalogue)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real


def english_number(value: float, decimals: int = 2) -> str:
    """A figure as English text: at most ``decimals`` decimals, no trailing zeros, a comma between
    thousands (``7``, ``3.5``, ``1,734.2``)."""
    text = f"{float(value):,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _same(text: str) -> str:
    return text


class Message:
    """A message for people, translated when it is shown: an English ``template`` in
    :meth:`str.format` syntax (``"{count} rows"``) and its named parameters.

    Parameters that are numbers are written as the language writes them; a parameter that is a
    :class:`Message` is rendered in the same language; any other is used as it is (``{name!r}``
    quotes it). ``str(message)`` is the English text.
    """

    __slots__ = ("template", "params")

    def __init__(self, template: str, /, **params: object) -> None:
        self.template = template
        self.params = params

    def render(self, gettext: Callable[[str], str] = _same,
               number: Callable[[float], str] = english_number) -> str:
        """The text in the language of ``gettext`` (template → translated template), its numbers
        written by ``number``."""
        values = {name: value.render(gettext, number) if isinstance(value, Message)
                  else number(value) if isinstance(value, Real) and not isinstance(value, bool)
                  else value for name, value in self.params.items()}
        return gettext(self.template).format_map(values)

    def replace(self, old: str, new: str) -> Message:
        """The message with ``old`` replaced by ``new`` in its text parameters (a file's temporary
        path by the name a person knows it by)."""
        return Message(self.template, **{name: value.replace(old, new) if isinstance(value, (str, Message))
                                         else value for name, value in self.params.items()})

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"Message({self.template!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Message) and (self.template, self.params) == (other.template, other.params))

    __hash__ = None  # type: ignore[assignment]


def render(message: str | Message, gettext: Callable[[str], str] = _same,
           number: Callable[[float], str] = english_number) -> str:
    """A message given as text (used as it is) or as a :class:`Message` (rendered)."""
    return message.render(gettext, number) if isinstance(message, Message) else message


@dataclass
class ValidationError(ValueError):
    """Bad input data: names the file, the row/feature and the field, and says what is wrong.

    ``message`` is written for the person who supplied the data; ``str(error)`` prefixes it
    with the location, for example ``zones.geojson, feature 3 (zone_id 'torg'), field 'kind': ...``;
    :meth:`render` writes the same in another language.
    """

    message: str | Message
    file: str | None = None
    row: str | Message | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def render(self, gettext: Callable[[str], str] = _same,
               number: Callable[[float], str] = english_number) -> str:
        """The location and the message in the language of ``gettext`` (see :meth:`Message.render`)."""
        where = [render(part, gettext, number) for part in (self.file, self.row) if part]
        if self.field:
            where.append(Message("field '{field}'", field=self.field).render(gettext, number))
        text = render(self.message, gettext, number)
        return f"{', '.join(where)}: {text}" if where else text

    def __str__(self) -> str:
        return self.render()


class StateConflict(ValueError):
    """A change that the record's current state does not allow (for example moving a closed
    report back to acknowledged); ``current`` describes that state."""

    def __init__(self, message: str | Message, current: dict | None = None) -> None:
        super().__init__(message)  # str() of the error is the English text
        self.current = current or {}
