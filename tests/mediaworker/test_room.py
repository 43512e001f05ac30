"""A room on the media worker, with real aiortc participants over loopback.

The participants talk to the worker exactly as the consumer relays the browser:
wire messages on the channel layer (here the in-memory one, worker in-process).
"""

from __future__ import annotations

import asyncio
import time

from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient, PatternTrack

SIZES = {"a": (160, 120), "b": (176, 144), "c": (128, 96)}


async def test_three_participants_receive_each_others_video_and_audio(participant) -> None:
    clients = [participant(peer, camera=size) for peer, size in SIZES.items()]
    await asyncio.gather(*(c.join() for c in clients))
    for client in clients:
        others = [p for p in SIZES if p != client.peer]
        await client.wait_for(client.receives(others))
        for peer in others:
            assert set(client.received[(peer, "camera")].sizes) == {SIZES[peer]}
        assert client.frames_from(client.peer) == 0  # never its own media
        assert client.errors == []


async def test_screen_share_appears_and_disappears(participant) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    assert b.slot_of("a", "screen") is None

    await a.publish("screen", PatternTrack(320, 180))
    await b.wait_for(lambda: b.frames_from("a", "screen") >= 5)
    mid = b.slot_of("a", "screen")
    assert mid is not None and b.slots[mid]["slot"] == "screen"
    assert set(b.received[("a", "screen")].sizes) == {(320, 180)}
    assert b.slot_of("a", "camera") is not None  # the camera goes on beside it

    await a.publish("screen", None)
    await b.wait_for(lambda: b.slot_of("a", "screen") is None)
    assert b.slots[mid]["peer"] is None
    frames = b.frames_from("a", "screen")
    await asyncio.sleep(0.3)
    assert b.frames_from("a", "screen") == frames


async def test_late_joiner_receives_video_within_one_second(participant) -> None:
    a, b = participant("a"), participant("b", camera=(176, 144))
    await asyncio.gather(a.join(), b.join())
    await a.wait_for(lambda: a.frames_from("b") >= 10 and b.frames_from("a") >= 10)
    await asyncio.sleep(0.5)  # no keyframe pending from the first joins

    late = participant("late")
    await late.join()
    await late.wait_for(lambda: late.frames_from("a") and late.frames_from("b"), timeout=2)
    for peer in ("a", "b"):
        first = late.received[(peer, "camera")].first_at
        assert first is not None and first - late.joined_at < 1.0


async def test_camera_off_frees_the_slot_and_on_brings_it_back(participant) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    await a.publish("camera", None)
    await b.wait_for(lambda: b.slot_of("a", "camera") is None)
    assert {"kind": "published", "sources": ["mic"]} in a.events

    await a.publish("camera", PatternTrack(128, 96))
    await b.wait_for(lambda: (128, 96) in b.received[("a", "camera")].sizes)
    published = [e for e in a.events if e["kind"] == "published"]  # also "quality" events
    assert published[-1] == {"kind": "published", "sources": ["mic", "camera"]}


async def test_last_n_forwards_the_preferred_cameras(participant) -> None:
    a, b = participant("a"), participant("b", camera=(176, 144))
    viewer = participant("viewer", camera=None, mic=False, camera_slots=1, audio_slots=1)
    await asyncio.gather(a.join(), b.join())
    await viewer.join()
    await viewer.wait_for(lambda: viewer.slot_of("a", "camera") is not None)  # join order
    await viewer.subscribe(["b"])
    await viewer.wait_for(lambda: viewer.slot_of("b", "camera") is not None)
    await viewer.wait_for(lambda: viewer.frames_from("b") >= 3)
    assert viewer.slot_of("a", "camera") is None
    assert len(viewer.slots) == 3  # one camera, one audio and one screen slot


async def test_the_loudest_participant_becomes_the_speaker(participant) -> None:
    a = participant("a")
    b = participant("b", loud=True)
    viewer = participant("viewer", camera=None, camera_slots=1)
    await asyncio.gather(a.join(), b.join())
    await viewer.join()
    await viewer.wait_for(lambda: viewer.speaker == "b" and a.speaker == "b")
    # last-N follows the speaker: b's camera takes the viewer's only slot.
    await viewer.wait_for(lambda: viewer.slot_of("b", "camera") is not None)
    assert b.speaker == "b"


async def test_host_mutes_a_participant(participant) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a", "mic") >= 3)
    await b.control("mute_audio", target="a")  # the consumer checked b is a host
    await a.wait_for(lambda: a.muted == ["mic"])
    await b.wait_for(lambda: b.slot_of("a", "mic") is None)
    assert b.slot_of("a", "camera") is not None


async def test_leaving_empties_the_others_slots(participant, worker: MediaWorker) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    assert {"kind": "connection", "state": "connected"} in a.events
    await a.close()
    await b.wait_for(lambda: all(entry["peer"] is None for entry in b.slots.values()))
    assert set(worker.routers["r"].members) == {"b"}
    await b.close()
    await b.wait_for(lambda: "r" not in worker.routers)


async def test_rejoining_with_a_new_connection_keeps_the_room(participant) -> None:
    """Reconnection after a network drop: a new offer (new ICE credentials) from the
    same participant replaces its peer connection; the others keep their slots."""
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3 and a.frames_from("b") >= 3)
    old = a.pc
    assert old is not None
    await old.close()  # the network dropped; the participant never left
    before = (b.frames_from("a"), a.frames_from("b"))
    started = time.monotonic()
    await a.join()
    await a.wait_for(lambda: a.frames_from("b") > before[1] + 5)
    await b.wait_for(lambda: b.frames_from("a") > before[0] + 5)
    assert time.monotonic() - started < 3
    assert a.errors == [] and b.errors == []


async def test_a_bad_offer_is_answered_with_an_error(participant) -> None:
    a = participant("a")
    a.reply = await a.layer.new_channel()
    await a.join()  # a good connection first
    await a.send({"type": "rtc.offer", "sdp": "v=0\r\nnot sdp"})
    await a.wait_for(lambda: bool(a.errors))
    await a.send({"type": "rtc.bogus"})
    await a.wait_for(lambda: len(a.errors) == 2)
    assert a.codes == ["bad_offer", "unknown_type"]


async def test_closing_the_room_closes_every_connection(participant, worker: MediaWorker) -> None:
    a, b = participant("a"), participant("b")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(lambda: b.frames_from("a") >= 3)
    await a.control("close_room")
    await b.wait_for(lambda: "r" not in worker.routers)
    assert worker.registry.connections == set()
    assert isinstance(a, MediaClient)
