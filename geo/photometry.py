"""Photometric files: EULUMDAT (.ldt) luminous intensity distributions per luminaire type.

An EULUMDAT file gives intensities in cd per 1000 lm of lamp flux on C-planes (azimuth) and at
γ angles from the downward vertical. The lights layer does not record which way a luminaire
faces, so the distribution is averaged over the C-planes: I(γ) in cd/klm, used as
I(γ) = table(γ) · Φ / 1000 · MF for a lamp of flux Φ (lm) and maintenance factor MF.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from geo.errors import ValidationError

@dataclass(frozen=True)
class Photometry:
    """A luminaire type's intensity in cd/klm at ``gamma_deg`` (0 = straight down), averaged over azimuth."""

    name: str
    gamma_deg: NDArray[np.float64]
    cd_per_klm: NDArray[np.float64]

    def intensity(self, gamma_deg: NDArray[np.float64]) -> NDArray[np.float64]:
        """cd/klm at the given angles (linear interpolation; 0 beyond the table)."""
        return np.interp(gamma_deg, self.gamma_deg, self.cd_per_klm, right=0.0)


def read_eulumdat(path: str | Path) -> Photometry:
    """Read an EULUMDAT (.ldt) file; errors name the file and the line."""
    path = Path(path)
    source = str(path)
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except FileNotFoundError:
        raise ValidationError("file not found", file=source) from None
    cursor = 0

    def take(what: str, kind: type = float):
        nonlocal cursor
        if cursor >= len(lines):
            raise ValidationError(f"the file ends before {what}", file=source, row=f"line {cursor + 1}")
        text = lines[cursor].strip().replace(",", ".")
        cursor += 1
        try:
            return kind(float(text)) if kind is int else kind(text)
        except ValueError:
            raise ValidationError(f"expected {what} (a number), got {text!r}", file=source,
                                  row=f"line {cursor}") from None

    take("company", str)
    take("type indicator", int)
    symmetry = take("symmetry indicator", int)
    planes = take("number of C-planes", int)
    take("distance between C-planes")
    count = take("number of intensities per C-plane", int)
    take("distance between intensities")
    for what in ("report number", "luminaire name", "luminaire number", "file name", "date"):
        take(what, str)
    for what in ("luminaire length", "luminaire width", "luminaire height", "luminous area length",
                 "luminous area width", "luminous height C0", "luminous height C90", "luminous height C180",
                 "luminous height C270", "downward flux fraction", "light output ratio", "conversion factor",
                 "tilt"):
        take(what)
    lamp_sets = take("number of lamp sets", int)
    cursor += 6 * lamp_sets + 10  # lamp sets (6 lines each) and the 10 direct ratios
    if symmetry not in range(5) or planes < 1 or count < 2:
        raise ValidationError(f"unsupported symmetry {symmetry}, {planes} C-planes, {count} angles", file=source)
    cursor += planes  # the C angles: not needed once averaged over azimuth
    gammas = np.array([take("a γ angle") for _ in range(count)])
    stored = {0: planes, 1: 1, 2: planes // 2 + 1, 3: planes // 2 + 1, 4: planes // 4 + 1}[symmetry]
    values = np.array([take("an intensity") for _ in range(stored * count)]).reshape(stored, count)
    if (values < 0).any() or not np.all(np.diff(gammas) > 0):
        raise ValidationError("intensities must be >= 0 and γ angles increasing", file=source)
    return Photometry(name=path.stem, gamma_deg=gammas, cd_per_klm=values.mean(axis=0))
