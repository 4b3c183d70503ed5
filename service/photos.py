"""Citizen photos: JPEG or PNG checked by content, size-capped, re-encoded from their pixels alone.

Nothing but pixels is kept: no EXIF (GPS included), XMP, ICC profile, comment, APP13/IPTC or other
APPn segment in a JPEG (only the JFIF APP0), no tEXt/zTXt/iTXt/eXIf/iCCP/tIME chunk in a PNG.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from geo.errors import Message, ValidationError

MAX_PIXELS = 40_000_000
_KINDS = {b"\xff\xd8\xff": ("JPEG", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("PNG", "image/png")}
# What Pillow raises for a damaged or hostile file: truncation and bad CRCs (OSError, SyntaxError),
# text/ICC chunks inflating beyond PngImagePlugin.MAX_TEXT_CHUNK or MAX_TEXT_MEMORY (ValueError), ...
_UNREADABLE = (OSError, SyntaxError, EOFError, struct.error, IndexError, NotImplementedError, OverflowError)
_TOO_MANY_PIXELS = Message("the photo has too many pixels (at most 40 megapixels)")
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_IEND_CRC = struct.pack(">I", zlib.crc32(b"IEND"))
_PNG_MODES = ("1", "L", "LA", "RGB", "RGBA", "I", "I;16")
_PROFILE_MODES = {"RGB": ("RGB", "RGBA"), "CMYK": ("CMYK",), "GRAY": ("L",)}  # ICC colour space -> modes


def clean_photo(data: bytes, max_bytes: int) -> tuple[str, bytes]:
    """(media type, bytes) of the photo turned upright, converted to sRGB and re-encoded from its pixels
    only, so every metadata segment/chunk is dropped. Raises :class:`ValidationError` for a file that is
    too large, not a JPEG/PNG by its content, damaged (PNGs: every CRC), carrying metadata that inflates
    beyond Pillow's limits, or larger than 40 megapixels."""
    if len(data) > max_bytes:
        raise ValidationError(Message("the photo is {size} MB; at most {most} MB is accepted",
                                      size=round(len(data) / 1e6, 1), most=round(max_bytes / 1e6, 1)),
                              field="photo")
    kind = next((value for magic, value in _KINDS.items() if data.startswith(magic)), None)
    if kind is None:
        raise ValidationError(Message("the photo must be a JPEG or PNG image"), field="photo")
    fmt, media_type = kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if fmt == "PNG":
                _verify_png(data)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(_TOO_MANY_PIXELS, field="photo")
            image.load()
            image = _to_srgb(_fold_palette(ImageOps.exif_transpose(image)))
            if image.mode not in (("RGB", "L") if fmt == "JPEG" else _PNG_MODES):
                image = image.convert("RGB" if fmt == "JPEG" else "RGBA")
            pixels = _pixels_only(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ValidationError(_TOO_MANY_PIXELS, field="photo") from None
    except ValueError:
        raise ValidationError(Message("the photo could not be read as an image: it is damaged or its metadata "
                                      "inflates beyond the size allowed"), field="photo") from None
    except (UnidentifiedImageError, *_UNREADABLE):
        raise ValidationError(Message("the photo could not be read as an image: it is damaged or truncated"),
                              field="photo") from None
    out = io.BytesIO()
    pixels.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))  # nothing in info to fall back on
    return media_type, out.getvalue()


def _verify_png(data: bytes) -> None:
    """Check every chunk's CRC, IEND's included (Pillow's verify stops before it)."""
    stream = io.BytesIO(data)
    Image.open(stream).verify()
    if stream.read(4) != _IEND_CRC:
        raise SyntaxError("broken PNG file (bad checksum in IEND)")


def _to_srgb(image: Image.Image) -> Image.Image:
    """The image's pixels in sRGB when it embeds another ICC profile that fits its mode; as they are
    otherwise (no profile, sRGB already, or a profile that cannot be read or applied)."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in (ImageCms.getProfileDescription(profile) or "").lower():
            return image
        if image.mode not in _PROFILE_MODES.get(profile.profile.xcolor_space.strip().upper(), ()):
            return image
        return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGBA" if image.mode == "RGBA" else "RGB")
    except (OSError, ImageCms.PyCMSError, ValueError, TypeError):
        return image


def _fold_palette(image: Image.Image) -> Image.Image:
    """Palette images and tRNS transparency turned into plain RGB(A)/LA pixels, so nothing about the
    pixels lives in ``info`` or a palette (16-bit grey loses its tRNS key rather than be clipped to 8 bits)."""
    if image.mode in ("I", "I;16"):
        return image
    if "transparency" in image.info or image.mode == "PA":
        return image.convert("LA" if image.mode in ("1", "L") else "RGBA")
    return image.convert("RGB") if image.mode == "P" else image


def _pixels_only(image: Image.Image) -> Image.Image:
    """A fresh image holding only the pixels: its ``info`` is empty, so no encoder finds metadata."""
    fresh = Image.new(image.mode, image.size)
    fresh.paste(image, (0, 0))
    return fresh
