"""The benchmarks' and the worker tests' participants stand in for the room consumer: each
sends the worker its own ``media.signal`` messages, named by its peer id."""

from __future__ import annotations

from typing import Any, Protocol

from mediaworker.wire import ToWorkerSignal, to_worker_signal


class StandIn(Protocol):
    room: str
    peer: str
    reply: str  # its own reply channel, where the worker answers


def signal_from(
    who: StandIn, signal: dict[str, Any], *, viewer: bool = False, role: str | None = None
) -> ToWorkerSignal:
    """The message the room consumer would send for ``who`` (its name is its peer id)."""
    return to_worker_signal(
        room=who.room,
        peer=who.peer,
        reply=who.reply,
        name=who.peer,
        signal=signal,  # type: ignore[arg-type]  # the stand-ins build valid rtc.* dicts
        viewer=viewer,
        role=role,
    )
