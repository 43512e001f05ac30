"""A worker stopped while messages keep coming stops cleanly (mediaworker/worker.py).

Python 3.11's ``asyncio.wait_for`` returns normally when a cancellation meets a socket
write that has just finished; redis-py wraps each write in it, so channels_redis's
receive swallowed the worker's cancellation and read on. Stopped under traffic (a
spanning room's keep-alives, a join storm), the worker never closed its rooms and its
watchdog killed it after 20 s with status 70 (4 runs of 4 before the fix)."""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import pytest

from bench.worker import SOLO_CHANNEL
from mediaworker.pipe_wire import pipe_message
from mediaworker.worker import SHUTDOWN_GRACE_SECS
from tests.mediaworker.test_redis_worker import (  # noqa: F401 - the fixtures
    media_process,
    redis_layer,
    redis_url,
)
from tests.mediaworker.workers import STOP_MARGIN_SECS

pytestmark = pytest.mark.services

BATCH = 20  # messages sent at once: the worker's reads and writes overlap its stop


async def test_a_worker_stopped_while_its_channel_is_busy_closes_and_exits_cleanly(
    media_process: asyncio.subprocess.Process,  # noqa: F811
    redis_layer: Any,  # noqa: F811
) -> None:
    stopping = asyncio.Event()
    sent = 0

    async def flood() -> None:
        nonlocal sent
        word = pipe_message(
            "keyframe", room="r", worker="elsewhere", channel="media-worker.elsewhere", ssrc=1
        )
        while not stopping.is_set():
            try:
                await asyncio.gather(*(redis_layer.send(SOLO_CHANNEL, word) for _ in range(BATCH)))
                sent += BATCH
            except Exception:  # ChannelFull: the worker reads slower than this
                await asyncio.sleep(0.01)

    flooding = asyncio.ensure_future(flood())
    try:
        await asyncio.sleep(1.0)
        assert sent > 0 and media_process.returncode is None
        media_process.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(
            media_process.wait(), SHUTDOWN_GRACE_SECS + STOP_MARGIN_SECS
        )
    finally:
        stopping.set()
        await flooding
    assert status == 0, "the worker read on after its stop until its watchdog ended it"
