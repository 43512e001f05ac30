"""Watching a broadcast over WebRTC through the watch socket, on both channel layers.

A real media worker (on the settings' channel layer), a real aiortc presenter in the
room, and a real aiortc viewer whose offer and answer travel through the watch socket
as the watch page's (static/js/watch/rtc.js): the viewer decodes the program.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcconfiguration import RTCBundlePolicy
from av import VideoFrame
from channels.layers import get_channel_layer
from django.contrib.auth.models import User

from mediaworker import ice
from mediaworker.wire import MEDIA_WORKER_CHANNEL, to_worker_recording
from mediaworker.worker import MediaWorker, patient_redis
from rooms.models import Room
from tests.broadcasts.helpers import Watcher
from tests.mediaworker.client import MediaClient
from tests.mediaworker.conftest import LOOPBACK_ONLY

pytestmark = pytest.mark.django_db(transaction=True)

PRESENTER = (176, 144)


@pytest.fixture
async def media(room: Room, clean: None, tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """A media worker on the settings' layer, with a presenter broadcasting in ``room``."""
    layer = patient_redis(get_channel_layer())
    worker = MediaWorker(layer, config=dataclasses.replace(LOOPBACK_ONLY, recordings_root=tmp_path))
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    presenter = MediaClient(layer, room=room.slug, peer="presenter", camera=PRESENTER)
    directory = tmp_path / uuid.uuid4().hex
    try:
        await presenter.join()
        start = to_worker_recording(
            room=room.slug,
            action="start",
            recording=directory.name,
            directory=str(directory),
            broadcast=True,
        )
        await layer.send(MEDIA_WORKER_CHANNEL, start)
        await presenter.wait_for(lambda: room.slug in worker.routers)
        await presenter.wait_for(lambda: worker.routers[room.slug].recorder is not None)
        yield worker
    finally:
        await presenter.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        ice.restore_host_addresses()


async def offer_through(watcher: Watcher, pc: RTCPeerConnection) -> dict[str, Any]:
    """The watch page's offer: one program video and three audio slots, receive-only."""
    pc.addTransceiver("video", direction="recvonly")
    for _ in range(3):
        pc.addTransceiver("audio", direction="recvonly")
    await pc.setLocalDescription(await pc.createOffer())
    await watcher.send({"type": "rtc.offer", "sdp": pc.localDescription.sdp})
    while True:
        message = await watcher.receive()
        if message["type"] in ("rtc.answer", "rtc.error", "error"):
            return message


def viewer_pc() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


async def test_a_viewer_watches_the_program_over_webrtc(watch, media: MediaWorker) -> None:
    watcher = await watch()
    assert watcher.hello["ice_servers"] == []  # no TURN configured here
    pc = viewer_pc()
    try:
        answer = await offer_through(watcher, pc)
        assert answer["type"] == "rtc.answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        tracks = await watcher.receive_type("rtc.tracks")
        program = [t for t in tracks["tracks"] if t["slot"] == "program"]
        assert program[0]["peer"] == "presenter" and program[0]["source"] == "camera"
        video = next(t for t in pc.getTransceivers() if t.kind == "video").receiver.track
        frames = [await asyncio.wait_for(video.recv(), 10) for _ in range(5)]
        sizes = {(f.width, f.height) for f in frames if isinstance(f, VideoFrame)}
        assert sizes == {PRESENTER} and len(frames) == 5
        assert media.seats.taken == 1
    finally:
        await pc.close()
    await watcher.close()  # the consumer tells the worker the viewer left
    deadline = asyncio.get_running_loop().time() + 10
    while media.seats.taken and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.05)
    assert media.seats.taken == 0


async def test_the_worker_refuses_a_viewer_when_the_room_is_not_live(watch, room: Room) -> None:
    layer = patient_redis(get_channel_layer())
    worker = MediaWorker(layer, config=LOOPBACK_ONLY)
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    pc = viewer_pc()
    try:
        watcher = await watch()  # the page is open (the meeting is on), nobody broadcasts
        refused = await offer_through(watcher, pc)
        assert refused["type"] == "rtc.error" and refused["code"] == "not_live"
    finally:
        await pc.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        ice.restore_host_addresses()


async def test_rtc_messages_are_validated_and_limited(watch, host_user: User) -> None:
    viewer = await watch()
    await viewer.send({"type": "rtc.offer", "sdp": ""})
    assert (await viewer.receive_type("error"))["code"] == "bad_message"
    await viewer.send({"type": "rtc.offer", "sdp": 42})
    assert (await viewer.receive_type("error"))["code"] == "bad_message"
    await viewer.send({"type": "rtc.ice", "candidate": "candidate:1"})
    assert (await viewer.receive_type("error"))["code"] == "bad_message"
    await viewer.send({"type": "rtc.offer", "sdp": "v=0" + "x" * 70_000})
    assert (await viewer.receive_type("error"))["code"] == "too_long"
    # Each offer costs the worker a peer connection: three at once, then one per 5 s.
    for _ in range(3):
        await viewer.send({"type": "rtc.offer", "sdp": "v=0"})
    await viewer.send({"type": "rtc.offer", "sdp": "v=0"})
    limited = await viewer.receive_type("error")
    assert limited["code"] == "rate_limited"
    assert "giây" in limited["message"]

    panel = await watch(user=host_user, moderate=True)
    assert panel.hello["ice_servers"] == []
    await panel.send({"type": "rtc.offer", "sdp": "v=0"})
    assert (await panel.receive_type("error"))["code"] == "forbidden"


async def test_garbage_offers_through_the_watch_socket_hold_no_seat(
    watch, media: MediaWorker
) -> None:
    """Issue 10, row 6: two sockets sending ``"sdp": "garbage"`` filled two seats and
    real viewers got ``full``; garbage is refused and holds nothing."""
    media.seats.limit = 2
    for _ in range(2):
        attacker = await watch()
        await attacker.send({"type": "rtc.offer", "sdp": "garbage"})
        refused = await attacker.receive_type("rtc.error")
        assert refused["code"] == "bad_offer" and "Error" not in refused["message"]
    assert media.seats.taken == 0
    pcs = [viewer_pc(), viewer_pc()]
    try:
        for pc in pcs:
            answer = await offer_through(await watch(), pc)
            assert answer["type"] == "rtc.answer", answer
        assert media.seats.taken == 2
    finally:
        await asyncio.gather(*(pc.close() for pc in pcs))


async def test_viewers_turn_credentials_are_short_lived(
    watch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10: TURN credentials handed to anonymous viewers lasted 24 h; a viewer's
    last ten minutes (``MEET_TURN_VIEWER_TTL_SECS``), enough to connect."""
    monkeypatch.setenv("MEET_TURN_URLS", "turn:turn.example.vn:3478")
    monkeypatch.setenv("MEET_TURN_SECRET", "s3cret")
    monkeypatch.delenv("MEET_TURN_VIEWER_TTL_SECS", raising=False)
    before = int(time.time())
    watcher = await watch()
    [turn] = watcher.hello["ice_servers"]
    expiry = int(turn["username"].split(":")[0])
    assert before + 600 <= expiry <= int(time.time()) + 600
