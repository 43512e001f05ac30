"""Which published stream each subscriber's slot carries, and what the browser is told.

The router refills every subscriber after each change of its room: last-N camera video
(the browser's preferred peers, then recent speakers, then join order), top-N audio
(recent speakers), screen shares (oldest first), and the recording's program for a
viewer's ``program`` slot. The ranking itself is mediaworker/slots.py; this module
points each slot's forwarder at its stream. A slot that changes source is switched on
the new source's next keyframe, which is requested at once.

A slot moving to another layer of the same video keeps the old layer until the new
one's keyframe arrives, up and down (issue 13: a step down must not freeze the picture
for longer than a keyframe takes to come): the old layer stops at once only when the
link drops a quarter of what is sent (``bandwidth.SEVERE_LOSS``: its packets would be
lost anyway, and the queue must drain for the keyframe to pass), or when the keyframe
is still not there after ``WAIT_DOWN_SECS`` on a congested link.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from mediaworker import slots as ranking
from mediaworker.bandwidth import SEVERE_LOSS
from mediaworker.forwarding import Source
from mediaworker.layers import HIGH, LOW, OFF, Want, allocate
from mediaworker.members import Member, Streams
from mediaworker.peer import Slot
from mediaworker.wire import LOW_LAYERS

logger = logging.getLogger(__name__)

LOW_LAYER_OF = {source: low for low, source in LOW_LAYERS.items()}
# What a video costs before it has been measured (bits/s): camera, then screen.
NOMINAL_HIGH_BPS = {False: 1_000_000.0, True: 1_500_000.0}
NOMINAL_LOW_BPS = 150_000.0
AUDIO_OVERHEAD_BPS = 16_000.0  # RTP/SRTP/UDP/IP headers of ~50 packets a second
FLOWING_BPS = 2_000.0  # a stream measured above this is sending: its rate is real
WAIT_DOWN_SECS = 1.0  # a step down waits this long for the low layer's keyframe at most

# Slot kind -> the published source it carries ("program": the recording's video).
KIND_OF_SLOT = {"audio": "mic", "camera": "camera", "screen": "screen", "program": ""}


def published_streams(members: Mapping[str, Member], last_active: Mapping[str, float]) -> Streams:
    """Every active published stream of the members, by key (``<peer>/<source>``)."""
    streams = {}
    for member in members.values():
        for source, published in member.session.published.items():
            if not member.active.get(source) or source in LOW_LAYERS:
                continue  # a low layer stands in for its source per subscriber
            key = f"{member.peer}/{source}"
            candidate = ranking.Candidate(
                key=key,
                peer=member.peer,
                joined=member.joined,
                last_active=last_active.get(member.peer, ranking.NEVER),
                started=member.started.get(source, 0.0),
            )
            streams[key] = (member, published.stream, candidate)
    return streams


def fill_slots(
    member: Member,
    streams: Streams,
    *,
    program: str | None,
    shared: dict[str, list[str]] | None = None,
    now: float = 0.0,
    adapt: bool = True,
) -> bool:
    """Point ``member``'s slots at the streams they should carry; whether any changed.

    ``shared``: one ranking per slot kind for subscribers who own no stream and prefer
    no one (the viewers), filled by the first of them. Camera and screen slots get the
    layer ``mediaworker.layers`` fits into the member's link budget; a video that does
    not fit leaves its slot empty. Without ``adapt`` (``MEET_MEDIA_LAYERS=off``) every
    video gets its high layer and no budget is kept.
    """
    placements: list[tuple[Slot, str | None]] = []
    for slot_kind in KIND_OF_SLOT:
        slots = [s for s in member.session.slots if s.slot == slot_kind]
        if not slots:
            continue
        best = shared.get(slot_kind) if shared is not None else None
        if best is None:
            best = ranked(slot_kind, member, streams, program=program)
            if shared is not None:
                shared[slot_kind] = best
        placed = ranking.assign([s.key for s in slots], best)
        placements.extend(zip(slots, placed, strict=True))
    # Off (MEET_MEDIA_LAYERS=off): every video's high layer, no budget, as before layers.
    layers = choose_layers(member, streams, placements, now) if adapt else {}
    changed = False
    for slot, key in placements:
        layer = layers.get(key, HIGH) if key is not None else OFF
        stream = None if layer == OFF else layer_stream(streams, key, layer)  # type: ignore[arg-type]
        if layer == OFF:
            key = None
        _point(slot, stream, key, layer, member, now)
        slot.layer = layer
        if slot.key != key:
            slot.key, changed = key, True
    return changed


def _point(
    slot: Slot, stream: Source | None, key: str | None, layer: str, member: Member, now: float
) -> None:
    """Point ``slot``'s forwarder at ``stream`` (``key``'s ``layer``): see the top."""
    out = slot.out
    if stream is None:  # nothing, or a video that does not fit: stop now
        if out.source is not None:
            out.source.detach(out)
        out.cancel_pending()
    elif out.source is stream:
        out.cancel_pending()  # back to the layer it still receives, if it was leaving
    elif out.pending is not stream:
        # Another layer of the same video: keep the old one until the new keyframe,
        # unless the link drops too much for it. Another video switches at once.
        same_video = slot.key == key and slot.layer != OFF and slot.layer != layer
        seamless = same_video and (layer == HIGH or member.link.loss < SEVERE_LOSS)
        stream.attach(out, seamless=seamless)
        slot.pending_since = now
    elif layer == LOW and (
        member.link.loss >= SEVERE_LOSS
        or (member.link.congested and now - slot.pending_since >= WAIT_DOWN_SECS)
    ):
        stream.attach(out)  # the low keyframe is late and the link chokes: stop the high


def layer_stream(streams: Streams, key: str, layer: str) -> Source:
    """The stream of ``key``'s ``layer`` (the high one when there is no low one)."""
    owner, high, _ = streams[key]
    if layer == LOW:
        low = _low_layer(owner, key)
        if low is not None:
            return low
    return high


def _low_layer(owner: Member, key: str) -> Source | None:
    name = LOW_LAYER_OF.get(key.rsplit("/", 1)[1])
    published = owner.session.published.get(name) if name else None
    if published is None or not owner.active.get(name or ""):
        return None
    return published.stream


def choose_layers(
    member: Member, streams: Streams, placements: list[tuple[Slot, str | None]], now: float
) -> dict[str, str]:
    """Each placed video's layer for ``member`` (``mediaworker/layers.py``); keeps the
    member's bandwidth state up to date."""
    videos = [key for slot, key in placements if key is not None and slot.kind == "video"]
    # Most important first: screen shares, the speaker's camera, then the slots' order.
    pinned = {peer: i for i, peer in enumerate(member.preferred)}
    videos.sort(
        key=lambda k: (
            not k.endswith("/screen"),
            -streams[k][2].last_active,
            pinned.get(streams[k][0].peer, len(pinned)),
        )
    )
    audio_bps = sum(
        streams[key][1].bitrate + AUDIO_OVERHEAD_BPS
        for slot, key in placements
        if key is not None and slot.kind == "audio"
    )
    wants = []
    for key in videos:
        if not member.receive_video and key.endswith("/camera"):
            continue  # the weak-connection mode: no camera at all
        screen = key.endswith("/screen")
        low = _low_layer(streams[key][0], key)
        wants.append(
            Want(
                key=key,
                high_bps=_rate(streams[key][1], NOMINAL_HIGH_BPS[screen]),
                low_bps=None if low is None else _rate(low, NOMINAL_LOW_BPS),
                large=member.receive_video
                and (screen or member.large is None or streams[key][0].peer in member.large),
            )
        )
    link = member.link
    current = {slot.key: slot.layer for slot, _ in placements if slot.key is not None}
    allocation = allocate(wants, link.budget_bps, audio_bps, current)
    if allocation.needed_bps is not None:
        step = link.step_up(now, allocation.needed_bps, allocation.top_bps)
        if step == 0.0:  # a trial: the budget now holds the next step
            allocation = allocate(wants, link.budget_bps, audio_bps, current)
        elif step:
            member.probe_bps = step  # the router has the connection send copies
            logger.info("link %s: probing %.0f kbit/s more", member.peer, step / 1000)
    if allocation.state != member.bandwidth_state:  # rare: worth a line in the log
        logger.info(
            "link %s: %s -> %s; sending %.0f kbit/s, %s",
            member.peer,
            member.bandwidth_state,
            allocation.state,
            link.sent_bps / 1000,
            link.describe(),
        )
    member.bandwidth_state = allocation.state
    layers = dict.fromkeys(videos, OFF)
    layers.update(allocation.layers)
    return layers


def _rate(stream: Source, nominal: float) -> float:
    # A layer that is paused (or not started) is counted at its nominal rate.
    return stream.bitrate if stream.bitrate >= FLOWING_BPS else nominal


def ranked(slot_kind: str, member: Member, streams: Streams, *, program: str | None) -> list[str]:
    """The streams ``member``'s slots of ``slot_kind`` should carry, best first."""
    if slot_kind == "program":
        return [program] if program in streams else []
    source = KIND_OF_SLOT[slot_kind]
    candidates = [
        c
        for key, (owner, _, c) in streams.items()
        if owner is not member and key.endswith("/" + source)
    ]
    if slot_kind == "camera":
        return ranking.rank_cameras(candidates, member.preferred)
    if slot_kind == "audio":
        return ranking.rank_audio(candidates)
    return ranking.rank_screens(candidates)


def slot_map(member: Member, members: Mapping[str, Member]) -> list[dict[str, Any]]:
    """``rtc.tracks``' list: what each of ``member``'s slots carries now."""
    tracks = []
    for slot in member.session.slots:
        owner = members.get(slot.key.split("/")[0]) if slot.key else None
        tracks.append(
            {
                "mid": slot.mid,
                "kind": slot.kind,
                "slot": slot.slot,
                "peer": owner.peer if owner else None,
                "name": owner.name if owner else None,
                "source": slot.key.split("/")[1] if slot.key and owner else None,
            }
        )
    return tracks
