"""The live rooms' Prometheus series: frames in and out by type, room events, join latency.

Counted in the consumer (frames), the fan-out hub (one event per room, whatever its
audience) and around ``hello`` (the join's latency until the welcome is sent). Labels
take only the protocol's own type names, so the series stay few.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

MESSAGES = Counter(
    "meet_signaling_messages",
    "WebSocket frames of the live rooms, by direction (in, out) and type.",
    ["direction", "type"],
)
ROOM_EVENTS = Counter(
    "meet_signaling_room_events",
    "Room events fanned out to a live room's members in this process, by type.",
    ["type"],
)
JOIN_SECONDS = Histogram(
    "meet_signaling_join_seconds",
    "From a browser's hello to its welcome (joins through the lobby are not counted).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INVALID = "invalid"  # a frame that did not parse: its type is not trusted as a label


def event_type(text: str) -> str:
    """The ``type`` of an encoded event that starts ``{"type":"…"`` (the protocol's
    encoder writes it first), else "other"; no JSON parsing on the fan-out path."""
    if text.startswith('{"type":"'):
        end = text.find('"', 9)
        if 9 < end <= 49:
            return text[9:end]
    return "other"
