"""What a reader returns: raw records for :func:`geo.layers.validate`, plus what it skipped."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class Records:
    """Raw records of one file: the file's fields, ``lon``/``lat`` (WGS84 degrees) and ``_row``
    (where each record sits, e.g. "row 7"); ``skipped`` counts records left out, by reason;
    ``warnings`` are sentences for the person importing."""

    raw: pd.DataFrame
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
