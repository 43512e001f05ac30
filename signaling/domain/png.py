"""A PNG encoder for RGB pixels: zlib does the work (no imaging library needed)."""

from __future__ import annotations

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def encode_png(pixels: bytes | memoryview, *, width: int, height: int, stride: int) -> bytes:
    """Encode 8-bit RGB rows (``stride`` bytes apart) as a PNG file."""
    row_bytes = width * 3
    view = memoryview(pixels)
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter type: none
        raw += view[y * stride : y * stride + row_bytes]
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(bytes(raw), 6))
        + _chunk(b"IEND", b"")
    )
