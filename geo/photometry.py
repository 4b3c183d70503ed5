"""Photometric files: EULUMDAT (.ldt) and IES LM-63 (.ies) luminous intensity distributions.

Both are read into the C-γ system of EN 13032-1 (IES LM-63 "type C"): C-planes are half-planes
hinged on the luminaire's vertical axis, C measured counterclockwise seen from above, from C0
towards C90 (LM-63: "horizontal angles ... counterclockwise for Type C"); γ is the angle from
the luminaire's downward vertical (γ = 0 nadir, 90 horizontal, 180 zenith). Intensities are kept
in cd per 1000 lm of lamp flux (cd/klm), so a lamp of flux Φ (lm) and maintenance factor MF gives
I(C, γ) = table(C, γ) · Φ / 1000 · MF, and a ground point at height h below it
E = I · cos³γ / h².
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geo.errors import Message, ValidationError


_TYPES = {2: "B", 3: "A"}
_Fold = Callable[[NDArray[np.float64]], list[NDArray[np.float64]]]
_FOLDS: dict[int, _Fold] = {
    0: lambda c: [c],
    1: lambda c: [c],
    2: lambda c: [c, -c],
    3: lambda c: [c, 180 - c],
    4: lambda c: [c, -c, 180 - c, 180 + c],
}
"""EULUMDAT symmetry indicator -> the images of a C angle under the symmetry (rotational
symmetry keeps its single C0 plane)."""


@dataclass(frozen=True)
class Photometry:
    """A luminaire type's intensity table: ``cd_per_klm[c, g]`` in cd/klm at C-plane ``c_deg[c]``
    (strictly increasing, from 0 to below 360: the full circle, symmetries expanded) and
    ``gamma_deg[g]`` (strictly increasing, within 0–180). ``lumens`` is the file's lamp flux
    (lm) and ``watts`` the circuit power (W), each None when the file does not give it."""

    name: str
    c_deg: NDArray[np.float64]
    gamma_deg: NDArray[np.float64]
    cd_per_klm: NDArray[np.float64]
    lumens: float | None = None
    watts: float | None = None

    def intensity(self, c_deg: ArrayLike, gamma_deg: ArrayLike) -> NDArray[np.float64]:
        """cd/klm at C ``c_deg`` (any value, taken modulo 360) and ``gamma_deg`` (broadcast
        together): bilinear, linear between the two C-planes around C (C0 follows the last
        plane) and linear in γ; 0 outside the table's γ range."""
        c = np.mod(np.asarray(c_deg, dtype=float), 360.0)
        gamma = np.asarray(gamma_deg, dtype=float)
        c, gamma = np.broadcast_arrays(c, gamma)
        planes = np.append(self.c_deg, 360.0)
        i = np.clip(np.searchsorted(planes, c, side="right") - 1, 0, len(planes) - 2)
        u = (c - planes[i]) / np.diff(planes)[i]
        angles = self.gamma_deg
        j = np.clip(np.searchsorted(angles, gamma, side="right") - 1, 0, len(angles) - 2)
        v = (gamma - angles[j]) / np.diff(angles)[j]
        table = np.vstack([self.cd_per_klm, self.cd_per_klm[:1]]).ravel()
        width = len(angles)
        k = i * width + j
        value = ((1 - u) * ((1 - v) * table[k] + v * table[k + 1])
                 + u * ((1 - v) * table[k + width] + v * table[k + width + 1]))
        return np.where((gamma >= angles[0]) & (gamma <= angles[-1]), value, 0.0)


def luminaire_angles(dx: ArrayLike, dy: ArrayLike, dz: ArrayLike, azimuth_deg: ArrayLike = 0.0,
                     tilt_deg: ArrayLike = 0.0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(C, γ) in degrees, in the luminaire's photometric frame, of the direction from a luminaire
    to a point offset by ``dx`` east, ``dy`` north and ``dz`` up (m; dz < 0 below the lamp).

    ``azimuth_deg`` is the compass bearing (0 north, 90 east, clockwise) of the luminaire's C0
    half-plane. C runs counterclockwise seen from above, so C90 lies at bearing azimuth − 90 and
    C270 at azimuth + 90 (azimuth 0: C0 north, C90 west, C270 east). ``tilt_deg`` turns the
    luminaire about its C90–C270 axis, positive raising the C0 side: its nadir swings towards
    C0 (tilt 90: the old nadir is γ 90 on the C180 side). C is in [0, 360), γ in [0, 180].
    All arguments broadcast together.
    """
    bearing, tilt = np.radians(azimuth_deg), np.radians(tilt_deg)
    dx, dy, dz = (np.asarray(value, dtype=float) for value in (dx, dy, dz))
    along = dx * np.sin(bearing) + dy * np.cos(bearing)  # towards C0, horizontally
    across = dy * np.sin(bearing) - dx * np.cos(bearing)  # towards C90
    forward = np.cos(tilt) * along + np.sin(tilt) * dz  # towards the tilted C0
    up = np.cos(tilt) * dz - np.sin(tilt) * along  # along the tilted luminaire's upward axis
    gamma = np.degrees(np.arctan2(np.hypot(forward, across), -up))
    c = np.mod(np.degrees(np.arctan2(across, forward)), 360.0)
    return np.where(c < 360.0, c, 0.0), gamma


def read_photometry(path: str | Path) -> Photometry:
    """Read an EULUMDAT (.ldt) or IES LM-63 (.ies) file, by its suffix (any case)."""
    path = Path(path)
    readers = {".ldt": read_eulumdat, ".ies": read_ies}
    if path.suffix.lower() not in readers:
        raise ValidationError(Message("not a photometric file: expected .ldt (EULUMDAT) or .ies (IES LM-63)"),
                              file=str(path))
    return readers[path.suffix.lower()](path)


def read_photometry_folder(folder: str | Path) -> dict[str, Photometry]:
    """The photometric files of a folder by luminaire type: ``<type>.ldt`` or ``<type>.ies``
    (suffix in any case), one file per type; other files are left alone. Errors name the file."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValidationError(Message("not a folder of .ldt or .ies files"), file=str(folder))
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".ldt", ".ies"))
    stems = [p.stem for p in files]
    twice = sorted({stem for stem in stems if stems.count(stem) > 1})
    if twice:
        raise ValidationError(Message("two files for the luminaire type {kind!r}: keep one", kind=twice[0]),
                              file=str(folder))
    return {path.stem: read_photometry(path) for path in files}


def read_eulumdat(path: str | Path) -> Photometry:
    """Read an EULUMDAT (.ldt) file; errors name the file and the line.

    Isym 0–4 are expanded to the full circle; the stored C-planes are, as in the format, all
    (Isym 0), C0 (1), C0–C180 (2), C270–C0–C90 (3) and C0–C90 (4). Lamp sets are read as six
    lines each; ``lumens`` and ``watts`` are the first set's total lamp flux and wattage
    including ballast (alternative sets are ignored). Intensities are used as given in cd/klm.
    """
    path = Path(path)
    source = str(path)
    lines = _lines(path)
    cursor = 0

    def take(what: str, kind: type = float):
        nonlocal cursor
        if cursor >= len(lines):
            raise ValidationError(Message("the file ends before {what}", what=what),
                                  file=source, row=f"line {cursor + 1}")
        text = lines[cursor].strip()
        cursor += 1
        if kind is str:
            return text
        try:
            number = float(text.replace(",", "."))
        except ValueError:
            raise ValidationError(Message("expected {what} (a number), got {text!r}", what=what, text=text),
                                  file=source,
                                  row=f"line {cursor}") from None
        return int(number) if kind is int else number

    take("company", str)
    take("type indicator", int)
    symmetry = take("symmetry indicator", int)
    if symmetry not in _FOLDS:
        raise ValidationError(Message("unknown symmetry indicator {symmetry} (expected 0 to 4)", symmetry=symmetry),
                              file=source, row="line 3")
    planes = take("number of C-planes", int)
    take("distance between C-planes")
    count = take("number of intensities per C-plane", int)
    take("distance between intensities")
    if planes < 1 or count < 2 or (symmetry in (2, 3) and planes % 2) or (symmetry == 4 and planes % 4):
        raise ValidationError(Message("{planes} C-planes of {count} intensities do not fit symmetry {symmetry}",
                                      planes=planes, count=count, symmetry=symmetry),
                              file=source, row="line 4")
    for what in ("report number", "luminaire name", "luminaire number", "file name", "date"):
        take(what, str)
    for what in ("luminaire length", "luminaire width", "luminaire height", "luminous area length",
                 "luminous area width", "luminous height C0", "luminous height C90", "luminous height C180",
                 "luminous height C270", "downward flux fraction", "light output ratio", "conversion factor",
                 "tilt"):
        take(what)
    lamp_sets = take("number of lamp sets", int)
    lumens = watts = None
    for n in range(lamp_sets):
        take("number of lamps", int)
        take("type of lamps", str)
        flux = take("total luminous flux of lamps")
        take("colour temperature", str)
        take("colour rendering", str)
        wattage = take("wattage including ballast")
        if n == 0:
            lumens, watts = _known(flux), _known(wattage)
    numbers = _Numbers(lines, cursor, source, r"\s+")
    numbers.take(10, "a direct ratio")
    c_all, c_lines = numbers.take(planes, "a C angle")
    gammas, gamma_lines = numbers.take(count, "a γ angle")
    stored = {0: planes, 1: 1, 2: planes // 2 + 1, 3: planes // 2 + 1, 4: planes // 4 + 1}[symmetry]
    values, value_lines = numbers.take(stored * count, "an intensity")
    first = 3 * planes // 4 if symmetry == 3 else 0
    c_stored = c_all[(first + np.arange(stored)) % planes] if symmetry != 1 else np.zeros(1)
    ends = {0: (0.0, c_all[-1]), 1: (0.0, 0.0), 2: (0.0, 180.0), 3: (270.0, 90.0), 4: (0.0, 90.0)}[symmetry]
    if symmetry != 1 and (np.any(np.diff(c_all) <= 0) or c_all[-1] >= 360 or (c_stored[0], c_stored[-1]) != ends):
        raise ValidationError(Message("C angles must increase from C0 to below C360, the stored ones running from "
                                      "C{first} to C{last} for symmetry {symmetry}", first=ends[0], last=ends[1],
                                      symmetry=symmetry), file=source, row=f"line {c_lines[0]}")
    _check_table(gammas, gamma_lines, values, value_lines, source)
    c_deg, table = _expand(c_stored, values.reshape(stored, count), _FOLDS[symmetry])
    return Photometry(path.stem, c_deg, gammas, table, lumens, watts)


def read_ies(path: str | Path) -> Photometry:
    """Read an IES LM-63 (1986, 1991, 1995 or 2002) file of type C photometry; errors name the
    file and the line.

    Only ``TILT=NONE`` is read. Candela values (× the candela multiplier) become cd/klm of the
    rated lamp flux, lamps × lumens per lamp (``lumens``); the ballast factor is not applied.
    For absolute photometry (lumens per lamp -1) they become cd/klm of the luminaire's own flux,
    integrated over the sphere from the table as :meth:`Photometry.intensity` interpolates it
    (``lumens`` is that flux), so the lamp flux given with it must then be the luminaire's.
    Horizontal angles 0 (rotational symmetry), 0–90 (symmetric about C0–C180 and C90–C270),
    0–180 (about C0–C180), 90–270 (about C90–C270) and 0 to over 180 (no symmetry) are
    expanded to the full circle; vertical angles are γ from nadir, 0 outside their range.
    ``watts`` is the input watts.
    """
    path = Path(path)
    source = str(path)
    lines = _lines(path)
    tilt = next((n for n, line in enumerate(lines) if line.strip().upper().startswith("TILT=")), None)
    if tilt is None:
        raise ValidationError(Message("no TILT= line: not an IES LM-63 file"),
                              file=source, row=f"line {len(lines) + 1}")
    if lines[tilt].strip().upper() != "TILT=NONE":
        raise ValidationError(Message("{line!r} is not supported: only TILT=NONE (lamp output independent of tilt)",
                                      line=lines[tilt].strip()), file=source, row=f"line {tilt + 1}")
    numbers = _Numbers(lines, tilt + 1, source, r"[\s,]+")
    (lamps, lumens_per_lamp, multiplier, vertical, horizontal, kind, _units, _width, _length, _height,
     _ballast, _future, watts), header_lines = numbers.take(13, "a photometric header number")
    if not multiplier > 0:
        raise ValidationError(Message("candela multiplier {multiplier}: expected a positive number",
                                      multiplier=multiplier), file=source,
                              row=f"line {header_lines[2]}")
    if kind != 1:
        raise ValidationError(Message("photometric type {kind} is not supported (only type C, 1)",
                                      kind=_TYPES.get(kind, kind)),
                              file=source, row=f"line {header_lines[5]}")
    if vertical < 2 or horizontal < 1 or vertical != int(vertical) or horizontal != int(horizontal):
        raise ValidationError(Message("{vertical} vertical and {horizontal} horizontal angles: expected at least 2 "
                                      "and 1", vertical=vertical, horizontal=horizontal),
                              file=source, row=f"line {header_lines[3]}")
    gammas, gamma_lines = numbers.take(int(vertical), "a vertical angle")
    c_stored, c_lines = numbers.take(int(horizontal), "a horizontal angle")
    candela, candela_lines = numbers.take(int(vertical * horizontal), "a candela value")
    _check_table(gammas, gamma_lines, candela, candela_lines, source)
    fold = _ies_fold(c_stored, c_lines, source)
    c_deg, table = _expand(c_stored, candela.reshape(len(c_stored), -1) * multiplier, fold)
    lumens = _flux(c_deg, gammas, table) if lumens_per_lamp == -1 else lamps * lumens_per_lamp
    if not lumens > 0:
        raise ValidationError(Message("no light: {lamps} lamps of {lumens_per_lamp} lm giving {lumens} lm",
                                      lamps=lamps, lumens_per_lamp=lumens_per_lamp, lumens=lumens),
                              file=source, row=f"line {header_lines[0]}")
    return Photometry(path.stem, c_deg, gammas, table * 1000 / lumens, float(lumens), _known(watts))


def _ies_fold(c: NDArray[np.float64], lines: NDArray[np.int64], source: str) -> _Fold:
    """The symmetry that LM-63 horizontal angles ``c`` imply, or a ValidationError."""
    if np.any(np.diff(c) <= 0):
        bad = int(np.argmax(np.diff(c) <= 0)) + 1
        raise ValidationError(Message("horizontal angles must increase"), file=source, row=f"line {lines[bad]}")
    span = (c[0], c[-1])
    if span == (0.0, 0.0) or span == (0.0, 180.0) or span == (90.0, 270.0) or span == (0.0, 90.0):
        return _FOLDS[{0.0: 1, 180.0: 2, 270.0: 3, 90.0: 4}[c[-1]]]
    if c[0] == 0.0 and 180.0 < c[-1] <= 360.0:
        return _FOLDS[0]
    raise ValidationError(Message("horizontal angles from {first} to {last}: expected 0, 0–90, 0–180, 90–270 or "
                                  "0–360", first=c[0], last=c[-1]), file=source, row=f"line {lines[-1]}")


def _expand(c: NDArray[np.float64], rows: NDArray[np.float64],
            fold: _Fold) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The full-circle C angles (from 0, increasing, below 360) and rows from the stored planes
    ``c`` and their images under ``fold``."""
    images = np.round(np.mod(np.concatenate(fold(c)), 360.0), 6) % 360.0
    angles, first = np.unique(images, return_index=True)
    return angles, rows[first % len(c)]


def _flux(c_deg: NDArray[np.float64], gamma_deg: NDArray[np.float64], table: NDArray[np.float64]) -> float:
    """Luminous flux (lm) of a full-circle table in cd, interpolated as :meth:`Photometry.intensity`
    does: exact for linear pieces in C (trapezoids, periodic) and linear pieces in γ times sin γ."""
    c = np.radians(np.append(c_deg, 360.0))
    width = np.diff(c)
    c_weights = (width + np.roll(width, 1)) / 2
    a, b = np.radians(gamma_deg[:-1]), np.radians(gamma_deg[1:])
    ramp = (np.sin(b) - np.sin(a) - (b - a) * np.cos(b)) / (b - a)  # ∫ (γ-a)/(b-a)·sin γ over [a, b]
    g_weights = np.zeros(len(gamma_deg))
    g_weights[:-1] += np.cos(a) - np.cos(b) - ramp
    g_weights[1:] += ramp
    return float(c_weights @ table @ g_weights)


def _check_table(gammas: NDArray[np.float64], gamma_lines: NDArray[np.int64], values: NDArray[np.float64],
                 value_lines: NDArray[np.int64], source: str) -> None:
    """γ angles strictly increasing within 0–180 and intensities >= 0, or a ValidationError."""
    bad_gamma = np.flatnonzero((gammas < 0) | (gammas > 180) | (np.diff(gammas, prepend=-np.inf) <= 0))
    if len(bad_gamma):
        raise ValidationError(Message("γ (vertical) angles must increase from 0 to at most 180"), file=source,
                              row=f"line {gamma_lines[bad_gamma[0]]}")
    if (values < 0).any():
        raise ValidationError(Message("intensities must be >= 0"), file=source,
                              row=f"line {value_lines[np.argmax(values < 0)]}")


class _Numbers:
    """Numbers read in order from ``lines[start:]``, separated by the regular expression ``sep``
    (a decimal comma is read as a point when commas do not separate), each with its line number."""

    def __init__(self, lines: list[str], start: int, source: str, sep: str) -> None:
        self.tokens = [(token, n + 1) for n in range(start, len(lines))
                       for token in re.split(sep, lines[n].strip()) if token]
        self.end = len(lines) + 1
        self.source = source
        self.comma = "," not in sep
        self.cursor = 0

    def take(self, count: int, what: str) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
        """The next ``count`` numbers and their line numbers; a ValidationError names the line of
        the first that is not a number, or the line after the file's end."""
        chunk = self.tokens[self.cursor:self.cursor + count]
        self.cursor += count
        values = []
        for token, line in chunk:
            try:
                values.append(float(token.replace(",", ".") if self.comma else token))
            except ValueError:
                raise ValidationError(Message("expected {what} (a number), got {token!r}", what=what, token=token),
                                      file=self.source,
                                      row=f"line {line}") from None
        if len(chunk) < count:
            raise ValidationError(Message("the file ends before {what}", what=what),
                                  file=self.source, row=f"line {self.end}")
        return np.array(values, dtype=float), np.array([line for _, line in chunk], dtype=np.int64)


def _lines(path: Path) -> list[str]:
    """The file's lines, decoded as latin-1, or a ValidationError if it is missing."""
    try:
        return path.read_text(encoding="latin-1").splitlines()
    except FileNotFoundError:
        raise ValidationError(Message("file not found"), file=str(path)) from None


def _known(value: float) -> float | None:
    """A positive quantity from a file, or None (files write 0 or -1 for unknown)."""
    return float(value) if value > 0 else None
