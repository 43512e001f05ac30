"""Link quality and weak-connection mode at the consumer (issue 13, items 4 and 6).

The media worker tells a member's consumer how that member's link is, through the real
channel layer as it does for "published" and "connection"; the room sees the level on
the participant, the person's own page the figures too. ``rtc.subscribe`` may carry
``video: false`` (weak-connection mode) and it reaches the worker as it is."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import get_channel_layer

from signaling.consumers import control
from signaling.models import Participant
from tests.signaling.live import Live, db, worker_messages

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def quick_announcements(monkeypatch: pytest.MonkeyPatch) -> None:
    """The room hears of a link at most every 0.3 s here (5 s in production)."""
    monkeypatch.setattr(control, "LINK_ANNOUNCE_SECS", 0.3)


async def reply_channel(live: Live) -> str:
    """The member's channel as the worker learns it: the reply address of its offer."""
    await live.send({"type": "rtc.offer", "sdp": "v=0\r\n"})
    sent = [m for m in await worker_messages() if m["type"] == "media.signal"]
    assert sent and sent[-1]["peer"] == live.peer
    await live.drain()  # what joining brought
    return str(sent[-1]["reply"])


async def tell(channel: str, peer: str, event: dict[str, Any]) -> None:
    """Send a ``media.event`` as the worker does."""
    await get_channel_layer().send(channel, {"type": "media.event", "peer": peer, "event": event})


def quality(level: str, **figures: Any) -> dict[str, Any]:
    return {"kind": "quality", "level": level, "loss": 0.0, "rtt_ms": 40, "kbps": 900, **figures}


async def test_the_room_sees_a_weak_link_and_the_person_the_figures(connect) -> None:
    host = await connect(role="host", name="Cô Lan")
    member = await connect(name="Thầy Minh")
    channel = await reply_channel(member)

    await tell(channel, member.peer, quality("poor", loss=0.05, rtt_ms=320, kbps=410))
    own = await member.expect("media.quality")
    assert own == {
        "type": "media.quality",
        "level": "poor",
        "loss": 0.05,
        "rtt_ms": 320,
        "kbps": 410,
    }
    update = await host.expect(
        "participant.updated", where=lambda m: m["participant"]["peer"] == member.peer
    )
    assert update["participant"]["link"] == "poor"
    row = await db(Participant.objects.get)(peer=member.peer)
    assert row.link == "poor"

    # A late joiner learns it from the welcome.
    late = await connect(name="Cô Hoa")
    links = {p["peer"]: p["link"] for p in late.welcome["participants"]}
    assert links[member.peer] == "poor"
    assert links[host.peer] == ""  # not measured yet

    # Better again: announced once more.
    await tell(channel, member.peer, quality("good"))
    update = await host.expect(
        "participant.updated", where=lambda m: m["participant"]["peer"] == member.peer
    )
    assert update["participant"]["link"] == "good"


async def test_the_same_level_twice_is_announced_once(connect) -> None:
    host = await connect(role="host")
    member = await connect()
    channel = await reply_channel(member)
    await host.drain()
    await tell(channel, member.peer, quality("fair"))
    await host.expect("participant.updated", where=lambda m: m["participant"]["link"] == "fair")
    await tell(channel, member.peer, quality("fair", loss=0.02))
    assert (await member.expect("media.quality"))["level"] == "fair"
    assert (await member.expect("media.quality"))["loss"] == 0.02
    await host.nothing(timeout=0.5)


async def test_a_flapping_link_is_announced_sparingly_and_ends_right(
    connect, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bad link flaps about once a second; the room must not get a write and a message
    for every flap, but must end with the latest level."""
    monkeypatch.setattr(control, "LINK_ANNOUNCE_SECS", 1.0)
    host = await connect(role="host")
    member = await connect()
    channel = await reply_channel(member)
    await host.drain()
    for level in ("poor", "good", "poor", "good", "fair"):
        await tell(channel, member.peer, quality(level))
    own = [(await member.expect("media.quality"))["level"] for _ in range(5)]
    assert own == ["poor", "good", "poor", "good", "fair"]  # the person: every word
    updates = [
        m["participant"]["link"]
        for m in await host.drain(timeout=1.5)
        if m["type"] == "participant.updated"
    ]
    assert updates == ["poor", "fair"]  # the room: the first at once, then the latest
    row = await db(Participant.objects.get)(peer=member.peer)
    assert row.link == "fair"


@pytest.mark.parametrize(
    "event",
    [
        {"kind": "quality", "level": "terrible"},
        {"kind": "quality", "level": None},
        {"kind": "quality"},
        {"kind": "quality", "level": ["poor"]},
    ],
)
async def test_a_quality_event_without_a_known_level_is_ignored(connect, event) -> None:
    host = await connect(role="host")
    member = await connect()
    channel = await reply_channel(member)
    await host.drain()
    await tell(channel, member.peer, event)
    await member.nothing(timeout=0.5)
    await host.nothing(timeout=0.3)
    row = await db(Participant.objects.get)(peer=member.peer)
    assert row.link == ""


async def test_figures_are_clamped_and_junk_is_dropped(connect) -> None:
    member = await connect()
    channel = await reply_channel(member)
    await tell(
        channel,
        member.peer,
        {"kind": "quality", "level": "poor", "loss": 7, "rtt_ms": "slow", "kbps": True},
    )
    own = await member.expect("media.quality")
    assert (own["loss"], own["rtt_ms"], own["kbps"]) == (1.0, None, None)


async def test_another_members_quality_is_not_taken_as_ours(connect) -> None:
    host = await connect(role="host")
    member = await connect()
    channel = await reply_channel(member)
    await tell(channel, host.peer, quality("poor"))
    await member.nothing(timeout=0.5)
    row = await db(Participant.objects.get)(peer=member.peer)
    assert row.link == ""


async def test_the_link_is_forgotten_when_the_person_leaves(connect) -> None:
    member = await connect()
    channel = await reply_channel(member)
    await tell(channel, member.peer, quality("poor"))
    await member.expect("media.quality")
    await member.close()
    row = await db(Participant.objects.get)(peer=member.peer)
    assert row.link == ""


async def test_weak_mode_subscribe_reaches_the_worker_as_it_is(connect) -> None:
    member = await connect()
    await member.send({"type": "rtc.subscribe", "peers": [], "video": False})
    await member.send({"type": "rtc.subscribe", "peers": ["abc"], "video": True})
    sent = [m["signal"] for m in await worker_messages() if m["type"] == "media.signal"]
    assert sent == [
        {"type": "rtc.subscribe", "peers": [], "video": False},
        {"type": "rtc.subscribe", "peers": ["abc"], "video": True},
    ]
    await member.send({"type": "rtc.subscribe", "peers": [], "video": "no"})
    error = await member.expect("error")
    assert error["field"] == "video"
