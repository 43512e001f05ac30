"""Real aiortc peers on loopback, the answerer's candidate replaced by the relay (issue 13)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, MediaStreamTrack

from mediaworker.ice import restore_host_addresses, use_host_addresses
from tests.impair import LOOPBACK, Impairment, first_candidate
from tests.impairment.conftest import RelayForAnswer


@pytest.fixture
def loopback_candidates() -> Iterator[None]:
    """Both peers offer only 127.0.0.1 (traffic stays on loopback)."""
    use_host_addresses([LOOPBACK], loopback=True)
    yield
    restore_host_addresses()


async def _count_frames(track: MediaStreamTrack, frames: list[int], enough: asyncio.Event) -> None:
    try:
        while True:
            await track.recv()
            frames[0] += 1
            if frames[0] >= 100:
                enough.set()
    except MediaStreamError:
        pass


async def test_audio_flows_through_two_percent_loss_and_150_ms(
    loopback_candidates: None, impaired_answer: RelayForAnswer
) -> None:
    link = Impairment(loss_percent=2, delay_ms=150)
    listener = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    speaker = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    frames = [0]
    enough = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []

    @listener.on("track")
    def on_track(track: MediaStreamTrack) -> None:
        tasks.append(asyncio.ensure_future(_count_frames(track, frames, enough)))

    try:
        listener.addTransceiver("audio", direction="recvonly")
        await listener.setLocalDescription(await listener.createOffer())
        await speaker.setRemoteDescription(listener.localDescription)
        speaker.addTrack(AudioStreamTrack())
        await speaker.setLocalDescription(await speaker.createAnswer())
        real = first_candidate(speaker.localDescription.sdp)
        sdp, relay = await impaired_answer(speaker.localDescription.sdp, up=link, down=link)
        assert str(relay.address[1]) in sdp and f"{real[1]} typ" not in sdp
        await listener.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        await asyncio.wait_for(enough.wait(), 30)
    finally:
        await listener.close()
        await speaker.close()
        for task in tasks:
            task.cancel()
    assert frames[0] >= 100
    # Everything went through the relay: the listener's checks and DTLS up, media down.
    assert relay.up.counters.packets_forwarded > 0
    assert relay.down.counters.packets_forwarded > 50
