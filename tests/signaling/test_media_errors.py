"""Issue 10: the worker's errors reach the browser as a stable code and a sentence; the
exception text stays in the server's log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from channels.layers import get_channel_layer

from mediaworker.config import MediaConfig
from mediaworker.worker import MediaWorker
from tests.mediaworker.workers import running

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def media_worker(fresh_bus: None) -> AsyncIterator[MediaWorker]:
    """The real media worker on the settings' channel layer, as the embedded default runs it."""
    config = MediaConfig(ice_hosts=("127.0.0.1",), ice_loopback=True)
    async with running(MediaWorker(get_channel_layer(), config=config)) as worker:
        yield worker


async def test_a_failed_offer_is_answered_without_exception_text(
    connect: Callable[..., Any], media_worker: MediaWorker, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 10: ``rtc.error`` sent raw exception text to the browser."""
    live = await connect(name="Cô Lan")
    tracks = [{"mid": "0", "source": "mic", "active": True}]
    with caplog.at_level(logging.WARNING, logger="signaling.consumers"):
        await live.send({"type": "rtc.offer", "sdp": "v=0\r\ngarbage\r\n", "tracks": tracks})
        error = await live.expect("rtc.error", timeout=10)
    assert error == {
        "type": "rtc.error",
        "code": "media_failed",
        "message": "Không thiết lập được hình ảnh và âm thanh. Hãy tải lại trang để thử lại.",
    }
    assert any("media error" in record.getMessage() for record in caplog.records)
