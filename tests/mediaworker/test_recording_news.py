"""The worker tells the web side when a recording is finished (issue 11).

``recording.finished`` goes to ``RECORDINGS_CHANNEL`` once status.json says ``ready`` or
``failed``: after a stop (the recorder's thread) and for what a killed worker left
behind (``finalise_orphans`` at start). Losing the message never stops the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from channels.exceptions import ChannelFull
from channels.layers import InMemoryChannelLayer

from mediaworker import ice
from mediaworker.recording_news import RecordingNews
from mediaworker.wire import RECORDINGS_CHANNEL, recording_finished
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import RecordingStatus, write_status
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient
from tests.mediaworker.conftest import LOOPBACK_ONLY
from tests.mediaworker.test_recording import (
    H264,
    command,
    new_recording,
    ready,
    segments,
    wait_until,
)

RECEIVE_TIMEOUT_SECS = 30


async def test_a_stopped_recording_is_announced_ready_on_the_recordings_channel(
    participant: Callable[..., MediaClient], layer: Any, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("a", video_codec=H264)
    await presenter.join()
    directory = new_recording(tmp_path)
    await command(layer, "start", directory, broadcast=True)
    await wait_until(lambda: len(segments(RecordingPaths(directory))) >= 2)
    await command(layer, "stop", directory)
    message = await asyncio.wait_for(layer.receive(RECORDINGS_CHANNEL), RECEIVE_TIMEOUT_SECS)
    assert message == recording_finished(recording=directory.name, state="ready")
    final = ready(directory)
    assert final is not None and final.state == "ready"  # sent after status.json says so


async def test_a_recording_a_killed_worker_left_is_announced_when_finalised(
    tmp_path: Path,
) -> None:
    directory = new_recording(tmp_path)
    directory.mkdir()
    write_status(directory, RecordingStatus(state="recording"))  # and no segment at all
    layer = InMemoryChannelLayer()
    worker = MediaWorker(layer, config=dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path))
    task = asyncio.ensure_future(worker.run())
    try:
        message = await asyncio.wait_for(layer.receive(RECORDINGS_CHANNEL), RECEIVE_TIMEOUT_SECS)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        ice.restore_host_addresses()
    assert message == recording_finished(recording=directory.name, state="failed")


class FullLayer:
    """A layer whose every send fails, as a full channel does."""

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, channel: str, message: dict[str, Any]) -> None:
        self.tries += 1
        raise ChannelFull(channel)


async def test_a_full_channel_is_logged_and_the_worker_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    directory = new_recording(tmp_path)
    directory.mkdir()
    write_status(directory, RecordingStatus(state="ready"))
    layer = FullLayer()
    news = RecordingNews(layer)
    news.attach(asyncio.get_running_loop())
    with caplog.at_level(logging.WARNING, logger="mediaworker.recording_news"):
        thread = threading.Thread(target=news.finished, args=(directory,))  # as a recorder
        thread.start()
        thread.join()
        await wait_until(lambda: layer.tries == 1)
        await wait_until(lambda: "could not tell the web side" in caplog.text)
    assert directory.name in caplog.text


def test_a_closed_loop_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A recorder finishing after the worker's loop ended (the process is exiting)."""
    directory = new_recording(tmp_path)
    directory.mkdir()
    write_status(directory, RecordingStatus(state="failed"))
    news = RecordingNews(FullLayer())
    loop = asyncio.new_event_loop()
    news.attach(loop)
    loop.close()
    with caplog.at_level(logging.WARNING, logger="mediaworker.recording_news"):
        news.finished(directory)
    assert "cannot be told" in caplog.text


def test_an_unfinished_recording_is_not_announced(tmp_path: Path) -> None:
    directory = new_recording(tmp_path)
    directory.mkdir()
    write_status(directory, RecordingStatus(state="finalising"))
    layer = FullLayer()
    news = RecordingNews(layer)
    news.finished(directory)  # no loop needed: nothing is sent
    assert layer.tries == 0
