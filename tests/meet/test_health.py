"""/healthz reports the database and the channel layer, on both layers."""

from __future__ import annotations

import os

import pytest
import redis
from django.test import Client

from tests.conftest import missing_service

TEST_REDIS_URL = os.environ.get("MEET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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
