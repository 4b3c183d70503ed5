"""Errors raised by the geo package, carrying where the bad data is and a message for people."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ValidationError(ValueError):
    """Bad input data: names the file, the row/feature and the field, and says what is wrong.

    ``message`` is written for the person who supplied the data; ``str(error)`` prefixes it
    with the location, for example ``zones.geojson, feature 3 (zone_id 'torg'), field 'kind': ...``.
    """

    message: str
    file: str | None = None
    row: str | None = None
    field: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (self.file, self.row) if part]
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class StateConflict(ValueError):
    """A change that the record's current state does not allow (for example moving a closed
    report back to acknowledged); ``current`` describes that state."""

    def __init__(self, message: str, current: dict | None = None) -> None:
        super().__init__(message)
        self.current = current or {}
