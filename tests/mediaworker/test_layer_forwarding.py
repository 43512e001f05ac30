"""The worker forwarding layers (issue 13): real aiortc participants, the real worker.

The publisher sends its camera twice, as media.js does: 320×180 on the camera m-line
and 160×90 on "camera-low". What a subscriber decodes tells which layer it got.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

from mediaworker.ice import restore_host_addresses, use_host_addresses
from mediaworker.worker import MediaWorker
from tests.impair import LOOPBACK, Impairment, UdpRelay
from tests.impairment.conftest import RelayForAnswer
from tests.mediaworker.client import MediaClient

HIGH, LOW = (320, 180), (160, 90)


def _latest(client: MediaClient, peer: str) -> tuple[int, int] | None:
    sizes = client.received[(peer, "camera")].sizes
    return sizes[-1] if sizes else None


async def _frames_at(client: MediaClient, peer: str, size: tuple[int, int], timeout: float) -> None:
    got = client.received[(peer, "camera")]
    before = len(got.sizes)
    await client.wait_for(lambda: got.sizes[before:].count(size) >= 3, timeout)


async def test_small_tiles_get_the_low_layer_and_large_ones_the_high(participant) -> None:
    a = participant("a", camera=HIGH, low_camera=LOW)
    b = participant("b", camera=None)
    await a.join()
    await b.join()
    await _frames_at(b, "a", HIGH, 20)  # the page has not said: every tile counts as large
    await b.subscribe([], large=[])
    await _frames_at(b, "a", LOW, 20)
    await b.subscribe([], large=["a"])
    await _frames_at(b, "a", HIGH, 20)
    assert b.slot_of("a", "camera") is not None  # one slot all along, never the layer's name
    assert b.slot_of("a", "camera-low") is None
    assert b.bandwidth == []  # nothing degraded: no notice


async def test_a_layer_nobody_receives_is_paused_at_the_publisher(participant) -> None:
    a = participant("a", camera=HIGH, low_camera=LOW)
    b = participant("b", camera=None)
    await a.join()
    await b.join()
    await b.subscribe([], large=[])
    await a.wait_for(
        lambda: bool(a.layer_requests) and a.layer_requests[-1].get("camera") is False, 15
    )
    assert a.layer_requests[-1]["camera-low"] is True
    await b.subscribe([], large=["a"])  # wanted again: turned on at once
    await a.wait_for(lambda: a.layer_requests[-1].get("camera") is True, 10)
    await _frames_at(b, "a", HIGH, 20)


async def test_the_weak_connection_mode_receives_no_camera_but_all_audio(participant) -> None:
    a = participant("a", camera=HIGH, low_camera=LOW, loud=True)
    b = participant("b", camera=None)
    await a.join()
    await b.join()
    await b.wait_for(b.receives(["a"]), 20)
    await b.subscribe([], video=False)
    await b.wait_for(lambda: b.slot_of("a", "camera") is None, 10)
    heard = b.frames_from("a", "mic")
    await b.wait_for(lambda: b.frames_from("a", "mic") >= heard + 50, 10)
    await b.subscribe([], video=True)
    await b.wait_for(lambda: b.slot_of("a", "camera") is not None, 10)


async def test_a_publisher_without_a_low_layer_is_forwarded_as_before(participant) -> None:
    a = participant("a", camera=HIGH)
    b = participant("b", camera=None)
    await a.join()
    await b.join()
    await b.subscribe([], large=[])
    await _frames_at(b, "a", HIGH, 20)
    assert a.layer_requests == []  # it does not understand rtc.layers: never paused


async def test_with_layers_off_every_subscriber_gets_the_high_layer_and_nothing_is_paused(
    participant, worker: MediaWorker
) -> None:
    """MEET_MEDIA_LAYERS=off (bench/weaklinks.py's comparison): the behaviour before
    issue 13, whatever the tile and the link."""
    worker.config = dataclasses.replace(worker.config, layers=False)  # before any room
    a = participant("a", camera=HIGH, low_camera=LOW)
    b = participant("b", camera=None)
    await a.join()
    await b.join()
    await b.subscribe([], large=[])  # a small tile: the low layer were the layers on
    await _frames_at(b, "a", HIGH, 20)
    await _frames_at(b, "a", HIGH, 20)  # still, well after the pause would have come
    assert a.layer_requests == []
    assert b.bandwidth == []


@pytest.fixture
def loopback_candidates() -> Iterator[None]:
    """Every peer of this process offers only 127.0.0.1 (traffic stays on loopback)."""
    use_host_addresses([LOOPBACK], loopback=True)
    yield
    restore_host_addresses()


async def test_a_narrowed_link_gets_the_low_layer_and_the_high_one_back(
    participant, impaired_answer: RelayForAnswer, loopback_candidates: None, worker: MediaWorker
) -> None:
    """Issue 13: down to the low layer when the link falls, and back up once it returns,
    also after the link stayed narrow long enough for several steps up to fail (their
    back-off is capped: it once grew to 30 s)."""
    down = Impairment()
    relays: list[UdpRelay] = []

    async def through(sdp: str) -> str:
        sdp, relay = await impaired_answer(sdp, down=down)
        relays.append(relay)
        return sdp

    a = participant("a", camera=HIGH, low_camera=LOW, noisy_camera=True)
    b = participant("b", camera=None, answer_through=through)
    await a.join()
    await b.join()
    await _frames_at(b, "a", HIGH, 30)
    down.rate_kbps = 250
    narrowed = time.monotonic()
    await _frames_at(b, "a", LOW, 30)
    print(f"\nlow layer {time.monotonic() - narrowed:.1f} s after the link narrowed")
    assert "reduced" in b.bandwidth
    link = worker.routers["r"].members["b"].link
    # Narrow long enough for steps up to fail twice (each failure sets the ceiling again).
    failed_at: list[float] = []

    def failed_twice() -> bool:
        if link._ceiling is not None and link._ceiling_since not in failed_at:
            failed_at.append(link._ceiling_since)
        return len(failed_at) >= 2

    await b.wait_for(failed_twice, 60)
    assert b.bandwidth[-1] != "ok"
    down.rate_kbps = None
    widened = time.monotonic()
    await _frames_at(b, "a", HIGH, 60)
    print(f"high layer {time.monotonic() - widened:.1f} s after the link widened")
    assert b.bandwidth[-1] == "ok"
    assert relays and relays[0].down.counters.packets_forwarded > 100


async def test_a_publishers_video_streams_share_one_bandwidth_estimate(participant) -> None:
    # Each REMB the worker sends a publisher speaks for all its video streams: a browser
    # takes every REMB as its whole uplink, so one per stream would starve the high layer.
    a = participant("a", camera=HIGH, low_camera=LOW)
    b = participant("b", camera=None)
    await a.join()
    rembs: list[tuple[int, list[int]]] = []
    for name in ("camera", "camera-low"):
        sender = a._publish[name].sender
        original = sender._handle_rtcp_packet

        async def spy(packet: Any, original: Any = original) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                rembs.append(unpack_remb_fci(packet.fci))
            await original(packet)

        sender._handle_rtcp_packet = spy
    await b.join()
    await a.wait_for(lambda: any(len(ssrcs) == 2 for _, ssrcs in rembs), 20)
    ssrcs = {a._publish[name].sender._ssrc for name in ("camera", "camera-low")}
    assert any(set(listed) == ssrcs for _, listed in rembs)


async def test_a_broadcast_viewer_on_a_narrow_link_gets_the_programs_low_layer(
    participant,
    layer,
    worker,
    tmp_path,
    impaired_answer: RelayForAnswer,
    loopback_candidates: None,
) -> None:
    from tests.mediaworker.test_recording import wait_until
    from tests.mediaworker.test_viewers import broadcast

    down = Impairment()

    async def through(sdp: str) -> str:
        return (await impaired_answer(sdp, down=down))[0]

    presenter = participant("p", camera=HIGH, low_camera=LOW, noisy_camera=True, loud=True)
    await presenter.join()
    await broadcast(layer, tmp_path)
    await wait_until(lambda: worker.routers["r"].recorder is not None)
    viewer = participant("v", viewer=True, answer_through=through)
    await viewer.join()
    await _frames_at(viewer, "p", HIGH, 30)
    down.rate_kbps = 250
    await _frames_at(viewer, "p", LOW, 60)
    assert viewer.bandwidth and viewer.bandwidth[-1] in ("reduced", "speaker")
    heard = viewer.frames_from("p", "mic")
    await viewer.wait_for(lambda: viewer.frames_from("p", "mic") > heard + 20, 20)


async def test_a_link_too_narrow_for_any_video_gets_audio_alone(
    participant, impaired_answer: RelayForAnswer, loopback_candidates: None
) -> None:
    down = Impairment()

    async def through(sdp: str) -> str:
        return (await impaired_answer(sdp, down=down))[0]

    a = participant("a", camera=HIGH, low_camera=LOW, noisy_camera=True, loud=True)
    b = participant("b", camera=None, answer_through=through)
    await a.join()
    await b.join()
    await _frames_at(b, "a", HIGH, 30)
    down.rate_kbps = 60
    await b.wait_for(lambda: "audio" in b.bandwidth, 30)
    assert b.slot_of("a", "camera") is None  # the page shows the name instead
    # And the video is stopped, not only unnamed: its frames stop (after what was queued).
    await asyncio.sleep(3)
    frames = b.frames_from("a")
    await asyncio.sleep(3)
    assert b.frames_from("a") == frames
