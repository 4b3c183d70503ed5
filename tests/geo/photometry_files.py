"""Writers of EULUMDAT and IES LM-63 file text for tests: a distribution I(C, γ) sampled on a grid."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Distribution = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""I(C, γ) in cd (or cd/klm) for C and γ in degrees, broadcast together."""



def eulumdat_text(distribution: Distribution, symmetry: int = 0, planes: int = 24,
                  gammas=np.arange(0, 181, 5.0), lumens: float = 1000.0, watts: float = 10.0) -> str:
    """An EULUMDAT file of ``distribution`` (cd/klm) on ``planes`` equidistant C-planes, storing
    the planes that ``symmetry`` (Isym 0–4) keeps, one value a line."""
    step = 360 / planes
    c_all = np.arange(planes) * step
    count = {0: planes, 1: 1, 2: planes // 2 + 1, 3: planes // 2 + 1, 4: planes // 4 + 1}[symmetry]
    stored = (270 if symmetry == 3 else 0) + np.arange(count) * step  # the planes the file holds
    header = ["Test company", "1", str(symmetry), str(planes), f"{step:g}", str(len(gammas)), "5", "report",
              "Test luminaire", "T-1", "test.ldt", "2026-11-25"] + ["100"] * 6 + ["0"] * 3 + ["100", "100", "1", "0"]
    lamps = ["1", "1", "LED", f"{lumens:g}", "3000", "80", f"{watts:g}"]
    values = distribution(stored[:, None] % 360, np.asarray(gammas)[None, :]).ravel()
    return "\n".join(header + lamps + ["0.5"] * 10 + [f"{c:g}" for c in c_all] + [f"{g:g}" for g in gammas]
                     + [f"{v:.6f}" for v in values]) + "\n"


def ies_text(distribution: Distribution, horizontals, verticals=np.arange(0, 181, 5.0), lamps: int = 1,
             lumens_per_lamp: float = 1000.0, multiplier: float = 1.0, kind: int = 1, tilt: str = "NONE",
             watts: float = 12.0, per_line: int = 7) -> str:
    """An LM-63-2002 file of ``distribution`` (absolute cd) at the given angles, its numbers
    spread ``per_line`` to a line, separated by commas and spaces by turns."""
    horizontals, verticals = np.asarray(horizontals, dtype=float), np.asarray(verticals, dtype=float)
    candela = distribution(horizontals[:, None], verticals[None, :]).ravel() / multiplier
    numbers = ([lamps, lumens_per_lamp, multiplier, len(verticals), len(horizontals), kind, 2, 0.1, 0.2, 0.05,
                1.0, 1.0, watts] + list(verticals) + list(horizontals) + [round(v, 6) for v in candela])
    rows = [numbers[n:n + per_line] for n in range(0, len(numbers), per_line)]
    body = [(", " if n % 2 else "  ").join(f"{v:.10g}" for v in row) for n, row in enumerate(rows)]
    return "\n".join(["IESNA:LM-63-2002", "[TEST] T-1", "[MANUFAC] Test company", "[LUMINAIRE] Test luminaire",
                      f"TILT={tilt}"] + body) + "\n"


def lambertian(c: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """1000/π · cos γ below the horizontal, 0 above: 1000 lm downwards, the same in every C-plane."""
    return np.where(gamma <= 90, 1000 / np.pi * np.cos(np.radians(gamma)), 0.0) + 0 * c


def one_sided(c: np.ndarray, gamma: np.ndarray) -> np.ndarray:
    """Lambertian · (1 + 0.5 cos C): more light towards C0 than C180."""
    return lambertian(c, gamma) * (1 + 0.5 * np.cos(np.radians(c)))
