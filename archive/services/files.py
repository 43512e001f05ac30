"""Serving a recording's files: the right type, byte ranges for seeking, cache headers.

Playlists change every segment and are always revalidated (``no-cache``). Segments, init
segments and the finished MP4 never change once written, but a public one may be
withdrawn (an editor unpublishes the entry): shared caches keep it at most
``MEET_PUBLIC_MEDIA_MAX_AGE_SECS`` (default a minute) and then ask again, which costs a
304 (``ETag`` / ``Last-Modified``) while the file is still public and a 404 once it is
not. Files of private recordings are cached by the member's browser only (``private``,
``immutable``).
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date

from archive.domain.ranges import parse_range
from archive.services.paths import content_type

IMMUTABLE = "max-age=31536000, immutable"
CHUNK_BYTES = 256 * 1024
DEFAULT_PUBLIC_MAX_AGE_SECS = 60


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


def public_max_age_secs() -> int:
    """How long a shared cache may serve a public file without asking: at most this long
    after an entry is withdrawn, a CDN may still hand out its files."""
    seconds = getattr(settings, "MEET_PUBLIC_MEDIA_MAX_AGE_SECS", DEFAULT_PUBLIC_MAX_AGE_SECS)
    return max(0, int(seconds))


def cache_control(path: Path, *, public: bool) -> str:
    """``no-cache`` for playlists; a short max-age for other public files (they may be
    withdrawn); a year and immutable for a member's private files."""
    scope = "public" if public else "private"
    if path.suffix == ".m3u8":
        return f"{scope}, no-cache"
    if public:
        return f"public, max-age={public_max_age_secs()}"
    return f"private, {IMMUTABLE}"


def _not_modified(request: HttpRequest, size: int, mtime_ns: int, cache: str) -> HttpResponse:
    """A 304 (or 412) when the client's copy is current, else a response whose headers
    (ETag, Last-Modified, Cache-Control) the caller copies onto the file's answer."""
    headers = HttpResponse()
    headers["ETag"] = f'"{mtime_ns:x}-{size:x}"'
    headers["Last-Modified"] = http_date(mtime_ns // 1_000_000_000)
    headers["Cache-Control"] = cache
    answer = get_conditional_response(
        request, etag=headers["ETag"], last_modified=mtime_ns // 1_000_000_000, response=headers
    )
    return answer if answer is not None else headers


def serve_file(
    request: HttpRequest,
    path: Path,
    *,
    public: bool,
    download_name: str = "",
    cache: str = "",
) -> HttpResponseBase:
    """The file at ``path`` (404 when absent), honouring ``Range`` and conditional headers.

    Call it only after deciding the visitor may see the file: a 304 says "still yours".
    """
    cache = cache or cache_control(path, public=public)
    try:
        handle = path.open("rb")
        stat = path.stat()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
        raise Http404("no such file") from exc
    size = stat.st_size
    validators = _not_modified(request, size, stat.st_mtime_ns, cache)
    if validators.status_code != 200:
        handle.close()
        return validators
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
    for header in ("Cache-Control", "ETag", "Last-Modified"):
        response[header] = validators[header]
    if download_name:
        response["Content-Disposition"] = content_disposition_header(True, download_name) or ""
    return response
