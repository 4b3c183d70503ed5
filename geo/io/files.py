"""Output files: never overwrite what a user already has."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from geo.errors import Message, ValidationError


def new_file(path: str | Path) -> Path:
    """``path`` as a Path, or :class:`ValidationError` when something exists there already."""
    path = Path(path)
    if path.exists():
        raise ValidationError(Message("the file exists already; choose a new name or remove it first"), file=str(path))
    return path


@contextmanager
def written_as_new(path: str | Path) -> Iterator[Path]:
    """A scratch path beside ``path`` (with the same suffix) to write the file to: when the block
    ends without an error, the finished file gets the name ``path``, never replacing a file that
    appeared there in the meantime; either way the scratch file is gone afterwards, so ``path`` is
    never a partial file."""
    path = new_file(path)
    partial = path.with_name(f".{path.stem}.partial-{os.getpid()}{path.suffix}")
    partial.unlink(missing_ok=True)
    try:
        yield partial
        try:
            os.link(partial, path)
        except FileExistsError:
            new_file(path)  # raises: another program made it meanwhile
        except OSError:  # a file system without hard links
            os.replace(partial, new_file(path))
    finally:
        partial.unlink(missing_ok=True)
