"""CSV formula injection: the one rule every CSV the project writes follows, and its inverse.

A spreadsheet (Excel, LibreOffice Calc, Google Sheets) opening a CSV file reads a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula, so a citizen's report
description such as ``=HYPERLINK("http://evil.example","klick")`` would become a live link (or
worse) on a planner's screen. OWASP's rule (https://owasp.org/www-community/attacks/CSV_Injection):
make sure no cell begins with one of those characters, by prepending a single quote ``'`` so the
cell is read as text.

:func:`neutralise` applies it to every text cell of a frame before it is written as CSV. To keep
export → import exact, a text cell that already starts with apostrophes followed by one of those
characters (``'=x``, ``''+1``) gets one more, so :func:`restore` — which the CSV reader applies —
can always take exactly one away again::

    =x  → '=x  → =x        '=x → ''=x → '=x        'hej → 'hej → 'hej        -5 (a number) → -5

Numbers and times are never touched (only object and pandas string columns are text); the rule
is vectorised with pandas' ``.str`` methods.
"""

from __future__ import annotations

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
"""The characters that make a spreadsheet read a cell as a formula when they come first (OWASP)."""

_TRIGGER_CLASS = r"[=+\-@\t\r]"
_NEEDS_QUOTE = "'*" + _TRIGGER_CLASS   # anchored at the start by str.match
_QUOTED = "'+" + _TRIGGER_CLASS


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` in which no text cell starts with ``= + - @``, tab or CR.

    Such a cell, and a cell made of one or more apostrophes followed by one of them, gets a
    leading ``'`` (undone by :func:`restore`). Only text columns (object or pandas string dtype)
    are looked at, and only their string cells; numbers, times and missing values are untouched.
    """
    out = frame.copy()
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        risky = _starts_with(values, _NEEDS_QUOTE)
        if risky is not None and risky.any():
            out.isetitem(position, values.mask(risky, "'" + values.where(risky, "")))
    return out


def restore(values: pd.Series) -> pd.Series:
    """``values`` with the apostrophe :func:`neutralise` added taken away again.

    One leading ``'`` is removed from a text cell when what follows it is ``= + - @``, tab or CR
    (after any further apostrophes); everything else is returned as it is.
    """
    quoted = _starts_with(values, _QUOTED)
    if quoted is None or not quoted.any():
        return values
    return values.mask(quoted, values.where(quoted, "").str.slice(1))


def _starts_with(values: pd.Series, pattern: str) -> pd.Series | None:
    """Which cells are strings matching ``pattern`` at their start; None for a column that is not text."""
    if not (values.dtype == object or isinstance(values.dtype, pd.StringDtype)):
        return None
    try:
        matches = values.str.match(pattern, na=False)
    except AttributeError:  # an object column holding no strings at all (booleans, None, ...)
        return None
    return matches.astype(bool)
