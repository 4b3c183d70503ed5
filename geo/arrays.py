"""Small NumPy helpers shared by the geo modules."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def sum_by(index: ArrayLike, weights: ArrayLike, length: int) -> NDArray[np.float64]:
    """The sum of ``weights`` for each value 0..``length``-1 of ``index`` (at least ``length``
    long): :func:`numpy.bincount` with weights, but float64 also when there is nothing to sum (an
    empty ``index`` gives int64 zeros there)."""
    return np.bincount(index, weights=weights, minlength=length).astype(np.float64, copy=False)
