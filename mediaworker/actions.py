"""The typed actions a room's task drains, one at a time (mediaworker/router.py).

The worker turns each wire message into one of these (``SignalIn``, ``ControlIn``,
``RecordingIn``); the peer sessions post theirs (mediaworker/peer.py: ``Negotiated``,
``ConnectionChanged``, ``Failed``) and the room's ticker posts ``Tick``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class SignalIn:
    """A browser's ``rtc.*`` message, relayed by its consumer."""

    peer: str
    reply: str
    name: str
    signal: dict[str, Any]
    viewer: bool = False  # a public viewer of the broadcast (the watch socket)
    role: str = "guest"  # from the consumer's verified join token (wire.Role)


@dataclass
class ControlIn:
    """A consumer's control action: leave, close_room, mute_audio, stop_video."""

    peer: str
    reply: str
    action: str
    target: str = ""


@dataclass
class RecordingIn:
    """The web side's recording command: start, stop, chapter (wire.ToWorkerRecording)."""

    action: str
    recording: str
    directory: str
    broadcast: bool = False
    title: str = ""
    text: str = ""


@dataclass
class Tick:
    """Time to read the microphones' levels."""


@dataclass
class PipeIn:
    """A message from another worker about a pipe of this room (mediaworker/pipe_wire.py)."""

    action: str
    worker: str
    channel: str
    message: dict[str, Any]


@dataclass
class PipeHosts:
    """The workers placement lists for the room now: (worker id, channel)."""

    hosts: list[tuple[str, str]]
