"""The embedded default: the web process starts the media worker itself."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from channels.layers import get_channel_layer

from mediaworker import ice
from mediaworker.config import MAX_VIEWERS, MediaConfig, max_viewers, worker_mode
from mediaworker.wire import browser_ice_servers
from meet import media_worker
from meet.media_worker import with_media_worker
from tests.mediaworker.client import MediaClient


@pytest.mark.parametrize(
    ("environ", "mode"),
    [
        ({}, "inprocess"),
        ({"REDIS_URL": "redis://r:6379/0"}, "external"),
        ({"REDIS_URL": "redis://r:6379/0", "MEET_MEDIA_WORKER": "inprocess"}, "inprocess"),
        ({"MEET_MEDIA_WORKER": "External"}, "external"),
    ],
)
def test_worker_mode_follows_redis_unless_told(environ: dict[str, str], mode: str) -> None:
    assert worker_mode(environ) == mode


def test_worker_mode_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="MEET_MEDIA_WORKER"):
        worker_mode({"MEET_MEDIA_WORKER": "threads"})


def test_media_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEET_MEDIA_ICE_HOSTS", "203.0.113.7, 10.0.0.2")
    monkeypatch.setenv("MEET_MEDIA_ICE_LOOPBACK", "no")
    monkeypatch.setenv("MEET_MEDIA_STUN_URLS", "stun:stun.example.vn:3478")
    config = MediaConfig.from_env()
    assert config.ice_hosts == ("203.0.113.7", "10.0.0.2")
    assert config.ice_loopback is False
    servers = ice.rtc_configuration(config).iceServers
    assert servers is not None and servers[0].urls == ["stun:stun.example.vn:3478"]
    assert ice.rtc_configuration(MediaConfig()).iceServers == []  # no STUN by default


def test_max_viewers_is_read_and_checked() -> None:
    assert max_viewers({}) == MAX_VIEWERS
    assert max_viewers({"MEET_MEDIA_MAX_VIEWERS": " 0 "}) == 0  # WebRTC viewing off
    assert max_viewers({"MEET_MEDIA_MAX_VIEWERS": "500"}) == 500
    for bad in ("many", "-1", "2.5"):
        with pytest.raises(ValueError, match="MEET_MEDIA_MAX_VIEWERS"):
            max_viewers({"MEET_MEDIA_MAX_VIEWERS": bad})


def test_browser_ice_servers_are_none_by_default_and_coturn_rest_when_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("MEET_STUN_URLS", "MEET_TURN_URLS", "MEET_TURN_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert browser_ice_servers("p1") == []
    monkeypatch.setenv("MEET_TURN_URLS", "turn:turn.example.vn:3478?transport=udp")
    monkeypatch.setenv("MEET_TURN_SECRET", "s3cret")
    monkeypatch.setenv("MEET_TURN_TTL_SECS", "3600")
    [turn] = browser_ice_servers("p1", now=1_700_000_000)
    assert turn["username"] == "1700003600:p1"
    # openssl dgst -sha1 -hmac s3cret -binary | base64, as coturn (use-auth-secret) checks
    assert turn["credential"] == "sRnKAKhc1HjMGl/XEXXAspGuodA="


@pytest.fixture
async def started(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[list[dict[str, Any]]]:
    # In-process even when the suite runs with REDIS_URL (which defaults to "external").
    monkeypatch.setenv("MEET_MEDIA_WORKER", "inprocess")
    scopes: list[dict[str, Any]] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scopes.append(scope)

    wrapped = with_media_worker(app)
    await wrapped({"type": "http"}, None, None)
    await wrapped({"type": "websocket"}, None, None)
    yield scopes
    await media_worker.stop_in_process()
    ice.restore_host_addresses()


async def test_first_connection_starts_the_worker_once(
    monkeypatch: pytest.MonkeyPatch, started: list[dict[str, Any]]
) -> None:
    assert [s["type"] for s in started] == ["http", "websocket"]
    running = media_worker._in_process
    assert running is not None
    await running.ready.wait()
    assert media_worker.start_in_process() is running  # once
    # A participant on the same (default) layer reaches it.
    client = MediaClient(get_channel_layer(), room="embedded", peer="a")
    await client.join()
    await client.wait_for(lambda: {"kind": "connection", "state": "connected"} in client.events)
    await client.close()


async def test_external_mode_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEET_MEDIA_WORKER", "external")
    wrapped = with_media_worker(lambda scope, receive, send: _noop())
    await wrapped({"type": "http"}, None, None)
    assert media_worker._in_process is None


async def _noop() -> None:
    return None


def test_asgi_application_is_wrapped() -> None:
    from meet.asgi import application

    assert isinstance(application, with_media_worker)


def test_turn_credentials_last_ten_minutes_for_viewers_and_six_hours_for_participants(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 10: TURN credentials handed to anonymous viewers lasted 24 h."""
    for name in ("MEET_TURN_TTL_SECS", "MEET_TURN_VIEWER_TTL_SECS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MEET_TURN_URLS", "turn:turn.example.vn:3478")
    monkeypatch.setenv("MEET_TURN_SECRET", "s3cret")
    [viewer] = browser_ice_servers("w1", now=1_700_000_000, viewer=True)
    [participant] = browser_ice_servers("u:7", now=1_700_000_000)
    assert viewer["username"] == "1700000600:w1"
    assert participant["username"] == f"{1_700_000_000 + 6 * 3600}:u:7"
    monkeypatch.setenv("MEET_TURN_VIEWER_TTL_SECS", "120")
    [viewer] = browser_ice_servers("w1", now=1_700_000_000, viewer=True)
    assert viewer["username"] == "1700000120:w1"


def test_a_yes_no_variable_that_is_neither_stops_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker reads its yes/no variables itself (issue 11) as strictly as settings do."""
    monkeypatch.setenv("MEET_MEDIA_ICE_LOOPBACK", " On ")
    assert MediaConfig.from_env().ice_loopback is True
    monkeypatch.setenv("MEET_MEDIA_ICE_LOOPBACK", "")
    assert MediaConfig.from_env().ice_loopback is False
    monkeypatch.delenv("MEET_MEDIA_LAYERS", raising=False)
    assert MediaConfig.from_env().layers is True
    monkeypatch.setenv("MEET_MEDIA_LAYERS", "off")  # bench/weaklinks.py's comparison
    assert MediaConfig.from_env().layers is False
    monkeypatch.setenv("MEET_MEDIA_ICE_LOOPBACK", "maybe")
    with pytest.raises(ValueError, match="MEET_MEDIA_ICE_LOOPBACK"):
        MediaConfig.from_env()
