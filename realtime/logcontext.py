"""What a log line is about: the request, the live room and the participant.

Context variables, set by the web's request-id middleware (meet/logs.py) and by the live
room's consumer once a participant joined; meet/logs.py's filter copies them onto every
log record. Each HTTP request and each WebSocket connection runs in its own task, so
what one sets never leaks into another (and ``sync_to_async`` copies them to its thread).
"""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str] = ContextVar("meet_request_id", default="")
room: ContextVar[str] = ContextVar("meet_room", default="")
participant: ContextVar[str] = ContextVar("meet_participant", default="")


def bind(*, room_slug: str | None = None, peer: str | None = None) -> None:
    """Name the room and/or participant of the current task's log lines."""
    if room_slug is not None:
        room.set(room_slug)
    if peer is not None:
        participant.set(peer)
