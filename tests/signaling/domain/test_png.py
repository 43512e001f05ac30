"""The PNG encoder used for slide pages."""

from __future__ import annotations

import struct
import zlib

from signaling.domain.png import encode_png


def test_png_round_trip() -> None:
    width, height, stride = 3, 2, 12  # rows padded to 12 bytes
    rows = [bytes([255, 0, 0, 0, 255, 0, 0, 0, 255]) + b"PAD", bytes(range(9)) + b"PAD"]
    png = encode_png(b"".join(rows), width=width, height=height, stride=stride)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    length = struct.unpack(">I", png[8:12])[0]
    assert png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (width, height)
    idat_at = 8 + 12 + length
    idat_len = struct.unpack(">I", png[idat_at : idat_at + 4])[0]
    raw = zlib.decompress(png[idat_at + 8 : idat_at + 8 + idat_len])
    assert raw == b"\x00" + rows[0][:9] + b"\x00" + rows[1][:9]
    assert png.endswith(b"IEND\xaeB`\x82")
