"""Refuse oversized uploads to live rooms from their headers, before Django reads them.

Django's ASGI handler receives a request's whole body (spooled to a temporary file past
``FILE_UPLOAD_MAX_MEMORY_SIZE``) before any view runs, so a view's own size check comes
after every byte was taken in. meet/asgi.py wraps the HTTP application with
``guard_uploads``: a POST to a room's file or slide upload must announce its length
(``Content-Length``; 411 otherwise), and a length over the limit is answered 413 at once.
The views check again (signaling/views.py), for servers that run them another way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from typing import Any

from django.conf import settings
from django.utils import translation

from signaling import conf
from signaling.errors import SignalingError

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

UPLOAD_PATH = re.compile(r"^/[^/]+/live/(files|slides)/$")
ENVELOPE_BYTES = 64 * 1024  # the multipart boundaries and headers around the file


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


def _language(scope: Scope) -> str:
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(_header(scope, b"cookie"))
    except Exception:  # a malformed cookie header: the default language
        return settings.LANGUAGE_CODE
    chosen = cookie.get(settings.LANGUAGE_COOKIE_NAME)
    supported = {code for code, _ in settings.LANGUAGES}
    return (
        chosen.value if chosen is not None and chosen.value in supported else settings.LANGUAGE_CODE
    )


def upload_refusal(scope: Scope) -> tuple[int, SignalingError] | None:
    """(status, error) for an upload that must not be read, or None."""
    if scope.get("type") != "http" or scope.get("method") != "POST":
        return None
    found = UPLOAD_PATH.match(str(scope.get("path", "")))
    if found is None:
        return None
    limit = conf.file_max_bytes() if found[1] == "files" else conf.slides_max_bytes()
    return length_refusal(_header(scope, b"content-length"), limit)


def length_refusal(content_length: str, limit: int) -> tuple[int, SignalingError] | None:
    """(status, error) when an upload's announced length is missing or over ``limit``."""
    try:
        length = int(content_length)
    except ValueError:
        return 411, SignalingError("length_required")
    if length > limit + ENVELOPE_BYTES:
        return 413, SignalingError("file_too_large", limit=limit)
    return None


async def _answer(send: Any, status: int, error: SignalingError, language: str) -> None:
    with translation.override(language):
        body = json.dumps({"code": error.code, "error": error.message}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),  # the unread body must not be taken as the next request
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def guard_uploads(app: ASGIApp) -> ASGIApp:
    """``app`` behind the upload size check (see the module's docstring)."""

    async def guarded(scope: Scope, receive: Any, send: Any) -> None:
        refusal = upload_refusal(scope)
        if refusal is None:
            await app(scope, receive, send)
            return
        await _answer(send, *refusal, _language(scope))

    return guarded
