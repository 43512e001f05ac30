"""Public viewers of a broadcast over WebRTC, on the media worker (real aiortc peers).

A viewer is what the watch page sends through the watch socket (``viewer: true``):
receive-only, one program video slot and three audio slots. The worker admits viewers
only while the room broadcasts and up to its seats; the rest are refused with a code
(the page then plays HLS).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient, PatternTrack
from tests.mediaworker.conftest import LOOPBACK_ONLY
from tests.mediaworker.test_recording import command, new_recording, ready, wait_until

PRESENTER = (176, 144)
SCREEN = (320, 180)


async def broadcast(layer, tmp_path: Path, *, room: str = "r") -> Path:
    directory = new_recording(tmp_path)
    await command(layer, "start", directory, broadcast=True, room=room)
    return directory


def program_of(client: MediaClient) -> tuple[str, str] | None:
    """What the viewer's program slot carries now: (peer, source)."""
    for entry in client.slots.values():
        if entry["slot"] == "program":
            return (entry["peer"], entry["source"]) if entry["peer"] else None
    return None


async def test_a_viewer_receives_the_program_and_the_presenters_audio(
    participant, layer, worker: MediaWorker, tmp_path: Path
) -> None:
    presenter = participant("p", camera=PRESENTER, loud=True)
    await presenter.join()
    directory = await broadcast(layer, tmp_path)
    await wait_until(lambda: worker.routers["r"].recorder is not None)

    viewer = participant("v1", viewer=True)
    await viewer.join()
    assert viewer.codes == [] and viewer.errors == []
    await viewer.wait_for(lambda: viewer.receives(["p"], frames=10)())
    assert set(viewer.received[("p", "camera")].sizes) == {PRESENTER}
    assert program_of(viewer) == ("p", "camera")
    assert sorted(e["slot"] for e in viewer.slots.values()) == ["audio"] * 3 + ["program"]
    router = worker.routers["r"]
    assert "v1" in router.viewers and "v1" not in router.members
    assert worker.seats.taken == 1
    # Participants never see a viewer: no slot of theirs names it, no event was sent.
    other = participant("q")
    await other.join()
    await other.wait_for(lambda: other.frames_from("p") >= 3)
    assert all(entry["peer"] != "v1" for entry in other.slots.values())
    assert viewer.events == []

    # The shared screen becomes the program, switched at a keyframe.
    await presenter.publish("screen", PatternTrack(*SCREEN))
    # (The client labels frames by the slot's latest mapping, so the camera's last
    # frames before the keyframe count as the screen's: look at the newest ones.)
    screen = viewer.received[("p", "screen")]
    await viewer.wait_for(lambda: screen.sizes[-5:] == [SCREEN] * 5)
    assert program_of(viewer) == ("p", "screen")

    # The broadcast stops: the viewer hears it and its seat is free again.
    await command(layer, "stop", directory)
    await viewer.wait_for(lambda: viewer.ended)
    assert worker.seats.taken == 0 and router.viewers == {}
    await wait_until(lambda: ready(directory), timeout=30)


async def test_viewers_are_refused_when_nothing_is_broadcast(
    participant, layer, worker: MediaWorker, tmp_path: Path
) -> None:
    nobody = participant("v0", viewer=True, room="empty")
    await nobody.join()
    assert nobody.codes == ["not_live"]
    assert "empty" not in worker.routers  # a viewer never opens a room

    presenter = participant("p")
    await presenter.join()  # a meeting, not a broadcast
    early = participant("v1", viewer=True)
    await early.join()
    assert early.codes == ["not_live"]
    assert worker.seats.taken == 0

    directory = await broadcast(layer, tmp_path)
    await wait_until(lambda: worker.routers["r"].recorder is not None)
    await command(layer, "stop", directory)  # a plain recording is not a broadcast either
    private = new_recording(tmp_path)
    await command(layer, "start", private, broadcast=False)
    await wait_until(lambda: worker.routers["r"].recorder is not None)
    late = participant("v2", viewer=True)
    await late.join()
    assert late.codes == ["not_live"]
    await command(layer, "stop", private)


async def test_a_viewer_may_not_publish(participant, layer, worker, tmp_path: Path) -> None:
    presenter = participant("p")
    await presenter.join()
    await broadcast(layer, tmp_path)
    await wait_until(lambda: worker.routers["r"].recorder is not None)

    # The participants' offer (sendonly camera and microphone) sent as a viewer.
    sneaky = participant("v1", camera=PRESENTER, audio_slots=1, camera_slots=1, screen_slots=0)
    send = sneaky.send

    async def send_as_viewer(signal) -> None:
        sneaky.viewer = True
        try:
            await send(signal)
        finally:
            sneaky.viewer = False

    sneaky.send = send_as_viewer
    await sneaky.join()
    assert not sneaky._answered.is_set()
    assert sneaky.codes == ["viewer_offer"]
    assert worker.routers["r"].members.keys() == {"p"}

    greedy = participant("v2", viewer=True, audio_slots=8)
    await greedy.join()
    assert not greedy._answered.is_set()
    assert greedy.codes == ["viewer_offer"]


@pytest.fixture
async def small_worker(layer, tmp_path: Path) -> AsyncIterator[MediaWorker]:
    """A worker with two seats for viewers."""
    config = dataclasses.replace(LOOPBACK_ONLY, max_viewers=2, recordings_root=tmp_path)
    worker = MediaWorker(layer, config=config)
    task = asyncio.ensure_future(worker.run())
    await worker.ready.wait()
    yield worker
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_viewers_beyond_the_seats_are_refused_and_a_seat_frees_on_leave(
    layer, small_worker: MediaWorker, tmp_path: Path
) -> None:
    made: list[MediaClient] = []

    def make(peer: str, **options) -> MediaClient:
        made.append(MediaClient(layer, room="r", peer=peer, **options))
        return made[-1]

    try:
        presenter = make("p", camera=PRESENTER)
        await presenter.join()
        await broadcast(layer, tmp_path)
        await wait_until(lambda: small_worker.routers["r"].recorder is not None)
        first, second, third = (make(f"v{i}", viewer=True) for i in range(3))
        await first.join()
        await second.join()
        await third.join()
        assert (first.codes, second.codes, third.codes) == ([], [], ["full"])
        await second.wait_for(lambda: second.frames_from("p") >= 3)

        await first.close()  # the watch socket closed: the consumer sends "leave"
        await wait_until(lambda: small_worker.seats.taken == 1)
        again = make("v3", viewer=True)
        await again.join()
        assert again.codes == []
        await again.wait_for(lambda: again.frames_from("p") >= 3)
    finally:
        await asyncio.gather(*(c.close() for c in made), return_exceptions=True)
