"""Issue 10: the room consumer tells the media worker each member's role.

The role comes from the verified join token, never from the browser; a host's
``mod.presenter`` reaches the worker too (mediaworker/wire.py), so only hosts and
presenters feed a broadcast or a recording.
"""

from __future__ import annotations

import pytest

from tests.signaling.live import worker_messages

pytestmark = pytest.mark.django_db(transaction=True)


async def test_each_signal_carries_the_role_of_the_join_token(connect) -> None:
    """Issue 10: the worker knew no roles; the consumer now passes the token's."""
    host, member, guest = await connect(role="host"), await connect(), await connect(role="guest")
    await worker_messages(timeout=0.1)
    for live in (host, member, guest):
        await live.send({"type": "rtc.offer", "sdp": "v=0\r\n", "tracks": []})
    sent = [m for m in await worker_messages() if m["type"] == "media.signal"]
    roles = {m["peer"]: m["role"] for m in sent}
    assert roles == {host.peer: "host", member.peer: "participant", guest.peer: "guest"}


async def test_making_a_presenter_tells_the_worker(connect) -> None:
    """Issue 10: a presenter feeds the broadcast; the worker hears who is one."""
    host, member = await connect(role="host"), await connect()
    await worker_messages(timeout=0.1)
    await host.send({"type": "mod.presenter", "peer": member.peer, "on": True})
    await host.expect("participant.updated", where=lambda m: m["participant"]["presenter"])
    await host.send({"type": "mod.presenter", "peer": member.peer, "on": False})
    await host.expect("participant.updated", where=lambda m: not m["participant"]["presenter"])
    control = [m for m in await worker_messages() if m["type"] == "media.control"]
    assert [(m["action"], m["target"]) for m in control] == [
        ("presenter_on", member.peer),
        ("presenter_off", member.peer),
    ]


async def test_a_presenter_placed_on_a_worker_anew_is_named_to_it(connect) -> None:
    """A worker that dies takes its presenters along (issue 14, item 5): the offer that
    places a presenter on a worker (the first, or the one after ``media.moved``) is
    followed by ``presenter_on``, so the new worker lets them feed the recording; later
    offers to the same worker, and hosts (known from their role), need none."""
    host, member = await connect(role="host"), await connect()
    await host.send({"type": "mod.presenter", "peer": member.peer, "on": True})
    await host.expect("participant.updated", where=lambda m: m["participant"]["presenter"])
    await worker_messages(timeout=0.1)
    for live in (member, member, host):
        await live.send({"type": "rtc.offer", "sdp": "v=0\r\n", "tracks": []})
    sent = [(m["type"], m["peer"], m.get("target")) for m in await worker_messages()]

    def of(peer: str) -> list[tuple[str, str | None]]:
        return [(kind, target) for kind, who, target in sent if who == peer]

    assert of(member.peer) == [
        ("media.signal", None),
        ("media.control", member.peer),
        ("media.signal", None),
    ]
    assert of(host.peer) == [("media.signal", None)]
