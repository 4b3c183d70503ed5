"""Citizen photos leave with pixels only (no EXIF, XMP, ICC, comments, text chunks), and damaged files or
metadata bombs are refused with a ValidationError (422), never another exception (500)."""

from __future__ import annotations

import functools
import io
import struct
import zlib

import pytest
from fastapi.testclient import TestClient
from PIL import Image, ImageCms, ImageStat
from PIL.PngImagePlugin import PngInfo

from geo.errors import ValidationError
from service.app import create_app
from service.auth import create_token
from service.photos import clean_photo
from service.settings import GeographySettings, Settings, StoreSettings
from tests.languages import ENGLISH

MAX_BYTES = 5 * 1024 * 1024
SECRETS = (b"SECRET-COMMENT", b"Storgatan", b"Exif", b"http://ns.adobe.com/xap", b"ICC_PROFILE", b"Photoshop",
           b"Kameran")
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:Description exif:GPSLatitude="56,40.4N"/></x:xmpmeta>'
JPEG_ALLOWED = {0xD8: "SOI", 0xE0: "APP0", 0xDB: "DQT", 0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2", 0xC4: "DHT",
                0xDD: "DRI", 0xDA: "SOS"}
PNG_METADATA = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"iCCP", b"tIME"}


# --- building the inputs ---------------------------------------------------------------------------------------

def gps_exif(orientation: int | None = None) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Kameran AB"
    exif[0x8825] = {1: "N", 2: (56.0, 40.0, 26.0), 3: "E", 4: (12.0, 51.0, 26.0)}  # GPS IFD
    if orientation:
        exif[0x0112] = orientation
    return exif.tobytes()


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def linear_rgb_icc() -> bytes:
    """An ICC v2 matrix profile with sRGB's primaries but gamma 1.0 (linear light): not sRGB."""
    def s15(x: float) -> bytes:
        return struct.pack(">i", round(x * 65536))

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)

    text = b"Linear RGB (test)\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(text)) + text + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curve = b"curv\0\0\0\0" + struct.pack(">I", 0)  # no entries: identity, gamma 1.0
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    offset = 128 + 4 + 12 * len(tags)
    table = body = b""
    for signature, data in tags:
        data += b"\0" * (-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (struct.pack(">I", offset + len(body)) + b"\0" * 4 + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + b"\0" * 12 + b"acsp" + b"\0" * 28 + s15(0.9642) + s15(1.0) + s15(0.8249))
    return header.ljust(128, b"\0") + struct.pack(">I", len(tags)) + table + body


def jpeg_segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_with_metadata(colour=(200, 100, 50), icc: bytes | None = None, orientation: int | None = None,
                       size=(64, 48)) -> bytes:
    """A JPEG with EXIF (GPS), XMP, an ICC profile, a comment and a Photoshop APP13 (IPTC) segment."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "JPEG", quality=95, exif=gps_exif(orientation), xmp=XMP,
                                        icc_profile=icc or srgb_icc(), comment=b"SECRET-COMMENT home=Storgatan 1")
    data = buffer.getvalue()
    iptc = b"\x1c\x02\x5a" + struct.pack(">H", 9) + b"Storgatan"  # IPTC city
    irb = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iptc)) + iptc + b"\0" * (len(iptc) % 2)
    app0_end = 4 + struct.unpack(">H", data[4:6])[0]
    data = data[:app0_end] + jpeg_segment(0xED, b"Photoshop 3.0\x00" + irb) + data[app0_end:]
    markers = {marker for marker, _ in jpeg_markers(data)}
    assert {0xE1, 0xE2, 0xED, 0xFE} <= markers, "the input must carry APP1, APP2, APP13 and COM"
    assert {"exif", "xmp", "icc_profile", "comment", "photoshop"} <= set(Image.open(io.BytesIO(data)).info)
    return data


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_metadata(colour=(128, 64, 32, 200)) -> bytes:
    info = PngInfo()
    info.add_text("Comment", "SECRET-COMMENT home=Storgatan 1")
    info.add_text("Author", "Storgatan 1, Halmstad", zip=True)
    info.add_itxt("XML:com.adobe.xmp", XMP.decode() + " http://ns.adobe.com/xap/1.0/", zip=False)
    info.add(b"tIME", struct.pack(">HBBBBB", 2020, 5, 15, 12, 0, 0))
    buffer = io.BytesIO()
    Image.new("RGBA", (40, 30), colour).save(buffer, "PNG", pnginfo=info, exif=gps_exif(),
                                             icc_profile=linear_rgb_icc())
    data = buffer.getvalue()
    assert PNG_METADATA <= set(png_chunks(data)), "the input must carry every metadata chunk"
    return data


def plain_png(size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 200, 30)).save(buffer, "PNG")
    return buffer.getvalue()


@functools.cache
def fifty_megabytes_deflated() -> bytes:
    return zlib.compress(b"\0" * 50_000_000, 9)


def png_with_text_bomb(kind: bytes, after_idat: bool = False) -> bytes:
    """A valid PNG plus a chunk whose compressed payload inflates to 50 MB (correct CRC)."""
    payload = {b"zTXt": b"Comment\0\0", b"iTXt": b"Comment\0\x01\x00sv\0\0",
               b"iCCP": b"icc\0\0"}[kind] + fifty_megabytes_deflated()
    png = plain_png()
    at = len(png) - 12 if after_idat else 8 + 25  # before IEND, or right after IHDR
    return png[:at] + png_chunk(kind, payload) + png[at:]


# --- reading the outputs ---------------------------------------------------------------------------------------

def jpeg_markers(data: bytes) -> list[tuple[int, bytes]]:
    """(marker, payload) of every segment from SOI up to and including SOS."""
    assert data[:2] == b"\xff\xd8"
    markers, pos = [(0xD8, b"")], 2
    while True:
        assert data[pos] == 0xFF, f"no marker at byte {pos}"
        while data[pos] == 0xFF:
            pos += 1
        marker = data[pos]
        pos += 1
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            markers.append((marker, b""))
            continue
        length = struct.unpack(">H", data[pos:pos + 2])[0]
        markers.append((marker, data[pos + 2:pos + length]))
        pos += length
        if marker == 0xDA:
            return markers


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, kinds = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        kinds.append(kind)
        pos += 12 + length
    return kinds


def assert_clean_jpeg(data: bytes) -> None:
    markers = jpeg_markers(data)
    unexpected = [f"0xFF{marker:02X}" for marker, _ in markers if marker not in JPEG_ALLOWED]
    assert not unexpected, f"metadata segments left in the JPEG: {unexpected}"
    assert all(payload.startswith(b"JFIF\x00") for marker, payload in markers if marker == 0xE0)
    assert data.endswith(b"\xff\xd9")
    for secret in SECRETS:
        assert secret not in data, secret
    assert not Image.open(io.BytesIO(data)).info.keys() - {"jfif", "jfif_version", "jfif_unit", "jfif_density",
                                                           "dpi"}


def mean(data: bytes) -> list[float]:
    return ImageStat.Stat(Image.open(io.BytesIO(data))).mean


# --- tests -----------------------------------------------------------------------------------------------------

def test_a_jpeg_leaves_without_exif_xmp_icc_comment_or_app13():
    media_type, out = clean_photo(jpeg_with_metadata(), MAX_BYTES)
    assert media_type == "image/jpeg"
    assert_clean_jpeg(out)
    assert Image.open(io.BytesIO(out)).size == (64, 48)
    assert mean(out) == pytest.approx([200, 100, 50], abs=3)


def test_a_jpeg_in_another_colour_space_is_converted_to_srgb_before_its_profile_is_dropped():
    media_type, out = clean_photo(jpeg_with_metadata(colour=(128, 64, 32), icc=linear_rgb_icc()), MAX_BYTES)
    assert_clean_jpeg(out)
    assert mean(out) == pytest.approx([188, 137, 99], abs=4), "linear (128, 64, 32) is sRGB (188, 137, 99)"


def test_a_jpeg_is_still_turned_upright():
    _, out = clean_photo(jpeg_with_metadata(orientation=6), MAX_BYTES)
    assert_clean_jpeg(out)
    assert Image.open(io.BytesIO(out)).size == (48, 64)


def test_a_png_leaves_without_text_exif_icc_or_time_chunks():
    media_type, out = clean_photo(png_with_metadata(), MAX_BYTES)
    assert media_type == "image/png"
    kinds = png_chunks(out)
    assert not PNG_METADATA & set(kinds), kinds
    assert set(kinds) <= {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"}, kinds
    for secret in SECRETS:
        assert secret not in out, secret
    image = Image.open(io.BytesIO(out))
    assert image.size == (40, 30) and image.mode == "RGBA" and not image.info.keys() - {"dpi"}
    assert mean(out) == pytest.approx([188, 137, 99, 200], abs=1), "converted from linear RGB, alpha kept"


def test_a_palette_png_with_transparency_keeps_its_transparent_pixels():
    image = Image.new("P", (10, 10), 1)
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.putpixel((0, 0), 0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)
    _, out = clean_photo(buffer.getvalue(), MAX_BYTES)
    cleaned = Image.open(io.BytesIO(out)).convert("RGBA")
    assert cleaned.getpixel((0, 0))[3] == 0 and cleaned.getpixel((5, 5)) == (255, 0, 0, 255)


@pytest.mark.parametrize("kind, after_idat", [(b"zTXt", False), (b"zTXt", True), (b"iTXt", False),
                                              (b"iTXt", True), (b"iCCP", False)])
def test_a_text_chunk_inflating_to_50_mb_is_refused_as_invalid(kind, after_idat):
    data = png_with_text_bomb(kind, after_idat)
    assert len(data) < 100_000
    with pytest.raises(ValidationError) as refused:
        clean_photo(data, MAX_BYTES)
    assert refused.value.field == "photo" and "metadata" in refused.value.message


def broken_crc(png: bytes, kind: bytes) -> bytes:
    at = png.index(kind) - 4
    length = struct.unpack(">I", png[at:at + 4])[0]
    crc_at = at + 8 + length
    return png[:crc_at] + bytes(b ^ 0xFF for b in png[crc_at:crc_at + 4]) + png[crc_at + 4:]


def png_claiming(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 100))
            + png_chunk(b"IEND", b""))


@pytest.mark.parametrize("data", [
    pytest.param(jpeg_with_metadata()[:-400], id="truncated JPEG"),
    pytest.param(jpeg_with_metadata()[:300], id="JPEG cut in its header"),
    pytest.param(plain_png((64, 64))[:-30], id="truncated PNG"),
    pytest.param(plain_png()[:-12], id="PNG without IEND"),
    pytest.param(broken_crc(plain_png(), b"IHDR"), id="PNG with a bad IHDR CRC"),
    pytest.param(broken_crc(plain_png(), b"IDAT"), id="PNG with a bad IDAT CRC"),
    pytest.param(broken_crc(plain_png(), b"IEND"), id="PNG with a bad IEND CRC"),
    pytest.param(broken_crc(png_with_metadata(), b"tEXt"), id="PNG with a bad tEXt CRC"),
    pytest.param(png_claiming(30_000, 30_000), id="decompression bomb"),
    pytest.param(png_claiming(8_000, 6_000), id="over 40 megapixels"),
])
def test_damaged_files_and_bombs_are_refused_as_invalid(data):
    with pytest.raises(ValidationError) as refused:
        clean_photo(data, MAX_BYTES)
    assert refused.value.field == "photo"


# --- through the real API --------------------------------------------------------------------------------------

@pytest.fixture
def make_settings(tmp_path):
    def make(**geography) -> Settings:
        return Settings(store=StoreSettings(db=tmp_path / "t.sqlite"), geography=GeographySettings(**geography))
    return make


@pytest.fixture
def app(make_settings):
    return create_app(make_settings())


@pytest.fixture
def client(app):
    with TestClient(app, raise_server_exceptions=False, headers=ENGLISH) as test_client:
        yield test_client


STORA_TORG = {"category": "graffiti", "lat": "56.6744", "lon": "12.8578", "description": "x"}


def test_the_served_photo_carries_no_metadata(app, client):
    response = client.post("/api/reports", data=STORA_TORG,
                           files={"photo": ("klotter.jpg", jpeg_with_metadata(), "image/jpeg")})
    assert response.status_code == 201, response.text
    token = create_token(app.state.context.store, "municipality")
    photo = client.get(f"/api/reports/{response.json()['id']}/photo", headers={"Authorization": f"Bearer {token}"})
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert_clean_jpeg(photo.content)


def test_a_png_with_a_text_bomb_is_refused_with_422_not_500(client):
    response = client.post("/api/reports", data=STORA_TORG,
                           files={"photo": ("klotter.png", png_with_text_bomb(b"zTXt"), "image/png")})
    assert response.status_code == 422, response.text
    assert "photo" in response.json()["detail"]
