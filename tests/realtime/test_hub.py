"""The realtime core's fan-out: audiences, batching, and the fallback of a direct write."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from realtime import hub as hubs
from realtime.bus import Bus
from realtime.hub import HOSTS, MEMBERS, VIEWERS, Hub, Subscriber


class Socket:
    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send(self, message: dict[str, Any]) -> None:
        self.frames.append(message["text"])


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def joined(bus: Bus[Hub], *, host: bool) -> Socket:
    socket = Socket()
    member = Subscriber(peer="p", host=host, send=socket.send)
    await bus.join("g", member)
    await member.go_live()
    return socket


@pytest.fixture
async def bus() -> Any:
    made: Bus[Hub] = Bus("", hub=Hub, channel_prefix="test:")
    yield made
    await made.close()


async def test_each_audience_reaches_its_sockets(bus: Bus[Hub]) -> None:
    host, viewer = await joined(bus, host=True), await joined(bus, host=False)
    bus.publish("g", '"all"', audience=MEMBERS)
    bus.publish("g", '"hosts"', audience=HOSTS)
    bus.publish("g", '"viewers"', audience=VIEWERS)
    await settle()
    assert host.frames == ['"all"', '"hosts"']
    assert viewer.frames == ['"all"', '"viewers"']


async def test_without_batch_every_event_is_its_own_frame(bus: Bus[Hub]) -> None:
    viewer = await joined(bus, host=False)
    for number in range(3):
        bus.publish("g", str(number), lazy=True)
    await asyncio.sleep(hubs.LAZY_SECS + 0.1)
    assert viewer.frames == ["0", "1", "2"]


async def test_with_batch_events_that_wait_go_together() -> None:
    bus: Bus[Hub] = Bus(
        "", hub=lambda slug: Hub(slug, batch=lambda texts: "+".join(texts)), channel_prefix="t:"
    )
    try:
        member = await joined(bus, host=False)
        hub = bus.hub("g")
        assert hub is not None
        hub.post("a", "1")
        hub.post("a", "2")
        hub.post("A", "3")
        await settle()
        assert member.frames == ["1+2+3"]
    finally:
        await bus.close()


async def test_a_failing_direct_write_is_loud_and_the_frame_goes_through_asgi(
    bus: Bus[Hub], monkeypatch, caplog
) -> None:
    """Issue 11: a failed direct write was logged at debug level and the frame was lost."""
    socket = Socket()
    member = Subscriber(peer="p", host=False, send=socket.send)
    member.protocol = object()  # as if daphne's

    def broken(protocol: Any, frame: Any) -> bool:
        raise AttributeError("_tempDataLen")

    monkeypatch.setattr(hubs.prepared, "write_prepared", broken)
    await bus.join("g", member)
    await member.go_live()
    with caplog.at_level("ERROR", logger="realtime.hub"):
        bus.publish("g", '"one"')
        await settle()
        bus.publish("g", '"two"')
        await settle()
    assert socket.frames == ['"one"', '"two"']
    assert member.protocol is None  # the ASGI path from now on: logged once
    assert len([r for r in caplog.records if r.levelname == "ERROR"]) == 1


async def test_media_moved_tells_each_socket_first_and_the_pages_no_worker(
    bus: Bus[Hub],
) -> None:
    """Issue 14, item 5: each socket hears which worker died before its page hears the
    event (so its route is gone when the page offers again); the page never sees the id."""
    heard: list[tuple[str, int]] = []
    sockets = []

    def hearing(socket: Socket) -> Callable[[str], None]:
        return lambda worker: heard.append((worker, len(socket.frames)))

    for n in range(2):
        socket = Socket()
        sockets.append(socket)
        member = Subscriber(peer=f"p{n}", host=False, send=socket.send, on_moved=hearing(socket))
        await bus.join("g", member)
        await member.go_live()
    bus.publish("g", hubs.moved_event("media-7"))
    await settle()
    assert heard == [("media-7", 0), ("media-7", 0)]  # before anything was written
    assert [s.frames for s in sockets] == [[hubs.MOVED_FOR_BROWSERS]] * 2
