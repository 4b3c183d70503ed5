"""Citizen photos: JPEG or PNG checked by content, size-capped, re-encoded without EXIF/metadata."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from geo.errors import ValidationError

MAX_PIXELS = 40_000_000
_KINDS = {b"\xff\xd8\xff": ("JPEG", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("PNG", "image/png")}


def clean_photo(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """(media type, bytes) of the photo re-encoded without EXIF (GPS included) or text metadata,
    turned upright first. Raises :class:`ValidationError` for a file that is too large, not a
    JPEG/PNG by its content, damaged, or larger than 40 megapixels."""
    if len(data) > max_bytes:
        raise ValidationError(f"the photo is {len(data) / 1e6:.1f} MB; at most {max_bytes / 1e6:.1f} MB is accepted",
                              field="photo")
    kind = next((value for magic, value in _KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError("the photo must be a JPEG or PNG image", field="photo")
    fmt, media_type = kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError("the photo has too many pixels (at most 40 megapixels)", field="photo")
            image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError("the photo could not be read as an image", field="photo") from None
    upright = ImageOps.exif_transpose(image)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    upright.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))  # no exif=, no pnginfo=: metadata dropped
    return media_type, out.getvalue()
