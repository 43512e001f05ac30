"""Serving a recording's files: the right type, byte ranges for seeking, cache headers.

Live playlists change every segment (``no-cache``); segments, init segments and the
finished MP4 never change once written (``immutable``). Files of private recordings are
cached by the member's browser only (``private``).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from streaming.domain.ranges import parse_range
from streaming.services.paths import content_type

IMMUTABLE = "max-age=31536000, immutable"
CHUNK_BYTES = 256 * 1024


class _Window:
    """A read-only view of ``length`` bytes of an open file, for a 206 answer."""

    def __init__(self, handle: BinaryIO, first: int, length: int) -> None:
        handle.seek(first)
        self._handle = handle
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._handle.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._handle.close()


def cache_control(path: Path, *, public: bool) -> str:
    """``no-cache`` for playlists; a year and immutable for the rest; ``private`` if private."""
    scope = "public" if public else "private"
    if path.suffix == ".m3u8":
        return f"{scope}, no-cache"
    return f"{scope}, {IMMUTABLE}"


def serve_file(
    request: HttpRequest,
    path: Path,
    *,
    public: bool,
    download_name: str = "",
    cache: str = "",
) -> HttpResponseBase:
    """The file at ``path`` (404 when absent), honouring a ``Range`` header."""
    try:
        handle = path.open("rb")
        size = path.stat().st_size
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise Http404("no such file") from exc
    wanted = parse_range(request.headers.get("Range", ""), size)
    response: HttpResponseBase
    if wanted is not None and wanted[0] >= size:
        handle.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    elif wanted is not None:
        first, last = wanted
        window = FileResponse(
            _Window(handle, first, last - first + 1),
            status=206,
            content_type=content_type(path),
        )
        window.block_size = CHUNK_BYTES
        response = window
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    else:
        whole = FileResponse(handle, content_type=content_type(path))
        whole.block_size = CHUNK_BYTES
        response = whole
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = cache or cache_control(path, public=public)
    if download_name:
        response["Content-Disposition"] = content_disposition_header(True, download_name) or ""
    return response
