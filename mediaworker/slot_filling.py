"""Which published stream each subscriber's slot carries, and what the browser is told.

The router refills every subscriber after each change of its room: last-N camera video
(the browser's preferred peers, then recent speakers, then join order), top-N audio
(recent speakers), screen shares (oldest first), and the recording's program for a
viewer's ``program`` slot. The ranking itself is mediaworker/slots.py; this module
points each slot's forwarder at its stream. A slot that changes source is switched on
the new source's next keyframe, which is requested at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mediaworker import slots as ranking
from mediaworker.members import Member, Streams

# Slot kind -> the published source it carries ("program": the recording's video).
KIND_OF_SLOT = {"audio": "mic", "camera": "camera", "screen": "screen", "program": ""}


def published_streams(members: Mapping[str, Member], last_active: Mapping[str, float]) -> Streams:
    """Every active published stream of the members, by key (``<peer>/<source>``)."""
    streams = {}
    for member in members.values():
        for source, published in member.session.published.items():
            if not member.active.get(source):
                continue
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
) -> bool:
    """Point ``member``'s slots at the streams they should carry; whether any changed.

    ``shared``: one ranking per slot kind for subscribers who own no stream and prefer
    no one (the viewers), filled by the first of them.
    """
    changed = False
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
        for slot, key in zip(slots, placed, strict=True):
            stream = streams[key][1] if key is not None else None
            if slot.out.source is not stream:
                if stream is None:
                    slot.out.source.detach(slot.out)  # type: ignore[union-attr]
                else:
                    stream.attach(slot.out)
            if slot.key != key:
                slot.key, changed = key, True
    return changed


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
