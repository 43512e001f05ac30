"""Issue 10: oversized live-room uploads are refused from their headers, before the ASGI
server's Django handler takes their bodies in."""

from __future__ import annotations

import json
from typing import Any

import pytest
from channels.testing import HttpCommunicator
from django.core.asgi import get_asgi_application

from signaling.upload_guard import guard_uploads

pytestmark = pytest.mark.django_db(transaction=True)

HOST = (b"host", b"127.0.0.1")


def guarded_django() -> tuple[Any, list[str]]:
    """Django's ASGI application behind the guard, noting what reached Django."""
    django_app = get_asgi_application()
    reached: list[str] = []

    async def noted(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await django_app(scope, receive, send)

    return guard_uploads(noted), reached


@pytest.mark.parametrize("kind", ["files", "slides"])
async def test_an_oversized_upload_never_reaches_django(kind: str, settings) -> None:
    """Issue 10: the request body was read whole before the size check."""
    settings.MEET_LIVE_FILE_MAX_BYTES = settings.MEET_LIVE_SLIDES_MAX_BYTES = 1000
    app, reached = guarded_django()
    huge = HttpCommunicator(
        app, "POST", f"/phong-hop/live/{kind}/", headers=[(b"content-length", b"5000000000")]
    )
    answer = await huge.get_response()
    assert answer["status"] == 413
    said = json.loads(answer["body"])
    assert said["code"] == "file_too_large" and "giới hạn" in said["error"]
    unsized = HttpCommunicator(app, "POST", f"/phong-hop/live/{kind}/")
    assert (await unsized.get_response())["status"] == 411
    assert reached == []


async def test_other_requests_pass_through(settings) -> None:
    """Issue 10: the guard stops only oversized uploads; a small one reaches the view."""
    settings.MEET_LIVE_FILE_MAX_BYTES = 1000
    app, reached = guarded_django()
    small = HttpCommunicator(
        app, "POST", "/phong-hop/live/files/", body=b"x", headers=[HOST, (b"content-length", b"1")]
    )
    assert (await small.get_response(timeout=10))["status"] == 403  # Django: no CSRF token
    page = HttpCommunicator(app, "GET", "/phong-hop/live/files/", headers=[HOST])
    assert (await page.get_response(timeout=10))["status"] == 405
    assert reached == ["/phong-hop/live/files/", "/phong-hop/live/files/"]
