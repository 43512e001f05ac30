"""Issue 10 (ASVS 5.0 V17): the media worker under malformed packets and messages.

Media: random and mutated datagrams up to 1,400 bytes — RTP, RTCP, SRTP-looking,
DTLS records, STUN messages and plain noise, made by hypothesis — are sent at the
worker's UDP ports of a live session (a real aiortc publisher and subscriber over
loopback). The worker must not crash, both connections must stay up and the
subscriber must keep decoding the publisher's frames.

Signaling: hypothesis-made wire messages (garbage JSON values, and well-formed
envelopes around garbage offers, candidates, track lists and recording commands) go
to ``MediaWorker.dispatch``; none may raise, and a participant joins afterwards.

The counts are printed (``-s``) for docs/security.md.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections import Counter
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mediaworker.forwarding import sockets
from mediaworker.peer import PeerSession
from mediaworker.worker import MediaWorker
from tests.mediaworker.client import MediaClient

MAX_DATAGRAM_BYTES = 1400
PACKETS_PER_FAMILY = 1500
MESSAGES = 1500


def examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` (or fewer, for small spaces) examples of ``strategy``, reproducibly."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(value: Any) -> None:
        found.append(value)

    collect()
    return found


def _flip(data: bytes, flips: list[int]) -> bytes:
    """``data`` with some bits flipped (a mutated packet)."""
    mutable = bytearray(data)
    for bit in flips:
        if mutable:
            position = bit % (len(mutable) * 8)
            mutable[position // 8] ^= 1 << (position % 8)
    return bytes(mutable)


def _mutated(base: st.SearchStrategy[bytes]) -> st.SearchStrategy[bytes]:
    return st.builds(_flip, base, st.lists(st.integers(0, 11_200), max_size=8))


def _rtp(ssrcs: list[int]) -> st.SearchStrategy[bytes]:
    header = st.builds(
        lambda first, marker_pt, seq, ts, ssrc: struct.pack(
            "!BBHII", first, marker_pt, seq, ts, ssrc
        ),
        st.integers(0x80, 0xBF),  # version 2, padding, extension, CSRC count
        st.integers(0, 255),
        st.integers(0, 0xFFFF),
        st.integers(0, 0xFFFFFFFF),
        st.sampled_from(ssrcs) | st.integers(0, 0xFFFFFFFF),
    )
    return st.builds(
        lambda head, body: (head + body)[:MAX_DATAGRAM_BYTES],
        header,
        st.binary(max_size=MAX_DATAGRAM_BYTES - 12),
    )


def _rtcp(ssrcs: list[int]) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda first, pt, words, ssrc, body: (struct.pack("!BBHI", first, pt, words, ssrc) + body)[
            :MAX_DATAGRAM_BYTES
        ],
        st.integers(0x80, 0xBF),
        st.integers(192, 223),  # SR, RR, SDES, BYE, APP, RTPFB, PSFB, XR…
        st.integers(0, 0xFFFF),
        st.sampled_from(ssrcs) | st.integers(0, 0xFFFFFFFF),
        st.binary(max_size=MAX_DATAGRAM_BYTES - 8),
    )


def _dtls() -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda kind, version, epoch_seq, body: (
            struct.pack("!BH", kind, version) + epoch_seq + struct.pack("!H", len(body)) + body
        )[:MAX_DATAGRAM_BYTES],
        st.integers(20, 26),  # change_cipher_spec, alert, handshake, application_data…
        st.sampled_from([0xFEFD, 0xFEFF, 0x0303]) | st.integers(0, 0xFFFF),
        st.binary(min_size=8, max_size=8),
        st.binary(max_size=MAX_DATAGRAM_BYTES - 13),
    )


def _stun() -> st.SearchStrategy[bytes]:
    attribute = st.builds(
        lambda kind, value: (
            struct.pack("!HH", kind, len(value)) + value + b"\0" * (-len(value) % 4)
        ),
        st.sampled_from([0x0006, 0x0008, 0x0020, 0x0024, 0x0025, 0x8028, 0x802A])
        | st.integers(0, 0xFFFF),
        st.binary(max_size=64),
    )
    return st.builds(
        lambda method, transaction, attributes: (
            struct.pack("!HHI", method, len(b"".join(attributes)), 0x2112A442)
            + transaction
            + b"".join(attributes)
        )[:MAX_DATAGRAM_BYTES],
        st.sampled_from([0x0001, 0x0101, 0x0111, 0x0003]) | st.integers(0, 0x3FFF),
        st.binary(min_size=12, max_size=12),
        st.lists(attribute, max_size=12),
    )


def families(ssrcs: list[int]) -> dict[str, st.SearchStrategy[bytes]]:
    """The kinds of hostile datagrams, each also bit-flipped."""
    return {
        "noise": st.binary(max_size=MAX_DATAGRAM_BYTES),
        "rtp": _rtp(ssrcs) | _mutated(_rtp(ssrcs)),
        "rtcp": _rtcp(ssrcs) | _mutated(_rtcp(ssrcs)),
        "dtls": _dtls() | _mutated(_dtls()),
        "stun": _stun() | _mutated(_stun()),
    }


def worker_ports(session: PeerSession) -> list[tuple[str, int]]:
    """The UDP addresses the worker's ICE agent listens on for this connection."""
    assert session.pc is not None
    ice = session.pc.getTransceivers()[0].receiver.transport.transport
    return [p.transport.get_extra_info("sockname")[:2] for p in ice._connection._protocols]


def ssrcs_of(*clients: MediaClient) -> list[int]:
    """The real SSRCs on the wire (so RTP/RTCP look like the session's own)."""
    found = []
    for client in clients:
        assert client.pc is not None
        for transceiver in client.pc.getTransceivers():
            found.append(transceiver.sender._ssrc)
    return found


async def test_malformed_packets_at_the_workers_ports_do_not_stop_the_media(
    participant, worker: MediaWorker
) -> None:
    """Issue 10 (V17): media keeps flowing when malformed SRTP/RTP/RTCP/DTLS/STUN
    arrives at a live session's UDP ports; the worker does not crash."""
    publisher, subscriber = participant("p", loud=True), participant("s", camera=None)
    await asyncio.gather(publisher.join(), subscriber.join())
    await subscriber.wait_for(subscriber.receives(["p"], frames=5))
    router = worker.routers["r"]
    targets = [
        *worker_ports(router.members["p"].session),
        *worker_ports(router.members["s"].session),
    ]
    sent: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    unhandled: list[dict[str, Any]] = []  # exceptions the event loop had to catch
    loop.set_exception_handler(lambda _, context: unhandled.append(context))
    malformed_before = sockets.stats.malformed
    attacker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    attacker.bind(("127.0.0.1", 0))
    attacker.setblocking(False)
    try:
        for family, strategy in families(ssrcs_of(publisher, subscriber)).items():
            for number, datagram in enumerate(examples(strategy, PACKETS_PER_FAMILY)):
                assert len(datagram) <= MAX_DATAGRAM_BYTES
                try:
                    attacker.sendto(datagram, targets[number % len(targets)])
                except BlockingIOError:
                    await asyncio.sleep(0.01)
                    continue
                sent[family] += 1
                if number % 50 == 0:
                    await asyncio.sleep(0.005)  # let the worker read them
            # After each family, the subscriber still decodes new frames.
            await subscriber.wait_for(more_frames(subscriber, "p", 10))
    finally:
        attacker.close()
        loop.set_exception_handler(None)
    unparsable = sockets.stats.malformed - malformed_before
    print(
        f"\nfuzzed the worker's UDP ports with {sum(sent.values())} datagrams "
        f"(<= {MAX_DATAGRAM_BYTES} bytes, none valid for the session): {dict(sent)}; "
        f"{unparsable} made aioice's STUN parser raise and were dropped"
    )
    assert sum(sent.values()) >= 4 * PACKETS_PER_FAMILY  # small spaces give fewer
    assert unhandled == []
    assert not worker_task_failed(worker)
    assert {m.session.state for m in router.members.values()} == {"connected"}
    before = (subscriber.frames_from("p"), subscriber.frames_from("p", "mic"))
    await subscriber.wait_for(
        lambda: (
            subscriber.frames_from("p") >= before[0] + 10
            and subscriber.frames_from("p", "mic") >= before[1] + 10
        )
    )
    assert subscriber.errors == [] and publisher.errors == []


def more_frames(client: MediaClient, peer: str, count: int) -> Callable[[], bool]:
    """A condition: ``count`` more camera frames from ``peer`` than now."""
    target = client.frames_from(peer) + count
    return lambda: client.frames_from(peer) >= target


def worker_task_failed(worker: MediaWorker) -> bool:
    """Whether any room task of the worker ended with an exception."""
    return any(t.done() and not t.cancelled() and t.exception() for t in worker._tasks)


# -- signaling to the worker ---------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
_rtc_types = st.sampled_from(
    ["rtc.offer", "rtc.ice", "rtc.tracks", "rtc.subscribe", "rtc.answer", "rtc.bogus"]
)
_signal = st.fixed_dictionaries(
    {"type": _rtc_types},
    optional={
        "sdp": st.text(max_size=300) | _json,
        "candidate": st.fixed_dictionaries(
            {"candidate": st.text(max_size=120) | _json},
            optional={"sdpMid": _json, "sdpMLineIndex": _json, "usernameFragment": _json},
        )
        | _json,
        "tracks": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "mid": _json,
                    "source": st.sampled_from(["mic", "camera", "screen", "x"]) | _json,
                    "active": _json,
                    "slot": _json,
                },
            ),
            max_size=5,
        )
        | _json,
        "peers": st.lists(st.text(max_size=8) | _json, max_size=5) | _json,
    },
)
_room = st.sampled_from(["fz1", "fz2"]) | st.text(max_size=10)
_envelope = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["media.signal", "media.control", "media.recording", "x"]),
        "room": _room | _json,
        "peer": st.sampled_from(["a", "b", "w1"]) | _json,
        "reply": st.just("specific.fuzz!reply") | _json,
    },
    optional={
        "signal": _signal | _json,
        "viewer": _json,
        "role": st.sampled_from(["host", "guest", "presenter"]) | _json,
        "name": _json,
        "action": st.sampled_from(
            [
                "leave",
                "close_room",
                "mute_audio",
                "stop_video",
                "presenter_on",
                "start",
                "stop",
                "chapter",
                "x",
            ]
        )
        | _json,
        "target": _json,
        "recording": st.sampled_from(["0" * 32, "../" + "0" * 29, ""]) | _json,
        "directory": st.sampled_from(["/etc", "/tmp/x/" + "0" * 32, ""]) | _json,
        "broadcast": _json,
        "title": _json,
        "text": _json,
    },
)


async def test_malformed_messages_to_the_worker_are_refused_quietly(
    participant, worker: MediaWorker
) -> None:
    """Issue 10 (V17): signaling to the worker survives malformed messages."""
    messages = examples(_json, MESSAGES // 3) + examples(_envelope, MESSAGES)
    for number, message in enumerate(messages):
        if isinstance(message, dict):
            worker.dispatch(message)  # raises nothing, whatever it holds
        else:
            worker.dispatch(
                {
                    "type": "media.signal",
                    "room": "fz1",
                    "peer": "a",
                    "reply": "r",
                    "signal": message,
                }
            )
        if number % 100 == 0:
            await asyncio.sleep(0.01)  # the rooms' tasks and sessions run too
    await asyncio.sleep(0.5)
    print(f"\ndispatched {len(messages)} malformed messages to the media worker")
    assert not worker_task_failed(worker)
    a, b = participant("a2", room="after"), participant("b2", room="after")
    await asyncio.gather(a.join(), b.join())
    await b.wait_for(b.receives(["a2"], frames=5))
    assert a.errors == [] and b.errors == []
