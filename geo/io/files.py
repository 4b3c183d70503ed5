"""Output files: never overwrite what a user already has."""

from __future__ import annotations

from pathlib import Path

from geo.errors import ValidationError


def new_file(path: str | Path) -> Path:
    """``path`` as a Path, or :class:`ValidationError` when something exists there already."""
    path = Path(path)
    if path.exists():
        raise ValidationError("the file exists already; choose a new name or remove it first", file=str(path))
    return path
