"""The messages two media workers exchange about a pipe, on their own channels.

Every message is ``{"type": "media.pipe", "action": ..., "room", "worker", "channel"}``:
the sender's id and channel (``media-worker.<id>``). Plain Python (no aiortc): a worker
parses what another one sent before its router sees it, and drops anything malformed.

* ``open`` (receiving worker B → far worker A, every ``OPEN_EVERY_SECS`` while B serves
  the room: a keep-alive too, and at once when ``want`` changes): pipe the room's
  published streams to ``address`` (B's pipe socket) protected with ``key`` (hex) —
  every audio stream, and the videos whose pipe ``ssrc`` is in ``want`` (those B's
  subscribers, recorder or viewers take now). Without ``want``: every video.
* ``state`` (A → B, at each of A's room ticks: a keep-alive too): A's sending socket,
  its publishers with their sources (``ssrc`` in the pipe, kind, on or off), roles and
  names, the speakers' levels, whether the room broadcasts, its program and presenters.
* ``keyframe`` (B → A): a subscriber of B waits for a keyframe of the pipe's ``ssrc``.
* ``resend`` (B → A): video packets of the pipe's ``ssrc`` that B saw missing (``seqs``,
  the pipe's sequence numbers, at most ``MAX_RESEND``); A sends again those it holds.
* ``closed`` (either way): the sender's router for the room is gone; drop both pipes.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from mediaworker.wire import SOURCES

PIPE_TYPE = "media.pipe"
PIPE_ACTIONS = frozenset({"open", "state", "keyframe", "resend", "closed"})
OPEN_EVERY_SECS = 1.0
# A pipe whose far worker said nothing for this long is closed (its room closed and the
# word was lost). Not the way a dead worker is found: placement stops listing it 3 s
# after its last beat. Longer than that on purpose: in a join storm of a hundred, the
# far worker's keep-alives queued behind its answers for over 3 s (bench/scaleout.py)
# and a 3 s silence cut every viewer of the edge off its pipe.
SILENT_SECS = 10.0
# A viewer's offer to an edge waits this long for the origin's first word, then is
# answered as on any worker (``not_live``).
FIRST_WORD_SECS = 3.0
MAX_PIPED_MEMBERS = 500
# The longest gap in a piped video that is asked for again: a longer one is an outage,
# after which the subscribers ask for a keyframe (sent again, it would come too late).
MAX_RESEND = 32
MAX_WANTED = MAX_PIPED_MEMBERS * len(SOURCES)


@dataclass(frozen=True)
class PipedStream:
    """One published stream of a far worker's member, as the pipe carries it."""

    source: str
    kind: str
    ssrc: int
    active: bool


@dataclass(frozen=True)
class PipedMember:
    """A member of the room on the far worker who publishes."""

    peer: str
    name: str
    role: str
    streams: tuple[PipedStream, ...]


@dataclass(frozen=True)
class PipeState:
    """What the far worker says of its side of the room."""

    address: tuple[str, int]
    members: tuple[PipedMember, ...]
    levels: dict[str, float] = field(default_factory=dict)
    broadcasting: bool = False
    program: str | None = None
    presenters: frozenset[str] = frozenset()


def pipe_message(action: str, *, room: str, worker: str, channel: str, **body: Any) -> dict:
    """A ``media.pipe`` message from ``worker`` (reading ``channel``) about ``room``."""
    return {
        "type": PIPE_TYPE,
        "action": action,
        "room": room,
        "worker": worker,
        "channel": channel,
        **body,
    }


def sender(message: dict[str, Any]) -> tuple[str, str, str, str] | None:
    """(action, room, worker, channel) of a well-formed pipe message, else None."""
    values = [message.get(k) for k in ("action", "room", "worker", "channel")]
    if not all(isinstance(v, str) and v for v in values) or values[0] not in PIPE_ACTIONS:
        return None
    return values[0], values[1], values[2], values[3]  # type: ignore[return-value]


def parse_address(value: Any) -> tuple[str, int] | None:
    """A pipe socket's (ip, port) from the wire; never a host name."""
    if not (isinstance(value, list | tuple) and len(value) == 2):
        return None
    host, port = value
    if not isinstance(host, str) or not isinstance(port, int) or not 0 < port < 65536:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return None
    return host, port


def parse_key(value: Any) -> bytes | None:
    """A pipe's SRTP key and salt (30 bytes, hex on the wire)."""
    if not isinstance(value, str) or len(value) != 60:
        return None
    try:
        return bytes.fromhex(value)
    except ValueError:
        return None


def parse_want(value: Any) -> frozenset[int] | None:
    """The pipe SSRCs of the videos an ``open`` asks for; None (every video) when absent
    or malformed: a worker that cannot say what it needs is sent everything."""
    if not isinstance(value, list) or len(value) > MAX_WANTED:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**32 for v in value):
        return None
    return frozenset(value)


def parse_seqs(value: Any) -> tuple[int, ...] | None:
    """The sequence numbers a ``resend`` asks for, or None when malformed."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_RESEND:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 0xFFFF for v in value):
        return None
    return tuple(value)


def parse_state(message: dict[str, Any]) -> PipeState | None:
    """The body of a ``state`` message, or None when it is malformed."""
    address = parse_address(message.get("address"))
    members = message.get("members")
    if address is None or not isinstance(members, list) or len(members) > MAX_PIPED_MEMBERS:
        return None
    parsed = [_member(m) for m in members]
    if any(m is None for m in parsed):
        return None
    levels = message.get("levels")
    program = message.get("program")
    presenters = message.get("presenters")
    return PipeState(
        address=address,
        members=tuple(m for m in parsed if m is not None),
        levels={
            k: float(v)
            for k, v in (levels.items() if isinstance(levels, dict) else ())
            if isinstance(k, str) and isinstance(v, int | float)
        },
        broadcasting=message.get("broadcasting") is True,
        program=program if isinstance(program, str) else None,
        presenters=frozenset(
            p for p in (presenters if isinstance(presenters, list) else []) if isinstance(p, str)
        ),
    )


def _member(value: Any) -> PipedMember | None:
    if not isinstance(value, dict):
        return None
    peer, name, role, streams = (value.get(k) for k in ("peer", "name", "role", "streams"))
    if not (isinstance(peer, str) and peer and isinstance(name, str) and isinstance(role, str)):
        return None
    if not isinstance(streams, list) or len(streams) > len(SOURCES):
        return None
    parsed = []
    for stream in streams:
        if not isinstance(stream, dict):
            return None
        source, kind, ssrc = stream.get("source"), stream.get("kind"), stream.get("ssrc")
        if source not in SOURCES or kind not in ("audio", "video"):
            return None
        if not isinstance(ssrc, int) or not 0 <= ssrc < 2**32:
            return None
        parsed.append(PipedStream(source, kind, ssrc, stream.get("active") is True))
    return PipedMember(peer, name, role, tuple(parsed))


def state_body(state: PipeState) -> dict[str, Any]:
    """``parse_state``'s inverse: the body of a ``state`` message."""
    return {
        "address": list(state.address),
        "members": [
            {
                "peer": m.peer,
                "name": m.name,
                "role": m.role,
                "streams": [
                    {"source": s.source, "kind": s.kind, "ssrc": s.ssrc, "active": s.active}
                    for s in m.streams
                ],
            }
            for m in state.members
        ],
        "levels": state.levels,
        "broadcasting": state.broadcasting,
        "program": state.program,
        "presenters": sorted(state.presenters),
    }
