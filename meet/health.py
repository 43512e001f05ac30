"""The health endpoint: is the database reachable, does the channel layer carry a message."""

from __future__ import annotations

import asyncio
import uuid

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

PROBE_TIMEOUT_SECS = 2.0


def _database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "not healthy", reported, not raised
        return False, type(exc).__name__
    return True, connection.vendor


async def _layer_roundtrip() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    # The default prefix, like every consumer's channel: channels_redis lets one receive
    # at a time read this process's messages, and it reads only the key of its own
    # prefix. A "healthz." channel waited behind any open socket's receive until that
    # socket closed, so /healthz said 503 on Redis whenever anyone was connected.
    channel = await layer.new_channel()
    token = uuid.uuid4().hex
    await layer.send(channel, {"type": "healthz.probe", "token": token})
    message = await asyncio.wait_for(layer.receive(channel), PROBE_TIMEOUT_SECS)
    if message.get("token") != token:
        raise RuntimeError("channel layer returned another message")
    return type(layer).__name__


async def _channel_layer_ok() -> tuple[bool, str]:
    try:
        return True, await _layer_roundtrip()
    except Exception as exc:  # reported in the JSON body, never a crash
        return False, type(exc).__name__


@never_cache
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    """Answer 200 with what works; 503 when the database or the channel layer does not."""
    db_ok, db_detail = await sync_to_async(_database_ok)()
    layer_ok, layer_detail = await _channel_layer_ok()
    healthy = db_ok and layer_ok
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "database": {"ok": db_ok, "detail": db_detail},
            "channel_layer": {"ok": layer_ok, "detail": layer_detail},
        },
        status=200 if healthy else 503,
    )
