"""Who is in a live room as its router sees it (participants, viewers) and what they publish."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mediaworker import slots as ranking
from mediaworker.bandwidth import LinkEstimate
from mediaworker.forwarding import Source
from mediaworker.peer import PeerSession
from mediaworker.wire import LOW_LAYERS, MAX_TRACKS, SILENT_ROLES, SOURCES

# The worker's outbox: (consumer's channel, message).
Send = Callable[[str, dict[str, Any]], None]


@dataclass
class Member:
    """A participant of the room, or a viewer of its broadcast, as the router sees it."""

    peer: str
    reply: str
    name: str
    joined: int
    session: PeerSession
    task: asyncio.Task[None]
    active: dict[str, bool] = field(default_factory=dict)  # source -> sending?
    started: dict[str, float] = field(default_factory=dict)  # source -> since when
    preferred: list[str] = field(default_factory=list)  # rtc.subscribe
    # rtc.subscribe "large": peers whose tile is big enough for their high layer;
    # None until the browser says (then every tile counts as large, as before layers).
    large: frozenset[str] | None = None
    receive_video: bool = True  # false: the weak-connection mode, no camera received
    link: LinkEstimate = field(default_factory=LinkEstimate)  # its downlink's budget
    bandwidth_state: str = "ok"  # what the layers fit into it (wire.BANDWIDTH_STATES)
    probe_bps: float = 0.0  # a probe of its link to start (mediaworker/bandwidth.py)
    told_bandwidth: str = "ok"  # the last rtc.bandwidth state sent
    told_quality: str | None = None  # the last "quality" event sent
    sending: dict[str, bool] = field(default_factory=dict)  # layers it was told to send
    used_at: dict[str, float] = field(default_factory=dict)  # layer -> last time received
    reported: tuple[str, ...] | None = None  # last "published" event sent
    viewer: bool = False
    role: str = "guest"
    held: set[str] = field(default_factory=set)  # sources a host muted: dropped


# Each published stream by key: its member, its source and its ranking candidate.
Streams = dict[str, tuple[Member, Source, ranking.Candidate]]


def to_browser(send: Send, member: Member, signal: dict[str, Any]) -> None:
    """Send ``signal`` to the member's browser (through its consumer)."""
    send(member.reply, {"type": "media.signal", "peer": member.peer, "signal": signal})


def to_consumer(send: Send, member: Member, event: dict[str, Any]) -> None:
    """Send ``event`` (about this member) to the member's consumer."""
    send(member.reply, {"type": "media.event", "peer": member.peer, "event": event})


def apply_tracks(member: Member, tracks: Any, now: float) -> bool:
    """Apply a browser's ``tracks`` list (source + active); return whether it changed."""
    if not isinstance(tracks, list) or member.role in SILENT_ROLES:
        return False  # an observer's sources never count as sending (hold() drops them)
    changed = False
    for track in tracks[:MAX_TRACKS]:
        if not isinstance(track, dict) or track.get("source") not in SOURCES:
            continue
        source, active = track["source"], bool(track.get("active", True))
        if active and source in member.held:
            # The participant turned it on again after a host's mute (the room's
            # own unmute button): from now on its packets flow again.
            member.held.discard(source)
            hold(member)
        if member.active.get(source, False) != active:
            changed = True
            member.active[source] = active
            if active:
                member.started[source] = now
    return changed


def hold(member: Member) -> None:
    """Drop the packets of the sources a host muted (at the source: nothing sees them)."""
    for source, published in member.session.published.items():
        # A low layer is muted with its source.
        muted = LOW_LAYERS.get(source, source) in member.held
        published.stream.held = muted or member.role in SILENT_ROLES
