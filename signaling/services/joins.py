"""Joining and leaving a live meeting: one person at a time, or a batch that queued up.

A storm of joins (hundreds of people opening a room within seconds) reaches the database
as batches (signaling/batch.py): ``participants_join`` and ``participants_leave`` take a
list, read what the batch shares once and keep each person's outcome apart.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from rooms.models import Room
from signaling import conf, selectors
from signaling.domain.names import name_key
from signaling.domain.protocol.serializers import event, serialize_participant
from signaling.errors import JoinRefused
from signaling.events import notify_peer, notify_room
from signaling.models import LiveRole, Meeting, Participant, ParticipantState
from signaling.services.attendance import (
    attendance_joined,
    attendance_left,
    one_lookup_per_room,
)
from signaling.services.reconnects import participant_back
from signaling.services.tokens import JoinClaims, join_claims_current

# Whoever holds a place in a meeting: in it, or waiting in its lobby.
PRESENT = (ParticipantState.JOINED, ParticipantState.LOBBY)


@dataclass(frozen=True)
class JoinOutcome:
    """What became of a join: in the meeting (with its ``welcome``) or in the lobby."""

    state: str
    peer: str
    meeting_id: int
    role: str
    name: str
    welcome: dict[str, Any] | None = None
    replaced_channel: str = ""


@dataclass(frozen=True)
class Departure:
    """What a leave changed; ``media`` says whether the worker must drop the peer."""

    peer: str
    media: bool = False
    peers_gone: list[str] = field(default_factory=list)


def new_peer() -> str:
    """A participant id: unguessable, URL-safe, 16 characters."""
    return secrets.token_urlsafe(12)


def _current_meeting(room: Room) -> Meeting:
    """The room's open meeting, or a new one when there is none or it went idle."""
    now = timezone.now()
    meeting = selectors.open_meeting(room.pk)
    if meeting is not None:
        idle_since = now - timedelta(seconds=conf.meeting_idle_secs())
        if meeting.last_activity_at < idle_since and not selectors.live(meeting.pk).exists():
            meeting.ended_at = now
            meeting.save(update_fields=["ended_at"])
            meeting = None
    if meeting is None:
        meeting = Meeting.objects.create(room=room)
    meeting.room = room
    return meeting


# When this process last swept each meeting: once per heartbeat is enough.
_swept_at: dict[int, float] = {}
ACTIVITY_RESOLUTION_SECS = 60


def _sweep_stale(meeting: Meeting) -> None:
    """Mark connections of crashed processes as gone and tell the room."""
    now = time.monotonic()
    if now - _swept_at.get(meeting.pk, -1e9) < selectors.HEARTBEAT_SECS:
        return
    _swept_at[meeting.pk] = now
    stale = list(
        Participant.objects.filter(
            meeting=meeting, state__in=PRESENT, seen_at__lt=selectors.stale_before()
        ).values_list("pk", "peer", "state")
    )
    if not stale:
        return
    Participant.objects.filter(pk__in=[pk for pk, _, _ in stale]).update(
        state=ParticipantState.LEFT, left_at=timezone.now(), hand_raised_at=None
    )
    for _, peer, state in stale:
        if state == ParticipantState.JOINED:
            notify_room(meeting.room.slug, event("participant.left", peer=peer, reason="gone"))
        else:
            notify_room(meeting.room.slug, event("lobby.left", peer=peer), hosts_only=True)


def _resumed(meeting: Meeting, claims: JoinClaims, resume: str) -> Participant | None:
    if not resume:
        return None
    return (
        Participant.objects.select_for_update()
        .filter(peer=resume, meeting=meeting, identity=claims.identity)
        .exclude(state__in=[ParticipantState.DENIED, ParticipantState.REMOVED])
        .first()
    )


@dataclass(frozen=True)
class JoinRequest:
    """One verified person asking to join (``participants_join`` takes several)."""

    claims: JoinClaims
    channel_name: str
    ice_servers: list[dict[str, Any]]
    resume: str = ""
    with_participants: bool = True
    shared_of: int = 0
    address: str = ""  # the client's address (a removed guest's keeps them out)
    # The browser session the token is bound to: the claims are read again from it in the
    # batch (logout, deactivation, a changed role), so a hello costs no database hop of
    # its own. ``claims_current``: already read again (tests that build claims by hand).
    session_key: str | None = None
    claims_current: bool = False


def _kept_out(meeting: Meeting, claims: JoinClaims, address: str) -> bool:
    """A guest whose name and address match a removed guest's, or from an address whose
    guests were removed again and again (a fresh browser session changes neither)."""
    if claims.role != LiveRole.GUEST or not address:
        return False
    removed = list(
        Participant.objects.filter(
            meeting=meeting, state=ParticipantState.REMOVED, role=LiveRole.GUEST, address=address
        )
        .order_by()
        .values_list("name", flat=True)
    )
    ban_after = conf.removed_guests_ban_address()
    if ban_after and len(removed) >= ban_after:
        return True
    key = name_key(claims.name)
    return any(name_key(name) == key for name in removed)


@transaction.atomic
def participants_join(*, requests: Sequence[JoinRequest]) -> list[JoinOutcome | Exception]:
    """Joins that queued up together, in one transaction, each with its outcome or refusal.

    Each room, its meeting and whether a scheduled meeting is on are read once for all of
    them: in a storm of joins these reads were most of a join's cost. Each join runs in
    its own savepoint, so one refused or failed join leaves the others as they were."""
    now = timezone.now()
    rooms: dict[tuple[int, str], tuple[Room, Meeting] | None] = {}
    # Outside the savepoints: a rolled-back join must not undo them. In the rooms' order,
    # as leaves lock them: two web processes' batches never wait on each other in a ring.
    for key in sorted({(request.claims.room, request.claims.slug) for request in requests}):
        rooms[key] = _room_and_meeting(*key)
    outcomes: list[JoinOutcome | Exception] = []
    with one_lookup_per_room():
        for request in requests:
            found = rooms[(request.claims.room, request.claims.slug)]
            try:
                if found is None:
                    raise JoinRefused("no_room")
                with transaction.atomic():
                    outcomes.append(_join(request, *found, now))
            except Exception as problem:  # this join only; the caller raises it
                outcomes.append(problem)
    return outcomes


def _room_and_meeting(room_id: int, slug: str) -> tuple[Room, Meeting] | None:
    """The room (locked: joins into it queue here) and its current meeting, swept."""
    try:
        # The settings and the unit (the welcome's room name) are read with the room: two
        # queries less per join. get(), not first(): no ORDER BY to compile for one row.
        room = (
            Room.objects.select_for_update(of=("self",))
            .select_related("live_settings", "unit")
            .get(pk=room_id, slug=slug)
        )
    except Room.DoesNotExist:
        return None
    meeting = _current_meeting(room)
    _sweep_stale(meeting)
    return room, meeting


def _join(request: JoinRequest, room: Room, meeting: Meeting, now: Any) -> JoinOutcome:
    if not request.claims_current:
        current = join_claims_current(request.claims, session_key=request.session_key, room=room)
        request = replace(request, claims=current, claims_current=True)
    claims = request.claims
    before = set(
        Participant.objects.filter(meeting=meeting, identity=claims.identity)
        .order_by()  # a set: the model's default ordering would only cost compiling
        .values_list("state", flat=True)
    )
    if ParticipantState.REMOVED in before or _kept_out(meeting, claims, request.address):
        raise JoinRefused("removed")
    is_host = claims.role == LiveRole.HOST
    if meeting.locked and not is_host:
        raise JoinRefused("locked")
    live_settings = selectors.live_settings(room)
    lobby = claims.role == LiveRole.GUEST and live_settings.lobby_enabled
    participant, replaced = _enter(request, meeting, lobby, now)
    if replaced:
        notify_peer(replaced, {"action": "replaced"})
    if participant.state == ParticipantState.LOBBY:
        notify_room(
            room.slug,
            event(
                "lobby.entered",
                participant=serialize_participant(selectors.participant_view(participant)),
            ),
            hosts_only=True,
        )
        return JoinOutcome(
            "lobby",
            participant.peer,
            meeting.pk,
            participant.role,
            participant.name,
            replaced_channel=replaced,
        )
    return JoinOutcome(
        "joined",
        participant.peer,
        meeting.pk,
        participant.role,
        participant.name,
        welcome=selectors.welcome(
            meeting=meeting,
            me=participant,
            ice_servers=request.ice_servers,
            settings_row=live_settings,
            with_participants=request.with_participants,
            with_shared=meeting.pk != request.shared_of,
            # Votes are cast by people in the meeting: a first-timer has none.
            with_votes=bool(before),
        ),
        replaced_channel=replaced,
    )


def _enter(
    request: JoinRequest, meeting: Meeting, lobby: bool, now: Any
) -> tuple[Participant, str]:
    """The participant row (resumed or new) and the channel it took over, if any."""
    claims, channel_name = request.claims, request.channel_name
    participant = _resumed(meeting, claims, request.resume)
    replaced = ""
    if participant is not None:
        if participant.state in PRESENT and participant.channel_name != channel_name:
            replaced = participant.channel_name
        was_in = participant.joined_at is not None and participant.state != ParticipantState.LEFT
        participant.channel_name, participant.seen_at = channel_name, now
        participant.name, participant.role = claims.name, claims.role  # read again at hello
        participant.address = request.address
        if participant.state == ParticipantState.LEFT:
            participant.state = ParticipantState.LOBBY if lobby else ParticipantState.JOINED
        participant.save()
        if participant.state == ParticipantState.JOINED and not was_in:
            participant_entered(meeting, participant, now)
        elif participant.state == ParticipantState.JOINED:  # one continuous presence
            participant_back(slug=meeting.room.slug, participant=participant)
        return participant, replaced
    participant = Participant.objects.create(
        meeting=meeting,
        peer=new_peer(),
        identity=claims.identity,
        user_id=claims.user_id,
        name=claims.name,
        role=claims.role,
        state=ParticipantState.LOBBY if lobby else ParticipantState.JOINED,
        channel_name=channel_name,
        address=request.address,
        joined_at=None if lobby else now,
    )
    if participant.state == ParticipantState.JOINED:
        participant_entered(meeting, participant, now)
    return participant, replaced


def participant_entered(meeting: Meeting, participant: Participant, now: Any) -> None:
    """Someone is in the meeting now: times, attendance and the room told."""
    if participant.joined_at is None or participant.left_at is not None:
        participant.joined_at = participant.joined_at or now
        participant.left_at = None
        participant.save(update_fields=["joined_at", "left_at"])
    if (now - meeting.last_activity_at).total_seconds() > ACTIVITY_RESOLUTION_SECS:
        meeting.last_activity_at = now
        Meeting.objects.filter(pk=meeting.pk).update(last_activity_at=now)
    ref = attendance_joined(meeting=meeting, participant=participant)
    if ref and not meeting.occurrence_ref:
        meeting.occurrence_ref = ref
        Meeting.objects.filter(pk=meeting.pk).update(occurrence_ref=ref)
    notify_room(
        meeting.room.slug,
        event(
            "participant.joined",
            participant=serialize_participant(selectors.participant_view(participant)),
        ),
    )


@transaction.atomic
def participant_welcome(
    *,
    peer: str,
    ice_servers: list[dict[str, Any]],
    with_participants: bool = True,
    shared_of: int = 0,
) -> dict[str, Any]:
    """The ``welcome`` of a guest just let in from the lobby."""
    participant = Participant.objects.select_related("meeting__room").filter(peer=peer).first()
    if participant is None or participant.state != ParticipantState.JOINED:
        raise JoinRefused("not_joined")
    return selectors.welcome(
        meeting=participant.meeting,
        me=participant,
        ice_servers=ice_servers,
        with_participants=with_participants,
        with_shared=participant.meeting_id != shared_of,
    )


# What a leave reads: the columns it needs, not three whole rows (a leave storm runs it
# a hundred times a second; compiling the wide select was most of a leave's cost).
_LEAVE_FIELDS = (
    "peer",
    "channel_name",
    "pk",
    "state",
    "user_id",
    "name",
    "meeting_id",
    "meeting__room_id",
    "meeting__room__slug",
    "meeting__last_activity_at",
    "meeting__occurrence_ref",
)


class Leave(NamedTuple):
    """A connection that closed: its participant, its channel, and when the person went.

    ``at`` is when the connection vanished for a leave that waited out the reconnection
    grace (signaling/seats.py): attendance counts the person as gone from then. None: now."""

    peer: str
    channel_name: str
    at: datetime | None = None


@transaction.atomic
def participants_leave(*, leaves: Sequence[tuple[str, str] | Leave]) -> list[Departure]:
    """Connections (peer, channel name[, when]) that closed together: one read, few updates."""
    asked = [Leave(*item) for item in leaves]
    peers = [leave.peer for leave in asked]
    # Lock as joins do: the rooms first, in their order, then the participants. Locking
    # participant, meeting and room rows together, in whatever order the scan met them,
    # deadlocked against a join (room, then meeting) of another web process on
    # PostgreSQL (bench/signaling.py --processes: four a run).
    rooms = Participant.objects.filter(peer__in=peers, state__in=PRESENT).values("meeting__room_id")
    locked = Room.objects.select_for_update(of=("self",)).filter(pk__in=rooms).order_by("pk")
    list(locked.values_list("pk", flat=True))  # one query: the rooms, locked in id order
    rows = (
        Participant.objects.select_for_update(of=("self",))
        .filter(peer__in=peers, state__in=PRESENT)
        .order_by("pk")
        .values_list(*_LEAVE_FIELDS)
    )
    found = {row[0]: row for row in rows}
    now = timezone.now()
    # The person left unless another window took the participant over.
    gone = [
        (found.pop(leave.peer), leave.at or now)
        for leave in asked
        if found.get(leave.peer, ("", ""))[1] == leave.channel_name
    ]
    by_time: dict[datetime, list[int]] = {}
    for row, at in gone:
        by_time.setdefault(at, []).append(row[2])
    for at, pks in by_time.items():  # one UPDATE per instant: nearly always just one
        Participant.objects.filter(pk__in=pks).update(
            state=ParticipantState.LEFT,
            left_at=at,
            hand_raised_at=None,
            audio_on=False,
            video_on=False,
            screen_on=False,
            listen_only=False,
            link="",
        )
    active: set[int] = set()  # meetings whose activity time this batch has moved on
    departed = {row[0]: _departed(row, at, active) for row, at in gone}
    return [
        departed.pop(leave.peer) if leave.peer in departed else Departure(leave.peer)
        for leave in asked
    ]


def _departed(row: tuple[Any, ...], now: Any, active: set[int]) -> Departure:
    """Tell the room and close the attendance of one participant who left."""
    peer, _, pk, was, user_id, name, meeting_id, room_id, slug, last_activity_at, ref = row
    if was == ParticipantState.LOBBY:
        notify_room(slug, event("lobby.left", peer=peer), hosts_only=True)
        return Departure(peer)
    stale = (now - last_activity_at).total_seconds() > ACTIVITY_RESOLUTION_SECS
    if stale and meeting_id not in active:
        active.add(meeting_id)
        Meeting.objects.filter(pk=meeting_id).update(last_activity_at=now)
    if ref:  # attendance was recorded only for a scheduled occurrence
        meeting = Meeting(pk=meeting_id, room_id=room_id, occurrence_ref=ref)
        attendance_left(
            participant=Participant(
                pk=pk, peer=peer, meeting=meeting, user_id=user_id, name=name, left_at=now
            )
        )
    notify_room(slug, event("participant.left", peer=peer, reason="left"))
    return Departure(peer, media=True)


def participants_seen(*, peers: list[str]) -> int:
    """A process vouches for its connections (the presence heartbeat)."""
    if not peers:
        return 0
    return Participant.objects.filter(peer__in=peers, state__in=PRESENT).update(
        seen_at=timezone.now()
    )
