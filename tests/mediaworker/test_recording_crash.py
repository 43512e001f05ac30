"""A media worker process killed mid-broadcast loses at most the fragment in progress.

The production shape (tests/mediaworker/test_redis_worker.py): Redis, ``meet media`` as
its own process. The process is SIGKILLed — no shutdown code runs — and what it left
on disk is checked with PyAV; a worker started afterwards finalises it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import av
import pytest

from bench.worker import SOLO_CHANNEL
from mediaworker.recording.playlist import read_playlist
from mediaworker.wire.layout import RecordingPaths
from mediaworker.wire.status import read_status
from tests.mediaworker.client import MediaClient
from tests.mediaworker.test_recording import (
    command,
    decode_segment,
    mp4_duration,
    new_recording,
    ready,
    segments,
    wait_until,
)
from tests.mediaworker.test_redis_worker import redis_layer, redis_url  # noqa: F401 - fixtures
from tests.mediaworker.workers import start_media_process, stop_media_process

pytestmark = pytest.mark.services


async def start_worker(url: str, root: Path) -> asyncio.subprocess.Process:
    """``meet media`` on the test Redis, writing recordings under ``root``."""
    return await start_media_process(url, MEET_RECORDINGS_DIR=str(root))


async def stop_worker(process: asyncio.subprocess.Process) -> None:
    await stop_media_process(process)


async def test_a_killed_worker_leaves_a_playable_recording_that_the_next_one_finalises(
    redis_url: str,  # noqa: F811 - the fixture
    redis_layer: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    process = await start_worker(redis_url, tmp_path)
    presenter = MediaClient(
        redis_layer,
        room="crash",
        peer="a",
        camera=(320, 240),
        loud=True,
        video_codec="video/H264",
        worker_channel=SOLO_CHANNEL,
    )
    directory = new_recording(tmp_path)
    paths = RecordingPaths(directory)
    try:
        await presenter.join()
        await presenter.wait_for(
            lambda: {"kind": "connection", "state": "connected"} in presenter.events
        )
        started = time.monotonic()
        await command(
            redis_layer, "start", directory, room="crash", broadcast=True, channel=SOLO_CHANNEL
        )
        await wait_until(lambda: len(segments(paths)) >= 4, timeout=30)
        await asyncio.sleep(0.5)  # kill in the middle of a segment
        process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await process.wait()
    finally:
        await presenter.close(leave=False)
        if process.returncode is None:
            process.kill()
            await process.wait()

    # What the killed worker left: a live playlist without an end, whole segments.
    status = read_status(directory)
    assert status is not None and status.state == "recording"
    playlist = read_playlist(paths.playlist)
    assert not playlist.ended and len(playlist.segments) >= 4
    target = max(seconds for _, seconds in playlist.segments)
    # Lost: the fragment in progress (and the wait for the first keyframe), no more.
    assert (killed - started) - playlist.duration < target + 0.5
    for segment in segments(paths):
        frames = decode_segment(paths, segment)
        assert frames and frames[0].key_frame
        assert {(f.width, f.height) for f in frames} == {(320, 240)}

    # The next worker finds it (its owner is gone) and finalises it.
    successor = await start_worker(redis_url, tmp_path)
    try:
        final = await wait_until(lambda: ready(directory), timeout=60)
    finally:
        await stop_worker(successor)
    assert final.state == "ready", final.error
    assert abs(mp4_duration(paths.mp4) - playlist.duration) < 1.0
    assert read_playlist(paths.playlist).ended
    with av.open(str(paths.mp4)) as container:
        assert {s.type for s in container.streams} == {"video", "audio"}
