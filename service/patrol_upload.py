"""Police upload patrol tracks (a GPX track or a CSV of pings), validated like the CLI import:
the one use case of POST /api/patrols and the page /staff/patrols."""

from __future__ import annotations

import dataclasses
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from geo.errors import Message, ValidationError
from geo.layers import PINGS
from service.context import Context
from service.imports import ImportSummary, import_file
from service.presence import keep_all

UPLOAD_SUFFIXES = (".gpx", ".csv")


@dataclass(frozen=True)
class Uploaded:
    """An upload's name as sent and what its import did."""

    file: str
    summary: ImportSummary


def upload_patrols(state: Context, filename: str | None, data: BinaryIO, unit: str | None = None,
                   mode: str | None = None, crew: int | None = None) -> Uploaded:
    """Import an uploaded file of patrol pings: a GPX track (``mode``, and ``unit``/``crew`` as for
    ``stadskarna import patrols``) or a CSV of pings. All pings valid or nothing stored
    (:class:`ValidationError` naming the uploaded file, never the temporary one); the same file
    again stores nothing new. The upload is streamed to a temporary file, never held in memory
    whole; the kept presence of the unit-days it touched is computed before it returns."""
    name = Path(filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise ValidationError(Message("upload a .gpx or .csv file"), file=name, field="file")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / upload_file_name(name)
        with path.open("wb") as out:
            shutil.copyfileobj(data, out, 1024 * 1024)
        options = {"unit_id": unit, "mode": mode, "crew": crew} if suffix == ".gpx" else {}
        try:
            summary = import_file(state.store, PINGS, path, **options)
        except ValidationError as exc:
            raise naming_upload(exc, path, name) from None
    keep_all(state.store, state.zones, state.rules)
    return Uploaded(name, dataclasses.replace(summary, file=name))


def upload_file_name(name: str) -> str:
    """The upload's name as a file name on this machine: letters, digits, ``._-`` and at most 100
    characters (the GPX reader takes the unit and the source from it)."""
    stem, suffix = Path(name).stem, Path(name).suffix.lower()
    return (re.sub(r"[^\w.-]", "_", stem)[:100] or "upload") + suffix


def naming_upload(exc: ValidationError, path: Path, name: str) -> ValidationError:
    """The error naming the uploaded file, never the temporary one."""
    message = (exc.message.substitute(str(path), name) if isinstance(exc.message, Message)
               else exc.message.replace(str(path), name))
    return dataclasses.replace(exc, file=name if exc.file else None, message=message)
