"""/healthz reports the database and the channel layer, on both layers."""

from __future__ import annotations

import os

import pytest
import redis
from django.test import Client

from tests.conftest import missing_service, redis_for_tests

TEST_REDIS_URL = redis_for_tests()


@pytest.mark.django_db
def test_healthz_answers_ok_with_the_configured_layer() -> None:
    response = Client().get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["channel_layer"]["ok"]
    expected = "RedisChannelLayer" if os.environ.get("REDIS_URL") else "InMemoryChannelLayer"
    assert body["channel_layer"]["detail"] == expected
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.fixture
def redis_url() -> str:
    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        missing_service(f"Redis at {TEST_REDIS_URL}")
    return TEST_REDIS_URL


@pytest.mark.services
@pytest.mark.django_db
def test_healthz_over_a_real_redis_layer(settings, redis_url: str) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    channel_layers.backends.clear()
    try:
        body = Client().get("/healthz").json()
    finally:
        channel_layers.backends.clear()
    assert body["channel_layer"] == {"ok": True, "detail": "RedisChannelLayer"}


@pytest.mark.django_db
def test_healthz_says_503_when_the_layer_is_down(settings) -> None:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # Nothing listens on port 1: the probe must fail, and say so.
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    channel_layers.backends.clear()
    try:
        response = Client().get("/healthz")
    finally:
        channel_layers.backends.clear()
    assert response.status_code == 503
    assert response.json()["channel_layer"]["ok"] is False
    assert response.json()["database"]["ok"] is True


@pytest.mark.services
async def test_the_redis_probe_is_answered_while_a_socket_waits_for_its_messages(
    settings, redis_url: str
) -> None:
    """Issue 10, the hostile pass: on Redis, /healthz said 503 whenever any WebSocket was
    open in the process. channels_redis lets one receive at a time read the process's
    messages and it reads only its own prefix's key, so a "healthz." probe waited behind
    a consumer's receive until that socket closed."""
    import asyncio

    from channels.layers import channel_layers, get_channel_layer

    from meet.health import _channel_layer_ok

    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url]},
        }
    }
    channel_layers.backends.clear()
    layer = get_channel_layer()
    assert layer is not None
    consumer = asyncio.ensure_future(layer.receive(await layer.new_channel()))
    try:
        await asyncio.sleep(0.2)  # the consumer's receive holds the process's read
        assert await _channel_layer_ok() == (True, "RedisChannelLayer")
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        await layer.flush()
        channel_layers.backends.clear()
